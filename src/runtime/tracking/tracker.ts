// The write side of tracking: runs, metric points, watchers, alerts, stop
// requests. Points are buffered and written in batches (at most every 250 ms
// or 1,000 points) in IMMEDIATE transactions; each batch also keeps the
// per-run, per-metric summary rows current, so reads never scan history, and
// carries the heartbeats and progress since the last one. Watchers run when a
// value is logged (so a stop is known at once in this process) and their
// alerts are written with the batch. The Tracker keeps buffering, watchers and
// flush scheduling; the SQL is the store's (store/tracking/, one owner per table).
import type Database from 'better-sqlite3';
import * as os from 'node:os';
import type { AlertLevel } from '../../protocol/lines';
import { checkMetricName, checkRunName, defaultRunName, newRunId } from './names';
import { ALERT_REASONS, jsonNumber, RUN_STATUSES, type RunStatus } from '../../protocol/tracking';
import { LodBatch } from './lod';
import { SqliteTrackingStore, type SummaryRow } from '../store/tracking';
import { toStoredJson } from './json';
import {
  applyCustomVerdict,
  evaluateWatcher,
  validateWatch,
  type AlertDraft,
  checkCustomFunction,
  type CustomResult,
  type WatcherSpec,
  type WatcherState,
  type WatchEvent,
} from './watchers';

export class TrackingError extends Error {}

export interface CreateRunOptions {
  project?: string;
  name?: string;
  config?: Record<string, unknown>;
  pid?: number | null;
  pidStart?: string | null;
  host?: string;
  id?: string;
}

export interface AlertInput {
  title: string;
  text?: string;
  level?: AlertLevel;
  reason?: string;
  metric?: string | null;
  step?: number | null;
  data?: Record<string, unknown>;
}

export interface LogResult {
  step: number;
  accepted: number;
  rejected: string[];
}

export interface FlushInfo {
  runIds: string[];
  points: number;
  alerts: number;
  /** Highest step written per run and metric in this batch. */
  appended: Array<{ runId: string; metric: string; lastStep: number }>;
  /** The points this flush wrote, in write order (not copied: read, never keep or change): the live path pushes them. */
  written: readonly WrittenPoint[];
}

/** A point as buffered and written (value may be NaN or ±Infinity). */
export type WrittenPoint = Readonly<Point>;

interface Point {
  run: string;
  metric: string;
  step: number;
  value: number;
  wall: number;
}

interface LoadedWatcher {
  id: number;
  spec: WatcherSpec;
  state: WatcherState;
  dirty: boolean;
  custom?: CustomFn;
}

/** A custom watcher function (SDK): see CustomResult for what it may return. */
export type CustomFn = (value: number, step: number) => CustomResult;

interface RunCache {
  id: string;
  nextStep: number;
  watchers: Map<string, LoadedWatcher[]>;
  stop: { reason: string; source: string } | null;
  dirty: boolean;
  rejected: number;
  lastWarning: string | null;
}

type AlertOp =
  | { op: 'open'; run: string; key: string; watcher: LoadedWatcher | null; draft: AlertDraft | (AlertInput & { reason: string; level: AlertLevel }) }
  | { op: 'extend'; run: string; key: string; watcher: LoadedWatcher; alertId?: number; count: number; lastStep: number; value: number | null }
  | { op: 'close'; run: string; key: string; alertId?: number; watcher: LoadedWatcher };

export const HEARTBEAT_TIMEOUT_S = 30;

export function nowIso(): string {
  return new Date().toISOString();
}

