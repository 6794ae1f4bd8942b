// The runtime's half of the one-way live path: which runs dashboards have
// subscribed to, and the MetricsAppended entries for a flush built from what
// the flush just wrote (FlushInfo.written) instead of reading the metrics
// table again. Writes by other processes (seen through data_version) give
// entries without points: the page pulls those. Pure apart from the
// `lastSteps` callback the subscription uses once per run.
import { LIVE_POINTS_PER_FLUSH, LIVE_POINTS_PER_SERIES, type AppendedMetric } from '../../protocol/live';
import type { History } from '../../protocol/tracking';
import type { FlushInfo, WrittenPoint } from './tracker';

export interface LiveCaps {
  perSeries: number;
  perFlush: number;
}

export class LivePublisher {
  /** Subscriber (a dashboard) → the runs it shows. */
  private readonly subs = new Map<string, Set<string>>();
  /** run → metric → highest step published (or in the store when the run was subscribed). */
  private readonly published = new Map<string, Map<string, number>>();

  constructor(
    /** The last step of every metric of a run, as stored now (read once when a run is first subscribed). */
    private readonly lastSteps: (runId: string) => Record<string, number>,
    private readonly caps: LiveCaps = { perSeries: LIVE_POINTS_PER_SERIES, perFlush: LIVE_POINTS_PER_FLUSH },
  ) {}

  /** Replaces what `key` is subscribed to; returns the runs it is subscribed to now. */
  subscribe(key: string, runIds: string[]): string[] {
    if (runIds.length) this.subs.set(key, new Set(runIds));
    else this.subs.delete(key);
    const wanted = this.subscribedRuns();
    for (const id of [...this.published.keys()]) if (!wanted.has(id)) this.published.delete(id);
    for (const id of wanted) {
      if (this.published.has(id)) continue;
      let steps: Record<string, number> = {};
      try {
        steps = this.lastSteps(id);
      } catch {
        // Not in the store (yet): every metric it gets is new.
      }
      this.published.set(id, new Map(Object.entries(steps)));
    }
    return runIds.filter((id) => wanted.has(id));
  }

  isSubscribed(runId: string): boolean {
    return this.published.has(runId);
  }

  private subscribedRuns(): Set<string> {
    const out = new Set<string>();
    for (const s of this.subs.values()) for (const id of s) out.add(id);
    return out;
  }

  /** The entries for one flush of our own tracker: points for subscribed runs, capped. */
  fromFlush(info: Pick<FlushInfo, 'appended' | 'written'>): AppendedMetric[] {
    const grouped = new Map<string, WrittenPoint[]>();
    if (this.published.size) {
      for (const p of info.written) {
        if (!this.published.has(p.run)) continue;
        const k = `${p.run}\u0000${p.metric}`;
        let list = grouped.get(k);
        if (!list) grouped.set(k, (list = []));
        list.push(p);
      }
    }
    let budget = this.caps.perFlush;
    return info.appended.map((a) => {
      const seen = this.published.get(a.runId);
      if (!seen) return { runId: a.runId, metric: a.metric, lastStep: a.lastStep };
      const prevStep = seen.get(a.metric) ?? -1;
      seen.set(a.metric, Math.max(prevStep, a.lastStep));
      const list = grouped.get(`${a.runId}\u0000${a.metric}`) ?? [];
      if (!list.length || list.length > this.caps.perSeries || list.length > budget) return { runId: a.runId, metric: a.metric, lastStep: a.lastStep, prevStep, gap: true };
      budget -= list.length;
      return { runId: a.runId, metric: a.metric, lastStep: a.lastStep, prevStep, points: toHistory(a.runId, a.metric, list) };
    });
  }

  /** Entries for other processes' writes (no points: the page pulls); keeps the published steps up to date. */
  fromOtherWriters(appended: Array<{ runId: string; metric: string; lastStep: number }>): AppendedMetric[] {
    return appended.map((a) => {
      const seen = this.published.get(a.runId);
      if (!seen) return { ...a };
      const prevStep = seen.get(a.metric) ?? -1;
      seen.set(a.metric, Math.max(prevStep, a.lastStep));
      return { ...a, prevStep, gap: true };
    });
  }
}

/** Points of one series as the history request would return them (sorted by step, non-finite values as stretches). */
export function toHistory(runId: string, metric: string, points: readonly WrittenPoint[]): History {
  let list = points;
  for (let i = 1; i < list.length; i++) {
    if (list[i].step < list[i - 1].step) {
      // Stable: equal steps keep their write order, as ORDER BY step, rowid does.
      list = [...points].sort((x, y) => x.step - y.step);
      break;
    }
  }
  const out: History = { run_id: runId, metric, total: list.length, downsampled: false, steps: [], values: [], wall: [], non_finite: [] };
  let open: History['non_finite'][number] | null = null;
  for (const p of list) {
    const bad = !Number.isFinite(p.value);
    out.steps.push(p.step);
    out.values.push(bad ? null : p.value);
    out.wall.push(p.wall);
    if (bad) {
      const kind = Number.isNaN(p.value) ? 'nan' : 'inf';
      if (open) {
        open.to = p.step;
        open.count++;
        if (open.kind !== kind) open.kind = 'mixed';
      } else out.non_finite.push((open = { from: p.step, to: p.step, kind, count: 1 }));
    } else open = null;
  }
  return out;
}
