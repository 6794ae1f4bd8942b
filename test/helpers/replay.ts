// Replays trainer output through the line splitter and a job's parsers, as the
// job supervisor does, and gives the points a run would store: each metric
// event at its step (no step: one past the highest so far, as Tracker.log
// does), plus the progress and malformed events. Used by the real-log tests.
import { LineSplitter } from '../../src/runtime/ingest/lines';
import { createParsers, LineIngest } from '../../src/runtime/ingest/spec';
import type { IngestEvent, ParserSpec } from '../../src/runtime/ingest/types';

export interface Point {
  metric: string;
  step: number;
  value: number;
}

export interface Replay {
  points: Point[];
  progress: Array<{ current: number; total?: number }>;
  malformed: Array<{ line: string; error: string }>;
  events: IngestEvent[];
}

/** Feeds `data` in the given chunk sizes (cycled; default: whole). */
export function replay(data: Buffer, opts: { specs?: ParserSpec[]; chunks?: (i: number) => number } = {}): Replay {
  const { lines } = createParsers(opts.specs, { cwd: process.cwd() });
  const ingest = new LineIngest(lines);
  const splitter = new LineSplitter();
  const events: IngestEvent[] = [];
  const take = (pieces: ReturnType<LineSplitter['push']>) => {
    for (const p of pieces) events.push(...ingest.line(p.text, p.final));
  };
  if (!opts.chunks) take(splitter.push(data));
  else {
    for (let at = 0, i = 0; at < data.length; i++) {
      const n = Math.max(1, opts.chunks(i));
      take(splitter.push(data.subarray(at, at + n)));
      at += n;
    }
  }
  take(splitter.flush());
  events.push(...ingest.flush());
  return summarize(events);
}

export function summarize(events: IngestEvent[]): Replay {
  const points: Point[] = [];
  const progress: Replay['progress'] = [];
  const malformed: Replay['malformed'] = [];
  let next = 0;
  for (const e of events) {
    if (e.type === 'metrics') {
      const step = e.step ?? next;
      next = Math.max(next, step + 1);
      for (const [metric, value] of Object.entries(e.metrics)) points.push({ metric, step, value });
    } else if (e.type === 'progress') progress.push({ current: e.current, ...(e.total !== undefined ? { total: e.total } : {}) });
    else if (e.type === 'malformed') malformed.push({ line: e.line, error: e.error });
  }
  return { points, progress, malformed, events };
}

/** (metric, step) pairs stored more than once. */
export function duplicates(points: Point[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const p of points) {
    const k = `${p.metric}@${p.step}`;
    if (seen.has(k)) dup.push(k);
    seen.add(k);
  }
  return dup;
}
