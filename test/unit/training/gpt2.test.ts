// The tfjs GPT-2 against an independent float64 reference on a tiny model the
// test writes: logits, loss, LoRA deltas in PEFT's orientation, B = 0 giving
// the base model, merged equal to unmerged, the tokenizer through
// transformers.js, and clear errors for wrong model folders.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectTrainingBackend } from '../../../src/runtime/training/backend';
import { Gpt2Model, normaliseTargetModules, peftTargetNames } from '../../../src/runtime/training/gpt2';
import { loraScaling } from '../../../src/runtime/training/lora';
import { Rng } from '../../../src/runtime/training/rng';
import { readSafetensors } from '../../../src/runtime/training/safetensors';
import { loadTokenizer } from '../../../src/runtime/training/tokenizer';
import { referenceLogits, referenceLoss, type RefLora } from '../../helpers/gpt2Reference';
import { EOS_ID, writeTinyGpt2 } from '../../helpers/tinyGpt2';
import { tmpDir } from '../../helpers/tmp';

before(async () => {
  await selectTrainingBackend({ prefer: 'wasm', wasmThreads: 1 }); // one thread is fastest for tiny models; threads are tested in backend.test and job.test
});

const SEQS = [
  [72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33],
  [256, 3, 200, 17, 17, 17, 99, 0, 255, 128, 64, 32],
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function logitsOf(model: Gpt2Model, seqs = SEQS): Float32Array {
  return tf.tidy(() => model.logits(tf.tensor2d(seqs, [seqs.length, seqs[0].length], 'int32')).dataSync() as Float32Array);
}

const CFG = { n_embd: 32, n_head: 4, n_layer: 2, vocab_size: 257, layer_norm_epsilon: 1e-5 };

test('forward pass matches an independent float64 GPT-2 implementation', (t) => {
  const fx = writeTinyGpt2(path.join(tmpDir(t), 'm'));
  const model = Gpt2Model.fromFolder(fx.dir);
  t.after(() => model.dispose());
  const ours = logitsOf(model);
  const V = CFG.vocab_size;
  const T = SEQS[0].length;
  SEQS.forEach((seq, b) => {
    const ref = referenceLogits(CFG, fx.weights, seq);
    const flat = new Float64Array(T * V);
    ref.forEach((row, t) => flat.set(row, t * V));
    const d = maxAbsDiff(ours.subarray(b * T * V, (b + 1) * T * V), flat);
    assert.ok(d < 2e-4, `sequence ${b}: max |Δlogit| = ${d}`);
  });
  // the logits are not trivially small: the comparison has teeth
  assert.ok(Math.max(...Array.from(ours).map(Math.abs)) > 1);
});

test('loss is the mean next-token cross-entropy of the reference logits', (t) => {
  const fx = writeTinyGpt2(path.join(tmpDir(t), 'm'));
  const model = Gpt2Model.fromFolder(fx.dir);
  t.after(() => model.dispose());
  const loss = tf.tidy(() => model.loss(tf.tensor2d(SEQS, [2, SEQS[0].length], 'int32')).dataSync()[0]);
  const ref = (referenceLoss(referenceLogits(CFG, fx.weights, SEQS[0]), SEQS[0]) + referenceLoss(referenceLogits(CFG, fx.weights, SEQS[1]), SEQS[1])) / 2;
  assert.ok(Math.abs(loss - ref) < 1e-4, `loss ${loss} vs reference ${ref}`);
});

test('weights saved with the "transformer." prefix and as F16 load to the same architecture', (t) => {
  const dir = tmpDir(t);
  const plain = writeTinyGpt2(path.join(dir, 'plain'));
  const prefixed = writeTinyGpt2(path.join(dir, 'prefixed'), { prefix: 'transformer.' });
  const half = writeTinyGpt2(path.join(dir, 'half'), { dtype: 'F16' });
  const a = Gpt2Model.fromFolder(plain.dir);
  const b = Gpt2Model.fromFolder(prefixed.dir);
  const c = Gpt2Model.fromFolder(half.dir);
  t.after(() => [a, b, c].forEach((m) => m.dispose()));
  assert.deepEqual(logitsOf(a), logitsOf(b));
  // F16 weights decode to float32 exactly as stored: compare with the reference on the decoded values
  const decoded = readSafetensors(path.join(half.dir, 'model.safetensors')).tensors;
  const ref = referenceLogits(CFG, { get: (n) => decoded.get(n) as { shape: number[]; data: Float32Array } }, SEQS[0]);
  const ours = logitsOf(c, [SEQS[0]]);
  const flat = new Float64Array(ref.length * CFG.vocab_size);
  ref.forEach((row, i) => flat.set(row, i * CFG.vocab_size));
  assert.ok(maxAbsDiff(ours, flat) < 2e-4);
});

test('a fresh adapter (B = 0) gives exactly the base model outputs', (t) => {
  const fx = writeTinyGpt2(path.join(tmpDir(t), 'm'));
  const model = Gpt2Model.fromFolder(fx.dir);
  t.after(() => model.dispose());
  const base = logitsOf(model);
  model.addLora({ settings: { r: 4, alpha: 8, dropout: 0.5, rslora: false }, targets: normaliseTargetModules(['c_attn', 'c_proj', 'c_fc', 'mlp.c_proj']) }, 3);
  // A is random, B is zero (PEFT's init)
  for (const m of model.loraModules()) {
    assert.ok(Math.max(...Array.from(m.loraA!.dataSync()).map(Math.abs)) > 0);
    assert.ok(Array.from(m.loraB!.dataSync()).every((v) => v === 0));
  }
  assert.deepEqual(logitsOf(model), base);
  assert.equal(model.trainableVariables().length, 2 * 4 * 2);
});

function randomiseB(model: Gpt2Model, seed: number, scale = 0.3): void {
  const rng = new Rng(seed);
  for (const m of model.loraModules()) {
    const b = new Float32Array(m.loraB!.size).map(() => rng.uniform(-scale, scale));
    m.setLoraWeights(m.loraA!.dataSync() as Float32Array, b);
  }
}

for (const rslora of [false, true]) {
  test(`LoRA forward matches the reference's B·A update with PEFT's shapes (rslora ${rslora})`, (t) => {
    const fx = writeTinyGpt2(path.join(tmpDir(t), 'm'));
    const model = Gpt2Model.fromFolder(fx.dir);
    t.after(() => model.dispose());
    const settings = { r: 4, alpha: 12, dropout: 0, rslora };
    model.addLora({ settings, targets: normaliseTargetModules(['c_attn', 'c_proj', 'c_fc', 'mlp.c_proj']) }, 5);
    randomiseB(model, 9);
    const lora = new Map<string, { a: Float32Array; b: Float32Array; r: number; scaling: number }>();
    for (const m of model.loraModules()) {
      assert.deepEqual(m.loraA!.shape, [4, m.inFeatures]);
      assert.deepEqual(m.loraB!.shape, [m.outFeatures, 4]);
      lora.set(m.path, { a: m.loraA!.dataSync() as Float32Array, b: m.loraB!.dataSync() as Float32Array, r: 4, scaling: loraScaling(settings) });
    }
    assert.equal(loraScaling(settings), rslora ? 12 / 2 : 3);
    const ours = logitsOf(model, [SEQS[0]]);
    const ref = referenceLogits(CFG, fx.weights, SEQS[0], lora as RefLora);
    const base = referenceLogits(CFG, fx.weights, SEQS[0]);
    const flat = new Float64Array(ref.length * CFG.vocab_size);
    const flatBase = new Float64Array(ref.length * CFG.vocab_size);
    ref.forEach((row, i) => flat.set(row, i * CFG.vocab_size));
    base.forEach((row, i) => flatBase.set(row, i * CFG.vocab_size));
    assert.ok(maxAbsDiff(ours, flat) < 2e-4, `max |Δ| ${maxAbsDiff(ours, flat)}`);
    assert.ok(maxAbsDiff(ours, flatBase) > 0.1, 'the adapter changes the outputs');
  });
}

test('merged LoRA equals the adapter forward; unmerge restores the base weights', (t) => {
  const fx = writeTinyGpt2(path.join(tmpDir(t), 'm'));
  const model = Gpt2Model.fromFolder(fx.dir);
  t.after(() => model.dispose());
  model.addLora({ settings: { r: 4, alpha: 8, dropout: 0, rslora: false }, targets: normaliseTargetModules(['c_attn', 'c_proj', 'c_fc', 'mlp.c_proj']) }, 11);
  randomiseB(model, 12);
  const baseW = model.loraModules().map((m) => m.weight.dataSync().slice());
  const adapter = logitsOf(model);
  model.merge();
  assert.ok(model.loraModules().every((m) => m.merged));
  // merged ΔW is scaling·(B·A)ᵀ in GPT-2's [in, out] layout
  const m0 = model.loraModules()[0];
  const A = m0.loraA!.arraySync() as number[][];
  const B = m0.loraB!.arraySync() as number[][];
  const merged = m0.weight.arraySync() as number[][];
  const i = 3;
  const j = 17;
  let delta = 0;
  for (let k = 0; k < 4; k++) delta += B[j][k] * A[k][i];
  assert.ok(Math.abs(merged[i][j] - (baseW[0][i * m0.outFeatures + j] + 2 * delta)) < 1e-5);
  const mergedLogits = logitsOf(model);
  assert.ok(maxAbsDiff(mergedLogits, adapter) < 1e-4, `merged vs adapter ${maxAbsDiff(mergedLogits, adapter)}`);
  model.unmerge();
  model.loraModules().forEach((m, k) => assert.ok(maxAbsDiff(m.weight.dataSync(), baseW[k]) < 1e-6));
  assert.ok(maxAbsDiff(logitsOf(model), adapter) < 1e-4);
});

test('LoRA dropout is active only in training and is repeatable for a seed', (t) => {
  const fx = writeTinyGpt2(path.join(tmpDir(t), 'm'));
  const model = Gpt2Model.fromFolder(fx.dir);
  t.after(() => model.dispose());
  model.addLora({ settings: { r: 4, alpha: 8, dropout: 0.5, rslora: false }, targets: normaliseTargetModules(['c_attn']) }, 1);
  randomiseB(model, 2);
  const ids = () => tf.tensor2d([SEQS[0]], [1, SEQS[0].length], 'int32');
  const run = (training: boolean, seed: number) => tf.tidy(() => model.logits(ids(), { training, dropoutSeed: seed }).dataSync() as Float32Array);
  assert.deepEqual(run(false, 1), run(false, 2));
  assert.deepEqual(run(true, 5), run(true, 5));
  assert.ok(maxAbsDiff(run(true, 5), run(true, 6)) > 1e-3);
  assert.ok(maxAbsDiff(run(true, 5), run(false, 5)) > 1e-3);
});

test('greedy generation follows the reference argmax', (t) => {
  const fx = writeTinyGpt2(path.join(tmpDir(t), 'm'));
  const model = Gpt2Model.fromFolder(fx.dir);
  t.after(() => model.dispose());
  const prompt = [104, 105];
  const out = model.generate(prompt, { maxNewTokens: 4, topK: 1 });
  assert.equal(out.length, 4);
  const seq = [...prompt];
  for (let n = 0; n < 4; n++) {
    const last = referenceLogits(CFG, fx.weights, seq).at(-1)!;
    let best = 0;
    for (let v = 1; v < last.length; v++) if (last[v] > last[best]) best = v;
    seq.push(best);
  }
  assert.deepEqual(out, seq.slice(2));
  // top-k sampling is repeatable for the same generator seed
  const s1 = model.generate(prompt, { maxNewTokens: 5, topK: 20, rng: new Rng(4) });
  const s2 = model.generate(prompt, { maxNewTokens: 5, topK: 20, rng: new Rng(4) });
  assert.deepEqual(s1, s2);
});

test('tokenizer.json loads through @huggingface/transformers', async (t) => {
  const fx = writeTinyGpt2(path.join(tmpDir(t), 'm'));
  const tok = await loadTokenizer(fx.dir);
  const ids = tok.encode('Hello wörld!');
  assert.deepEqual(ids, [...Buffer.from('Hello wörld!', 'utf8')]);
  assert.equal(tok.decode(ids), 'Hello wörld!');
  assert.equal(tok.eosId, EOS_ID);
  assert.equal(tok.vocabSize, 257);
  // without tokenizer_config.json the generic tokenizer is built, EOS from config.json
  fs.rmSync(path.join(fx.dir, 'tokenizer_config.json'));
  const tok2 = await loadTokenizer(fx.dir, EOS_ID);
  assert.deepEqual(tok2.encode('abc'), [97, 98, 99]);
  assert.equal(tok2.eosId, EOS_ID);
});

test('wrong model folders are refused with the cause named', (t) => {
  const dir = tmpDir(t);
  const fx = writeTinyGpt2(path.join(dir, 'm'));
  const cfg = JSON.parse(fs.readFileSync(path.join(fx.dir, 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(fx.dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'llama', architectures: ['LlamaForCausalLM'] }));
  assert.throws(() => Gpt2Model.fromFolder(fx.dir), /model_type is "llama"; the built-in trainer supports GPT-2-architecture models/);
  fs.writeFileSync(path.join(fx.dir, 'config.json'), JSON.stringify({ ...cfg, n_embd: 48, n_head: 4 }));
  assert.throws(() => Gpt2Model.fromFolder(fx.dir), /tensor 'wte.weight' has shape \[257,32\], expected \[257,48\]/);
  fs.writeFileSync(path.join(fx.dir, 'config.json'), JSON.stringify({ ...cfg, n_layer: 3 }));
  assert.throws(() => Gpt2Model.fromFolder(fx.dir), /tensor 'h.2.ln_1.weight' is missing/);
  const noWeights = writeTinyGpt2(path.join(dir, 'n'), { omit: ['model.safetensors'] });
  assert.throws(() => Gpt2Model.fromFolder(noWeights.dir), /has no model.safetensors/);
  assert.throws(() => normaliseTargetModules(['q_proj']), /Unknown LoRA target module 'q_proj'/);
});

test('target module names: c_proj is the attention projection, written unambiguously for PEFT', () => {
  assert.deepEqual(normaliseTargetModules(['mlp.c_proj', 'c_proj', 'c_attn']), ['attn.c_attn', 'attn.c_proj', 'mlp.c_proj']);
  assert.deepEqual(peftTargetNames(normaliseTargetModules(['c_attn', 'c_proj', 'c_fc', 'mlp.c_proj'])), ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj']);
});
