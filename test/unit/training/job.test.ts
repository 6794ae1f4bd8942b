// The trainer as a real process, bundled the way scripts/build.mjs bundles
// dist/trainer.js: protocol lines on stdout, progress.json, the control
// channel (control.json and stdin, each seq acted on once: sample, save,
// stop → checkpoint and exit 0), SIGTERM → checkpoint and exit 0, and a
// clear non-zero exit on a bad config.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as esbuild from 'esbuild';
import { parseProtocolLine, isProtocolLine, type ProtocolMessage } from '../../../src/protocol/lines';
import { appendControlCommand } from '../../../src/runtime/jobs/control';
import { tinyTrainConfig, writeTinyGpt2 } from '../../helpers/tinyGpt2';
import { tmpDir } from '../../helpers/tmp';

const root = path.resolve(__dirname, '../../..');
// inside the repository so the externals resolve from its node_modules, as dist/trainer.js's do
const bundleDir = path.join(root, 'out', 'test', `training-${process.pid}`);
const bundle = path.join(bundleDir, 'trainer.js');

before(async () => {
  await esbuild.build({
    entryPoints: [path.join(root, 'src/runtime/training/job.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    logLevel: 'error',
    external: ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@huggingface/transformers', 'onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common', 'sharp'],
  });
});
after(() => fs.rmSync(bundleDir, { recursive: true, force: true }));

interface Trainer {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  messages: ProtocolMessage[];
  stderr: () => string;
  /** Resolves with the first message matching, rejects if the process exits first. */
  waitFor(pred: (m: ProtocolMessage) => boolean, what: string): Promise<ProtocolMessage>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startTrainer(args: string[], env: Record<string, string> = {}): Trainer {
  // one wasm thread unless a test asks otherwise: fastest for tiny models
  const child = spawn(process.execPath, [bundle, ...args], { env: { ...process.env, TUNESTUDIO_WASM_THREADS: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const messages: ProtocolMessage[] = [];
  let err = '';
  let buf = '';
  const waiters: Array<{ pred: (m: ProtocolMessage) => boolean; resolve: (m: ProtocolMessage) => void }> = [];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      if (!isProtocolLine(line)) continue;
      const p = parseProtocolLine(line);
      if (!p.ok) continue;
      messages.push(p.message);
      for (const w of [...waiters]) {
        if (w.pred(p.message)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(p.message);
        }
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    lines,
    messages,
    stderr: () => err,
    exited,
    waitFor: (pred, what) => {
      const hit = messages.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        waiters.push({ pred, resolve });
        void exited.then(({ code }) => reject(new Error(`trainer exited (${code}) before ${what}; stderr: ${err}\nstdout tail: ${lines.slice(-5).join('\n')}`)));
      });
    },
  };
}

function project(t: { after(fn: () => void): void }, over: Record<string, unknown>) {
  const dir = tmpDir(t);
  writeTinyGpt2(path.join(dir, 'model'));
  fs.writeFileSync(path.join(dir, 'text.txt'), 'a job runs in its own process and reports by lines. '.repeat(20));
  const file = path.join(dir, 'run.tunetrain.json');
  fs.writeFileSync(file, JSON.stringify(tinyTrainConfig('model', ['text.txt'], 'out', over)));
  return { dir, file };
}

test('a short run prints only valid protocol lines: config with the backend, metrics, progress, checkpoint; exit 0', async (t) => {
  const { dir, file } = project(t, { steps: 3, eval_every: 0, checkpoint_every: 0, backend: 'auto' });
  const progress = path.join(dir, 'progress.json');
  const tr = startTrainer([file], { TUNESTUDIO_PROGRESS: progress });
  const { code } = await tr.exited;
  assert.equal(code, 0, tr.stderr());
  for (const l of tr.lines.filter(isProtocolLine)) assert.ok(parseProtocolLine(l).ok, l);
  const cfg = tr.messages.find((m) => m.config)!.config!;
  assert.equal(cfg.backend, 'wasm');
  assert.equal(cfg.backend_forced, false);
  const attempts = cfg.backend_attempts as Record<string, string>;
  assert.match(attempts['tfjs-node-gpu'], /^not-installed: @tensorflow\/tfjs-node-gpu is not installed/);
  assert.match(attempts['tfjs-node'], /^not-installed: /);
  assert.match(attempts.wasm, /^chosen: /);
  assert.deepEqual(tr.messages.filter((m) => m.metrics?.['train/loss'] !== undefined).map((m) => m.step), [1, 2, 3]);
  assert.deepEqual(tr.messages.filter((m) => m.progress).at(-1)!.progress, { current: 3, total: 3 });
  const ck = tr.messages.find((m) => m.checkpoint)!.checkpoint!;
  assert.equal(ck.step, 3);
  assert.ok(fs.existsSync(path.join(ck.path, 'adapter_model.safetensors')));
  const p = JSON.parse(fs.readFileSync(progress, 'utf8'));
  assert.equal(p.current, 3);
  assert.equal(p.total, 3);
  assert.equal(p.status, 'finished');
  assert.ok(fs.existsSync(path.join(dir, 'out', 'adapter', 'adapter_config.json')));
});

test('control channel: sample and save act once per seq (control.json + stdin), stop checkpoints and exits 0', async (t) => {
  const { dir, file } = project(t, { steps: 1_000_000, eval_every: 0, checkpoint_every: 0, sample_every: 0, eval_fraction: 0 });
  const control = path.join(dir, 'control.json');
  const progress = path.join(dir, 'progress.json');
  const tr = startTrainer([file], { TUNESTUDIO_CONTROL: control, TUNESTUDIO_PROGRESS: progress, TUNESTUDIO_SUPERVISED: '1' });
  await tr.waitFor((m) => (m.step ?? 0) >= 2 && !!m.metrics, 'step 2');
  // the supervisor's way: append to control.json and write the same command on stdin
  const sample = appendControlCommand(control, 'sample');
  tr.child.stdin.write(JSON.stringify(sample) + '\n');
  const s = await tr.waitFor((m) => !!m.sample, 'a sample');
  const save = appendControlCommand(control, 'save');
  tr.child.stdin.write(JSON.stringify(save) + '\n');
  const saved = await tr.waitFor((m) => !!m.checkpoint, 'a checkpoint');
  assert.ok(fs.existsSync(path.join(saved.checkpoint!.path, 'optimizer.safetensors')));
  // stop through the file alone (as after a runtime restart, when stdin is gone)
  appendControlCommand(control, 'stop', 'user stop');
  const { code, signal } = await tr.exited;
  assert.equal(code, 0, tr.stderr());
  assert.equal(signal, null);
  assert.equal(tr.messages.filter((m) => m.sample).length, 1, 'the sample seq arrived twice but ran once');
  const checkpoints = tr.messages.filter((m) => m.checkpoint).map((m) => m.checkpoint!);
  assert.equal(checkpoints.length, 2, 'one for save, one for stop');
  const lastStep = Math.max(...tr.messages.filter((m) => m.metrics?.['train/loss'] !== undefined).map((m) => m.step!));
  assert.equal(checkpoints[1].step, lastStep, 'the stop checkpoint is at the last completed step');
  const state = JSON.parse(fs.readFileSync(path.join(checkpoints[1].path, 'trainer_state.json'), 'utf8'));
  assert.equal(state.step, lastStep);
  assert.ok(s.sample!.step! >= 2);
  assert.match(tr.messages.filter((m) => m.status).at(-1)!.status!, /^stopped at step \d+: stop: user stop$/);
  assert.equal(JSON.parse(fs.readFileSync(progress, 'utf8')).current, lastStep);
  // and the run resumes from that checkpoint in a new process
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), steps: lastStep + 2 }));
  const again = startTrainer([file, '--resume', checkpoints[1].path]);
  assert.equal((await again.exited).code, 0, again.stderr());
  assert.deepEqual(again.messages.filter((m) => m.metrics?.['train/loss'] !== undefined).map((m) => m.step), [lastStep + 1, lastStep + 2]);
});

