// Runtime Status: which Node runs the runtime, where the store is, its schema
// version and the compute backends this machine offers.
import * as os from 'node:os';
import { RuntimeStatusRequest, type BackendInfo, type RuntimeStatus } from '../protocol/runtime';
import type { RuntimeContext } from './context';
import { probeBackends } from './backends';
import { LATEST_SCHEMA_VERSION } from './store/migrations';
import { schemaVersion } from './store/db';
import Database from 'better-sqlite3';
import { trainerPath } from './jobs/paths';
import { queryGpus } from './jobs/gpu';
import { execFile } from 'node:child_process';

const startedAt = new Date().toISOString();

/**
 * Which backend the built-in trainer would pick, and why the faster ones are
 * not used — asked of the trainer itself (a short process), so tfjs is never
 * loaded into the runtime.
 */
function probeTrainingBackend(setting: string | undefined): Promise<BackendInfo> {
  return new Promise((resolve) => {
    let trainer: string;
    try {
      trainer = trainerPath();
    } catch (e) {
      resolve({ name: 'training', available: false, detail: (e as Error).message });
      return;
    }
    const args = [trainer, '--probe-backend', ...(setting && setting !== 'auto' ? ['--backend', setting] : [])];
    execFile(process.execPath, args, { timeout: 60_000, windowsHide: true }, (_err, stdout) => {
      try {
        const r = JSON.parse(String(stdout).trim().split('\n').pop() ?? '') as { backend?: { summary: string }; error?: string };
        resolve(r.backend ? { name: 'training', available: true, detail: `built-in trainer: ${r.backend.summary}` } : { name: 'training', available: false, detail: r.error ?? 'the trainer could not choose a backend' });
      } catch {
        resolve({ name: 'training', available: false, detail: 'the trainer did not answer the backend probe; see the Tune Studio output' });
      }
    });
  });
}

/** Each GPU's utilisation and memory right now (nvidia-smi; none without it). */
async function gpuNow(): Promise<BackendInfo[]> {
  const r = await queryGpus({ timeoutMs: 3000 });
  if (!r.available) return [];
  const mb = (v: number | null) => (v === null ? '?' : v.toLocaleString('en-US'));
  return r.gpus.map((g) => ({
    name: `gpu${g.index}`,
    available: true,
    detail: `${g.name}: ${g.utilPercent === null ? 'utilisation n/a' : `${g.utilPercent}% busy`}, ${mb(g.memUsedMb)} / ${mb(g.memTotalMb)} MiB used`,
  }));
}

/** `schedulerStatus`: the jobs service's answer (undefined until the store exists). */
export function register(ctx: RuntimeContext, schedulerStatus: () => { holder: boolean; detail: string } | undefined = () => undefined): void {
  let backends: Promise<BackendInfo[]> | null = null;
  ctx.onSettingsChanged(() => (backends = null));
  ctx.connection.onRequest(RuntimeStatusRequest.type, async (): Promise<RuntimeStatus> => {
    backends ??= Promise.all([probeBackends({ ffmpegPath: ctx.settings.ffmpegPath }), probeTrainingBackend(ctx.settings.trainingBackend)]).then(([b, t]) => [...b, t]);
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
      backends: [...(await backends), ...(await gpuNow())],
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
