// The tracking service in the runtime: answers run/metric/alert requests,
// owns the runtime's Tracker (jobs write through it), marks crashed runs, and
// notices writes by other processes on the same store (SDK, CLI) through
// SQLite's data_version, so views update without polling from the editor.
import type Database from 'better-sqlite3';
import {
  AlertRaisedNotification,
  AlertsAcknowledgeRequest,
  AlertsClearRequest,
  AlertsListRequest,
  MetricsAppendedNotification,
  RunCompareRequest,
  RunDeleteRequest,
  RunHistoryRequest,
  RunShowRequest,
  RunStopRequest,
  RunsListRequest,
} from '../../protocol/tracking';
import type { RuntimeContext } from '../context';
import { Queries } from './queries';
import { reapCrashedRuns } from './reaper';
import { Tracker, type FlushInfo } from './tracker';

export class TrackingService {
  private trackerInstance: Tracker | null = null;
  private queriesInstance: Queries | null = null;
  private lastDataVersion = -1;
  private lastAlertId = 0;
  private lastMetricRowid = 0;
  private timers: NodeJS.Timeout[] = [];
  /** Runs the runtime supervises right now: the reaper leaves them to their supervisor. */
  readonly supervised = new Set<string>();

  constructor(private readonly ctx: RuntimeContext) {}

  /** The store exists (never creates it). */
  private get ready(): boolean {
    return this.ctx.store.isOpen || this.ctx.store.exists();
  }

  get db(): Database.Database {
    const db = this.ctx.store.db;
    if (this.lastDataVersion < 0) this.initWatermarks(db);
    return db;
  }

  get queries(): Queries {
    return (this.queriesInstance ??= new Queries(this.db));
  }

  /** The runtime's writer (created with the store on first need). */
  get tracker(): Tracker {
    return (this.trackerInstance ??= new Tracker(this.db, {
      onFlush: (info) => this.afterOwnFlush(info),
      onError: (e) => this.ctx.log.error(`cannot write metrics to ${this.ctx.store.dbPath} (kept in memory, retrying)`, e),
    }));
  }

  private initWatermarks(db: Database.Database): void {
    this.lastDataVersion = Number(db.pragma('data_version', { simple: true }));
    this.lastAlertId = Number(db.prepare(`SELECT coalesce(max(id), 0) FROM alerts`).pluck().get());
    this.lastMetricRowid = Number(db.prepare(`SELECT coalesce(max(rowid), 0) FROM metrics`).pluck().get());
  }

  register(): void {
    const c = this.ctx.connection;
    c.onRequest(RunsListRequest.type, (p) => (this.ready ? this.queries.listRuns(p ?? {}) : []));
    c.onRequest(RunShowRequest.type, (p) => this.queries.showRun(p.run));
    c.onRequest(RunHistoryRequest.type, (p) => {
      if (!this.ready) return { series: [], metrics: [] };
      const q = this.queries;
      const ids = p.runIds.map((r) => q.resolveRun(r).id);
      const metrics = q.metricNames(ids);
      const wanted = p.metrics ?? metrics;
      const series = ids.flatMap((id) => wanted.map((m) => q.history(id, m, { from: p.from, to: p.to, maxPoints: p.maxPoints })));
      return { series: series.filter((s) => s.total > 0), metrics };
    });
    c.onRequest(RunStopRequest.type, (p) => {
      const run = this.queries.resolveRun(p.run);
      if (run.status !== 'running') return { stopRequested: false, message: `run '${run.name}' is ${run.status}; nothing to stop` };
      this.tracker.requestStop(run.id, 'user', p.reason ?? 'stopped from VS Code');
      this.ctx.notifyChanged({ kinds: ['runs'], runIds: [run.id] });
      return { stopRequested: true, message: `stop requested for '${run.name}'` };
    });
    c.onRequest(RunDeleteRequest.type, (p) => {
      const run = this.queries.resolveRun(p.run);
      if (run.status === 'running') throw new Error(`run '${run.name}' is still running; stop it first`);
      this.queries.deleteRun(run.id);
      this.trackerInstance?.forget(run.id);
      this.ctx.notifyChanged({ kinds: ['runs', 'alerts', 'metrics'] });
      return { deleted: true };
    });
    c.onRequest(RunCompareRequest.type, (p) => {
      const q = this.queries;
      const result = q.compare(p.runIds, p.metrics);
      const alerts: Record<string, number> = {};
      for (const r of result.runs) alerts[r.id] = Number(q.db.prepare(`SELECT count(*) FROM alerts WHERE run_id = ?`).pluck().get(r.id));
      return { ...result, alerts };
    });
    c.onRequest(AlertsListRequest.type, (p) => (this.ready ? this.queries.alerts(p ?? {}) : []));
    c.onRequest(AlertsAcknowledgeRequest.type, (p) => {
      const n = this.queries.acknowledgeAlerts(p.ids);
      this.ctx.notifyChanged({ kinds: ['alerts'] });
      return n;
    });
    c.onRequest(AlertsClearRequest.type, (p) => {
      const n = this.queries.clearAlerts(p.ids);
      this.ctx.notifyChanged({ kinds: ['alerts'] });
      return n;
    });
    this.timers.push(setInterval(() => this.watchStore(), 400));
    this.timers.push(setInterval(() => this.reap(), 10_000));
    this.ctx.onShutdown(() => this.dispose());
  }