/** Numbers from any source count: number, bigint, Number objects. Anything else is refused. */
export function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Number) return v.valueOf();
  return null;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)} (a string)`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `${String(v).slice(0, 40)} (${typeof v})`;
}

export class Tracker {
  private readonly runs = new Map<string, RunCache>();
  private readonly metricIds = new Map<string, number>();
  private points: Point[] = [];
  private alertOps: AlertOp[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly commitHooks = new Set<() => void>();
  /** Open batch() calls: size-triggered flushes wait until none is open. */
  private holds = 0;
  private closed = false;
  /** Set when the last flush failed (e.g. disk full); cleared by the next good one. */
  lastFlushError: Error | null = null;
  /** The one owner of the tracking tables' SQL. */
  readonly store: SqliteTrackingStore;
  /** Heartbeats and progress waiting for the next flush (one write per flush, not one per progress frame). */
  private beats = new Map<string, { at: number; progress?: { current: number; total: number | null } }>();

  constructor(
    readonly db: Database.Database,
    private readonly opts: {
      flushIntervalMs?: number;
      flushPoints?: number;
      /** Called after each committed batch. */
      onFlush?: (info: FlushInfo) => void;
      /** Called when a background flush fails; the points stay buffered. */
      onError?: (e: Error) => void;
      /** Most points kept in memory while the store cannot be written (then the oldest are dropped and counted). */
      maxBuffered?: number;
    } = {},
  ) {
    this.store = new SqliteTrackingStore(db);
  }

  // ---------------------------------------------------------------- runs

  createRun(o: CreateRunOptions = {}): { id: string; name: string; project: string } {
    const project = (o.project ?? 'default').trim() || 'default';
    if (o.name !== undefined) {
      const bad = checkRunName(o.name);
      if (bad) throw new TrackingError(bad);
    }
    const now = nowIso();
    const id = o.id ?? newRunId();
    const name = this.store.runs.create({
      id,
      project,
      name: o.name ?? defaultRunName,
      config: toStoredJson(o.config ?? {}),
      now,
      heartbeatAt: Date.now() / 1000,
      pid: o.pid ?? null,
      pidStart: o.pidStart ?? null,
      host: o.host ?? os.hostname(),
    });
    return { id, name, project };
  }

  private cache(runId: string): RunCache {
    let c = this.runs.get(runId);
    if (c) return c;
    const row = this.store.runs.state(runId);
    if (!row) throw new TrackingError(`no run with id '${runId}'`);
    c = { id: runId, nextStep: row.next_step, watchers: new Map(), stop: null, dirty: false, rejected: 0, lastWarning: null };
    for (const w of this.store.watchers.ofRun(runId)) {
      const lw: LoadedWatcher = { id: w.id, spec: JSON.parse(w.spec), state: JSON.parse(w.state), dirty: false };
      const list = c.watchers.get(w.metric) ?? [];
      list.push(lw);
      c.watchers.set(w.metric, list);
    }
    const stop = this.store.runs.stopOf(runId);
    if (stop) c.stop = stop;
    this.runs.set(runId, c);
    return c;
  }

  /** Merges keys into the run's config. */
  setConfig(runId: string, patch: Record<string, unknown>): void {
    this.cache(runId);
    this.store.runs.setConfig(runId, toStoredJson(patch), nowIso());
  }

  /**
   * The run is alive (and, with progress, how far it is). Written with the
   * next flush, in its transaction: a tqdm bar redrawing 30 times a second
   * costs one write per flush, not 30 transactions.
   */
  heartbeat(runId: string, progress?: { current: number; total?: number | null }): void {
    const prev = this.beats.get(runId);
    const total = progress ? (progress.total ?? prev?.progress?.total ?? null) : null;
    this.beats.set(runId, { at: Date.now() / 1000, progress: progress ? { current: progress.current, total } : prev?.progress });
    this.scheduleFlush();
  }

  /** Whether a run with this id is in the store. */
  runExists(runId: string): boolean {
    return this.store.runs.state(runId) !== undefined;
  }

  /**
   * Resumes a run in a new process (trackio's `resume`): it is running again,
   * its end, exit code and stop request are cleared, and cached state is
   * reloaded from the store.
   */
  resumeRun(runId: string, o: { pid?: number | null; pidStart?: string | null; host?: string } = {}): void {
    this.forget(runId);
    this.store.runs.resume(runId, { pid: o.pid ?? null, pidStart: o.pidStart ?? null, host: o.host ?? os.hostname(), heartbeatAt: Date.now() / 1000 }, nowIso());
  }

  /** The process that writes this run (a job's child once it started): the reaper checks it. */
  setProcess(runId: string, pid: number | null, pidStart: string | null): void {
    this.store.runs.setProcess(runId, pid, pidStart);
  }

  // ------------------------------------------------------------- metrics

  /**
   * Logs metrics at one step. Without `step`, the run's next step is used
   * (one past the highest step seen). Non-numeric values and bad names are
   * refused and counted on the run, never fatal; NaN and ±Infinity are kept.
   */
  log(runId: string, metrics: Record<string, unknown>, step?: number, wallTime?: number): LogResult {
    if (this.closed) throw new TrackingError('the tracker is closed');
    const c = this.cache(runId);
    if (step !== undefined && !(Number.isSafeInteger(step) && step >= 0)) {
      throw new TrackingError(`step must be a whole number ≥ 0, got ${JSON.stringify(step)}`);
    }
    const s = step ?? c.nextStep;
    c.nextStep = Math.max(c.nextStep, s + 1);
    c.dirty = true;
    const wall = wallTime ?? Date.now() / 1000;
    const rejected: string[] = [];
    let accepted = 0;
    if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) {
      rejected.push(`metrics must be an object of name → number, got ${describe(metrics)}`);
    } else {
      for (const [name, raw] of Object.entries(metrics)) {
        const badName = checkMetricName(name);
        const value = toNumber(raw);
        if (badName || value === null) {
          rejected.push(badName ?? `metric '${name}' at step ${s}: ${describe(raw)} is not a number; ignored`);
          continue;
        }
        this.points.push({ run: runId, metric: name, step: s, value, wall });
        accepted++;
        const ws = c.watchers.get(name);
        if (ws) for (const w of ws) this.applyWatcher(c, w, value, s);
      }
    }
    if (rejected.length) {
      c.rejected += rejected.length;
      c.lastWarning = rejected[rejected.length - 1];
    }
    this.scheduleFlush();
    return { step: s, accepted, rejected };
  }

  /** One past the highest step the run has (what a log without a step would use). */
  nextStep(runId: string): number {
    return this.cache(runId).nextStep;
  }

  /** Logs at the run's current step without advancing it (system metrics: CPU, memory, GPU). */
  logAtCurrentStep(runId: string, metrics: Record<string, unknown>): LogResult {
    const c = this.cache(runId);
    return this.log(runId, metrics, Math.max(0, c.nextStep - 1));
  }

  private applyWatcher(c: RunCache, w: LoadedWatcher, value: number, step: number): void {
    let events: WatchEvent[];
    if (w.spec.custom) {
      if (!w.custom) return; // the function lives in another process (the SDK that registered it)
      let verdict: unknown;
      try {
        verdict = w.custom(value, step);
      } catch (e) {
        verdict = { title: `${w.spec.metric}: custom watcher threw`, text: String((e as Error)?.message ?? e), level: 'error', stop: false };
      }
      events = applyCustomVerdict(w.spec, w.state, value, step, verdict);
    } else {
      events = evaluateWatcher(w.spec, w.state, value, step);
    }
    w.dirty = true;
    for (const e of events) {
      if (e.type === 'open') {
        this.alertOps.push({ op: 'open', run: c.id, key: e.key, watcher: w, draft: e.alert });
        if (e.alert.stop && !c.stop) c.stop = { source: 'watcher', reason: e.alert.title };
      } else if (e.type === 'extend') {
        this.alertOps.push({ op: 'extend', run: c.id, key: e.key, watcher: w, alertId: e.alertId, count: e.count, lastStep: e.lastStep, value: e.value });
      } else {
        this.alertOps.push({ op: 'close', run: c.id, key: e.key, alertId: e.alertId, watcher: w });
      }
    }
  }

  // ------------------------------------------------------------ watchers

  /** Registers a watcher on the run (stored, so it survives restarts). Returns its id. */
  watch(
    runId: string,
    metric: string,
    options: Record<string, unknown>,
    customFn?: CustomFn,
  ): number {
    if (customFn !== undefined) checkCustomFunction(metric, customFn);
    const spec = validateWatch(metric, customFn ? { ...options, custom: { name: customFn.name || 'custom' } } : options);
    const c = this.cache(runId);
    const id = this.store.watchers.insert(runId, metric, JSON.stringify(spec), nowIso());
    const lw: LoadedWatcher = { id, spec, state: {}, dirty: false, custom: customFn };
    const list = c.watchers.get(metric) ?? [];
    list.push(lw);
    c.watchers.set(metric, list);
    return id;
  }

  // -------------------------------------------------------- alerts, stop

  /** A user- or program-raised alert (not from a watcher). */
  alert(runId: string, a: AlertInput): void {
    this.cache(runId);
    if (typeof a.title !== 'string' || a.title.trim() === '') throw new TrackingError('an alert needs a title');
    const level: AlertLevel = a.level === 'info' || a.level === 'error' ? a.level : 'warn';
    const reason = a.reason && (ALERT_REASONS as readonly string[]).includes(a.reason) ? a.reason : 'custom';
    this.alertOps.push({ op: 'open', run: runId, key: '', watcher: null, draft: { ...a, level, reason } });
    this.scheduleFlush();
  }

  /**
   * A `{"watch": …}` request that could not be registered: besides the
   * malformed-line count, a warn alert says which watch and why, so the user
   * sees (in VS Code, on `tunestudio run`'s stderr) that the protection they
   * asked for is not there.
   */
  rejectWatch(runId: string, metric: string | null, problem: string): void {
    const what = metric ? `the watch on '${metric}'` : 'a watch request';
    this.alert(runId, {
      title: `${what} was refused: ${problem}`.slice(0, 300),
      text: `${what[0].toUpperCase()}${what.slice(1)} was not registered, so this run is not protected by it: ${problem}. Fix the watch options (README "Watchers and alerts") and start the run again.`,
      level: 'warn',
      reason: 'invalid_watch',
      metric,
      data: { problem },
    });
  }

  /** Records a stop request (idempotent: the first reason wins). Written at once. */
  requestStop(runId: string, source: string, reason: string, alertId: number | null = null): void {
    const c = this.cache(runId);
    if (!c.stop) c.stop = { source, reason };
    this.store.runs.requestStop(runId, nowIso(), source, reason, alertId);
  }

  /** In this process: known at once; across processes: after the writer's next flush. */
  stopRequested(runId: string, o: { cachedOnly?: boolean } = {}): { source: string; reason: string } | null {
    const c = this.cache(runId);
    if (c.stop || o.cachedOnly) return c.stop;
    const row = this.store.runs.stopOf(runId);
    if (row) c.stop = row;
    return c.stop;
  }

  addSample(runId: string, s: { step?: number | null; prompt?: string | null; text: string }): void {
    this.store.runs.addSample(runId, s.step ?? null, s.prompt ?? null, String(s.text), nowIso());
  }

  addArtifact(runId: string, a: { kind: string; step?: number | null; path: string; data?: Record<string, unknown> }): void {
    this.store.runs.addArtifact(runId, a.kind, a.step ?? null, a.path, toStoredJson(a.data ?? {}), nowIso());
  }

  /** Counts malformed protocol lines on the run, keeping the last error for display. */
  countMalformed(runId: string, n: number, lastError: string): void {
    this.store.runs.countMalformed(runId, n, lastError.slice(0, 500), nowIso());
  }

  /**
   * Ends a run. Only a running (or crashed) run changes: a final status once
   * written is the truth and is not overwritten. Flushes pending points first.
   */
  finishRun(runId: string, status: Exclude<RunStatus, 'running'>, o: { exitCode?: number | null; signal?: string | null; reason?: string | null } = {}): boolean {
    if (!RUN_STATUSES.includes(status)) throw new TrackingError(`unknown run status '${status}'`);
    this.flush();
    // Shown as "status: reason" everywhere: a reason that starts with its own status word would read "stopped: stopped: …".
    const reason = o.reason?.startsWith(`${status}: `) ? o.reason.slice(status.length + 2) : o.reason;
    return this.store.runs.finish(runId, status, { exitCode: o.exitCode, signal: o.signal, reason }, nowIso());
  }

  // --------------------------------------------------------------- flush

  /**
   * Runs `hook` inside every flush's transaction, after the points are written:
   * state a caller keeps beside the points (a supervised job's log offset)
   * then commits with them, so a crash can neither lose nor repeat them.
   * Returns the function that removes the hook.
   */
  onCommit(hook: () => void): () => void {
    this.commitHooks.add(hook);
    return () => this.commitHooks.delete(hook);
  }

  /**
   * Runs `fn` with no size-triggered flush in the middle: everything it logs
   * is written by one later flush (at its end if the buffer is full), never
   * half of it. A supervisor ingests each chunk of output this way, so a flush
   * always stands at a chunk boundary, where its log offset is exact.
   */
  batch<T>(fn: () => T): T {
    this.holds++;
    try {
      return fn();
    } finally {
      this.holds--;
      if (this.holds === 0 && this.points.length) this.scheduleFlush();
    }
  }

  private scheduleFlush(): void {
    if (this.holds === 0 && this.points.length >= (this.opts.flushPoints ?? 1000)) {
      this.flushSafely();
      return;
    }
    if (!this.timer && (this.points.length || this.alertOps.length || this.beats.size)) {
      this.timer = setTimeout(() => this.flushSafely(), this.opts.flushIntervalMs ?? 250);
      this.timer.unref?.();
    }
  }

  private flushSafely(): void {
    const e = this.tryFlush();
    if (e) {
      this.opts.onError?.(e);
      if (!this.timer && !this.closed) {
        // Try again later; the points stay buffered.
        this.timer = setTimeout(() => this.flushSafely(), Math.max(1000, this.opts.flushIntervalMs ?? 250));
        this.timer.unref?.();
      }
    }
  }

  /** Number of points waiting to be written. */
  get pending(): number {
    return this.points.length;
  }

  /** Writes everything buffered in one IMMEDIATE transaction. Throws (and keeps the buffer) on failure. */
  flush(): FlushInfo | null {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const dirtyRuns = [...this.runs.values()].filter((c) => c.dirty || c.rejected);
    const dirtyWatchers = [...this.runs.values()].flatMap((c) => [...c.watchers.values()].flat().filter((w) => w.dirty));
    const beats = this.beats;
    if (!this.points.length && !this.alertOps.length && !dirtyRuns.length && !dirtyWatchers.length && !beats.size) return null;
    const onlyBeats = !this.points.length && !this.alertOps.length && !dirtyRuns.length && !dirtyWatchers.length;
    const points = this.points;
    const ops = this.alertOps;
    const now = nowIso();
    const info: FlushInfo = { runIds: [], points: points.length, alerts: 0, appended: [], written: points };
    const st = this.store;
    const newIds = st.write(() => {
      // metric ids
      const newIds = new Map<string, number>();
      const idOf = (name: string): number => {
        let id = this.metricIds.get(name) ?? newIds.get(name);
        if (id === undefined) {
          id = st.metrics.ensureName(name);
          newIds.set(name, id);
        }
        return id;
      };
      // points and per-(run, metric) aggregates for the summary
      const agg = new Map<string, SummaryAgg>();
      const lod = new LodBatch();
      for (const p of points) {
        const mid = idOf(p.metric);
        st.metrics.insertPoint(p.run, mid, p.step, p.value, p.wall);
        const k = `${p.run}\u0000${p.metric}`;
        let a = agg.get(k);
        if (!a) agg.set(k, (a = newAgg(p.run, mid, p.metric, p)));
        addToAgg(a, p);
        lod.add(p.run, mid, p.step, p.value, p.wall);
      }
      for (const a of agg.values()) {
        st.metrics.upsertSummary(a.run, a.metric, a.row);
        info.appended.push({ runId: a.run, metric: a.name, lastStep: a.row.last_step });
      }
      for (const l of lod.aggregates()) st.metrics.upsertLod(l);
      // alerts: resolve episode keys to alert ids in order
      const idsByKey = new Map<string, number>();
      for (const op of ops) {
        if (op.op === 'open') {
          const d = op.draft;
          const alertId = st.alerts.insert({
            runId: op.run,
            now,
            level: d.level,
            reason: d.reason,
            title: d.title,
            text: d.text ?? '',
            metric: d.metric ?? null,
            step: d.step ?? null,
            dataJson: toStoredJson(d.data ?? {}),
            watcherId: op.watcher?.id ?? null,
          });
          info.alerts++;
          if (op.key) idsByKey.set(op.key, alertId);
          if (op.watcher) {
            for (const ep of Object.values(op.watcher.state.episodes ?? {})) if (ep && ep.key === op.key) ep.alertId = alertId;
            op.watcher.dirty = true;
            if ((d as AlertDraft).stop) st.runs.requestStop(op.run, now, 'watcher', d.title, alertId);
          }
        } else if (op.op === 'extend') {
          const id = op.alertId ?? idsByKey.get(op.key);
          if (id !== undefined) st.alerts.extend(id, now, op.count, op.lastStep, JSON.stringify(jsonNumber(op.value)));
        } else {
          const id = op.alertId ?? idsByKey.get(op.key);
          if (id !== undefined) st.alerts.close(id);
        }
      }
      for (const w of [...this.runs.values()].flatMap((c) => [...c.watchers.values()].flat().filter((x) => x.dirty))) {
        st.watchers.saveState(w.id, JSON.stringify(w.state));
      }
      const touched = new Set<string>([...points.map((p) => p.run), ...ops.map((o) => o.run)]);
      for (const c of dirtyRuns) touched.add(c.id);
      for (const id of touched) {
        const c = this.runs.get(id)!;
        st.runs.afterFlush(id, c.nextStep, c.rejected, c.lastWarning, now);
      }
      for (const [id, b] of beats) {
        st.runs.heartbeat(id, b.at);
        if (b.progress) st.runs.progress(id, b.progress.current, b.progress.total, now);
      }
      info.runIds = [...touched];
      for (const hook of this.commitHooks) hook();
      return newIds;
    });
    // Only after the commit: clear what was written and remember new ids.
    for (const [k, v] of newIds) this.metricIds.set(k, v);
    this.points = this.points === points ? [] : this.points.slice(points.length);
    this.alertOps = this.alertOps === ops ? [] : this.alertOps.slice(ops.length);
    if (this.beats === beats) this.beats = new Map();
    for (const c of this.runs.values()) {
      c.dirty = false;
      c.rejected = 0;
      c.lastWarning = null;
      for (const list of c.watchers.values()) for (const w of list) w.dirty = false;
    }
    this.lastFlushError = null;
    // Heartbeats alone change nothing a view shows (as when each was its own write): no flush to report.
    if (onlyBeats) return null;
    this.opts.onFlush?.(info);
    return info;
  }

  /** Called when a flush fails: keeps the buffer bounded (oldest points dropped and counted). */
  private enforceBufferLimit(): number {
    const max = this.opts.maxBuffered ?? 2_000_000;
    if (this.points.length <= max) return 0;
    const drop = this.points.length - max;
    this.points.splice(0, drop);
    return drop;
  }

  /** Flushes, recording (not throwing) a failure; returns the error if any. */
  tryFlush(): Error | null {
    try {
      this.flush();
      return null;
    } catch (e) {
      this.lastFlushError = e as Error;
      this.enforceBufferLimit();
      return e as Error;
    }
  }

  /** Forgets cached state of a run (after it was deleted elsewhere). */
  forget(runId: string): void {
    this.runs.delete(runId);
  }

  close(): void {
    if (this.closed) return;
    this.tryFlush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** A batch's aggregate for one (run, metric): the summary row's columns (SummaryRow, listed once in the store). */
interface SummaryAgg {
  run: string;
  metric: number;
  name: string;
  row: SummaryRow;
}

function newAgg(run: string, metric: number, name: string, p: Point): SummaryAgg {
  return {
    run,
    metric,
    name,
    row: {
      count: 0,
      nan_count: 0,
      inf_count: 0,
      last: null,
      last_is_nan: 0,
      last_step: p.step,
      last_wall: p.wall,
      first_step: p.step,
      min: null,
      min_step: null,
      max: null,
      max_step: null,
      last_finite: null,
      last_finite_step: null,
    },
  };
}

/** "last" is the value at the highest step (later writes win ties); min/max are over finite values. */
function addToAgg(agg: SummaryAgg, p: Point): void {
  const a = agg.row;
  const v = p.value;
  a.count++;
  if (Number.isNaN(v)) a.nan_count++;
  else if (!Number.isFinite(v)) a.inf_count++;
  if (a.count === 1 || p.step >= a.last_step) {
    a.last = Number.isNaN(v) ? null : v;
    a.last_is_nan = Number.isNaN(v) ? 1 : 0;
    a.last_step = p.step;
    a.last_wall = p.wall;
  }
  if (p.step < a.first_step) a.first_step = p.step;
  if (Number.isFinite(v)) {
    if (a.min === null || v < a.min) {
      a.min = v;
      a.min_step = p.step;
    }
    if (a.max === null || v > a.max) {
      a.max = v;
      a.max_step = p.step;
    }
    if (a.last_finite_step === null || p.step >= a.last_finite_step) {
      a.last_finite = v;
      a.last_finite_step = p.step;
    }
  }
}

