// The write side of tracking: runs, metric points, watchers, alerts, stop
// requests. Points are buffered and written in batches (at most every 250 ms
// or 1,000 points) in IMMEDIATE transactions; each batch also keeps the
// per-run, per-metric summary rows current, so reads never scan history.
// Watchers run when a value is logged (so a stop is known at once in this
// process) and their alerts are written with the batch.
import type Database from 'better-sqlite3';
import * as os from 'node:os';
import type { AlertLevel } from '../../protocol/lines';
import { checkMetricName, checkRunName, defaultRunName, newRunId } from './names';
import { jsonNumber, RUN_STATUSES, type RunStatus } from './types';
import { LodBatch, LOD_UPSERT_SQL } from './lod';
import {
  ALERT_REASONS,
  applyCustomVerdict,
  evaluateWatcher,
  validateWatch,
  type AlertDraft,
  type AlertReason,
  type CustomVerdict,
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
}

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
  custom?: (value: number, step: number) => CustomVerdict | null | undefined | false;
}

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
  private readonly stmts: ReturnType<Tracker['prepare']>;

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
    this.stmts = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      project: db.prepare(`INSERT INTO projects(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET name=excluded.name RETURNING id`),
      runCount: db.prepare(`SELECT count(*) FROM runs WHERE project_id = ?`).pluck(),
      insertRun: db.prepare(
        `INSERT INTO runs(id, project_id, name, status, config, created_at, updated_at, heartbeat_at, pid, pid_start, host)
         VALUES (@id, @project_id, @name, 'running', @config, @now, @now, @hb, @pid, @pid_start, @host)`,
      ),
      runState: db.prepare(`SELECT id, next_step, status FROM runs WHERE id = ?`),
      watchersOf: db.prepare(`SELECT id, metric, spec, state FROM watchers WHERE run_id = ?`),
      stopOf: db.prepare(`SELECT source, reason FROM stop_requests WHERE run_id = ?`),
      metricId: db.prepare(`SELECT id FROM metric_names WHERE name = ?`).pluck(),
      insertMetricName: db.prepare(`INSERT OR IGNORE INTO metric_names(name) VALUES (?)`),
      insertPoint: db.prepare(`INSERT INTO metrics(run_id, metric_id, step, value, wall_time) VALUES (?, ?, ?, ?, ?)`),
      upsertSummary: db.prepare(`
        INSERT INTO metric_summary(run_id, metric_id, count, nan_count, inf_count, last, last_is_nan, last_step, last_wall,
                                   first_step, min, min_step, max, max_step, last_finite, last_finite_step)
        VALUES (@run, @metric, @count, @nan, @inf, @last, @last_is_nan, @last_step, @last_wall,
                @first_step, @min, @min_step, @max, @max_step, @last_finite, @last_finite_step)
        ON CONFLICT(run_id, metric_id) DO UPDATE SET
          count = count + excluded.count,
          nan_count = nan_count + excluded.nan_count,
          inf_count = inf_count + excluded.inf_count,
          last = CASE WHEN excluded.last_step >= last_step THEN excluded.last ELSE last END,
          last_is_nan = CASE WHEN excluded.last_step >= last_step THEN excluded.last_is_nan ELSE last_is_nan END,
          last_wall = CASE WHEN excluded.last_step >= last_step THEN excluded.last_wall ELSE last_wall END,
          last_step = MAX(last_step, excluded.last_step),
          first_step = MIN(first_step, excluded.first_step),
          min = CASE WHEN excluded.min IS NOT NULL AND (min IS NULL OR excluded.min < min) THEN excluded.min ELSE min END,
          min_step = CASE WHEN excluded.min IS NOT NULL AND (min IS NULL OR excluded.min < min) THEN excluded.min_step ELSE min_step END,
          max = CASE WHEN excluded.max IS NOT NULL AND (max IS NULL OR excluded.max > max) THEN excluded.max ELSE max END,
          max_step = CASE WHEN excluded.max IS NOT NULL AND (max IS NULL OR excluded.max > max) THEN excluded.max_step ELSE max_step END,
          last_finite = CASE WHEN excluded.last_finite_step IS NOT NULL AND (last_finite_step IS NULL OR excluded.last_finite_step >= last_finite_step) THEN excluded.last_finite ELSE last_finite END,
          last_finite_step = CASE WHEN excluded.last_finite_step IS NOT NULL AND (last_finite_step IS NULL OR excluded.last_finite_step >= last_finite_step) THEN excluded.last_finite_step ELSE last_finite_step END
      `),
      upsertLod: db.prepare(LOD_UPSERT_SQL),
      insertAlert: db.prepare(
        `INSERT INTO alerts(run_id, created_at, updated_at, level, reason, title, text, metric, step, data, watcher_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      extendAlert: db.prepare(
        `UPDATE alerts SET updated_at = ?, data = json_set(data, '$.count', ?, '$.last_step', ?, '$.last_value', json(?)) WHERE id = ?`,
      ),
      closeAlert: db.prepare(`UPDATE alerts SET data = json_set(data, '$.ended', json('true')) WHERE id = ?`),
      saveWatcherState: db.prepare(`UPDATE watchers SET state = ? WHERE id = ?`),
      insertWatcher: db.prepare(`INSERT INTO watchers(run_id, metric, spec, state, created_at) VALUES (?, ?, ?, '{}', ?) RETURNING id`),
      insertStop: db.prepare(
        `INSERT INTO stop_requests(run_id, requested_at, source, reason, alert_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT(run_id) DO NOTHING`,
      ),
      updateRunAfterFlush: db.prepare(
        `UPDATE runs SET next_step = MAX(next_step, ?), rejected_values = rejected_values + ?, last_warning = COALESCE(?, last_warning), updated_at = ? WHERE id = ?`,
      ),
    };
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
    const create = this.db.transaction(() => {
      const projectId = (this.stmts.project.get(project, now) as { id: number }).id;
      const name = o.name ?? defaultRunName(Number(this.stmts.runCount.get(projectId)) + 1);
      this.stmts.insertRun.run({
        id,
        project_id: projectId,
        name,
        config: JSON.stringify(o.config ?? {}),
        now,
        hb: Date.now() / 1000,
        pid: o.pid ?? null,
        pid_start: o.pidStart ?? null,
        host: o.host ?? os.hostname(),
      });
      return name;
    });
    const name = create.immediate();
    return { id, name, project };
  }

  private cache(runId: string): RunCache {
    let c = this.runs.get(runId);
    if (c) return c;
    const row = this.stmts.runState.get(runId) as { id: string; next_step: number; status: string } | undefined;
    if (!row) throw new TrackingError(`no run with id '${runId}'`);
    c = { id: runId, nextStep: row.next_step, watchers: new Map(), stop: null, dirty: false, rejected: 0, lastWarning: null };
    for (const w of this.stmts.watchersOf.all(runId) as Array<{ id: number; metric: string; spec: string; state: string }>) {
      const lw: LoadedWatcher = { id: w.id, spec: JSON.parse(w.spec), state: JSON.parse(w.state), dirty: false };
      const list = c.watchers.get(w.metric) ?? [];
      list.push(lw);
      c.watchers.set(w.metric, list);
    }
    const stop = this.stmts.stopOf.get(runId) as { source: string; reason: string } | undefined;
    if (stop) c.stop = stop;
    this.runs.set(runId, c);
    return c;
  }

  /** Merges keys into the run's config. */
  setConfig(runId: string, patch: Record<string, unknown>): void {
    this.cache(runId);
    this.db
      .prepare(`UPDATE runs SET config = json_patch(config, ?), updated_at = ? WHERE id = ?`)
      .run(JSON.stringify(patch, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)), nowIso(), runId);
  }

  heartbeat(runId: string, progress?: { current: number; total?: number | null }): void {
    const now = nowIso();
    if (progress) {
      this.db
        .prepare(
          `UPDATE runs SET heartbeat_at = ?, progress_current = ?, progress_total = COALESCE(?, progress_total), updated_at = ?,
             status = CASE WHEN status = 'crashed' THEN 'running' ELSE status END,
             reason = CASE WHEN status = 'crashed' THEN 'heartbeat resumed after being marked crashed' ELSE reason END,
             ended_at = CASE WHEN status = 'crashed' THEN NULL ELSE ended_at END
           WHERE id = ?`,
        )
        .run(Date.now() / 1000, progress.current, progress.total ?? null, now, runId);
    } else {
      this.db
        .prepare(
          `UPDATE runs SET heartbeat_at = ?,
             status = CASE WHEN status = 'crashed' THEN 'running' ELSE status END,
             reason = CASE WHEN status = 'crashed' THEN 'heartbeat resumed after being marked crashed' ELSE reason END,
             ended_at = CASE WHEN status = 'crashed' THEN NULL ELSE ended_at END
           WHERE id = ?`,
        )
        .run(Date.now() / 1000, runId);
    }
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

  /** Logs at the run's current step without advancing it (system metrics: CPU, memory, GPU). */
  logAtCurrentStep(runId: string, metrics: Record<string, unknown>): LogResult {
    const c = this.cache(runId);
    return this.log(runId, metrics, Math.max(0, c.nextStep - 1));
  }

  private applyWatcher(c: RunCache, w: LoadedWatcher, value: number, step: number): void {
    let events: WatchEvent[];
    if (w.spec.custom) {
      if (!w.custom) return; // the function lives in another process (the SDK that registered it)
      let verdict: CustomVerdict | null | undefined | false;
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
    customFn?: (value: number, step: number) => CustomVerdict | null | undefined | false,
  ): number {
    const spec = validateWatch(metric, customFn ? { ...options, custom: { name: customFn.name || 'custom' } } : options);
    if (customFn !== undefined && typeof customFn !== 'function') throw new TrackingError('a custom watcher must be a function (value, step) => verdict');
    const c = this.cache(runId);
    const id = (this.stmts.insertWatcher.get(runId, metric, JSON.stringify(spec), nowIso()) as { id: number }).id;
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

  /** Records a stop request (idempotent: the first reason wins). Written at once. */
  requestStop(runId: string, source: string, reason: string, alertId: number | null = null): void {
    const c = this.cache(runId);
    if (!c.stop) c.stop = { source, reason };
    this.stmts.insertStop.run(runId, nowIso(), source, reason, alertId);
  }

  /** In this process: known at once; across processes: after the writer's next flush. */
  stopRequested(runId: string, o: { cachedOnly?: boolean } = {}): { source: string; reason: string } | null {
    const c = this.cache(runId);
    if (c.stop || o.cachedOnly) return c.stop;
    const row = this.stmts.stopOf.get(runId) as { source: string; reason: string } | undefined;
    if (row) c.stop = row;
    return c.stop;
  }

  addSample(runId: string, s: { step?: number | null; prompt?: string | null; text: string }): void {
    this.db
      .prepare(`INSERT INTO run_samples(run_id, step, prompt, text, created_at) VALUES (?, ?, ?, ?, ?)`)
      .run(runId, s.step ?? null, s.prompt ?? null, String(s.text), nowIso());
  }

  addArtifact(runId: string, a: { kind: string; step?: number | null; path: string; data?: Record<string, unknown> }): void {
    this.db
      .prepare(`INSERT INTO run_artifacts(run_id, kind, step, path, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(runId, a.kind, a.step ?? null, a.path, JSON.stringify(a.data ?? {}), nowIso());
  }

  /** Counts malformed protocol lines on the run, keeping the last error for display. */
  countMalformed(runId: string, n: number, lastError: string): void {
    this.db
      .prepare(`UPDATE runs SET malformed_lines = malformed_lines + ?, last_warning = ?, updated_at = ? WHERE id = ?`)
      .run(n, lastError.slice(0, 500), nowIso(), runId);
  }

  /**
   * Ends a run. Only a running (or crashed) run changes: a final status once
   * written is the truth and is not overwritten. Flushes pending points first.
   */
  finishRun(runId: string, status: Exclude<RunStatus, 'running'>, o: { exitCode?: number | null; signal?: string | null; reason?: string | null } = {}): boolean {
    if (!RUN_STATUSES.includes(status)) throw new TrackingError(`unknown run status '${status}'`);
    this.flush();
    const r = this.db
      .prepare(
        `UPDATE runs SET status = ?, exit_code = COALESCE(?, exit_code), signal = COALESCE(?, signal), reason = COALESCE(?, reason),
           ended_at = ?, updated_at = ? WHERE id = ? AND status IN ('running', 'crashed')`,
      )
      .run(status, o.exitCode ?? null, o.signal ?? null, o.reason ?? null, nowIso(), nowIso(), runId);
    return r.changes > 0;
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
    if (!this.timer && (this.points.length || this.alertOps.length)) {
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
    if (!this.points.length && !this.alertOps.length && !dirtyRuns.length && !dirtyWatchers.length) return null;
    const points = this.points;
    const ops = this.alertOps;
    const now = nowIso();
    const info: FlushInfo = { runIds: [], points: points.length, alerts: 0, appended: [] };
    const write = this.db.transaction(() => {
      // metric ids
      const newIds = new Map<string, number>();
      const idOf = (name: string): number => {
        let id = this.metricIds.get(name) ?? newIds.get(name);
        if (id === undefined) {
          this.stmts.insertMetricName.run(name);
          id = this.stmts.metricId.get(name) as number;
          newIds.set(name, id);
        }
        return id;
      };
      // points and per-(run, metric) aggregates for the summary
      const agg = new Map<string, SummaryAgg>();
      const lod = new LodBatch();
      for (const p of points) {
        const mid = idOf(p.metric);
        this.stmts.insertPoint.run(p.run, mid, p.step, Number.isNaN(p.value) ? null : p.value, p.wall);
        const k = `${p.run}\u0000${p.metric}`;
        let a = agg.get(k);
        if (!a) agg.set(k, (a = newAgg(p.run, mid, p.metric, p)));
        addToAgg(a, p);
        lod.add(p.run, mid, p.step, p.value, p.wall);
      }
      for (const a of agg.values()) {
        this.stmts.upsertSummary.run(aggParams(a));
        info.appended.push({ runId: a.run, metric: a.name, lastStep: a.last_step });
      }
      for (const l of lod.aggregates()) this.stmts.upsertLod.run(l);
      // alerts: resolve episode keys to alert ids in order
      const idsByKey = new Map<string, number>();
      for (const op of ops) {
        if (op.op === 'open') {
          const d = op.draft;
          const r = this.stmts.insertAlert.run(
            op.run,
            now,
            now,
            d.level,
            d.reason,
            d.title,
            d.text ?? '',
            d.metric ?? null,
            d.step ?? null,
            JSON.stringify(d.data ?? {}),
            op.watcher?.id ?? null,
          );
          const alertId = Number(r.lastInsertRowid);
          info.alerts++;
          if (op.key) idsByKey.set(op.key, alertId);
          if (op.watcher) {
            for (const ep of Object.values(op.watcher.state.episodes ?? {})) if (ep && ep.key === op.key) ep.alertId = alertId;
            op.watcher.dirty = true;
            if ((d as AlertDraft).stop) this.stmts.insertStop.run(op.run, now, 'watcher', d.title, alertId);
          }
        } else if (op.op === 'extend') {
          const id = op.alertId ?? idsByKey.get(op.key);
          if (id !== undefined) this.stmts.extendAlert.run(now, op.count, op.lastStep, JSON.stringify(jsonNumber(op.value)), id);
        } else {
          const id = op.alertId ?? idsByKey.get(op.key);
          if (id !== undefined) this.stmts.closeAlert.run(id);
        }
      }
      for (const w of [...this.runs.values()].flatMap((c) => [...c.watchers.values()].flat().filter((x) => x.dirty))) {
        this.stmts.saveWatcherState.run(JSON.stringify(w.state), w.id);
      }
      const touched = new Set<string>([...points.map((p) => p.run), ...ops.map((o) => o.run)]);
      for (const c of dirtyRuns) touched.add(c.id);
      for (const id of touched) {
        const c = this.runs.get(id)!;
        this.stmts.updateRunAfterFlush.run(c.nextStep, c.rejected, c.lastWarning, now, id);
      }
      info.runIds = [...touched];
      for (const hook of this.commitHooks) hook();
      return newIds;
    });
    const newIds = write.immediate();
    // Only after the commit: clear what was written and remember new ids.
    for (const [k, v] of newIds) this.metricIds.set(k, v);
    this.points = this.points === points ? [] : this.points.slice(points.length);
    this.alertOps = this.alertOps === ops ? [] : this.alertOps.slice(ops.length);
    for (const c of this.runs.values()) {
      c.dirty = false;
      c.rejected = 0;
      c.lastWarning = null;
      for (const list of c.watchers.values()) for (const w of list) w.dirty = false;
    }
    this.lastFlushError = null;
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

interface SummaryAgg {
  run: string;
  metric: number;
  name: string;
  count: number;
  nan: number;
  inf: number;
  last: number | null;
  last_is_nan: number;
  last_step: number;
  last_wall: number;
  first_step: number;
  min: number | null;
  min_step: number | null;
  max: number | null;
  max_step: number | null;
  last_finite: number | null;
  last_finite_step: number | null;
}

function newAgg(run: string, metric: number, name: string, p: Point): SummaryAgg {
  return {
    run,
    metric,
    name,
    count: 0,
    nan: 0,
    inf: 0,
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
  };
}

/** "last" is the value at the highest step (later writes win ties); min/max are over finite values. */
function addToAgg(a: SummaryAgg, p: Point): void {
  const v = p.value;
  a.count++;
  if (Number.isNaN(v)) a.nan++;
  else if (!Number.isFinite(v)) a.inf++;
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

function aggParams(a: SummaryAgg) {
  return {
    run: a.run,
    metric: a.metric,
    count: a.count,
    nan: a.nan,
    inf: a.inf,
    last: a.last,
    last_is_nan: a.last_is_nan,
    last_step: a.last_step,
    last_wall: a.last_wall,
    first_step: a.first_step,
    min: a.min,
    min_step: a.min_step,
    max: a.max,
    max_step: a.max_step,
    last_finite: a.last_finite,
    last_finite_step: a.last_finite_step,
  };
}

export type { AlertReason };
