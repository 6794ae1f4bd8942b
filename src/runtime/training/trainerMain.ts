// The trainer process's logic (dist/trainer.js calls it): parses
// `CONFIG.tunetrain.json [--resume CHECKPOINT|latest] [--backend NAME]`,
// prints protocol lines, keeps progress.json current when the supervisor asks
// (TUNESTUDIO_PROGRESS), and maps the control channel (control.json via
// TUNESTUDIO_CONTROL, stdin JSON lines) and SIGTERM/SIGINT onto the loop:
// stop → checkpoint and exit 0; save → checkpoint now; sample → sample now.
// `--probe-backend [--backend NAME]` only selects the backend and prints the
// selection as one JSON line (for Runtime Status, without loading tfjs into
// the runtime process).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JOB_ENV } from '../../protocol/control';
import { formatProtocolLine, type ProtocolMessage } from '../../protocol/lines';
import { listenForControl } from '../jobs/control';
import { writeFileAtomic } from '../os/fs';
import { isBackendPreference } from './backend-names';
import { loadTrainConfig, TrainConfigError } from './config';
import { TrainingControl } from './trainingControl';

export const TRAINER_USAGE =
  'usage: trainer CONFIG.tunetrain.json [--resume CHECKPOINT_DIR|latest] [--backend auto|tfjs-node-gpu|tfjs-node|wasm|cpu]\n       trainer --probe-backend [--backend NAME]';

export interface TrainerArgs {
  config: string;
  resume?: string;
  backend?: string;
  probeBackend?: boolean;
}

export function parseTrainerArgs(argv: string[]): TrainerArgs {
  let config: string | undefined;
  let resume: string | undefined;
  let backend: string | undefined;
  let probeBackend = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--probe-backend') probeBackend = true;
    else if (a === '--resume' || a === '--backend') {
      const v = argv[++i];
      if (!v) throw new Error(`${a} needs a value. ${TRAINER_USAGE}`);
      if (a === '--resume') resume = v;
      else backend = v;
    } else if (a.startsWith('--resume=')) resume = a.slice(9);
    else if (a.startsWith('--backend=')) backend = a.slice(10);
    else if (a.startsWith('-')) throw new Error(`unknown option '${a}'. ${TRAINER_USAGE}`);
    else if (!config) config = a;
    else throw new Error(`unexpected argument '${a}'. ${TRAINER_USAGE}`);
  }
  if (probeBackend) return { config: config ?? '', backend, probeBackend };
  if (!config) throw new Error(TRAINER_USAGE);
  return { config, resume, backend };
}

export interface TrainerIo {
  env: NodeJS.ProcessEnv;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  stdin?: NodeJS.ReadableStream | null;
  /** Registers a handler for SIGTERM/SIGINT; returns an unregister function. */
  onSignal?: (handler: (sig: string) => void) => () => void;
}

/** Runs the trainer; resolves to the process exit code (0 finished or stopped, 1 failed, 2 bad usage). */
export async function trainerMain(argv: string[], io: TrainerIo): Promise<number> {
  let args: TrainerArgs;
  try {
    args = parseTrainerArgs(argv);
  } catch (e) {
    io.stderr((e as Error).message);
    return 2;
  }
  if (args.probeBackend) return probe(args.backend ?? (io.env.TUNESTUDIO_TRAINING_BACKEND || 'auto'), io);
  const progressFile = io.env[JOB_ENV.progress];
  let lastStatus = 'starting';
  let lastProgress: { current: number; total?: number } = { current: 0 };
  let lastWrite = 0;
  const writeProgress = (force = false) => {
    if (!progressFile) return;
    const now = Date.now();
    if (!force && now - lastWrite < 1000) return;
    lastWrite = now;
    try {
      writeFileAtomic(progressFile, JSON.stringify({ ...lastProgress, status: lastStatus, updated_at: new Date(now).toISOString() }));
    } catch {
      /* a heartbeat is best-effort: never fail training for it */
    }
  };
  const emit = (m: ProtocolMessage) => {
    io.stdout(formatProtocolLine(m));
    if (m.status) lastStatus = m.status;
    if (m.progress && m.progress.unit === undefined) lastProgress = { current: m.progress.current, total: m.progress.total };
    writeProgress(m.progress?.total !== undefined && m.progress.current === m.progress.total);
  };

  const control = new TrainingControl();
  const listener = listenForControl({ file: io.env[JOB_ENV.control] || undefined, stdin: io.stdin ?? null, pollMs: 250 }, (c) => {
    if (c.cmd === 'stop') control.requestStop(c.reason ? `stop: ${c.reason}` : 'stop command');
    else if (c.cmd === 'save') control.requestSave();
    else if (c.cmd === 'sample') control.requestSample();
  });
  const offSignal = io.onSignal?.((sig) => control.requestStop(sig));
  try {
    writeProgress(true);
    const configPath = path.resolve(args.config);
    if (!fs.existsSync(configPath)) throw new Error(`Training config '${configPath}' does not exist.`);
    const { config, warnings } = loadTrainConfig(configPath);
    // warnings only: info notes are for the editor's Problems panel
    for (const w of warnings.filter((p) => p.severity === 'warning')) io.stderr(`${path.basename(configPath)}${w.path ? ` ${w.path}` : ''}: warning: ${w.message}`);
    const prefer = args.backend ?? (config.backend !== 'auto' ? config.backend : io.env.TUNESTUDIO_TRAINING_BACKEND || 'auto');
    if (!isBackendPreference(prefer)) throw new Error(`Unknown backend '${prefer}'. ${TRAINER_USAGE}`);
    // tfjs loads only now, so a bad config or usage fails fast
    const { selectTrainingBackend } = await import('./backend');
    const { runTraining } = await import('./train');
    const backend = await selectTrainingBackend({ prefer });
    const result = await runTraining({
      config,
      resume: args.resume,
      control,
      backend,
      emit,
      log: (line) => io.stdout(line),
    });
    writeProgress(true);
    io.stdout(
      result.status === 'finished'
        ? `training finished at step ${result.step}; adapter in ${result.adapterDir}`
        : `training stopped at step ${result.step} (${result.stopReason}); resume with --resume ${result.lastCheckpoint ?? 'latest'}`,
    );
    return 0;
  } catch (e) {
    const msg = e instanceof TrainConfigError ? e.message : (e as Error).message ?? String(e);
    lastStatus = `failed: ${msg}`;
    writeProgress(true);
    io.stdout(formatProtocolLine({ alert: { title: 'Training failed', text: msg, level: 'error' }, status: 'failed' }));
    io.stderr(`tunestudio trainer: ${msg}`);
    if (io.env.TUNESTUDIO_DEBUG && e instanceof Error && e.stack) io.stderr(e.stack);
    return 1;
  } finally {
    listener.close();
    offSignal?.();
  }
}

/** Prints the backend selection ({"backend": BackendSelection} or {"error", "attempts"}) as one JSON line. */
async function probe(prefer: string, io: TrainerIo): Promise<number> {
  if (!isBackendPreference(prefer)) {
    io.stderr(`Unknown backend '${prefer}'. ${TRAINER_USAGE}`);
    return 2;
  }
  const { selectTrainingBackend, BackendError } = await import('./backend');
  try {
    io.stdout(JSON.stringify({ backend: await selectTrainingBackend({ prefer }) }));
    return 0;
  } catch (e) {
    io.stdout(JSON.stringify({ error: (e as Error).message, attempts: e instanceof BackendError ? e.attempts : [] }));
    return 1;
  }
}
