// The tracking service in the runtime: a thin language-server adapter over
// RunsService and AlertsService (the rules live there, shared with the CLI),
// plus what only the runtime does: it owns the runtime's Tracker (jobs write
// through it), marks crashed runs, and notices writes by other processes on
// the same store (SDK, CLI) through SQLite's data_version, so views update
// without polling from the editor.
import type Database from 'better-sqlite3';
import { ResponseError } from 'vscode-languageserver/node';
import {
  AlertRaisedNotification,
  AlertsAcknowledgeRequest,
  AlertsClearRequest,
  AlertsListRequest,
  RunCompareRequest,
  RunRenameRequest,
  RunDeleteRequest,
  RunHistoryRequest,
  RunShowRequest,
  RunStopRequest,
  RunsListRequest,
} from '../../protocol/tracking';
import { MetricsAppendedNotification, MetricsSubscribeRequest } from '../../protocol/live';
import type { RuntimeContext } from '../context';
import { LivePublisher } from './live';
import { Queries } from './queries';
import { reapCrashedRuns } from './reaper';
import { RunRuleError, RunsService } from './runs';
import { AlertsService } from './alerts';
import { Tracker, type FlushInfo } from './tracker';

/** JSON-RPC error code for a request refused for a reason the user can fix (the message says how); as datasets' adapter. */
export const REQUEST_REFUSED = -32803;

/** Every handler: a rule's or lookup's error reaches the client with its message (and its class name in data). */
function wrap<P, R>(fn: (p: P) => R): (p: P) => R {
  return (p: P) => {
    try {
      return fn(p);
    } catch (e) {
      if (e instanceof ResponseError) throw e;
      const err = e as Error;
      throw new ResponseError(REQUEST_REFUSED, err?.message ?? String(e), { name: err?.name ?? 'Error' });
    }
  };
}

