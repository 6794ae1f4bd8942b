// PaCMAP (Wang, Huang, Rudin & Shaposhnik, JMLR 2021): three kinds of pairs —
// near neighbours (chosen by a locally scaled distance), mid-near pairs (the
// second closest of six random points) and further pairs (random points) —
// optimised with Adam under the paper's three-phase weight schedule. Written
// from the paper and the structure of the reference implementation
// (YingfanWang/PaCMAP), not copied from it.
import type { KnnGraph } from './knn';
import { Rng } from './rng';

export interface PacmapOptions {
  /**
   * Near pairs per point; default 10, the paper's choice. (The reference package grows it to
   * 10 + 15·(log10 n − 4) above 10k points, 25 at 100k; that costs 2.5× the pairs and a 3× wider
   * neighbour search for a global structure the mid-near pairs already give. Pass it to match.)
   */
  nNeighbors?: number;
  mnRatio?: number;
  fpRatio?: number;
  /** Iterations of the three phases (cold start). */
  phases?: [number, number, number];
  learningRate?: number;
  /** Previous layout (n × 2) to start from: phase 1 (global placement) is skipped and steps are smaller. */
  init?: Float32Array;
}

export interface OptimiseHooks {
  check?: () => void;
  progress?: (done: number) => void;
}

export function defaultNeighbors(_n: number): number {
  return 10;
}

export interface PacmapPairs {
  near: Int32Array;
  mid: Int32Array;
  far: Int32Array;
}

/** Builds the three pair sets (flattened [i, j, i, j, …]). The graph must hold at least nNeighbors neighbours. */
export function pacmapPairs(x: Float32Array, n: number, d: number, graph: KnnGraph, nNeighbors: number, nMid: number, nFar: number, rng: Rng): PacmapPairs {
  const k = graph.k;
  const nb = Math.min(nNeighbors, k);
  // σ_i: mean distance to the 4th–6th neighbours, so dense and sparse regions are compared fairly.
  const sigma = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    let c = 0;
    for (let p = 3; p < Math.min(6, k); p++) {
      s += Math.sqrt(graph.dist2[i * k + p]);
      c++;
    }
    sigma[i] = Math.max(c ? s / c : Math.sqrt(graph.dist2[i * k + k - 1]), 1e-10);
  }
  const near = new Int32Array(n * nb * 2);
  const order = new Int32Array(k);
  const scaled = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const j = graph.indices[i * k + p];
      scaled[p] = graph.dist2[i * k + p] / sigma[i] / sigma[j];
      order[p] = p;
    }
    const sorted = Array.from(order).sort((a, b) => scaled[a] - scaled[b] || a - b);
    for (let q = 0; q < nb; q++) {
      near[(i * nb + q) * 2] = i;
      near[(i * nb + q) * 2 + 1] = graph.indices[i * k + sorted[q]];
    }
  }
  const mid = new Int32Array(n * nMid * 2);
  const pick = new Int32Array(6);
  const pd = new Float64Array(6);
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < nMid; q++) {
      for (let s = 0; s < 6; s++) {
        let j: number;
        do j = rng.int(n);
        while (j === i && n > 1);
        pick[s] = j;
        let acc = 0;
        for (let t = 0; t < d; t++) {
          const v = x[i * d + t] - x[j * d + t];
          acc += v * v;
        }
        pd[s] = acc;
      }
      let best = 0;
      for (let s = 1; s < 6; s++) if (pd[s] < pd[best]) best = s;
      let second = best === 0 ? 1 : 0;
      for (let s = 0; s < 6; s++) if (s !== best && pd[s] < pd[second]) second = s;
      mid[(i * nMid + q) * 2] = i;
      mid[(i * nMid + q) * 2 + 1] = pick[second];
    }
  }
  const far = new Int32Array(n * nFar * 2);
  for (let i = 0; i < n; i++) {
    const taken = new Set<number>();
    for (let q = 0; q < nb; q++) taken.add(near[(i * nb + q) * 2 + 1]);
    for (let q = 0; q < nFar; q++) {
      let j = i;
      // Far pairs avoid i's near pairs; tiny sets run out of choices, so stop trying after a few draws.
      for (let tries = 0; tries < 20; tries++) {
        j = rng.int(n);
        if (j !== i && !taken.has(j)) break;
      }
      far[(i * nFar + q) * 2] = i;
      far[(i * nFar + q) * 2 + 1] = j;
    }
  }
  return { near, mid, far };
}

