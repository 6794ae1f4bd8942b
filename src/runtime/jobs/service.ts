// The jobs face of the runtime: LSP requests over JobsService (which holds
// the rules and, once the store exists, the scheduler — never created just
// to look), *.tunejob.json and *.tunetrain.json diagnostics.
import * as path from 'node:path';
import {
  JobCancelRequest,
  JobControlRequest,
  JobFromPresetRequest,
  JobGetRequest,
  JobPresetsRequest,
  JobRetryRequest,
  JobsClearFinishedRequest,
  JobSubmitRequest,
  JobsListRequest,
  type Job,
  type JobSpec,
} from '../../protocol/jobs';
import { CaptionJobRequest } from '../../protocol/datasets';
import type { RuntimeContext } from '../context';
import { registerJsonChecker } from '../diagnostics';
import type { TrackingService } from '../tracking/service';
import { checkTrainConfig } from '../training/config';
import { JobsService, UNTRUSTED_MESSAGE } from './jobsService';
import { trainerEnv } from './paths';
import { listPresets, specFromPreset } from './presets';
import { checkJobSpec, JobSpecError } from './spec';

export { UNTRUSTED_MESSAGE };

/** Registers the job requests; the returned service is what Runtime Status asks about the scheduler. */
export function register(ctx: RuntimeContext, tracking: TrackingService): { schedulerStatus(): { holder: boolean; detail: string } | undefined } {
  const baseDir = () => ctx.options.workspaceFolders[0] ?? path.dirname(ctx.store.dir);
  let service: JobsService | null = null;
  // The service (and its scheduler) starts with the store; a store made by the CLI later is noticed.
  const ensure = (): JobsService => {
    if (service) return service;
    service = new JobsService({
      db: tracking.db,
      storeDir: ctx.store.dir,
      trusted: () => ctx.trusted(),
      baseDir,
      scheduler: {
        tracker: tracking.tracker,
        slots: () => ctx.settings.jobsSlots ?? 1,
        defaultBackend: () => ctx.settings.jobsBackend ?? 'local',
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
      },
    });
    service.start();
    return service;
  };
  const watchForStore = setInterval(() => {
    if (service) return clearInterval(watchForStore);
    if (ctx.store.exists()) ensure();
  }, 2000);
  if (ctx.store.exists()) ensure();
  ctx.onSettingsChanged(() => service?.kick());
  ctx.onShutdown(() => {
    clearInterval(watchForStore);
    service?.stop();
  });

  const changed = <T>(v: T): T => {
    ctx.notifyChanged({ kinds: ['jobs'] });
    return v;
  };
  const c = ctx.connection;
  c.onRequest(JobsListRequest.type, (p) => (service || ctx.store.exists() ? ensure().list({ states: p?.states }) : []));
  c.onRequest(JobGetRequest.type, (p) => ensure().get(p.id));
  c.onRequest(JobSubmitRequest.type, (p): Job => {
    // Refused before the store is opened: an untrusted workspace gets no store from a submit (JobsService checks it too).
    if (!ctx.trusted()) throw new Error(UNTRUSTED_MESSAGE);
    try {
      return changed(ensure().submit({ spec: p.spec, specFile: p.specFile }));
    } catch (e) {
      if (e instanceof JobSpecError) throw new Error(`The job spec has problems: ${e.message}`, { cause: e });
      throw e;
    }
  });
  c.onRequest(JobCancelRequest.type, (p) => changed(ensure().cancel(p.id, p.reason).job));
  c.onRequest(JobRetryRequest.type, (p) => changed(ensure().retry(p.id)));
  c.onRequest(JobsClearFinishedRequest.type, () => (service || ctx.store.exists() ? changed({ removed: ensure().clearFinished() }) : { removed: 0 }));
  c.onRequest(JobControlRequest.type, (p) => ensure().control(p.id, p.command));
  c.onRequest(CaptionJobRequest.type, (p): Job => {
    const s = ctx.settings;
    return changed(
      ensure().submitCaption(
        { dir: p.dir, overwrite: p.overwrite, stems: p.stems },
        { workspaceFolders: ctx.options.workspaceFolders, modelPath: s.captioningModelPath, offline: s.captioningOffline, ffmpegPath: s.ffmpegPath },
      ),
    );
  });
  c.onRequest(JobPresetsRequest.type, () => listPresets());
  c.onRequest(JobFromPresetRequest.type, (p): JobSpec => {
    const spec = specFromPreset(p.preset, p.values);
    if (p.check) {
      const errors = checkJobSpec(spec, { baseDir: baseDir() }).filter((x) => x.severity === 'error');
      if (errors.length) throw new JobSpecError(errors);
    }
    return spec;
  });

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
  return { schedulerStatus: () => service?.schedulerStatus() };
}