  /** Other processes' commits change data_version; our own flushes are reported by the tracker. */
  private watchStore(): void {
    try {
      if (!this.ready) return;
      const db = this.db;
      const v = Number(db.pragma('data_version', { simple: true }));
      if (v === this.lastDataVersion) return;
      this.lastDataVersion = v;
      this.publishNew(db, ['runs']);
    } catch (e) {
      this.ctx.log.debug(`store watch: ${(e as Error).message}`);
    }
  }

  private afterOwnFlush(info: FlushInfo): void {
    if (!info.points && !info.alerts) {
      this.ctx.notifyChanged({ kinds: ['runs'], runIds: info.runIds });
      return;
    }
    this.publishNew(this.db, ['runs']);
  }

  /** Sends what is new since the last look: appended metrics and alerts. */
  private publishNew(db: Database.Database, kinds: Array<'runs'>): void {
    const appended = db
      .prepare(
        `SELECT m.run_id AS runId, mn.name AS metric, max(m.step) AS lastStep, max(m.rowid) AS top
         FROM metrics m JOIN metric_names mn ON mn.id = m.metric_id WHERE m.rowid > ? GROUP BY m.run_id, m.metric_id`,
      )
      .all(this.lastMetricRowid) as Array<{ runId: string; metric: string; lastStep: number; top: number }>;
    if (appended.length) {
      this.lastMetricRowid = Math.max(this.lastMetricRowid, ...appended.map((a) => a.top));
      void this.ctx.connection.sendNotification(MetricsAppendedNotification.type, {
        appended: appended.map(({ runId, metric, lastStep }) => ({ runId, metric, lastStep })),
      });
    }
    const alerts = this.queries.alerts({ after: this.lastAlertId });
    for (const a of alerts) {
      this.lastAlertId = Math.max(this.lastAlertId, a.id);
      void this.ctx.connection.sendNotification(AlertRaisedNotification.type, { alert: a });
    }
    this.ctx.notifyChanged({
      kinds: [...kinds, ...(appended.length ? (['metrics'] as const) : []), ...(alerts.length ? (['alerts'] as const) : [])],
    });
  }

  private reap(): void {
    if (!this.ready) return;
    try {
      const r = reapCrashedRuns(this.db, { skip: this.supervised });
      if (r.crashed.length) {
        this.ctx.log.warn(`marked ${r.crashed.length} run(s) crashed: ${r.crashed.join(', ')}`);
        this.publishNew(this.db, ['runs']);
      }
    } catch (e) {
      this.ctx.log.debug(`reaper: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.trackerInstance?.close();
  }
}

let instance: TrackingService | null = null;

export function register(ctx: RuntimeContext): TrackingService {
  instance = new TrackingService(ctx);
  instance.register();
  return instance;
}

/** The runtime's tracking service (for other services: jobs write runs through it). */
export function trackingService(): TrackingService {
  if (!instance) throw new Error('the tracking service is not registered');
  return instance;
}
