// How good a layout is, measured rather than assumed: kNN recall and
// trustworthiness (local structure) on a seeded subset of points, random-
// triplet accuracy (global structure, from the PaCMAP paper) on seeded random
// triplets, and for a live update how far the points moved.
import { Rng } from './rng';

export interface LayoutQuality {
  /** Share of each point's k high-dimensional neighbours that are among its k 2-D neighbours (mean). */
  knnRecall: number;
  /** Venna & Kaski's trustworthiness at k: 1 means no false 2-D neighbours. */
  trustworthiness: number;
  /** Share of random triplets (i, j, l) whose order d(i,j) < d(i,l) the layout keeps. */
  tripletAccuracy: number;
  k: number;
  /** Points the local measures were computed on (all of them up to this size). */
  subset: number;
  triplets: number;
}

export interface QualityOptions {
  k?: number;
  subset?: number;
  triplets?: number;
  seed?: number;
}

function d2(x: Float32Array, d: number, a: number, b: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const v = x[a * d + t] - x[b * d + t];
    s += v * v;
  }
  return s;
}

/**
 * Measures `layout` (n × 2) against `high` (n × d). The local measures use a
 * seeded subset (neighbours within it), so 100k points cost as much as 2k.
 */
export function layoutQuality(high: Float32Array, d: number, layout: Float32Array, n: number, opts: QualityOptions = {}): LayoutQuality {
  const rng = new Rng(opts.seed ?? 7);
  const m = Math.min(n, opts.subset ?? 2000);
  const k = Math.max(1, Math.min(opts.k ?? 10, m - 2));
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = ids[i];
    ids[i] = ids[j];
    ids[j] = t;
  }
  const sub = ids.slice(0, m);
  // High-dimensional distances once (symmetric); 2-D rows on the fly.
  const hd = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = a + 1; b < m; b++) {
      const v = d2(high, d, sub[a], sub[b]);
      hd[a * m + b] = v;
      hd[b * m + a] = v;
    }
  }
  const topIds = new Int32Array(k);
  const topD = new Float64Array(k);
  let recallSum = 0;
  let trustSum = 0;
  for (let a = 0; a < m; a++) {
    topIds.fill(-1);
    topD.fill(Infinity);
    for (let b = 0; b < m; b++) {
      if (b === a) continue;
      const v = d2(layout, 2, sub[a], sub[b]);
      if (v >= topD[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && topD[p - 1] > v) {
        topD[p] = topD[p - 1];
        topIds[p] = topIds[p - 1];
        p--;
      }
      topD[p] = v;
      topIds[p] = b;
    }
    const row = a * m;
    for (let r = 0; r < k; r++) {
      const b = topIds[r];
      // Rank of b among a's high-dimensional neighbours (1 = nearest; ties broken by index).
      const hb = hd[row + b];
      let rank = 1;
      for (let c = 0; c < m; c++) {
        if (c === a || c === b) continue;
        const hc = hd[row + c];
        if (hc < hb || (hc === hb && c < b)) rank++;
      }
      if (rank <= k) recallSum++;
      else trustSum += rank - k;
    }
  }
  const knnRecall = recallSum / (m * k);
  const trustworthiness = 1 - (2 / (m * k * (2 * m - 3 * k - 1))) * trustSum;
  const T = opts.triplets ?? Math.min(20000, n * 5);
  let kept = 0;
  let counted = 0;
  for (let t = 0; t < T && n >= 3; t++) {
    const i = rng.int(n);
    const j = rng.int(n);
    const l = rng.int(n);
    if (i === j || i === l || j === l) continue;
    const h = d2(high, d, i, j) - d2(high, d, i, l);
    const lo = d2(layout, 2, i, j) - d2(layout, 2, i, l);
    if (h === 0) continue;
    counted++;
    if (h < 0 === lo < 0) kept++;
  }
  return { knnRecall, trustworthiness, tripletAccuracy: counted ? kept / counted : 1, k, subset: m, triplets: counted };
}

export interface Displacement {
  /** Mean distance a point moved, as a share of the previous layout's RMS radius. */
  mean: number;
  max: number;
  points: number;
}

/** How far points moved between two layouts of the same points (index-aligned pairs given by `pairs`, or all). */
export function displacement(prev: Float32Array, next: Float32Array, pairs?: Array<[number, number]>): Displacement {
  const list = pairs ?? Array.from({ length: Math.min(prev.length, next.length) / 2 }, (_, i) => [i, i] as [number, number]);
  if (!list.length) return { mean: 0, max: 0, points: 0 };
  let cx = 0;
  let cy = 0;
  for (const [a] of list) {
    cx += prev[a * 2];
    cy += prev[a * 2 + 1];
  }
  cx /= list.length;
  cy /= list.length;
  let r2 = 0;
  for (const [a] of list) r2 += (prev[a * 2] - cx) ** 2 + (prev[a * 2 + 1] - cy) ** 2;
  const radius = Math.sqrt(r2 / list.length) || 1;
  let sum = 0;
  let max = 0;
  for (const [a, b] of list) {
    const dist = Math.hypot(next[b * 2] - prev[a * 2], next[b * 2 + 1] - prev[a * 2 + 1]) / radius;
    sum += dist;
    max = Math.max(max, dist);
  }
  return { mean: sum / list.length, max, points: list.length };
}
