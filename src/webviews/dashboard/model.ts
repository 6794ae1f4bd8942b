// The dashboard's model: what the page knows (runs, metric names, alerts, the
// overview series per metric and run, zoomed ranges) and what it keeps with
// setState (smoothing, axis, log scales, zoom, hidden runs, collapsed
// sections, focus). No DOM; the view reads it, the loader fills it.
import type { DashboardAlert, DashboardFocus, DashboardRun, DashboardState } from '../../protocol/webview';
import { lastStep, merged, type Series, type ZoomData } from './data';

export const DEFAULT_STATE: DashboardState = { runIds: [], smoothing: 0.6, xAxis: 'step', logY: [], zoom: {}, hidden: [], collapsed: [] };

export class DashboardModel {
  state: DashboardState;
  runs: DashboardRun[] = [];
  metrics: string[] = [];
  alerts: DashboardAlert[] = [];
  /** True once the runs and the metric list are loaded. */
  initialized = false;
  loadError: string | undefined;
  /** The metric filter (lower case), not persisted. */
  filter = '';
  /** metric → run → overview series. */
  readonly overview = new Map<string, Map<string, Series>>();
  /** metric → its zoomed range fetched at full resolution. */
  readonly zooms = new Map<string, ZoomData>();

  constructor(
    private readonly persist: (s: DashboardState) => void,
    saved: DashboardState | undefined,
  ) {
    this.state = { ...DEFAULT_STATE, ...(saved ?? {}) };
  }

  save(): void {
    this.persist(this.state);
  }

  /** Takes the host's run list; true when the set of runs changed (everything is loaded again). */
  setRuns(next: DashboardRun[]): boolean {
    const changed = next.map((r) => r.id).join() !== this.runs.map((r) => r.id).join();
    this.runs = next;
    this.state.runIds = next.map((r) => r.id);
    this.state.hidden = this.state.hidden.filter((id) => this.state.runIds.includes(id));
    this.save();
    return changed;
  }

  isHidden(runId: string): boolean {
    return this.state.hidden.includes(runId);
  }

  toggleHidden(runId: string): void {
    this.state.hidden = this.isHidden(runId) ? this.state.hidden.filter((x) => x !== runId) : [...this.state.hidden, runId];
    this.save();
  }

  toggleLog(metric: string): void {
    this.state.logY = this.state.logY.includes(metric) ? this.state.logY.filter((m) => m !== metric) : [...this.state.logY, metric];
    this.save();
  }

  setLogAll(on: boolean): void {
    this.state.logY = on ? [...this.metrics] : [];
    this.save();
  }

  get logAll(): boolean {
    return this.metrics.length > 0 && this.metrics.every((m) => this.state.logY.includes(m));
  }

  toggleCollapsed(section: string): void {
    this.state.collapsed = this.state.collapsed.includes(section) ? this.state.collapsed.filter((s) => s !== section) : [...this.state.collapsed, section];
    this.save();
  }

  /** Sets (or with `undefined` clears) a chart's zoom; a cleared or new range drops the zoomed points fetched for the old one. */
  setZoom(metric: string, range: { min: number; max: number } | undefined, persist = true): void {
    if (range) this.state.zoom[metric] = range;
    else {
      delete this.state.zoom[metric];
      this.zooms.delete(metric);
    }
    if (persist) this.save();
  }

  clearZooms(): void {
    this.state.zoom = {};
    this.zooms.clear();
    this.save();
  }

  /** Forgets every loaded series (a new set of runs). */
  clearData(): void {
    this.overview.clear();
    this.zooms.clear();
  }

  addMetric(metric: string): boolean {
    if (this.metrics.includes(metric)) return false;
    this.metrics = [...this.metrics, metric].sort();
    return true;
  }

  series(metric: string, runId: string): Series | undefined {
    return this.overview.get(metric)?.get(runId);
  }

  /** Each run's series of `metric` as drawn: the overview with the zoomed points in place. */
  drawn(metric: string): Map<string, Series> {
    const ov = this.overview.get(metric);
    const z = this.zooms.get(metric);
    const out = new Map<string, Series>();
    for (const r of this.runs) {
      const s = merged(ov?.get(r.id), z?.series.get(r.id), z);
      if (s) out.set(r.id, s);
    }
    return out;
  }

  lastSteps(metric: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, s] of this.overview.get(metric) ?? []) out[id] = lastStep(s);
    return out;
  }

  /** When a run started (its created_at; else its first point), for the relative time axis. */
  runStart(runId: string): number {
    const r = this.runs.find((x) => x.id === runId);
    const t = r ? Date.parse(r.created_at) / 1000 : NaN;
    if (Number.isFinite(t)) return t;
    for (const ov of this.overview.values()) {
      const s = ov.get(runId);
      if (s?.wall.length) return s.wall[0];
    }
    return 0;
  }

  /** The chart a focus goes to: its metric, else the first metric the run has, else the first one. */
  focusMetric(f: DashboardFocus): string | undefined {
    if (f.metric && this.metrics.includes(f.metric)) return f.metric;
    return this.metrics.find((m) => this.overview.get(m)?.get(f.runId ?? '')) ?? this.metrics[0];
  }

  /** Whether the focus is drawn on `metric`'s chart. */
  focusOn(metric: string): DashboardFocus | undefined {
    const f = this.state.focus;
    return f && (f.metric === metric || (!f.metric && metric === this.focusMetric(f))) ? f : undefined;
  }
}
