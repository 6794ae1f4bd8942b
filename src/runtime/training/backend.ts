// Chooses the trainer's tfjs compute backend: tfjs-node-gpu → tfjs-node →
// wasm → cpu, the first that loads, unless a setting or the config forces
// one. The choice and the reason each faster backend was passed over are
// returned as data, so the run's config and Runtime Status can show them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { isBackendPreference, TRAINING_BACKENDS, type BackendPreference, type TrainingBackendName } from './backend-names';

export { isBackendPreference, TRAINING_BACKENDS, type BackendPreference, type TrainingBackendName };

export interface BackendAttempt {
  name: TrainingBackendName;
  /** chosen; not-installed (package absent); failed (present but would not load); skipped (a faster one was chosen or another was forced). */
  outcome: 'chosen' | 'not-installed' | 'failed' | 'skipped';
  /** In a user's words, e.g. "@tensorflow/tfjs-node is not installed (optional dependency …)". */
  reason: string;
}

export interface BackendSelection {
  name: TrainingBackendName;
  /** tfjs's own backend name: 'tensorflow', 'wasm' or 'cpu'. */
  tfBackend: string;
  /** True when a setting or the config named the backend (no fallback then). */
  forced: boolean;
  /** One line for logs and the run config: the choice and why. */
  summary: string;
  attempts: BackendAttempt[];
  /** wasm only: the folder its .wasm files were loaded from and the features in use. */
  wasm?: { dir: string; simd: boolean; threads: number };
  /** tfjs-node-gpu only: whether TensorFlow found a GPU. */
  gpu?: boolean;
}

export class BackendError extends Error {
  constructor(
    message: string,
    readonly attempts: BackendAttempt[],
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

const NATIVE_PKG: Record<'tfjs-node-gpu' | 'tfjs-node', string> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
};

/**
 * Finds the folder with tfjs-backend-wasm's .wasm files: an explicit folder,
 * then TUNESTUDIO_TFJS_WASM_DIR, then `wasm/` beside this bundle (a packaged
 * build may copy them there), then the installed package's dist folder. Works
 * from source under tsx and from dist/trainer.js alike, because the package is
 * resolved at run time.
 */
export function findWasmDir(explicit?: string): string {
  const candidates: string[] = [];
  if (explicit) candidates.push(explicit);
  if (process.env.TUNESTUDIO_TFJS_WASM_DIR) candidates.push(process.env.TUNESTUDIO_TFJS_WASM_DIR);
  candidates.push(path.join(__dirname, 'wasm'));
  try {
    candidates.push(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    /* not installed: reported below */
  }
  for (const c of candidates) if (fs.existsSync(path.join(c, 'tfjs-backend-wasm.wasm'))) return c;
  throw new Error(
    `tfjs-backend-wasm's .wasm files were not found (looked in: ${candidates.join(', ') || 'nowhere'}). Reinstall the extension or run 'npm install' in its folder.`,
  );
}

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 300);
}

function isModuleMissing(e: unknown, pkg: string): boolean {
  const err = e as NodeJS.ErrnoException;
  return err?.code === 'MODULE_NOT_FOUND' && String(err.message).includes(pkg);
}

type Loader = (pkg: string) => unknown;