test('SIGTERM: the trainer checkpoints the last completed step and exits 0', async (t) => {
  const { dir, file } = project(t, { steps: 1_000_000, eval_every: 0, checkpoint_every: 0, eval_fraction: 0 });
  const tr = startTrainer([file]);
  await tr.waitFor((m) => (m.step ?? 0) >= 1 && !!m.metrics, 'step 1');
  tr.child.kill('SIGTERM');
  const { code } = await tr.exited;
  assert.equal(code, 0, tr.stderr());
  const ck = tr.messages.find((m) => m.checkpoint)!.checkpoint!;
  assert.ok(fs.existsSync(path.join(ck.path, 'trainer_state.json')));
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'out', 'trainer_state.json'), 'utf8')).stop_reason, 'SIGTERM');
});

test('WebAssembly threads: the same losses as one thread, bit for bit', async (t) => {
  const { file } = project(t, { steps: 3, eval_every: 0, checkpoint_every: 0, batch_size: 8, block_size: 32 });
  const losses = async (threads: string) => {
    const tr = startTrainer([file], { TUNESTUDIO_WASM_THREADS: threads });
    assert.equal((await tr.exited).code, 0, tr.stderr());
    const cfg = tr.messages.find((m) => m.config)!.config!;
    return { threads: cfg.wasm_threads, losses: tr.messages.filter((m) => m.metrics?.['train/loss'] !== undefined).map((m) => m.metrics!['train/loss']) };
  };
  const one = await losses('1');
  const two = await losses('2');
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.deepEqual(two.losses, one.losses);
});

test('--probe-backend prints the selection as JSON for Runtime Status', async () => {
  const tr = startTrainer(['--probe-backend'], { TUNESTUDIO_WASM_THREADS: '1' });
  assert.equal((await tr.exited).code, 0, tr.stderr());
  const sel = JSON.parse(tr.lines.find((l) => l.startsWith('{'))!).backend;
  assert.equal(sel.name, 'wasm');
  assert.equal(sel.attempts.length, 4);
  const forced = startTrainer(['--probe-backend', '--backend', 'tfjs-node']);
  assert.equal((await forced.exited).code, 1);
  const out = JSON.parse(forced.lines.find((l) => l.startsWith('{'))!);
  assert.match(out.error, /tfjs-node' was requested/);
  assert.equal(out.attempts[0].outcome, 'not-installed');
});

test('errors: a bad config exits 1 naming the problem; bad usage exits 2', async (t) => {
  const { dir, file } = project(t, { steps: 0 });
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), dataset: 'missing.txt' }));
  const tr = startTrainer([file]);
  const { code } = await tr.exited;
  assert.equal(code, 1);
  assert.match(tr.stderr(), /Training config '.*run.tunetrain.json' has 2 errors: \/steps: Must be >= 1.*missing.txt' does not exist/);
  const alert = tr.messages.find((m) => m.alert)!;
  assert.equal(alert.alert!.level, 'error');
  const usage = startTrainer([]);
  assert.equal((await usage.exited).code, 2);
  assert.match(usage.stderr(), /usage: trainer CONFIG.tunetrain.json/);
  const missing = startTrainer([path.join(dir, 'nope.tunetrain.json')]);
  assert.equal((await missing.exited).code, 1);
  assert.match(missing.stderr(), /Training config '.*nope.tunetrain.json' does not exist/);
});
