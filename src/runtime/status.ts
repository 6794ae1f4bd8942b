// Runtime Status: which Node runs the runtime, where the store is, its schema
// version and the compute backends this machine offers.
import * as os from 'node:os';
import { RuntimeStatusRequest, type BackendInfo, type RuntimeStatus } from '../protocol/runtime';
import type { RuntimeContext } from './context';
import { probeBackends } from './backends';
import { LATEST_SCHEMA_VERSION } from './store/migrations';
import { schemaVersion } from './store/db';
import Database from 'better-sqlite3';
import { schedulerStatus } from './jobs/service';

const startedAt = new Date().toISOString();

export function register(ctx: RuntimeContext): void {
  let backends: Promise<BackendInfo[]> | null = null;
  ctx.onSettingsChanged(() => (backends = null));
  ctx.connection.onRequest(RuntimeStatusRequest.type, async (): Promise<RuntimeStatus> => {
    backends ??= probeBackends({ ffmpegPath: ctx.settings.ffmpegPath });
    return {
      pid: process.pid,
      nodePath: process.execPath,
      nodeVersion: process.version,
      platform: `${os.type()} ${os.release()}`,
      arch: process.arch,
      startedAt,
      storeDir: ctx.store.dir,
      dbPath: ctx.store.dbPath,
      schemaVersion: currentSchemaVersion(ctx),
      latestSchemaVersion: LATEST_SCHEMA_VERSION,
      backends: await backends,
      logLevel: ctx.log.level,
      trusted: ctx.trusted(),
      scheduler: schedulerStatus(),
    };
  });
}

/** The schema version without creating a store that does not exist yet. */
function currentSchemaVersion(ctx: RuntimeContext): number | null {
  if (ctx.store.isOpen) return ctx.store.version();
  if (!ctx.store.exists()) return null;
  const db = new Database(ctx.store.dbPath, { readonly: true, fileMustExist: true });
  try {
    return schemaVersion(db);
  } finally {
    db.close();
  }
}
