// Training runs on a tiny GPT-2 (real tfjs on the wasm backend): loss falls on
// a memorisation task, resume repeats an uninterrupted run bit for bit,
// gradient accumulation equals a bigger batch, checkpoints keep the best k,
// control requests act between steps, a huge learning rate produces NaN loss
// lines, and no tensors leak per step.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { formatProtocolLine, parseProtocolLine, type ProtocolMessage } from '../../../src/protocol/lines';
import { selectTrainingBackend, type BackendSelection } from '../../../src/runtime/training/backend';
import { resolveTrainConfig, type TrainConfigFile } from '../../../src/runtime/training/config';
import { listCheckpoints, runTraining, TrainingControl, type RunTrainingOptions } from '../../../src/runtime/training/train';
import { tinyTrainConfig, writeTinyDataset, writeTinyGpt2 } from '../../helpers/tinyGpt2';
import { tmpDir } from '../../helpers/tmp';

let backend: BackendSelection;
before(async () => {
  backend = await selectTrainingBackend({ prefer: 'wasm', wasmThreads: 1 }); // one thread is fastest for tiny models; threads are tested in backend.test and job.test
});

const TEXT = 'tune studio trains lora adapters on tiny models. '.repeat(30);

function setup(t: { after(fn: () => void): void }, over: Record<string, unknown> = {}, dirName = 'run') {
  const dir = tmpDir(t);
  writeTinyGpt2(path.join(dir, 'model'));
  fs.writeFileSync(path.join(dir, 'text.txt'), TEXT);
  const raw = tinyTrainConfig('model', ['text.txt'], dirName, over) as unknown as TrainConfigFile;
  return { dir, config: resolveTrainConfig(raw, dir, path.join(dir, 'x.tunetrain.json')) };
}

async function train(opts: Omit<RunTrainingOptions, 'backend'>, messages: ProtocolMessage[] = []) {
  return runTraining({ ...opts, backend, emit: (m) => messages.push(m) });
}

