// Embedding layouts: our engine (PCA → kNN → PaCMAP in a worker thread) beside
// umap-js and @saehrimnir/druidjs's PaCMAP on the same data in the same run,
// with trustworthiness, kNN recall and random-triplet accuracy for all three
// (measured by the same function, in the input space, on the same seeded
// subset), and the process's peak RSS after our layout (an upper bound on the
// worker's memory: it includes the main thread and the input). druidjs is
// LGPL: a bench baseline only, never bundled.
//
// Sizes: PROJECTION_BENCH_SIZES=10000,100000 (default 10000), dims
// PROJECTION_BENCH_DIMS (512). Baselines run up to PROJECTION_BENCH_BASELINE_MAX
// points (default 10000: umap-js takes minutes above that on 2 cores).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { PaCMAP } from '@saehrimnir/druidjs';
import { UMAP } from 'umap-js';
import { LayoutEngine } from '../src/runtime/projection/engine';
import { layoutQuality, type LayoutQuality } from '../src/runtime/projection/quality';
import { Rng } from '../src/runtime/projection/rng';
import { printTable, ratio, RESULTS, saveResults } from './lib';

const sizes = (process.env.PROJECTION_BENCH_SIZES ?? '10000').split(',').map(Number);
const dims = Number(process.env.PROJECTION_BENCH_DIMS ?? 512);
const baselineMax = Number(process.env.PROJECTION_BENCH_BASELINE_MAX ?? 10000);
const method = (process.env.PROJECTION_BENCH_METHOD ?? 'pacmap') as 'pacmap' | 'umap';

/** Embedding-like data: 30 clusters, each spread along its own 16 directions, plus isotropic noise. */
function embeddings(n: number, d: number, seed: number): Float32Array {
  const r = new Rng(seed);
  const C = 30;
  const R = 16;
  const centers = Array.from({ length: C }, () => Float32Array.from({ length: d }, () => r.gauss() * 2));
  const bases = Array.from({ length: C }, () => Float32Array.from({ length: R * d }, () => r.gauss() / Math.sqrt(d)));
  const x = new Float32Array(n * d);
  const coef = new Float64Array(R);
  for (let i = 0; i < n; i++) {
    const c = r.int(C);
    for (let q = 0; q < R; q++) coef[q] = r.gauss() * 3;
    for (let t = 0; t < d; t++) {
      let v = centers[c][t] + r.gauss() * 0.3;
      for (let q = 0; q < R; q++) v += coef[q] * bases[c][q * d + t];
      x[i * d + t] = v;
    }
  }
  return x;
}

function measure(x: Float32Array, n: number, layout: Float32Array): LayoutQuality {
  return layoutQuality(x, dims, layout, n, { subset: 1000, seed: 11 });
}

function rows(x: Float32Array, n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * dims, (i + 1) * dims)));
}

function flat(y: number[][] | { to2dArray?: unknown }): Float32Array {
  const arr = Array.isArray(y) ? y : ((y as { to2dArray: number[][] }).to2dArray ?? []);
  const out = new Float32Array(arr.length * 2);
  arr.forEach((p, i) => {
    out[i * 2] = p[0];
    out[i * 2 + 1] = p[1];
  });
  return out;
}

