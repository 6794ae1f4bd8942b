// `tune-studio/api`: read Tune Studio's store from Node — runs, their status,
// final metrics and history, and alerts paged by id — with the same services
// (RunsService, AlertsService) the CLI and the agent tools use. Read only:
// the store is opened read-only and never created.
//
//   const ts = require('tune-studio/api');
//   for (const run of ts.runs({ project: 'sweep' })) console.log(run.name, run.status, run.finalMetrics());
//   let after = 0; for (const a of ts.alerts({ after })) after = a.id;
import type Database from 'better-sqlite3';
import { openDatabase } from '../runtime/store/db';
import { Store, findStoreDir } from '../runtime/store/store';
import { Queries } from '../runtime/tracking/queries';
import { RunsService } from '../runtime/tracking/runs';
import { AlertsService } from '../runtime/tracking/alerts';
import type { Alert, History, JsonNumber, MetricSummary, Run, RunDetail, RunStatus } from '../protocol/tracking';
import type { AlertLevel } from '../protocol/lines';

export type { Alert, History, JsonNumber, MetricSummary, Run, RunDetail, RunStatus, AlertLevel };

export interface StoreOptions {
  /** The store folder (default: $TUNESTUDIO_DIR, else the nearest .tunestudio/ upward from the current folder). */
  dir?: string;
}

/** A refused read: the message names the store or run, the cause and the fix. */
export class ReadApiError extends Error {
  override name = 'ReadApiError';
}

interface Opened {
  db: Database.Database;
  queries: Queries;
  runs: RunsService;
  alerts: AlertsService;
}

const opened = new Map<string, Opened>();

function readOnly(): never {
  throw new ReadApiError('tune-studio/api is read only; write with tune-studio/sdk or the tunestudio CLI');
}

function open(o: StoreOptions = {}): Opened {
  const dir = findStoreDir(o.dir);
  const have = opened.get(dir);
  if (have) return have;
  if (!new Store(dir).exists()) throw new ReadApiError(`no Tune Studio store at ${dir}: nothing has been tracked here yet. Pass { dir } or set TUNESTUDIO_DIR to point at a store.`);
  const db = openDatabase(dir, { readonly: true });
  const queries = new Queries(db);
  const s: Opened = {
    db,
    queries,
    runs: new RunsService({ queries: () => queries, tracker: readOnly, store: readOnly }),
    alerts: new AlertsService({ queries: () => queries, store: readOnly }),
  };
  opened.set(dir, s);
  return s;
}

/** One run; its status and metrics are read from the store each time you ask. */
export class RunHandle {
  readonly id: string;
  readonly name: string;
  readonly project: string;
  readonly createdAt: string;

  constructor(
    run: Run,
    private readonly o: StoreOptions,
  ) {
    this.id = run.id;
    this.name = run.name;
    this.project = run.project;
    this.createdAt = run.created_at;
  }

  /** Everything about the run now: status with reason and exit code, config, metric summaries, alert counts, watchers. */
  detail(): RunDetail {
    return open(this.o).runs.show(this.id);
  }

  /** running, finished, failed, cancelled, stopped or crashed — as of now. */
  get status(): RunStatus {
    return open(this.o).runs.resolve(this.id).status;
  }

  get config(): Record<string, unknown> {
    return this.detail().config;
  }

  /** Each metric's last value (NaN/±Infinity as numbers); from the kept summaries, never a scan of history. */
  finalMetrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [m, s] of Object.entries(this.detail().summary)) out[m] = typeof s.last === 'number' ? s.last : s.last === null ? Number.NaN : Number(s.last);
    return out;
  }

  /** One metric's history, downsampled with min/max buckets to at most maxPoints (default 1000; 0 = every point). */
  history(metric: string, o: { from?: number; to?: number; maxPoints?: number } = {}): History {
    const maxPoints = o.maxPoints === 0 ? Number.MAX_SAFE_INTEGER : (o.maxPoints ?? 1000);
    return open(this.o).runs.history(this.id, metric, { from: o.from, to: o.to, maxPoints }).history;
  }
}

/** Runs, newest first (the same list as `tunestudio runs`). */
export function runs(o: StoreOptions & { project?: string; status?: RunStatus[]; limit?: number } = {}): RunHandle[] {
  return open(o).runs.list({ project: o.project, status: o.status, limit: o.limit }).map((r) => new RunHandle(r, o));
}

/** One run by id, or by name (unique, within a project if given). */
export function run(ref: string, o: StoreOptions & { project?: string } = {}): RunHandle {
  return new RunHandle(open(o).runs.resolve(ref, o.project), o);
}

/**
 * Alerts oldest first. Page by id, never by time: pass `after` = the last id
 * you saw and you get each alert exactly once.
 */
export function alerts(o: StoreOptions & { after?: number; run?: string; project?: string; minLevel?: AlertLevel; limit?: number } = {}): Alert[] {
  const list = open(o).alerts.list({ after: o.after, run: o.run, project: o.project, minLevel: o.minLevel });
  list.sort((a, b) => a.id - b.id);
  return o.limit ? list.slice(0, o.limit) : list;
}

/** Closes the stores this module opened (they are also closed when the process exits). */
export function close(): void {
  for (const s of opened.values()) s.db.close();
  opened.clear();
}
