// What the Run Dashboard host fetches for the page's first paint while the
// page is still loading its script: the overview of the first charts in the
// order the page lays them out, at the resolution the last dashboard asked
// for; and the live points held until the page has it. Pure (no vscode
// import), so bench/dashboard.bench.ts follows the same rules as the panel.
import { sectionOf, sectionOrder } from '../../../protocol/metrics';
import type { AppendedMetric } from '../../../protocol/live';
import type { HistoryParams } from '../../../protocol/tracking';

/** Charts prefetched at most (about a screenful of cards). */
export const PREFETCH_CHARTS = 6;
/** Points prefetched at most over all series (more would slow the first paint it is for). */
export const PREFETCH_POINT_BUDGET = 60_000;
/** Points per series before any dashboard has asked: about 2 × the plot width of a card in a 1400 px wide editor. */
export const DEFAULT_OVERVIEW_POINTS = 740;

let learnedMaxPoints = DEFAULT_OVERVIEW_POINTS;

/** The page asked for an overview (no step range): the next dashboard prefetches at its resolution. */
export function noteOverviewRequest(p: HistoryParams): void {
  if (p.from === undefined && p.to === undefined && (p.metrics?.length ?? 0) > 0 && p.maxPoints > 4) learnedMaxPoints = Math.round(p.maxPoints);
}

/** The metrics in the order the page lays out its cards: sections in their order, names in list order inside them. */
export function pageOrder(metrics: string[]): string[] {
  return metrics
    .map((m, i) => ({ m, i, s: sectionOf(m) }))
    .sort((a, b) => sectionOrder(a.s, b.s) || a.i - b.i)
    .map((x) => x.m);
}

/**
 * The request for the first charts' overview, or undefined when there is
 * nothing to draw. Collapsed sections (the page's saved state) are skipped.
 */
export function firstOverviewParams(runIds: string[], metrics: string[], o: { collapsed?: string[]; maxPoints?: number } = {}): HistoryParams | undefined {
  if (!runIds.length || !metrics.length) return undefined;
  const maxPoints = o.maxPoints ?? learnedMaxPoints;
  const perChart = runIds.length * maxPoints;
  const n = Math.max(1, Math.min(PREFETCH_CHARTS, Math.floor(PREFETCH_POINT_BUDGET / perChart)));
  const open = pageOrder(metrics).filter((m) => !o.collapsed?.includes(sectionOf(m)));
  const chosen = open.slice(0, n);
  return chosen.length ? { runIds, metrics: chosen, maxPoints } : undefined;
}

/** Live entries kept while the page opens; past this only each series' last step is kept (the page pulls the rest). */
export const EARLY_CAP = 2_000;

/**
 * Live points flushed from the panel's creation until the page has its init:
 * the prefetched overview may have been read before them, and a page without
 * its runs drops them, so the host posts them right after the init. Up to
 * EARLY_CAP entries as they came; past it, one gap marker per series at its
 * last step, so the page pulls what it lacks.
 */
export class EarlyPoints {
  private entries: AppendedMetric[] = [];
  private overflow = false;
  private readonly last = new Map<string, AppendedMetric>();

  constructor(private readonly cap = EARLY_CAP) {}

  add(mine: AppendedMetric[]): void {
    for (const a of mine) {
      const k = `${a.runId}\u0000${a.metric}`;
      if ((this.last.get(k)?.lastStep ?? -Infinity) < a.lastStep) this.last.set(k, { runId: a.runId, metric: a.metric, lastStep: a.lastStep, gap: true });
    }
    if (this.entries.length + mine.length <= this.cap) this.entries.push(...mine);
    else this.overflow = true;
  }

  /** What to post after the init, for the runs still shown. */
  take(runIds: readonly string[]): AppendedMetric[] {
    const out = this.overflow ? [...this.last.values()] : this.entries;
    return out.filter((a) => runIds.includes(a.runId));
  }
}
