// The layout engine through its real worker thread: clusters stay apart, the
// same seed gives the same bits, a warm start moves points less than a cold
// one, a stale job is cancelled, bad input is refused with a clear error.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LayoutEngine } from '../../../src/runtime/projection/engine';
import { displacement } from '../../../src/runtime/projection/quality';
import { Rng } from '../../../src/runtime/projection/rng';
import { LAYOUT_CANCELLED, type LayoutStage } from '../../../src/protocol/projection';
import { gaussianClusters, neighbourPurity } from './helpers';

const engine = new LayoutEngine();
after(() => engine.close());

describe('layout engine (worker thread)', () => {
  for (const method of ['pacmap', 'umap'] as const) {
    it(`${method}: well-separated Gaussian clusters keep ≥ 95 % of each point's 2-D neighbours in its own cluster`, async () => {
      const { data, n, labels } = gaussianClusters(80, 8, 32, 3);
      const out = await engine.layout(`clusters-${method}`, { data, n, dims: 32 }, { options: { method, seed: 1 } });
      assert.equal(out.layout.length, n * 2);
      const purity = neighbourPurity(out.layout, labels, 15);
      const worst = Math.min(...purity);
      assert.ok(worst >= 0.95, `worst point keeps ${worst} of its neighbours in its cluster`);
      assert.ok(out.info.quality.trustworthiness > 0.9, `trustworthiness ${out.info.quality.trustworthiness}`);
      assert.equal(out.info.method, method);
    });
  }

  it('the same seed gives the same layout, bit for bit; another seed does not', async () => {
    const { data, n } = gaussianClusters(60, 5, 24, 9);
    const a = await engine.layout('seed-a', { data, n, dims: 24 }, { options: { seed: 5 } });
    const b = await engine.layout('seed-b', { data, n, dims: 24 }, { options: { seed: 5 } });
    const c = await engine.layout('seed-c', { data, n, dims: 24 }, { options: { seed: 6 } });
    assert.ok(Buffer.from(a.layout.buffer).equals(Buffer.from(b.layout.buffer)), 'same seed, different bits');
    assert.ok(!Buffer.from(a.layout.buffer).equals(Buffer.from(c.layout.buffer)), 'different seeds gave identical layouts');
  });

  for (const method of ['pacmap', 'umap'] as const) {
    it(`${method}: a warm-started update moves points less than a cold one, and says how far they moved`, async () => {
      const { data, n, labels } = gaussianClusters(60, 6, 24, 11);
      const first = await engine.layout(`warm0-${method}`, { data, n, dims: 24 }, { options: { method, seed: 2 } });
      // The next snapshot: every vector drifted a little and 12 new points joined.
      const r = new Rng(99);
      const extra = 12;
      const next = new Float32Array((n + extra) * 24);
      for (let i = 0; i < n * 24; i++) next[i] = data[i] + r.gauss() * 0.3;
      for (let i = 0; i < extra; i++) for (let t = 0; t < 24; t++) next[(n + i) * 24 + t] = data[i * 24 + t] + r.gauss() * 0.5;
      const previousIndex = new Int32Array(n + extra).fill(-1);
      for (let i = 0; i < n; i++) previousIndex[i] = i;
      const input = { data: next, n: n + extra, dims: 24 };
      const warm = await engine.layout(`warm1-${method}`, input, { options: { method, seed: 3 }, warm: { layout: first.layout, previousIndex } });
      const cold = await engine.layout(`cold1-${method}`, input, { options: { method, seed: 3 } });
      const pairs = Array.from({ length: n }, (_, i) => [i, i] as [number, number]);
      const movedWarm = displacement(first.layout, warm.layout, pairs);
      const movedCold = displacement(first.layout, cold.layout, pairs);
      assert.ok(movedWarm.mean < movedCold.mean / 2, `warm moved ${movedWarm.mean}, cold ${movedCold.mean}`);
      assert.ok(warm.info.warm && warm.info.moved, 'a warm layout reports how far its points moved');
      assert.equal(warm.info.moved.points, n);
      assert.ok(Math.abs(warm.info.moved.mean - movedWarm.mean) < 1e-9);
      // New points land in the cluster of the point they were copied from, not somewhere random.
      for (let i = 0; i < extra; i++) {
        const q = n + i;
        const near = Array.from({ length: n }, (_, j) => j)
          .sort((a, b) => Math.hypot(warm.layout[a * 2] - warm.layout[q * 2], warm.layout[a * 2 + 1] - warm.layout[q * 2 + 1]) - Math.hypot(warm.layout[b * 2] - warm.layout[q * 2], warm.layout[b * 2 + 1] - warm.layout[q * 2 + 1]))
          .slice(0, 10);
        const same = near.filter((j) => labels[j] === labels[i]).length;
        assert.ok(same >= 9, `new point ${i}: ${same}/10 of its 2-D neighbours are in its cluster`);
      }
    });
  }

  it('a new request for the same map cancels the stale one mid-run: the stale promise rejects with a cancel error, the new one completes', async () => {
    const { data, n } = gaussianClusters(300, 10, 32, 4);
    let optimising!: () => void;
    const started = new Promise<void>((res) => (optimising = res));
    const stages: LayoutStage[] = [];
    const stale = engine.layout('map', { data, n, dims: 32 }, {
      progress: (stage) => {
        stages.push(stage);
        if (stage === 'optimise') optimising();
      },
    });
    const staleResult = stale.then(
      () => 'completed',
      (e: Error) => e,
    );
    await started;
    const fresh = engine.layout('map', { data: data.subarray(0, 200 * 32), n: 200, dims: 32 });
    const e = await staleResult;
    assert.ok(e instanceof Error, `stale job ${String(e)}`);
    assert.equal(e.name, LAYOUT_CANCELLED);
    assert.match(e.message, /cancelled/);
    const out = await fresh;
    assert.equal(out.layout.length, 400);
    assert.ok(stages.includes('pca') && stages.includes('knn'), `progress stages ${stages}`);
    assert.equal(engine.busy, 0);
  });

  it('cancel() stops a running job; other maps are untouched', async () => {
    const { data, n } = gaussianClusters(300, 10, 32, 5);
    let optimising!: () => void;
    const started = new Promise<void>((res) => (optimising = res));
    const job = engine.layout('one', { data, n, dims: 32 }, { progress: (s) => s === 'optimise' && optimising() });
    const other = engine.layout('two', { data: data.subarray(0, 100 * 32), n: 100, dims: 32 });
    await started;
    assert.equal(engine.cancel('one'), true);
    await assert.rejects(job, { name: LAYOUT_CANCELLED });
    assert.equal((await other).layout.length, 200);
    assert.equal(engine.cancel('one'), false);
  });

  it('refuses a vector with NaN, naming the vector, the dimension and the fix', async () => {
    const { data, n } = gaussianClusters(10, 3, 8, 6);
    data[5 * 8 + 2] = NaN;
    await assert.rejects(engine.layout('bad', { data, n, dims: 8 }), /Embedding 5 has a non-finite value \(NaN\) in dimension 2; fix or drop/);
    await assert.rejects(engine.layout('bad', { data: new Float32Array(4), n: 2, dims: 2 }), /at least 3 points; got 2/);
    await assert.rejects(engine.layout('bad', { data: new Float32Array(10), n: 4, dims: 3 }), /has 10 values, expected 4 × 3 = 12/);
  });
});