test('loss falls on a memorisation task within 40 steps', async (t) => {
  const { config } = setup(t, { steps: 40, eval_every: 10, checkpoint_every: 0, sample_every: 20 });
  const messages: ProtocolMessage[] = [];
  const r = await train({ config }, messages);
  assert.equal(r.status, 'finished');
  assert.equal(r.history.length, 40);
  const first = r.history[0].loss;
  const lastFive = r.history.slice(-5).reduce((s, h) => s + h.loss, 0) / 5;
  assert.ok(first > 5, `initial loss ${first} is near ln(257) for an untrained head`);
  assert.ok(lastFive < 0.5 * first, `loss fell from ${first} to ${lastFive}`);
  assert.ok(r.evals.at(-1)!.loss < 0.6 * r.evals[0].loss + 0.4 * first, 'eval loss fell too');
  // every metric the issue names is logged
  const names = new Set(messages.flatMap((m) => Object.keys(m.metrics ?? {})));
  for (const n of ['train/loss', 'train/lr', 'train/grad_norm', 'train/tokens_per_s', 'eval/loss', 'eval/perplexity']) assert.ok(names.has(n), n);
  const ppl = messages.find((m) => m.metrics?.['eval/perplexity'] !== undefined)!;
  assert.ok(Math.abs((ppl.metrics!['eval/perplexity'] as number) - Math.exp(ppl.metrics!['eval/loss'] as number)) < 1e-9);
  // samples at 20 and at the end, stored as protocol sample messages
  assert.deepEqual(r.samples.map((s) => s.step), [20, 40]);
  assert.ok(messages.some((m) => m.sample && m.sample.step === 40 && typeof m.sample.text === 'string'));
  // the run config names the backend and why faster ones were not used
  const cfgMsg = messages.find((m) => m.config)!.config!;
  assert.equal(cfgMsg.backend, 'wasm');
  assert.match(String(cfgMsg.backend_reason), /wasm/);
  assert.equal(cfgMsg.trainable_params, 2 * (4 * (32 + 96) + 4 * (32 + 32) + 4 * (32 + 128) + 4 * (128 + 32)));
  // progress goes to the total
  assert.deepEqual(messages.filter((m) => m.progress).at(-1)!.progress, { current: 40, total: 40 });
  // the final adapter is a PEFT folder
  assert.deepEqual(fs.readdirSync(r.adapterDir!).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
});

test('resume from a checkpoint repeats the uninterrupted run bit for bit (dropout, accumulation, schedule)', async (t) => {
  const over = { steps: 8, batch_size: 2, grad_accum: 2, eval_every: 2, checkpoint_every: 3, keep_best: 0, lora: { r: 4, alpha: 8, dropout: 0.1, target_modules: ['c_attn', 'c_fc'] }, schedule: { type: 'linear', warmup_steps: 2 } };
  const a = setup(t, over, 'a');
  const full = await train({ config: a.config });
  assert.equal(full.status, 'finished');

  const b = setup(t, over, 'b');
  const stopped = await train({ config: b.config, onStep: (rec, c) => rec.step === 5 && c.requestStop('test stop') });
  assert.equal(stopped.status, 'stopped');
  assert.equal(stopped.step, 5);
  assert.match(stopped.lastCheckpoint!, /step-000005$/);
  assert.deepEqual(stopped.history, full.history.slice(0, 5));

  const resumed = await train({ config: b.config, resume: 'latest' });
  assert.equal(resumed.status, 'finished');
  assert.deepEqual(resumed.history.map((h) => h.step), [6, 7, 8]);
  // identical losses, learning rates and gradient norms (deepStrictEqual compares numbers exactly)
  assert.deepEqual(resumed.history, full.history.slice(5));
  assert.deepEqual(resumed.evals, full.evals.filter((e) => e.step > 5));
  const bytes = (dir: string) => fs.readFileSync(path.join(dir, 'adapter_model.safetensors'));
  assert.ok(bytes(resumed.adapterDir!).equals(bytes(full.adapterDir!)), 'final adapters are byte-identical');
  // the resumed run starts from the checkpoint's step, not from zero
  assert.notDeepEqual(resumed.history[0].loss, full.history[0].loss);
});

test('gradient accumulation of 2 × 2 equals a batch of 4', async (t) => {
  const one = setup(t, { steps: 1, batch_size: 4, grad_accum: 1, eval_fraction: 0, checkpoint_every: 0 }, 'one');
  const two = setup(t, { steps: 1, batch_size: 2, grad_accum: 2, eval_fraction: 0, checkpoint_every: 0 }, 'two');
  const r1 = await train({ config: one.config });
  const r2 = await train({ config: two.config });
  assert.ok(Math.abs(r1.history[0].loss - r2.history[0].loss) < 1e-5, `${r1.history[0].loss} vs ${r2.history[0].loss}`);
  assert.ok(Math.abs(r1.history[0].gradNorm - r2.history[0].gradNorm) / r1.history[0].gradNorm < 1e-4);
});

test('checkpoints: the best k by eval loss and the latest are kept; each holds adapter, optimizer and step state', async (t) => {
  const { config } = setup(t, { steps: 8, eval_every: 2, checkpoint_every: 2, keep_best: 1, optimizer: { lr: 0.03 } });
  const messages: ProtocolMessage[] = [];
  const r = await train({ config }, messages);
  const written = messages.filter((m) => m.checkpoint).map((m) => m.checkpoint!);
  assert.deepEqual(written.map((c) => c.step), [2, 4, 6, 8]);
  const best = written.reduce((x, y) => (y.metrics!['eval/loss'] < x.metrics!['eval/loss'] ? y : x));
  const left = listCheckpoints(config.output).map((c) => c.step);
  assert.deepEqual(left, [...new Set([best.step!, 8])].sort((x, y) => x - y));
  assert.equal(r.bestCheckpoint, best.path);
  for (const c of listCheckpoints(config.output)) {
    assert.deepEqual(fs.readdirSync(c.path).sort(), ['adapter_config.json', 'adapter_model.safetensors', 'optimizer.safetensors', 'trainer_state.json']);
  }
  const state = JSON.parse(fs.readFileSync(path.join(config.output, 'trainer_state.json'), 'utf8'));
  assert.equal(state.status, 'finished');
  assert.equal(state.best_checkpoint, best.path);
});

test('control requests act between steps: sample and save now, stop leaves a checkpoint', async (t) => {
  const { config } = setup(t, { steps: 50, eval_every: 0, checkpoint_every: 0 });
  const messages: ProtocolMessage[] = [];
  const control = new TrainingControl();
  const r = await train(
    {
      config,
      control,
      onStep: (rec, c) => {
        if (rec.step === 2) {
          c.requestSample();
          c.requestSave();
        }
        if (rec.step === 4) c.requestStop('user asked');
      },
    },
    messages,
  );
  assert.equal(r.status, 'stopped');
  assert.equal(r.stopReason, 'user asked');
  assert.equal(r.step, 4);
  assert.deepEqual(r.samples.map((s) => s.step), [2]);
  assert.deepEqual(messages.filter((m) => m.checkpoint).map((m) => m.checkpoint!.step), [2, 4]);
  assert.equal(r.adapterDir, null, 'a stopped run does not publish a final adapter');
  const state = JSON.parse(fs.readFileSync(path.join(config.output, 'trainer_state.json'), 'utf8'));
  assert.equal(state.status, 'stopped');
});

test('a diverging run (huge learning rate) reports NaN/Infinity losses on protocol lines', async (t) => {
  const { config } = setup(t, { steps: 6, optimizer: { lr: 1e4, weight_decay: 0.1 }, schedule: { type: 'constant' }, eval_every: 0, checkpoint_every: 0 });
  const messages: ProtocolMessage[] = [];
  const r = await train({ config }, messages);
  assert.equal(r.status, 'finished');
  const bad = r.history.filter((h) => !Number.isFinite(h.loss));
  assert.ok(bad.length > 0, `losses: ${r.history.map((h) => h.loss).join(', ')}`);
  const lines = messages.filter((m) => m.metrics?.['train/loss'] !== undefined).map(formatProtocolLine);
  const line = lines.find((l) => /"train\/loss":(NaN|-?Infinity)/.test(l));
  assert.ok(line, 'a protocol line carries the non-finite loss');
  const parsed = parseProtocolLine(line!);
  assert.ok(parsed.ok && !Number.isFinite(parsed.message.metrics!['train/loss'] as number));
});

test('training from a dataset folder uses the trigger word as the default sample prompt', async (t) => {
  const dir = tmpDir(t);
  writeTinyGpt2(path.join(dir, 'model'));
  writeTinyDataset(path.join(dir, 'ds'), [
    { stem: 'one', prompt: 'lofi, piano', lyrics: 'soft rain on the window pane\n'.repeat(4) },
    { stem: 'two', prompt: 'rock, guitar', lyrics: 'turn it up and let it ring\n'.repeat(4) },
  ]);
  const config = resolveTrainConfig(tinyTrainConfig('model', 'ds', 'out', { steps: 2, sample_every: 2, checkpoint_every: 0 }) as unknown as TrainConfigFile, dir, null);
  const messages: ProtocolMessage[] = [];
  const r = await train({ config }, messages);
  assert.equal(r.samples[0].prompt, '[tags] zqx');
  const cfg = messages.find((m) => m.config)!.config!;
  assert.equal(cfg.dataset_kind, 'dataset');
  assert.equal(cfg.trigger_word, 'zqx');
});

test('no tensors leak from step to step', async (t) => {
  const { config } = setup(t, { steps: 6, grad_accum: 2, eval_every: 2, checkpoint_every: 0 });
  const counts: number[] = [];
  const before = tf.memory().numTensors;
  await train({ config, onStep: () => counts.push(tf.memory().numTensors) });
  assert.ok(counts.slice(1).every((c) => c === counts[1]), `tensor counts per step: ${counts.join(', ')}`);
  assert.equal(tf.memory().numTensors, before, 'everything is disposed at the end');
});

test('errors name the cause: block_size beyond the model, missing resume checkpoint', async (t) => {
  const big = setup(t, { block_size: 100 }, 'big');
  await assert.rejects(train({ config: big.config }), /block_size 100 exceeds the model's 64 positions/);
  const none = setup(t, {}, 'none');
  await assert.rejects(train({ config: none.config, resume: 'latest' }), /No checkpoint to resume from/);
});
