// The jobs service in the runtime: job requests, the scheduler (once the
// store exists; it is never created just to look), *.tunejob.json
// diagnostics, presets, and the workspace-trust rule (no job starts in an
// untrusted workspace).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  JobCancelRequest,
  JobControlRequest,
  JobFromPresetRequest,
  JobGetRequest,
  JobPresetsRequest,
  JobRetryRequest,
  JobSubmitRequest,
  JobsListRequest,
  type Job,
  type JobSpec,
} from '../../protocol/jobs';
import type { RuntimeContext } from '../context';
import { registerJsonChecker } from '../diagnostics';
import { parseJsonWithNonFinite } from '../../protocol/lines';
import { trackingService } from '../tracking/service';
import { JobStore } from './jobStore';
import { builtinArgv, cliArgv, launcherPath, trainerEnv } from './paths';
import { CaptionJobRequest } from '../../protocol/datasets';
import { listPresets, specFromPreset } from './presets';
import { Scheduler } from './scheduler';
import { checkJobSpec, JobSpecError, resolveJobSpec } from './spec';
import { checkTrainConfig } from '../training/config';

export const UNTRUSTED_MESSAGE =
  'This workspace is not trusted, so Tune Studio starts no jobs here. Trust it (Command Palette: "Workspaces: Manage Workspace Trust") to run jobs.';

let scheduler: Scheduler | null = null;

/** For Runtime Status. */
export function schedulerStatus(): { holder: boolean; detail: string } | undefined {
  return scheduler ? { holder: scheduler.isHolder, detail: scheduler.describe() } : undefined;
}


export function register(ctx: RuntimeContext): void {
  const tracking = trackingService();
  const baseDir = () => ctx.options.workspaceFolders[0] ?? path.dirname(ctx.store.dir);

  const ensureScheduler = (): Scheduler => {
    if (scheduler) return scheduler;
    scheduler = new Scheduler({
      db: tracking.db,
      tracker: tracking.tracker,
      storeDir: ctx.store.dir,
      launcher: launcherPath(),
      slots: () => ctx.settings.jobsSlots ?? 1,
      trusted: () => ctx.trusted(),
      log: (level, msg) => (level === 'debug' ? ctx.log.debug(msg) : ctx.log[level](msg)),
      onChange: (kinds) => ctx.notifyChanged({ kinds }),
      supervisedRuns: tracking.supervised,
      label: 'VS Code',
      jobEnv: () =>
        trainerEnv(ctx.store.dir, {
          backend: ctx.settings.trainingBackend,
          modelFolders: (ctx.settings.trainingModelFolders ?? []).map((f) => path.resolve(baseDir(), f)),
          offline: ctx.settings.trainingOffline,
        }),
    });
    scheduler.start();
    return scheduler;
  };
  // The scheduler starts with the store; a store made by the CLI later is noticed.
  const watchForStore = setInterval(() => {
    if (scheduler) return clearInterval(watchForStore);
    if (ctx.store.exists()) ensureScheduler();
  }, 2000);
  if (ctx.store.exists()) ensureScheduler();
  ctx.onSettingsChanged(() => scheduler?.kick());
  ctx.onShutdown(() => {
    clearInterval(watchForStore);
    scheduler?.stop();
  });

  const store = (): JobStore => ensureScheduler().jobs;
  const c = ctx.connection;
  c.onRequest(JobsListRequest.type, (p) => (scheduler || ctx.store.exists() ? store().list({ states: p?.states }) : []));
  c.onRequest(JobGetRequest.type, (p) => store().get(p.id));
  c.onRequest(JobSubmitRequest.type, (p): Job => {
    if (!ctx.trusted()) throw new Error(UNTRUSTED_MESSAGE);
    let raw: unknown = p.spec;
    let dir = baseDir();
    if (p.specFile) {
      dir = path.dirname(p.specFile);
      try {
        raw = parseJsonWithNonFinite(fs.readFileSync(p.specFile, 'utf8'));
      } catch (e) {
        throw new Error(`cannot read job file ${p.specFile}: ${(e as Error).message}`);
      }
    }
    let spec;
    try {
      spec = resolveJobSpec(raw, { baseDir: dir, specFile: p.specFile, builtinArgv });
    } catch (e) {
      if (e instanceof JobSpecError) throw new Error(`The job spec has problems: ${e.message}`);
      throw e;
    }
    const job = store().insert(spec, p.specFile ?? null);
    scheduler!.kick();
    ctx.notifyChanged({ kinds: ['jobs'] });
    return job;
  });
  c.onRequest(JobCancelRequest.type, (p) => ensureScheduler().cancel(p.id, p.reason).job);
  c.onRequest(JobRetryRequest.type, (p) => {
    if (!ctx.trusted()) throw new Error(UNTRUSTED_MESSAGE);
    const j = store().retry(p.id);
    scheduler!.kick();
    ctx.notifyChanged({ kinds: ['jobs'] });
    return j;
  });
  c.onRequest(JobControlRequest.type, (p) => ensureScheduler().control(p.id, p.command));
  c.onRequest(CaptionJobRequest.type, (p): Job => {
    if (!ctx.trusted()) throw new Error(UNTRUSTED_MESSAGE);
    const dir = path.resolve(p.dir);
    const inside = ctx.options.workspaceFolders.some((w) => {
      const rel = path.relative(w, dir);
      return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
    });
    if (ctx.options.workspaceFolders.length && !inside) throw new Error(`Dataset folder '${p.dir}' is outside the workspace; captioning refused.`);
    const s = ctx.settings;
    const args = [
      '--dir', ctx.store.dir, 'dataset', 'caption', dir,
      ...(p.overwrite ? ['--overwrite'] : []),
      ...(s.captioningModelPath ? ['--model', s.captioningModelPath] : []),
      ...(s.captioningOffline ? ['--offline'] : []),
      ...(s.ffmpegPath ? ['--ffmpeg', s.ffmpegPath] : []),
      ...(p.stems?.length ? ['--sample', ...p.stems] : []),
    ];
    const spec = resolveJobSpec(
      { name: `caption ${path.basename(dir)}`, project: 'datasets', command: cliArgv(args), parsers: ['protocol'], stall_timeout_s: 3600, config: { dataset: dir, samples: p.stems ?? 'all', overwrite: !!p.overwrite } },
      { baseDir: dir },
    );
    const job = store().insert(spec, null);
    scheduler!.kick();
    ctx.notifyChanged({ kinds: ['jobs'] });
    return job;
  });
  c.onRequest(JobPresetsRequest.type, () => listPresets());
  c.onRequest(JobFromPresetRequest.type, (p): JobSpec => specFromPreset(p.preset, p.values));

  registerJsonChecker(ctx, {
    pattern: /\.tunejob\.json$/i,
    source: 'Tune Studio',
    check: (value, file) => checkJobSpec(value, { baseDir: path.dirname(file) }),
  });
  registerJsonChecker(ctx, {
    pattern: /\.tunetrain\.json$/i,
    source: 'Tune Studio',
    check: (value, file) => checkTrainConfig(value, path.dirname(file)),
  });
}
