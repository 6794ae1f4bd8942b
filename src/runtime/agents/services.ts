// The one place the agent faces (MCP server, VS Code language-model tools
// through the runtime, the Node read API) reach the services: the store,
// RunsService / AlertsService (tracking rules) and JobsService (job rules),
// opened the way the CLI opens them. When those services move or change
// shape, this file is the one to switch.
import type Database from 'better-sqlite3';
import * as path from 'node:path';
import { openDatabase } from '../store/db';
import { Queries } from '../tracking/queries';
import { RunsService } from '../tracking/runs';
import { AlertsService } from '../tracking/alerts';
import { Tracker } from '../tracking/tracker';
import { reapCrashedRuns } from '../tracking/reaper';
import { JobsService } from '../jobs/jobsService';
import { listPresets, specFromPreset } from '../jobs/presets';
import type { JobSpec } from '../../protocol/jobs';

export interface AgentServices {
  readonly storeDir: string;
  /** Where relative paths given by an agent resolve, and the folder they must stay inside. */
  readonly root: string;
  readonly db: Database.Database;
  readonly queries: Queries;
  readonly runs: RunsService;
  readonly alerts: AlertsService;
  readonly jobs: JobsService;
  /** A second connection, only for noticing commits (PRAGMA data_version changes on other connections' commits, ours included). */
  dataVersion(): number;
  reap(): void;
  presets: { list: typeof listPresets; spec: (id: string, values: Record<string, string | number>) => JobSpec };
  close(): void;
}

export interface AgentServicesOptions {
  storeDir: string;
  root: string;
  /** Run a scheduler in this process (it takes the store's lease when no other holds it), so submitted jobs start without VS Code. */
  schedule?: boolean;
  /** Jobs at once when scheduling (default 1). */
  slots?: number;
  log?: (level: string, msg: string) => void;
}

/**
 * The agent services over services someone else already holds (the runtime's
 * RunsService and AlertsService on its connection): jobs are queued through a
 * JobsService without a scheduler (the holder's scheduler starts them and
 * honours cancel requests written to the store).
 */
export function agentServicesOver(o: { storeDir: string; root: string; db: Database.Database; queries: () => Queries; runs: RunsService; alerts: AlertsService; trusted: () => boolean; supervised?: Set<string> }): AgentServices {
  const watchDb = openDatabase(o.storeDir);
  const dataVersion = watchDb.prepare('PRAGMA data_version').pluck();
  const jobs = new JobsService({ db: o.db, storeDir: o.storeDir, trusted: o.trusted, baseDir: () => o.root });
  return {
    storeDir: o.storeDir,
    root: path.resolve(o.root),
    db: o.db,
    get queries() {
      return o.queries();
    },
    runs: o.runs,
    alerts: o.alerts,
    jobs,
    dataVersion: () => Number(dataVersion.get()),
    reap: () => {
      try {
        reapCrashedRuns(o.db, { skip: o.supervised });
      } catch {
        /* busy store: answer with what is there */
      }
    },
    presets: { list: listPresets, spec: specFromPreset },
    close: () => watchDb.close(),
  };
}

export function openAgentServices(o: AgentServicesOptions): AgentServices {
  const db = openDatabase(o.storeDir);
  const watchDb = openDatabase(o.storeDir);
  const dataVersion = watchDb.prepare('PRAGMA data_version').pluck();
  const queries = new Queries(db);
  let tracker: Tracker | null = null;
  const writer = () => (tracker ??= new Tracker(db, { onError: (e) => o.log?.('error', `cannot write the store: ${e.message}`) }));
  const runs = new RunsService({ queries: () => queries, tracker: writer, store: () => writer().store });
  const alerts = new AlertsService({ queries: () => queries, store: () => writer().store });
  const supervised = new Set<string>();
  const jobs = new JobsService({
    db,
    storeDir: o.storeDir,
    trusted: () => true,
    baseDir: () => o.root,
    ...(o.schedule
      ? {
          scheduler: {
            tracker: writer(),
            slots: () => o.slots ?? 1,
            log: (level: string, msg: string) => void (level !== 'debug' && o.log?.(level, msg)),
            onChange: () => undefined,
            supervisedRuns: supervised,
            label: 'tunestudio mcp',
          },
        }
      : {}),
  });
  if (o.schedule) jobs.start();
  return {
    storeDir: o.storeDir,
    root: path.resolve(o.root),
    db,
    queries,
    runs,
    alerts,
    jobs,
    dataVersion: () => Number(dataVersion.get()),
    reap: () => {
      try {
        reapCrashedRuns(db, { skip: supervised });
      } catch {
        /* busy store: answer with what is there */
      }
    },
    presets: { list: listPresets, spec: specFromPreset },
    close: () => {
      jobs.stop();
      tracker?.close();
      watchDb.close();
      db.close();
    },
  };
}
