// LoRA layer maths: PEFT's init and scaling, the hand-written gradients of the
// frozen linear and the LoRA branch against tfjs autograd of the plain
// formulas, and the whole model's gradient against finite differences.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectTrainingBackend } from '../../../src/runtime/training/backend';
import { Gpt2Model, normaliseTargetModules } from '../../../src/runtime/training/gpt2';
import { frozenLinear, kaimingUniformA, loraDelta, loraScaling } from '../../../src/runtime/training/lora';
import { Rng } from '../../../src/runtime/training/rng';
import { writeTinyGpt2 } from '../../helpers/tinyGpt2';
import { tmpDir } from '../../helpers/tmp';

before(async () => {
  await selectTrainingBackend({ prefer: 'wasm', wasmThreads: 1 });
});

const rand = (shape: number[], seed: number) => {
  const rng = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)), shape);
};

function close(a: tf.Tensor, b: tf.Tensor, tol = 1e-4): void {
  assert.deepEqual(a.shape, b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
  assert.ok(m < tol, `max relative difference ${m}`);
}

test("PEFT's init bound and scaling", () => {
  const a = kaimingUniformA(4, 100, new Rng(1));
  assert.ok(a.every((v) => Math.abs(v) <= 0.1) && a.some((v) => Math.abs(v) > 0.09));
  assert.equal(loraScaling({ r: 8, alpha: 16, rslora: false }), 2);
  assert.equal(loraScaling({ r: 16, alpha: 16, rslora: true }), 4);
});

test('the frozen linear passes the same input gradient as autograd, and none to W', () => {
  const x = rand([6, 5], 1) as tf.Tensor2D;
  const w = rand([5, 7], 2) as tf.Tensor2D;
  const b = rand([7], 3) as tf.Tensor1D;
  const dy = rand([6, 7], 4);
  const ours = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(frozenLinear(xx as tf.Tensor2D, w, b), dy)))(x);
  const ref = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(xx as tf.Tensor2D, w), b), dy)))(x);
  close(ours, ref);
  close(frozenLinear(x, w, b), tf.add(tf.matMul(x, w), b));
});

test('the LoRA branch has the same value and gradients (x, A, B) as autograd of s·x·Aᵀ·Bᵀ', () => {
  const x = rand([9, 6], 5) as tf.Tensor2D;
  const a = rand([3, 6], 6) as tf.Tensor2D;
  const b = rand([4, 3], 7) as tf.Tensor2D;
  const dy = rand([9, 4], 8);
  const s = 2.5;
  const f = (fn: (x: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor) => (xx: tf.Tensor, aa: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(fn(xx as tf.Tensor2D, aa as tf.Tensor2D, bb as tf.Tensor2D), dy));
  const ours = tf.grads(f((xx, aa, bb) => loraDelta(xx, aa, bb, s)))([x, a, b]);
  const ref = tf.grads(f((xx, aa, bb) => tf.mul(tf.matMul(tf.matMul(xx, aa, false, true), bb, false, true), s)))([x, a, b]);
  ours.forEach((g, i) => close(g, ref[i]));
  close(loraDelta(x, a, b, s), tf.mul(tf.matMul(tf.matMul(x, a, false, true), b, false, true), s));
});

test("the model's adapter gradient matches finite differences of the loss", (t) => {
  const fx = writeTinyGpt2(path.join(tmpDir(t), 'm'), { nLayer: 2, nEmbd: 16, nHead: 2, nPositions: 16 });
  const model = Gpt2Model.fromFolder(fx.dir);
  t.after(() => model.dispose());
  model.addLora({ settings: { r: 2, alpha: 4, dropout: 0, rslora: false }, targets: normaliseTargetModules(['c_attn', 'c_proj', 'c_fc', 'mlp.c_proj']) }, 4);
  const rng = new Rng(5);
  for (const m of model.loraModules()) m.setLoraWeights(m.loraA!.dataSync() as Float32Array, new Float32Array(m.loraB!.size).map(() => rng.uniform(-0.3, 0.3)));
  const ids = tf.tensor2d([[5, 66, 7, 200, 8, 9, 10, 11], [1, 2, 3, 4, 5, 6, 7, 8]], [2, 8], 'int32');
  const vars = model.trainableVariables();
  const { grads } = tf.variableGrads(() => model.loss(ids), vars);
  const loss = () => tf.tidy(() => model.loss(ids).dataSync()[0]);
  // check a few entries of A and B in the first and last modules against central differences
  const eps = 1e-2;
  for (const [vi, idx] of [
    [0, 3],
    [1, 5],
    [vars.length - 2, 1],
    [vars.length - 1, 7],
  ] as const) {
    const v = vars[vi];
    const base = v.dataSync().slice() as Float32Array;
    const bump = (d: number) => {
      const c = base.slice();
      c[idx] += d;
      v.assign(tf.tensor(c, v.shape));
      return loss();
    };
    const fd = (bump(eps) - bump(-eps)) / (2 * eps);
    v.assign(tf.tensor(base, v.shape));
    const g = grads[v.name].dataSync()[idx];
    assert.ok(Math.abs(fd - g) <= 0.02 * Math.max(Math.abs(g), 1e-2), `variable ${vi}[${idx}]: autograd ${g} vs finite difference ${fd}`);
  }
});

test('the kept Wᵀ for the backward pass gives exactly the gradients of the fresh transpose', (t) => {
  const fx = writeTinyGpt2(path.join(tmpDir(t), 'm'));
  const model = Gpt2Model.fromFolder(fx.dir);
  t.after(() => model.dispose());
  model.addLora({ settings: { r: 2, alpha: 4, dropout: 0, rslora: false }, targets: normaliseTargetModules(['c_attn', 'mlp.c_proj']) }, 4);
  const rng = new Rng(6);
  for (const m of model.loraModules()) m.setLoraWeights(m.loraA!.dataSync() as Float32Array, new Float32Array(m.loraB!.size).map(() => rng.uniform(-0.3, 0.3)));
  const ids = tf.tensor2d([[5, 66, 7, 200, 8, 9, 10, 11]], [1, 8], 'int32');
  const vars = model.trainableVariables();
  const grads = () => tf.tidy(() => Object.values(tf.variableGrads(() => model.loss(ids), vars).grads).map((g) => Array.from(g.dataSync())));
  const fresh = grads();
  model.setBackwardWeightCache(true);
  assert.deepEqual(grads(), fresh);
  const n = tf.memory().numTensors;
  grads();
  assert.equal(tf.memory().numTensors, n, 'the cache is made once, not per step');
  model.setBackwardWeightCache(false);
  assert.ok(tf.memory().numTensors < n, 'turning it off frees the copies');
});
