// The layout engine's parts on their own: PCA finds planted directions, the
// exact kNN matches brute force, NN-descent's recall is measured and high,
// the quality measures score a perfect and a random layout as they should,
// and PaCMAP's pairs and UMAP's start are seeded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { knn, sampledRecall } from '../../../src/runtime/projection/knn';
import { computeLayout } from '../../../src/runtime/projection/layout';
import { jacobiEigen, pca } from '../../../src/runtime/projection/pca';
import { displacement, layoutQuality } from '../../../src/runtime/projection/quality';
import { Rng } from '../../../src/runtime/projection/rng';
import { gaussianClusters } from './helpers';

describe('PCA', () => {
  it('Jacobi eigen-decomposition reconstructs a symmetric matrix', () => {
    const r = new Rng(1);
    const n = 7;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = r.gauss();
    const { values, vectors } = jacobiEigen(a, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let e = 0; e < n; e++) s += vectors[i * n + e] * values[e] * vectors[j * n + e];
        assert.ok(Math.abs(s - a[i * n + j]) < 1e-9, `A[${i},${j}] ${a[i * n + j]} vs ${s}`);
      }
    }
  });

  it('finds the planted high-variance directions and keeps their variance in order', () => {
    const r = new Rng(2);
    const n = 3000;
    const d = 120;
    const x = new Float32Array(n * d);
    // Variance 100, 25, 4 along dimensions 7, 50, 90; 1 elsewhere.
    const scale = new Float64Array(d).fill(1);
    scale[7] = 10;
    scale[50] = 5;
    scale[90] = 2;
    for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) x[i * d + t] = r.gauss() * scale[t] + 3;
    const p = pca(x, n, d, 10, new Rng(3));
    assert.equal(p.dims, 10);
    // The first coordinate is (up to sign) dimension 7, centred.
    let corr = 0;
    let n1 = 0;
    let n2 = 0;
    for (let i = 0; i < n; i++) {
      corr += p.coords[i * 10] * (x[i * d + 7] - 3);
      n1 += p.coords[i * 10] ** 2;
      n2 += (x[i * d + 7] - 3) ** 2;
    }
    assert.ok(Math.abs(corr / Math.sqrt(n1 * n2)) > 0.99, `correlation ${corr / Math.sqrt(n1 * n2)}`);
    assert.ok(p.explained[0] > p.explained[1] && p.explained[1] > p.explained[2] && p.explained[2] > p.explained[3], `explained ${p.explained.slice(0, 4)}`);
  });

  it('keeps every dimension (centred) when there are no more than asked for', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const p = pca(x, 3, 2, 50, new Rng(1));
    assert.equal(p.dims, 2);
    assert.deepEqual(Array.from(p.coords), [-2, -2, 0, 0, 2, 2]);
  });
});

describe('k nearest neighbours', () => {
  it('the blocked exact search matches brute force', () => {
    const { data, n } = gaussianClusters(70, 5, 12, 4); // 350 points: blocks of 256 and a remainder
    const g = knn(data, n, 12, 8, new Rng(1));
    assert.equal(g.method, 'exact');
    assert.equal(sampledRecall(data, n, 12, g.indices, 8, 100, new Rng(5)), 1);
    for (let i = 0; i < n; i++) {
      assert.ok(!Array.from(g.indices.subarray(i * 8, i * 8 + 8)).includes(i), `point ${i} lists itself`);
      for (let p = 1; p < 8; p++) assert.ok(g.dist2[i * 8 + p - 1] <= g.dist2[i * 8 + p]);
    }
  });

  it('NN-descent finds ≥ 90 % of the exact neighbours and says what it measured', () => {
    const { data, n } = gaussianClusters(300, 10, 20, 5);
    const g = knn(data, n, 20, 15, new Rng(2), {}, 'nn-descent');
    assert.equal(g.method, 'nn-descent');
    const exact = sampledRecall(data, n, 20, g.indices, 15, 300, new Rng(9));
    assert.ok(exact >= 0.9, `recall ${exact}`);
    assert.ok(g.recall >= 0.9 && g.recall <= 1, `reported recall ${g.recall}`);
    for (let i = 0; i < n; i++) assert.equal(new Set(g.indices.subarray(i * 15, i * 15 + 15)).size, 15, `point ${i} has duplicate neighbours`);
  });
});

describe('layout quality', () => {
  it('a layout equal to 2-D data scores 1 everywhere; a random one scores low', () => {
    const r = new Rng(3);
    const n = 500;
    const x = Float32Array.from({ length: n * 2 }, () => r.gauss());
    const perfect = layoutQuality(x, 2, x, n, { k: 10 });
    assert.equal(perfect.knnRecall, 1);
    assert.equal(perfect.trustworthiness, 1);
    assert.equal(perfect.tripletAccuracy, 1);
    const random = Float32Array.from({ length: n * 2 }, () => r.gauss());
    const bad = layoutQuality(x, 2, random, n, { k: 10 });
    assert.ok(bad.knnRecall < 0.1, `random recall ${bad.knnRecall}`);
    assert.ok(bad.trustworthiness < 0.6, `random trustworthiness ${bad.trustworthiness}`);
    assert.ok(Math.abs(bad.tripletAccuracy - 0.5) < 0.05, `random triplets ${bad.tripletAccuracy}`);
  });

  it('displacement is relative to the previous layout\'s radius', () => {
    const prev = Float32Array.from([-1, 0, 1, 0, 0, -1, 0, 1]);
    const next = prev.map((v, i) => (i % 2 === 0 ? v + 0.5 : v));
    const m = displacement(prev, next);
    assert.equal(m.points, 4);
    assert.ok(Math.abs(m.mean - 0.5) < 1e-6 && Math.abs(m.max - 0.5) < 1e-6, JSON.stringify(m));
  });
});

describe('layout pipeline', () => {
  it('reports every stage\'s time, the neighbour search and the quality with the layout', () => {
    const { data, n } = gaussianClusters(40, 4, 60, 8);
    const out = computeLayout({ data, n, dims: 60 }, { method: 'pacmap', seed: 4, pcaDims: 20 });
    assert.equal(out.info.pcaDims, 20);
    assert.equal(out.info.knn.method, 'exact');
    assert.ok(out.info.timingsMs.total >= out.info.timingsMs.optimise);
    assert.ok(out.info.quality.trustworthiness > 0.9);
    assert.equal(out.info.moved, undefined);
    assert.ok(out.layout.every(Number.isFinite));
  });
});

describe('layout edge cases', () => {
  for (const method of ['pacmap', 'umap'] as const) {
    it(`${method}: tiny sets, identical vectors and one-dimensional data give a finite layout of every point`, () => {
      const r = new Rng(12);
      const cases: Array<[string, Float32Array, number, number]> = [
        ['3 points', Float32Array.from({ length: 3 * 4 }, () => r.gauss()), 3, 4],
        ['12 points', Float32Array.from({ length: 12 * 5 }, () => r.gauss()), 12, 5],
        ['identical', new Float32Array(40 * 6).fill(0.5), 40, 6],
        ['1-D', Float32Array.from({ length: 50 }, (_, i) => i), 50, 1],
      ];
      for (const [what, data, n, dims] of cases) {
        const out = computeLayout({ data, n, dims }, { method, seed: 1 });
        assert.equal(out.layout.length, n * 2, what);
        assert.ok(out.layout.every(Number.isFinite), `${what}: ${Array.from(out.layout.slice(0, 6))}`);
        assert.ok(out.info.knn.k <= n - 1, what);
      }
    });
  }
});