async function tryNative(name: 'tfjs-node-gpu' | 'tfjs-node', load: Loader): Promise<{ ok: true; gpu?: boolean } | { ok: false; attempt: BackendAttempt }> {
  const pkg = NATIVE_PKG[name];
  try {
    load(pkg);
  } catch (e) {
    if (isModuleMissing(e, pkg)) {
      return {
        ok: false,
        attempt: {
          name,
          outcome: 'not-installed',
          reason: `${pkg} is not installed (an optional dependency: its install downloads libtensorflow, which failed or was skipped).`,
        },
      };
    }
    return { ok: false, attempt: { name, outcome: 'failed', reason: `${pkg} failed to load: ${errorText(e)}` } };
  }
  try {
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
    await tf.ready();
  } catch (e) {
    return { ok: false, attempt: { name, outcome: 'failed', reason: `${pkg} loaded but its TensorFlow backend did not start: ${errorText(e)}` } };
  }
  let gpu: boolean | undefined;
  if (name === 'tfjs-node-gpu') {
    // tfjs-node-gpu silently runs on the CPU when CUDA/cuDNN are missing; say so
    const b = tf.backend() as unknown as { isUsingGpuDevice?: boolean | (() => boolean) };
    const v = typeof b.isUsingGpuDevice === 'function' ? b.isUsingGpuDevice() : b.isUsingGpuDevice;
    if (typeof v === 'boolean') gpu = v;
  }
  return { ok: true, gpu };
}

/** Threads wanted for wasm: the option, else TUNESTUDIO_WASM_THREADS (a number or "auto"), else one per CPU; at most 8 (tfjs's worker pool). */
export function wasmThreadsWanted(option?: number | 'auto', env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TUNESTUDIO_WASM_THREADS;
  const v = option ?? (raw !== undefined && raw !== '' && raw !== 'auto' ? Number(raw) : 'auto');
  const n = v === 'auto' ? os.cpus().length : Math.floor(v);
  return Number.isFinite(n) ? Math.max(1, Math.min(8, n)) : 1;
}

let threadShimInstalled = false;

/**
 * tfjs turns WebAssembly threads off under Node (tensorflow/tfjs#3830): its
 * pthread workers are created from blob: URLs, which Node's Worker refuses,
 * and it sizes the pool as os.cpus()/2. For the exact package layout we know
 * (4.22.x) we give Emscripten a Worker that starts the package's own worker
 * script with eval and points it at the package's glue file, never keeps the
 * process alive, and report the wanted core count while the backend starts.
 * Returns a restore function for os.cpus, or null when the layout is unknown.
 */
