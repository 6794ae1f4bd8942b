// UMAP (McInnes, Healy & Melville 2018) as the second layout method: fuzzy
// neighbour graph (smooth kNN distances, fuzzy union), then stochastic
// gradient descent with negative sampling on the standard low-dimensional
// kernel 1/(1 + a·d^2b). Written from the paper and umap-js's structure; the
// start is the first two principal components (not a spectral embedding),
// which costs nothing here because PCA already ran.
import type { KnnGraph } from './knn';
import type { OptimiseHooks } from './pacmap';
import { Rng } from './rng';

export interface UmapOptions {
  epochs?: number;
  learningRate?: number;
  negativeSampleRate?: number;
  init?: Float32Array;
}

// a, b fitted to min_dist = 0.1, spread = 1 (the umap defaults; the fit is a fixed curve, so the constants are taken as is).
const A = 1.576943460405378;
const B = 0.8950608781227859;

export function umap(x: Float32Array, n: number, d: number, graph: KnnGraph, rng: Rng, opts: UmapOptions = {}, hooks: OptimiseHooks = {}): Float32Array {
  const k = graph.k;
  const w = new Float64Array(n * k);
  const target = Math.log2(k);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let rho = 0;
    for (let p = 0; p < k; p++) {
      const dist = Math.sqrt(graph.dist2[o + p]);
      if (dist > 0) {
        rho = dist;
        break;
      }
    }
    let lo = 0;
    let hi = Infinity;
    let sigma = 1;
    for (let it = 0; it < 64; it++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += Math.exp(-Math.max(0, Math.sqrt(graph.dist2[o + p]) - rho) / sigma);
      if (Math.abs(s - target) < 1e-5) break;
      if (s > target) {
        hi = sigma;
        sigma = (lo + hi) / 2;
      } else {
        lo = sigma;
        sigma = hi === Infinity ? sigma * 2 : (lo + hi) / 2;
      }
    }
    for (let p = 0; p < k; p++) w[o + p] = Math.exp(-Math.max(0, Math.sqrt(graph.dist2[o + p]) - rho) / sigma);
  }
  // Fuzzy union w_ij + w_ji − w_ij·w_ji, each undirected edge once.
  const head: number[] = [];
  const tail: number[] = [];
  const weight: number[] = [];
  const reverse = (j: number, i: number): number => {
    for (let p = 0; p < k; p++) if (graph.indices[j * k + p] === i) return w[j * k + p];
    return -1;
  };
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const j = graph.indices[i * k + p];
      const wij = w[i * k + p];
      const wji = reverse(j, i);
      if (wji >= 0 && j < i) continue; // taken when j was visited
      const u = wji >= 0 ? wij + wji - wij * wji : wij;
      head.push(i);
      tail.push(j);
      weight.push(u);
    }
  }
  const warm = opts.init !== undefined;
  // 500 epochs for small sets, 200 above (the reference's 200 starts at 10k; the second method should not take 3× PaCMAP's time at 10k).
  const epochs = opts.epochs ?? (warm ? 100 : n <= 5000 ? 500 : 200);
  const lr = opts.learningRate ?? (warm ? 0.25 : 1);
  const negRate = opts.negativeSampleRate ?? 5;
  let wMax = 0;
  for (const u of weight) wMax = Math.max(wMax, u);
  const E = head.length;
  const from = Int32Array.from(head);
  const to = Int32Array.from(tail);
  const perSample = new Float64Array(E);
  const nextSample = new Float64Array(E);
  const perNeg = new Float64Array(E);
  const nextNeg = new Float64Array(E);
  for (let e = 0; e < E; e++) {
    perSample[e] = weight[e] > wMax / epochs ? wMax / weight[e] : -1;
    nextSample[e] = perSample[e];
    perNeg[e] = perSample[e] / negRate;
    nextNeg[e] = perNeg[e];
  }
  const y = new Float64Array(n * 2);
  if (opts.init) {
    for (let i = 0; i < n * 2; i++) y[i] = opts.init[i];
  } else {
    for (let c = 0; c < 2; c++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = c < d ? x[i * d + c] : 0;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const span = hi - lo || 1;
      for (let i = 0; i < n; i++) y[i * 2 + c] = (((c < d ? x[i * d + c] : 0) - lo) / span) * 10 + rng.gauss() * 1e-4;
    }
  }
  const clip = (g: number): number => (g > 4 ? 4 : g < -4 ? -4 : g);
  for (let epoch = 0; epoch < epochs; epoch++) {
    hooks.check?.();
    const alpha = lr * (1 - epoch / epochs);
    for (let e = 0; e < E; e++) {
      if (perSample[e] < 0 || nextSample[e] > epoch) continue;
      const i = from[e] * 2;
      const j = to[e] * 2;
      let dx = y[i] - y[j];
      let dy = y[i + 1] - y[j + 1];
      let d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const pb = Math.pow(d2, B); // d^(2b); d^(2(b−1)) is pb / d2
        const coef = (-2 * A * B * (pb / d2)) / (A * pb + 1);
        const gx = clip(coef * dx) * alpha;
        const gy = clip(coef * dy) * alpha;
        y[i] += gx;
        y[i + 1] += gy;
        y[j] -= gx;
        y[j + 1] -= gy;
      }
      nextSample[e] += perSample[e];
      const negs = Math.floor((epoch - nextNeg[e]) / perNeg[e]);
      for (let q = 0; q < negs; q++) {
        const m = rng.int(n) * 2;
        if (m === i) continue;
        dx = y[i] - y[m];
        dy = y[i + 1] - y[m + 1];
        d2 = dx * dx + dy * dy;
        if (d2 > 0) {
          const coef = (2 * B) / ((0.001 + d2) * (A * Math.pow(d2, B) + 1));
          y[i] += clip(coef * dx) * alpha;
          y[i + 1] += clip(coef * dy) * alpha;
        } else {
          y[i] += 4 * alpha;
          y[i + 1] += 4 * alpha;
        }
      }
      nextNeg[e] += negs * perNeg[e];
    }
    if (epoch % 10 === 9 || epoch === epochs - 1) hooks.progress?.((epoch + 1) / epochs);
  }
  return Float32Array.from(y);
}
