// How the dashboard gets its points. Pulls, each one request to the host:
// the metric list, the overview of the charts that scrolled into view (one
// request per animation frame for all of them, at about twice the chart's
// pixel width), a zoomed range at full resolution, and a gap in the live
// points (one request for every metric with a gap). Live points otherwise
// arrive pushed (MetricsAppended) and are appended in place; a live tail
// grown to several times the chart's width is rebased (overview fetched
// again, downsampled).
import type { AppendedMetric } from '../../protocol/live';
import type { HistoryParams, HistoryResult } from '../../protocol/tracking';
import type { DashboardOverview } from '../../protocol/webview';
import { appendAfter, fromHistory, lastStep, stepRangeFor, type Series, type ZoomData } from './data';
import type { DashboardModel } from './model';

/** What the loader needs from the charts. */
export interface LoaderView {
  /** The chart's width in pixels (0 when it has none). */
  width(metric: string): number;
  /** A chart's data changed: draw it in the next frame. */
  changed(metric: string): void;
  error(e: unknown): void;
}

interface LoadState {
  loaded: boolean;
  loading: boolean;
  /** Runs with points newer than the page has that were not pushed (a gap: pull). */
  pending: Set<string>;
  /** Width the overview was fetched for (fetched again when the chart gets much wider). */
  fetchedWidth: number;
  /** Points per series after which live appends make the page fetch a fresh downsampled overview. */
  rebaseAt: number;
}

export function maxPointsFor(width: number): number {
  return Math.min(8000, Math.max(200, Math.round(width * 2)));
}

export class Loader {
  private readonly charts = new Map<string, LoadState>();
  private queued = new Set<string>();
  /** A load of the queued charts is scheduled. */
  private frameQueued = false;
  /** Metrics whose gap pull is in flight: pushes for them wait (they would land before the gap is filled). */
  private pulling = new Set<string>();
  /** Charts whose overview the host announced with the init (see expect). */
  private expected = new Set<string>();

  constructor(
    private readonly model: DashboardModel,
    private readonly history: (p: HistoryParams) => Promise<HistoryResult>,
    private readonly view: LoaderView,
  ) {}

  track(metric: string): void {
    if (!this.charts.has(metric)) this.charts.set(metric, { loaded: false, loading: false, pending: new Set(), fetchedWidth: 0, rebaseAt: Infinity });
  }

  untrack(metric: string): void {
    this.charts.delete(metric);
  }

  isLoaded(metric: string): boolean {
    return !!this.charts.get(metric)?.loaded;
  }

  /** Everything is to be fetched again (a new set of runs). */
  reset(): void {
    this.unexpect();
    this.model.clearData();
    for (const c of this.charts.values()) {
      c.loaded = false;
      c.pending.clear();
    }
  }

  /** The metric names of the runs (a tiny request: no points). */
  async metricNames(): Promise<string[]> {
    const res = await this.history({ runIds: this.model.runs.map((r) => r.id), metrics: [], maxPoints: 4 });
    return res.metrics;
  }

  /** Loads `metric`'s overview in one request with the others asked for in the same task (not a frame later). */
  queue(metric: string): void {
    const c = this.charts.get(metric);
    if (!c || c.loading) return;
    this.queued.add(metric);
    if (this.frameQueued) return;
    this.frameQueued = true;
    queueMicrotask(() => {
      this.frameQueued = false;
      const batch = [...this.queued];
      this.queued = new Set();
      void this.loadOverview(batch);
    });
  }

  /**
   * Takes the overview the host fetched while the page loaded (the first
   * charts, every run): each chart it fits is loaded without a request. A
   * chart much wider than it was fetched for (the resize rule), or for other
   * runs, is left to load itself. Returns the metrics taken.
   */
  prefill(o: DashboardOverview): string[] {
    const ids = this.model.runs.map((r) => r.id);
    if (o.result.series.some((s) => !ids.includes(s.run_id))) return [];
    const fits = o.metrics.filter((m) => {
      const c = this.charts.get(m);
      return c && (!c.loading || this.expected.has(m)) && !c.loaded && maxPointsFor(this.view.width(m)) <= o.maxPoints * 1.5;
    });
    for (const m of fits) this.charts.get(m)!.loading = false;
    this.take(fits, o.result, o.maxPoints / 2);
    return fits;
  }

  /**
   * The host is fetching these charts' overview (announced with the init):
   * they are not asked for (they count as loading) until it comes (prefill)
   * or the host says it has none (unexpect).
   */
  expect(metrics: string[]): void {
    for (const m of metrics) {
      const c = this.charts.get(m);
      if (!c || c.loaded || c.loading) continue;
      c.loading = true;
      this.expected.add(m);
    }
  }

  /** The announced overview came (or will not): charts it did not fill load themselves again. */
  unexpect(): void {
    for (const m of this.expected) {
      const c = this.charts.get(m);
      if (c && !c.loaded) c.loading = false;
    }
    this.expected.clear();
  }

  /** Fetches the overview of `list` (every run) at the charts' resolution. */
  private async loadOverview(list: string[]): Promise<void> {
    const todo = list.filter((m) => this.charts.has(m) && !this.charts.get(m)!.loading);
    if (!todo.length || !this.model.runs.length) return;
    const width = Math.max(...todo.map((m) => this.view.width(m)));
    for (const m of todo) this.charts.get(m)!.loading = true;
    try {
      const res = await this.history({ runIds: this.model.runs.map((r) => r.id), metrics: todo, maxPoints: maxPointsFor(width) });
      this.take(todo, res, width);
    } catch (e) {
      this.view.error(e);
    } finally {
      for (const m of todo) {
        const c = this.charts.get(m);
        if (c) c.loading = false;
      }
    }
  }