function prepareNodeWasmThreads(pkgRoot: string, threads: number): (() => void) | null {
  let version = '';
  try {
    version = JSON.parse(fs.readFileSync(path.join(pkgRoot, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
  const workerFile = path.join(pkgRoot, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js');
  const glueFile = path.join(pkgRoot, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  if (!version.startsWith('4.22.') || !fs.existsSync(workerFile) || !fs.existsSync(glueFile)) return null;
  if (!threadShimInstalled) {
    const { Worker: NodeWorker } = require('node:worker_threads') as typeof import('node:worker_threads');
    const { wasmWorkerContents } = require(workerFile) as { wasmWorkerContents: string };
    // same escaping tfjs applies before putting the script in a Blob
    const source = wasmWorkerContents.replace(/\n/g, '\\n');
    class PthreadWorker extends NodeWorker {
      constructor() {
        super(source, { eval: true });
        this.unref();
      }
      // Emscripten refs running pthreads; pool threads never finish, so stay unref'd
      override ref(): void {}
      override postMessage(message: unknown, transfer?: readonly import('node:worker_threads').TransferListItem[]): void {
        const m = message as { cmd?: string } | null;
        super.postMessage(m && m.cmd === 'load' ? { ...m, urlOrBlob: glueFile } : message, transfer);
      }
    }
    Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => undefined });
    threadShimInstalled = true;
  }
  const { setThreadsCount } = require('@tensorflow/tfjs-backend-wasm') as { setThreadsCount(n: number): void };
  setThreadsCount(threads);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  // tfjs caps the pool at os.cpus().length / 2 (it assumes two hyperthreads per core);
  // patch the CommonJS module object its glue calls (an ES namespace is read-only)
  const osModule = require('node:os') as { cpus: () => os.CpuInfo[] };
  const realCpus = osModule.cpus;
  osModule.cpus = () => {
    const c = realCpus();
    return Array.from({ length: Math.max(2 * threads, c.length) }, (_, i) => c[i % c.length]);
  };
  return () => {
    osModule.cpus = realCpus;
  };
}

async function startWasm(): Promise<void> {
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
}

async function tryWasm(wasmDir?: string, threadsOption?: number | 'auto'): Promise<{ ok: true; dir: string; simd: boolean; threads: number; threadNote: string } | { ok: false; attempt: BackendAttempt }> {
  let dir: string;
  try {
    dir = findWasmDir(wasmDir);
  } catch (e) {
    return { ok: false, attempt: { name: 'wasm', outcome: 'not-installed', reason: errorText(e) } };
  }
  // tfjs joins prefix + file name, so the prefix must end with a separator
  setWasmPaths(dir.endsWith(path.sep) || dir.endsWith('/') ? dir : dir + path.sep);
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const wanted = wasmThreadsWanted(threadsOption);
  let threadNote = '';
  let started = false;
  if (wanted > 1 && simd && tf.findBackend('wasm') === null) {
    let pkgRoot = '';
    try {
      pkgRoot = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    } catch {
      /* handled by the single-threaded start */
    }
    const restore = pkgRoot ? prepareNodeWasmThreads(pkgRoot, wanted) : null;
    if (!restore) threadNote = 'single-threaded (unknown tfjs-backend-wasm layout for Node threads)';
    else {
      try {
        await startWasm();
        started = true;
      } catch (e) {
        threadNote = `single-threaded (threaded start failed: ${errorText(e)})`;
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      } finally {
        restore();
      }
    }
  } else if (wanted <= 1) threadNote = 'single-threaded (TUNESTUDIO_WASM_THREADS or one CPU)';
  if (!started) {
    try {
      if (tf.findBackend('wasm') === null) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      await startWasm();
    } catch (e) {
      return { ok: false, attempt: { name: 'wasm', outcome: 'failed', reason: `WebAssembly backend failed to start: ${errorText(e)}` } };
    }
  }
  let threads = 1;
  try {
    const wasmMod = require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount?: () => number };
    threads = wasmMod.getThreadsCount?.() ?? 1;
  } catch {
    /* older package: single-threaded */
  }
  return { ok: true, dir, simd, threads, threadNote: threads > 1 ? `${threads} threads` : threadNote || 'single-threaded' };
}

async function tryCpu(): Promise<{ ok: true } | { ok: false; attempt: BackendAttempt }> {
  try {
    if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") returned false');
    await tf.ready();
    return { ok: true };
  } catch (e) {
    return { ok: false, attempt: { name: 'cpu', outcome: 'failed', reason: `tfjs CPU backend failed: ${errorText(e)}` } };
  }
}

/**
 * Picks and activates a backend. `prefer` 'auto' tries tfjs-node-gpu, tfjs-node,
 * wasm, cpu in order and takes the first that loads; a named backend is used or
 * refused with its reason (no silent fallback: the user asked for it).
 * `load` replaces `require` for the native packages (tests).
 */
export async function selectTrainingBackend(
  opts: { prefer?: BackendPreference; wasmDir?: string; load?: Loader; wasmThreads?: number | 'auto' } = {},
): Promise<BackendSelection> {
  const prefer = opts.prefer ?? 'auto';
  if (!isBackendPreference(prefer)) {
    throw new BackendError(`Unknown training backend '${String(prefer)}': use one of auto, ${TRAINING_BACKENDS.join(', ')}.`, []);
  }
  const load: Loader = opts.load ?? ((pkg) => require(pkg));
  const order: TrainingBackendName[] = prefer === 'auto' ? [...TRAINING_BACKENDS] : [prefer];
  const attempts: BackendAttempt[] = [];
  // production mode: no debug checks, and no "install tfjs-node" banner (we report the reason ourselves)
  tf.enableProdMode();
  for (const name of order) {
    let sel: BackendSelection | null = null;
    if (name === 'tfjs-node-gpu' || name === 'tfjs-node') {
      const r = await tryNative(name, load);
      if (!r.ok) attempts.push(r.attempt);
      else {
        const gpuNote = name === 'tfjs-node-gpu' && r.gpu === false ? ' (TensorFlow found no usable GPU: check CUDA/cuDNN; it runs on the CPU)' : '';
        sel = { name, tfBackend: 'tensorflow', forced: prefer !== 'auto', summary: '', attempts: [], gpu: r.gpu };
        attempts.push({ name, outcome: 'chosen', reason: `${NATIVE_PKG[name]} loaded${gpuNote}` });
      }
    } else if (name === 'wasm') {
      const r = await tryWasm(opts.wasmDir, opts.wasmThreads);
      if (!r.ok) attempts.push(r.attempt);
      else {
        sel = { name, tfBackend: 'wasm', forced: prefer !== 'auto', summary: '', attempts: [], wasm: { dir: r.dir, simd: r.simd, threads: r.threads } };
        attempts.push({ name, outcome: 'chosen', reason: `WebAssembly backend, SIMD ${r.simd ? 'on' : 'off'}, ${r.threadNote}` });
      }
    } else {
      const r = await tryCpu();
      if (!r.ok) attempts.push(r.attempt);
      else {
        sel = { name, tfBackend: 'cpu', forced: prefer !== 'auto', summary: '', attempts: [] };
        attempts.push({ name, outcome: 'chosen', reason: 'tfjs pure-JavaScript backend (slowest)' });
      }
    }
    if (sel) {
      for (const other of TRAINING_BACKENDS) {
        if (!attempts.some((a) => a.name === other)) {
          attempts.push({ name: other, outcome: 'skipped', reason: prefer === 'auto' ? `not needed: ${name} was chosen first` : `not tried: backend forced to ${prefer}` });
        }
      }
      attempts.sort((a, b) => TRAINING_BACKENDS.indexOf(a.name) - TRAINING_BACKENDS.indexOf(b.name));
      sel.attempts = attempts;
      sel.summary = summarise(sel);
      return sel;
    }
  }
  const why = attempts.map((a) => `${a.name}: ${a.reason}`).join('; ');
  throw new BackendError(
    prefer === 'auto'
      ? `No tfjs backend could start (${why}). Reinstall the extension's dependencies ('npm install').`
      : `Training backend '${prefer}' was requested (config "backend" or setting tuneStudio.training.backend) but cannot run: ${why}. Set it to "auto" or install the backend.`,
    attempts,
  );
}

/** "wasm (auto): tfjs-node-gpu not installed …; tfjs-node not installed …" */
export function summarise(sel: Pick<BackendSelection, 'name' | 'forced' | 'attempts'>): string {
  const passed = sel.attempts.filter((a) => a.outcome === "not-installed" || a.outcome === "failed").map((a) => `${a.name}: ${a.reason.replace(/\.$/, "")}`);
  const chosen = sel.attempts.find((a) => a.outcome === 'chosen');
  const head = `${sel.name} (${sel.forced ? 'forced' : 'auto'})${chosen ? ` — ${chosen.reason}` : ''}`;
  return passed.length ? `${head}. Faster backends not used: ${passed.join('; ')}` : head;
}

/** Flat fields for the run's config (what the Runs view shows). */
export function backendConfigFields(sel: BackendSelection): Record<string, unknown> {
  const reasons: Record<string, string> = {};
  for (const a of sel.attempts) reasons[a.name] = `${a.outcome}: ${a.reason}`;
  return {
    backend: sel.name,
    backend_forced: sel.forced,
    backend_reason: sel.summary,
    backend_attempts: reasons,
    ...(sel.wasm ? { wasm_simd: sel.wasm.simd, wasm_threads: sel.wasm.threads } : {}),
    ...(sel.gpu !== undefined ? { gpu: sel.gpu } : {}),
  };
}
