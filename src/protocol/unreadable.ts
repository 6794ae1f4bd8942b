// The note a run shows when its output looked like trainer logs but nothing
// in it could be read (a format the parsers do not know, a new transformers
// release): one sentence for the CLI's `show`, the Runs view and the job log,
// so the run does not sit there silently with only system/* metrics.

/** `metrics`: how many metrics (other than system/*) the run stored. Null when there is nothing to say. */
export function unreadableNote(r: { malformed_lines: number; last_warning: string | null }, metrics: number): string | null {
  if (metrics > 0 || !(r.malformed_lines > 0)) return null;
  const n = r.malformed_lines;
  return `${n} line${n === 1 ? '' : 's'} looked like Trainer logs but none could be read${r.last_warning ? `: ${r.last_warning}` : ''}`;
}

/** Metric names a trainer logged (the runtime's own system/* samples do not count). */
export function trainerMetricCount(names: Iterable<string>): number {
  let n = 0;
  for (const m of names) if (!m.startsWith('system/')) n++;
  return n;
}