export class TrackingService {
  private trackerInstance: Tracker | null = null;
  private queriesInstance: Queries | null = null;
  private lastDataVersion = -1;
  private lastAlertId = 0;
  private lastMetricRowid = 0;
  /** Runs dashboards show, and the points of our own flushes for them (see live.ts). */
  private readonly live = new LivePublisher((runId) => {
    const out: Record<string, number> = {};
    for (const [metric, s] of Object.entries(this.queries.showRun(runId).summary)) out[metric] = s.last_step;
    return out;
  });
  private timers: NodeJS.Timeout[] = [];
  /** Runs the runtime supervises right now: the reaper leaves them to their supervisor. */
  readonly supervised = new Set<string>();
  /** The rules, shared with the CLI: handlers below only adapt them to requests. */
  readonly runs = new RunsService({
    queries: () => this.queries,
    tracker: () => this.tracker,
    store: () => this.tracker.store,
    onDeleted: (id) => this.trackerInstance?.forget(id),
  });
  readonly alerts = new AlertsService({ queries: () => this.queries, store: () => this.tracker.store });

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
    if (this.trackerInstance) return this.trackerInstance;
    const db = this.db;
    const tracker = new Tracker(db, {
      onFlush: (info) => this.afterOwnFlush(info),
      onError: (e) => this.ctx.log.error(`cannot write metrics to ${this.ctx.store.dbPath} (kept in memory, retrying)`, e),
    });
    // Inside each flush's transaction: when no other process has committed since our last look,
    // every metrics row up to the top is ours (published from the flush) or already seen, so the
    // other-writers query starts after it instead of re-reading our own points.
    const dataVersion = db.prepare('PRAGMA data_version').pluck();
    const topRowid = db.prepare('SELECT coalesce(max(rowid), 0) FROM metrics').pluck();
    tracker.onCommit(() => {
      if (Number(dataVersion.get()) === this.lastDataVersion) this.lastMetricRowid = Math.max(this.lastMetricRowid, Number(topRowid.get()));
    });
    return (this.trackerInstance = tracker);
  }

  private initWatermarks(db: Database.Database): void {
    this.lastDataVersion = Number(db.pragma('data_version', { simple: true }));
    this.lastAlertId = Number(db.prepare(`SELECT coalesce(max(id), 0) FROM alerts`).pluck().get());
    this.lastMetricRowid = Number(db.prepare(`SELECT coalesce(max(rowid), 0) FROM metrics`).pluck().get());
  }

  register(): void {
    const c = this.ctx.connection;
    c.onRequest(RunsListRequest.type, wrap((p) => (this.ready ? this.runs.list(p ?? {}) : [])));
    c.onRequest(RunShowRequest.type, wrap((p) => this.runs.show(p.run)));
    c.onRequest(MetricsSubscribeRequest.type, (p) => ({ subscribed: this.ready ? this.live.subscribe(p.key, p.runIds) : (this.live.subscribe(p.key, []), []) }));
    c.onRequest(RunHistoryRequest.type, wrap((p) => (this.ready ? this.runs.histories(p) : { series: [], metrics: [] })));
    c.onRequest(
      RunStopRequest.type,
      wrap((p) => {
        // The protocol answers a refused stop as a result (the toast shows its message), not as an error.
        let run;
        try {
          run = this.runs.stop(p.run, { reason: p.reason ?? 'stopped from VS Code' });
        } catch (e) {
          if (e instanceof RunRuleError) return { stopRequested: false, message: e.message };
          throw e;
        }
        this.ctx.notifyChanged({ kinds: ['runs'], runIds: [run.id] });
        return { stopRequested: true, message: `stop requested for '${run.name}'` };
      }),
    );
    c.onRequest(
      RunDeleteRequest.type,
      wrap((p) => {
        const run = this.runs.delete(p.run);
        this.ctx.notifyChanged({ kinds: ['runs', 'alerts', 'metrics'], runIds: [run.id] });
        return { deleted: true };
      }),
    );
    c.onRequest(
      RunRenameRequest.type,
      wrap((p) => {
        const run = this.runs.rename(p.run, p.name);
        this.ctx.notifyChanged({ kinds: ['runs'], runIds: [run.id] });
        return run;
      }),
    );
    c.onRequest(RunCompareRequest.type, wrap((p) => this.runs.compare(p.runIds, p.metrics)));
    c.onRequest(AlertsListRequest.type, wrap((p) => (this.ready ? this.alerts.list(p ?? {}) : [])));
    c.onRequest(
      AlertsAcknowledgeRequest.type,
      wrap((p) => {
        const n = this.alerts.acknowledge(p.ids);
        this.ctx.notifyChanged({ kinds: ['alerts'] });
        return n;
      }),
    );
    c.onRequest(
      AlertsClearRequest.type,
      wrap((p) => {
        const n = this.alerts.clear(p.ids);
        this.ctx.notifyChanged({ kinds: ['alerts'] });
        return n;
      }),
    );
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

  /**
   * Our own flush: published from what it wrote (one notification, points for
   * subscribed runs), never by reading the metrics table back. A flush with
   * points says 'metrics' (not 'runs': no run's status changes in a flush).
   */
  private afterOwnFlush(info: FlushInfo): void {
    if (!info.points && !info.alerts) {
      this.ctx.notifyChanged({ kinds: ['runs'], runIds: info.runIds });
      return;
    }
    const appended = this.live.fromFlush(info);
    if (appended.length) void this.ctx.connection.sendNotification(MetricsAppendedNotification.type, { appended });
    const alerts = info.alerts ? this.publishAlerts().length : 0;
    this.ctx.notifyChanged({ kinds: [...(info.points ? (['metrics'] as const) : []), ...(alerts ? (['alerts'] as const) : [])], runIds: info.runIds });
  }

  private publishAlerts(): Array<{ run_id: string }> {
    const alerts = this.queries.alerts({ after: this.lastAlertId });
    for (const a of alerts) {
      this.lastAlertId = Math.max(this.lastAlertId, a.id);
      void this.ctx.connection.sendNotification(AlertRaisedNotification.type, { alert: a });
    }
    return alerts;
  }

  /** Sends what other processes (or the reaper) wrote since the last look: appended metrics and alerts. */
  private publishNew(db: Database.Database, kinds: Array<'runs'>, runIds?: string[]): void {
    const appended = db
      .prepare(
        `SELECT m.run_id AS runId, mn.name AS metric, max(m.step) AS lastStep, max(m.rowid) AS top
         FROM metrics m JOIN metric_names mn ON mn.id = m.metric_id WHERE m.rowid > ? GROUP BY m.run_id, m.metric_id`,
      )
      .all(this.lastMetricRowid) as Array<{ runId: string; metric: string; lastStep: number; top: number }>;
    if (appended.length) {
      this.lastMetricRowid = Math.max(this.lastMetricRowid, ...appended.map((a) => a.top));
      void this.ctx.connection.sendNotification(MetricsAppendedNotification.type, {
        appended: this.live.fromOtherWriters(appended.map(({ runId, metric, lastStep }) => ({ runId, metric, lastStep }))),
      });
    }
    const alerts = this.publishAlerts();
    // Another process may have changed any run (created, finished, renamed): runIds only when known.
    this.ctx.notifyChanged({
      kinds: [...kinds, ...(appended.length ? (['metrics'] as const) : []), ...(alerts.length ? (['alerts'] as const) : [])],
      ...(runIds ? { runIds: [...new Set([...runIds, ...appended.map((a) => a.runId), ...alerts.map((a) => a.run_id)])] } : {}),
    });
  }

  private reap(): void {
    if (!this.ready) return;
    try {
      const r = reapCrashedRuns(this.tracker.store, { skip: this.supervised });
      if (r.crashed.length) {
        this.ctx.log.warn(`marked ${r.crashed.length} run(s) crashed: ${r.crashed.join(', ')}`);
        this.publishNew(this.db, ['runs'], r.crashed);
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

/** Registers the tracking service; the caller passes it to the services that write runs (jobs). */
export function register(ctx: RuntimeContext): TrackingService {
  const service = new TrackingService(ctx);
  service.register();
  return service;
}
