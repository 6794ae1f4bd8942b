// The walkthrough trains for real, offline: the demo model id makes a tiny
// GPT-2 from code (no network: a fetch that throws proves it), the same
// bytes on every machine; demo/tiny-lora.tunetrain.json checks clean and
// trains to a PEFT adapter; a dataset too small for the config is said
// before training (fewer blocks than a batch, no eval blocks).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import type { ProtocolMessage } from '../../../src/protocol/lines';
import { selectTrainingBackend, type BackendSelection } from '../../../src/runtime/training/backend';
import { checkTrainConfig, resolveTrainConfig, type TrainConfigFile } from '../../../src/runtime/training/config';
import { DEMO_MODEL_ID, resolveModel } from '../../../src/runtime/training/hub';
import { dataWarnings, runTraining } from '../../../src/runtime/training/train';
import { ROOT } from '../../helpers/runtime';
import { tmpDir } from '../../helpers/tmp';

let backend: BackendSelection;
before(async () => {
  backend = await selectTrainingBackend({ prefer: 'wasm', wasmThreads: 1 });
});

const noNetwork = (() => {
  throw new Error('the demo model must not touch the network');
}) as unknown as typeof fetch;

function demoCopy(t: { after(fn: () => void): void }): string {
  const dir = tmpDir(t);
  fs.copyFileSync(path.join(ROOT, 'demo', 'lyrics.txt'), path.join(dir, 'lyrics.txt'));
  fs.copyFileSync(path.join(ROOT, 'demo', 'tiny-lora.tunetrain.json'), path.join(dir, 'tiny-lora.tunetrain.json'));
  return dir;
}

test('the demo model id is generated offline, deterministically, a few hundred KB at most', async (t) => {
  const a = tmpDir(t);
  const b = tmpDir(t);
  const ma = await resolveModel(DEMO_MODEL_ID, a, { cacheDir: path.join(a, 'cache'), offline: true, fetchImpl: noNetwork });
  const mb = await resolveModel(DEMO_MODEL_ID, b, { cacheDir: path.join(b, 'cache'), offline: false, fetchImpl: noNetwork });
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) {
    assert.ok(fs.existsSync(path.join(ma.folder, f)), f);
    assert.deepEqual(fs.readFileSync(path.join(ma.folder, f)), fs.readFileSync(path.join(mb.folder, f)), `${f} is the same on every machine`);
  }
  const bytes = fs.readdirSync(ma.folder).reduce((s, f) => s + fs.statSync(path.join(ma.folder, f)).size, 0);
  assert.ok(bytes < 1_000_000, `${bytes} bytes`);
  // A second resolve reuses the folder.
  const again = await resolveModel(DEMO_MODEL_ID, a, { cacheDir: path.join(a, 'cache'), offline: true, fetchImpl: noNetwork });
  assert.equal(again.folder, ma.folder);
});

test('demo/tiny-lora.tunetrain.json checks clean and trains the demo model into a PEFT adapter, offline', async (t) => {
  const dir = demoCopy(t);
  const file = path.join(dir, 'tiny-lora.tunetrain.json');
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as TrainConfigFile;
  const hub = { cacheDir: path.join(dir, 'cache'), offline: true, fetchImpl: noNetwork };
  const problems = checkTrainConfig(raw, dir, { hub });
  assert.deepEqual(problems.filter((p) => p.severity === 'error' || p.severity === 'warning'), [], JSON.stringify(problems));
  const messages: ProtocolMessage[] = [];
  const r = await runTraining({ config: resolveTrainConfig(raw, dir, file), backend, hub, emit: (m) => messages.push(m) });
  assert.equal(r.status, 'finished');
  assert.equal(r.history.length, raw.steps);
  assert.ok(r.history.slice(-5).reduce((s, h) => s + h.loss, 0) / 5 < r.history[0].loss * 0.8, 'the loss falls');
  assert.ok(r.evals.length > 0, 'eval loss is logged');
  assert.ok(!messages.some((m) => m.alert), `no data warnings for the demo: ${JSON.stringify(messages.filter((m) => m.alert))}`);
  assert.ok(r.adapterDir && r.adapterDir.startsWith(path.join(dir, 'lora-out', 'tiny-lora')), `adapter under the config's output: ${r.adapterDir}`);
  assert.deepEqual(fs.readdirSync(r.adapterDir).sort(), ['adapter_config.json', 'adapter_model.safetensors'], 'a PEFT adapter');
});

test('a dataset too small for the config is said before training', () => {
  const cfg = { batch_size: 8, block_size: 128, eval_fraction: 0.1, eval_every: 50 };
  const w = dataWarnings(3, 0, cfg);
  assert.deepEqual(w.map((x) => x.title), ['Fewer training blocks than a batch', 'No eval blocks']);
  assert.match(w[0].text, /3 training blocks of 128 tokens, fewer than batch_size 8/);
  assert.deepEqual(dataWarnings(8, 1, cfg), []);
  assert.deepEqual(dataWarnings(20, 0, { ...cfg, eval_every: 0 }), [], 'no eval asked, nothing to warn about');
});
