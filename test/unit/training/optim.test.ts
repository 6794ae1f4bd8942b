// AdamW against a plain-JavaScript implementation of PyTorch's update,
// global-norm clipping, and the warm-up + decay schedules.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectTrainingBackend } from '../../../src/runtime/training/backend';
import { AdamW, clipByGlobalNorm, globalNorm, learningRate } from '../../../src/runtime/training/optim';

before(async () => {
  await selectTrainingBackend({ prefer: 'wasm', wasmThreads: 1 }); // one thread is fastest for tiny models; threads are tested in backend.test and job.test
});

test("AdamW follows PyTorch's update (decoupled decay, bias correction)", () => {
  const p0 = [0.5, -1, 2, 0.25];
  const grads = [
    [0.1, -0.2, 0.3, 0],
    [-0.4, 0.1, 0.2, 1],
    [0.05, 0.05, -0.5, -1],
  ];
  const lrs = [0.1, 0.05, 0.02];
  const o = { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 };
  const v = tf.variable(tf.tensor1d(p0));
  const opt = new AdamW([v], o);
  grads.forEach((g, i) => tf.tidy(() => opt.step([tf.tensor1d(g)], lrs[i])));
  // reference in float64
  const p = [...p0];
  const m = [0, 0, 0, 0];
  const s = [0, 0, 0, 0];
  grads.forEach((g, k) => {
    const t = k + 1;
    const lr = lrs[k];
    for (let i = 0; i < 4; i++) {
      p[i] *= 1 - lr * o.weightDecay;
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g[i];
      s[i] = o.beta2 * s[i] + (1 - o.beta2) * g[i] * g[i];
      const denom = Math.sqrt(s[i]) / Math.sqrt(1 - o.beta2 ** t) + o.eps;
      p[i] -= (lr / (1 - o.beta1 ** t)) * (m[i] / denom);
    }
  });
  const got = Array.from(v.dataSync());
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(got[i] - p[i]) < 1e-6, `param ${i}: ${got[i]} vs ${p[i]}`);
  // state round trip
  const st = opt.state();
  assert.equal(st.t, 3);
  const opt2 = new AdamW([v], o);
  opt2.load(st);
  assert.deepEqual(opt2.state(), st);
  opt.dispose();
  opt2.dispose();
  v.dispose();
});

test('gradient clipping scales by min(1, max_norm / (norm + 1e-6)) over all gradients', () => {
  const g = [tf.tensor1d([3, 0]), tf.tensor1d([0, 4])];
  const norm = globalNorm(g).dataSync()[0];
  assert.ok(Math.abs(norm - 5) < 1e-6);
  const c = clipByGlobalNorm(g, norm, 1);
  assert.ok(Math.abs(c[0].dataSync()[0] - 3 / (5 + 1e-6)) < 1e-6);
  assert.ok(Math.abs(c[1].dataSync()[1] - 4 / (5 + 1e-6)) < 1e-6);
  const unclipped = clipByGlobalNorm(g, norm, 10);
  assert.deepEqual(Array.from(unclipped[1].dataSync()), [0, 4]);
  const off = clipByGlobalNorm(g, norm, 0);
  assert.deepEqual(Array.from(off[0].dataSync()), [3, 0]);
  [...g, ...c, ...unclipped, ...off].forEach((x) => x.dispose());
});

test("schedules match Hugging Face's: linear warm-up from 0, then cosine / linear / constant", () => {
  const base = { lr: 1, warmupSteps: 4, totalSteps: 14, minLrRatio: 0 };
  const cos = (s: number) => learningRate(s, { ...base, type: 'cosine' });
  assert.equal(cos(1), 0);
  assert.equal(cos(3), 0.5);
  assert.equal(cos(5), 1);
  assert.ok(Math.abs(cos(10) - 0.5) < 1e-12);
  assert.ok(cos(14) > 0 && cos(14) < 0.03);
  const lin = (s: number) => learningRate(s, { ...base, type: 'linear' });
  assert.equal(lin(5), 1);
  assert.ok(Math.abs(lin(10) - 0.5) < 1e-12);
  assert.ok(Math.abs(lin(15)) < 1e-12);
  assert.equal(learningRate(9, { ...base, type: 'constant' }), 1);
  assert.ok(Math.abs(learningRate(15, { ...base, type: 'cosine', minLrRatio: 0.1 }) - 0.1) < 1e-12);
  assert.equal(learningRate(1, { ...base, warmupSteps: 0, type: 'cosine' }), 1);
});
