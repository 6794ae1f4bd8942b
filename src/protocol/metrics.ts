// Metric naming rules shared by every face: whether lower is better (best,
// summary, compare, the Runs tree), which metric a run list shows first, and
// the dashboard section a metric belongs to (its prefix). Pure: no imports.

/** Preferred headline metrics, in order; else another loss, a train/, eval/ or val/ metric, then any (see runQueries.ts). */
export const HEADLINE_METRICS = ['train/loss', 'loss', 'eval/loss', 'val/loss', 'val_loss', 'train_loss'];

/** Sections whose metrics never headline a run: they describe the machine, not the training. */
export const NEVER_HEADLINE_SECTIONS = ['system'];

const MAX_WORDS = ['acc', 'accuracy', 'f1', 'precision', 'recall', 'auc', 'score', 'reward', 'bleu', 'rouge', 'map', 'iou', 'tokens_per_s', 'throughput', 'samples_per_second'];

/** Loss-like metrics are minimised; accuracy-like (acc, f1, reward, …) maximised. */
export function metricDirection(metric: string): 'min' | 'max' {
  const last = metric.toLowerCase().split('/').pop() ?? '';
  return MAX_WORDS.some((w) => last === w || last.endsWith('_' + w) || last.startsWith(w + '_') || last.endsWith(w)) ? 'max' : 'min';
}

/** Known sections first, in this order; any other prefix gets its own section after them; no prefix → "other". */
export const KNOWN_SECTIONS = ['train', 'eval', 'val', 'test', 'system'];

export function sectionOf(metric: string): string {
  const i = metric.indexOf('/');
  if (i <= 0) return 'other';
  return metric.slice(0, i);
}

export function sectionOrder(a: string, b: string): number {
  const rank = (s: string) => (s === 'other' ? 1000 : KNOWN_SECTIONS.includes(s) ? KNOWN_SECTIONS.indexOf(s) : 100);
  return rank(a) - rank(b) || a.localeCompare(b);
}