async function main(): Promise<void> {
  // Sizes run separately (the 100k one once) keep each other's figures.
  let previous: Record<string, unknown> = {};
  try {
    previous = (JSON.parse(fs.readFileSync(RESULTS, 'utf8')) as Record<string, Record<string, unknown>>).projection ?? {};
  } catch {
    /* first run */
  }
  const results: Record<string, unknown> = Object.fromEntries(Object.entries(previous).filter(([k]) => /^n\d+$/.test(k)));
  Object.assign(results, { dims, method });
  const table: Array<Record<string, string | number>> = [];
  const engine = new LayoutEngine();
  for (const n of sizes) {
    const x = embeddings(n, dims, n);
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const ours = await engine.layout('bench', { data: x, n, dims }, { options: { method, seed: 1 } });
    const oursMs = performance.now() - t0;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const oursQ = measure(x, n, ours.layout);
    const entry: Record<string, unknown> = {
      // The machine is shared: the load average says how much of it the run had.
      loadAverage: os.loadavg().map((v) => +v.toFixed(2)),
      ours: { ms: Math.round(oursMs), ...oursQ, knn: ours.info.knn, timingsMs: ours.info.timingsMs, peakRssMb: Math.round(peakRssMb), rssBeforeMb: Math.round(rssBefore / 2 ** 20) },
    };
    // A live update: every vector drifts a little and 1 % new points join; warm-started from the layout above.
    const extra = Math.max(1, Math.round(n / 100));
    const drift = new Rng(n + 1);
    const next = new Float32Array((n + extra) * dims);
    for (let i = 0; i < n * dims; i++) next[i] = x[i] + drift.gauss() * 0.05;
    for (let i = 0; i < extra; i++) for (let t = 0; t < dims; t++) next[(n + i) * dims + t] = x[i * dims + t] + drift.gauss() * 0.1;
    const previousIndex = Int32Array.from({ length: n + extra }, (_, i) => (i < n ? i : -1));
    let tw = performance.now();
    const warm = await engine.layout('bench', { data: next, n: n + extra, dims }, { options: { method, seed: 1 }, warm: { layout: ours.layout, previousIndex } });
    const warmMs = performance.now() - tw;
    entry.warmUpdate = { ms: Math.round(warmMs), newPoints: extra, moved: warm.info.moved, trustworthiness: warm.info.quality.trustworthiness, timingsMs: warm.info.timingsMs };
    console.log(`n=${n}: warm update (+${extra} points, drift) ${(warmMs / 1000).toFixed(2)} s, points moved ${warm.info.moved?.mean.toFixed(4)} of the layout radius on average`);
    table.push({ n, impl: `ours (${method})`, s: +(oursMs / 1000).toFixed(2), trust: +oursQ.trustworthiness.toFixed(4), knnRecall: +oursQ.knnRecall.toFixed(4), triplet: +oursQ.tripletAccuracy.toFixed(4) });
    if (n <= baselineMax) {
      tw = performance.now();
      const ourUmap = await engine.layout('bench-umap', { data: x, n, dims }, { options: { method: 'umap', seed: 1 } });
      const ourUmapMs = performance.now() - tw;
      const ourUmapQ = measure(x, n, ourUmap.layout);
      entry.oursUmap = { ms: Math.round(ourUmapMs), ...ourUmapQ };
      table.push({ n, impl: 'ours (umap)', s: +(ourUmapMs / 1000).toFixed(2), trust: +ourUmapQ.trustworthiness.toFixed(4), knnRecall: +ourUmapQ.knnRecall.toFixed(4), triplet: +ourUmapQ.tripletAccuracy.toFixed(4) });
      const data = rows(x, n);
      const seeded = new Rng(1);
      let t = performance.now();
      const u = new UMAP({ nComponents: 2, nNeighbors: 15, random: () => seeded.next() }).fit(data);
      const umapMs = performance.now() - t;
      const umapQ = measure(x, n, flat(u));
      t = performance.now();
      const p = PaCMAP.transform(data, { seed: 1 }) as unknown as number[][];
      const druidMs = performance.now() - t;
      const druidQ = measure(x, n, flat(p));
      entry.umapJs = { ms: Math.round(umapMs), ...umapQ, speedup: ratio(umapMs, oursMs) };
      entry.druidPacmap = { ms: Math.round(druidMs), ...druidQ, speedup: ratio(druidMs, oursMs) };
      table.push({ n, impl: 'umap-js', s: +(umapMs / 1000).toFixed(2), trust: +umapQ.trustworthiness.toFixed(4), knnRecall: +umapQ.knnRecall.toFixed(4), triplet: +umapQ.tripletAccuracy.toFixed(4) });
      table.push({ n, impl: 'druidjs PaCMAP', s: +(druidMs / 1000).toFixed(2), trust: +druidQ.trustworthiness.toFixed(4), knnRecall: +druidQ.knnRecall.toFixed(4), triplet: +druidQ.tripletAccuracy.toFixed(4) });
      console.log(`n=${n}: ours ${ratio(umapMs, oursMs)}× umap-js, ${ratio(druidMs, oursMs)}× druidjs PaCMAP`);
    }
    results[`n${n}`] = entry;
  }
  await engine.close();
  printTable(table);
  saveResults('projection', results);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