  /** Puts an overview answer for `metrics` in the model (fetched for charts `width` px wide) and marks them loaded. */
  private take(metrics: string[], res: HistoryResult, width: number): void {
    for (const m of metrics) this.model.overview.set(m, new Map());
    for (const hst of res.series) if (metrics.includes(hst.metric)) this.model.overview.get(hst.metric)?.set(hst.run_id, fromHistory(hst));
    for (const m of metrics) {
      const c = this.charts.get(m);
      if (!c) continue;
      c.loaded = true;
      c.fetchedWidth = width;
      const longest = Math.max(0, ...[...(this.model.overview.get(m)?.values() ?? [])].map((x) => x.steps.length));
      c.rebaseAt = Math.max(maxPointsFor(width) * 3, longest * 2);
      c.pending.clear();
      if (this.model.state.zoom[m]) void this.loadZoom(m);
      this.view.changed(m);
    }
  }

  /** Fetches the zoomed range again at full resolution (downsampled only if it is still wider than the chart). */
  async loadZoom(metric: string): Promise<void> {
    const range = this.model.state.zoom[metric];
    if (!range || !this.charts.has(metric)) return;
    const series = [...(this.model.overview.get(metric)?.values() ?? [])].map((s) => ({ s, t0: this.model.runStart(s.runId) }));
    const steps = stepRangeFor(this.model.state.xAxis, range.min, range.max, series);
    if (!steps) return;
    try {
      const res = await this.history({
        runIds: this.model.runs.filter((r) => !this.model.isHidden(r.id)).map((r) => r.id),
        metrics: [metric],
        from: Math.max(0, steps.from),
        to: steps.to,
        maxPoints: maxPointsFor(this.view.width(metric)),
      });
      // A newer gesture may have moved the range meanwhile: keep only the answer for the current one.
      if (this.model.state.zoom[metric] !== range) return;
      const z: ZoomData = { from: steps.from, to: steps.to, series: new Map() };
      for (const hst of res.series) z.series.set(hst.run_id, fromHistory(hst));
      this.model.zooms.set(metric, z);
      this.view.changed(metric);
    } catch (e) {
      this.view.error(e);
    }
  }

  /**
   * A flush's entries: pushed points are appended where they follow on from
   * what the page has; a gap (points not sent, missed, or written by another
   * process) is pulled, once for all metrics. Returns the metrics new to the page.
   */
  appended(entries: AppendedMetric[]): string[] {
    const added: string[] = [];
    for (const a of entries) {
      if (!this.model.runs.some((r) => r.id === a.runId)) continue;
      if (this.model.addMetric(a.metric)) {
        added.push(a.metric);
        continue;
      }
      const c = this.charts.get(a.metric);
      // Not loaded yet: its first pull (answered after this flush) has these points.
      if (!c || !c.loaded) continue;
      if (a.lastStep <= lastStep(this.model.series(a.metric, a.runId))) continue;
      if (!this.appendPushed(a)) c.pending.add(a.runId);
    }
    void this.pullGaps();
    return added;
  }

  private appendPushed(a: AppendedMetric): boolean {
    const ov = this.model.overview.get(a.metric);
    const have = this.model.series(a.metric, a.runId);
    if (!ov || !a.points || this.pulling.has(a.metric) || lastStep(have) < (a.prevStep ?? -1)) return false;
    this.append(a.metric, ov, a.runId, fromHistory(a.points));
    return true;
  }

  private append(metric: string, ov: Map<string, Series>, runId: string, add: Series): void {
    let s = ov.get(runId);
    if (!s) {
      s = { ...add, steps: [], values: [], wall: [], nonFinite: [], total: 0 };
      ov.set(runId, s);
    }
    appendAfter(s, add);
    s.downsampled ||= add.downsampled;
    this.view.changed(metric);
    const c = this.charts.get(metric);
    // The live tail has grown to several times the chart's width: fetch a fresh downsampled overview.
    if (c && c.loaded && s.steps.length > c.rebaseAt) {
      c.loaded = false;
      this.queue(metric);
    }
  }

  /** One request for every metric with a gap, from the earliest step missing. */
  private async pullGaps(): Promise<void> {
    if (this.pulling.size) return;
    const todo = [...this.charts.entries()].filter(([, c]) => c.loaded && c.pending.size);
    if (!todo.length) return;
    const ids = [...new Set(todo.flatMap(([, c]) => [...c.pending]))];
    let from = Infinity;
    for (const [m, c] of todo) {
      for (const id of c.pending) from = Math.min(from, lastStep(this.model.series(m, id)) + 1);
      c.pending.clear();
    }
    this.pulling = new Set(todo.map(([m]) => m));
    try {
      const res = await this.history({ runIds: ids, metrics: [...this.pulling], from, maxPoints: maxPointsFor(Math.min(...todo.map(([m]) => this.view.width(m)))) });
      for (const hst of res.series) {
        const ov = this.model.overview.get(hst.metric);
        if (ov && this.charts.get(hst.metric)?.loaded) this.append(hst.metric, ov, hst.run_id, fromHistory(hst));
      }
    } catch (e) {
      this.view.error(e);
    } finally {
      this.pulling = new Set();
      if ([...this.charts.values()].some((c) => c.loaded && c.pending.size)) void this.pullGaps();
    }
  }

  /** Charts now much wider than the resolution they were fetched for get their overview again. */
  resized(visible: (metric: string) => boolean): void {
    for (const [m, c] of this.charts) {
      if (c.loaded && visible(m) && this.view.width(m) > c.fetchedWidth * 1.5) {
        c.loaded = false;
        this.queue(m);
      }
    }
  }
}