/** The paper's weights: phase 1 pulls mid-near pairs hard (global layout), phase 2 balances, phase 3 refines locally. */
function weights(itr: number, p1: number, p2: number): [number, number, number] {
  if (itr < p1) {
    const f = itr / p1;
    return [2, 1000 * (1 - f) + 3 * f, 1];
  }
  if (itr < p1 + p2) return [3, 3, 1];
  return [1, 0, 1];
}

export function pacmap(x: Float32Array, n: number, d: number, graph: KnnGraph, rng: Rng, opts: PacmapOptions = {}, hooks: OptimiseHooks = {}): Float32Array {
  const nNeighbors = Math.min(opts.nNeighbors ?? defaultNeighbors(n), graph.k);
  const nMid = Math.max(1, Math.round(nNeighbors * (opts.mnRatio ?? 0.5)));
  const nFar = Math.max(1, Math.round(nNeighbors * (opts.fpRatio ?? 2)));
  const pairs = pacmapPairs(x, n, d, graph, nNeighbors, nMid, nFar, rng);
  const warm = opts.init !== undefined;
  const [p1, p2, p3] = opts.phases ?? (warm ? [0, 30, 120] : [100, 100, 250]);
  const lr = opts.learningRate ?? (warm ? 0.3 : 1);
  const y = new Float64Array(n * 2);
  if (opts.init) {
    for (let i = 0; i < n * 2; i++) y[i] = opts.init[i];
  } else {
    // The first two principal components, scaled small, as the reference's "pca" init.
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * d] ** 2;
    const std = Math.sqrt(s / n) || 1;
    for (let i = 0; i < n; i++) {
      y[i * 2] = (x[i * d] / std) * 0.01;
      y[i * 2 + 1] = d > 1 ? (x[i * d + 1] / std) * 0.01 : 0;
    }
  }
  const grad = new Float64Array(n * 2);
  const m = new Float64Array(n * 2);
  const v = new Float64Array(n * 2);
  const b1 = 0.9;
  const b2 = 0.999;
  const total = p1 + p2 + p3;
  for (let itr = 0; itr < total; itr++) {
    hooks.check?.();
    const [wNb, wMn, wFp] = weights(itr, p1, p2);
    grad.fill(0);
    accumulate(y, grad, pairs.near, wNb * 20, 10);
    if (wMn > 0) accumulate(y, grad, pairs.mid, wMn * 20000, 10000);
    accumulate(y, grad, pairs.far, -wFp * 2, 1);
    // Adam with the bias correction folded into the step size.
    const t = itr + 1;
    const step = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (let q = 0; q < n * 2; q++) {
      const g = grad[q];
      m[q] += (1 - b1) * (g - m[q]);
      v[q] += (1 - b2) * (g * g - v[q]);
      y[q] -= (step * m[q]) / (Math.sqrt(v[q]) + 1e-7);
    }
    if (itr % 10 === 9 || itr === total - 1) hooks.progress?.((itr + 1) / total);
  }
  return Float32Array.from(y);
}

/**
 * Adds each pair's gradient, d = 1 + ‖yᵢ − yⱼ‖²: near pairs minimise d/(10+d),
 * mid-near pairs d/(10000+d) (gradient 2·w·c/(c+d)²·(yᵢ−yⱼ), c folded into
 * `scale`), further pairs 1/(1+d) (gradient −2·w/(1+d)²·(yᵢ−yⱼ)).
 */
function accumulate(y: Float64Array, grad: Float64Array, pairs: Int32Array, scale: number, c: number): void {
  for (let p = 0; p < pairs.length; p += 2) {
    const i = pairs[p] * 2;
    const j = pairs[p + 1] * 2;
    const dx = y[i] - y[j];
    const dy = y[i + 1] - y[j + 1];
    const dd = 1 + dx * dx + dy * dy;
    const den = c + dd;
    const coef = scale / (den * den);
    grad[i] += coef * dx;
    grad[i + 1] += coef * dy;
    grad[j] -= coef * dx;
    grad[j + 1] -= coef * dy;
  }
}
