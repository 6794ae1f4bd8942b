// k nearest neighbours for the layout engine, on the PCA coordinates: exact and
// blocked for small sets, NN-descent (Dong, Charikar & Li 2011) above, with its
// recall against the exact answer measured on a seeded sample of points.
import { Rng } from './rng';

export interface KnnGraph {
  n: number;
  k: number;
  /** n × k neighbour ids, nearest first, never the point itself. */
  indices: Int32Array;
  /** n × k squared Euclidean distances, ascending. */
  dist2: Float32Array;
  method: 'exact' | 'nn-descent';
  /** Share of true k nearest neighbours found, on a sample (1 for exact). */
  recall: number;
}

export interface KnnHooks {
  /** Called between rounds; throws to cancel. */
  check?: () => void;
  progress?: (done: number) => void;
}

/** Above this many points the approximate search is used. */
export const EXACT_MAX = 5000;

export function knn(x: Float32Array, n: number, d: number, k: number, rng: Rng, hooks: KnnHooks = {}, force?: 'exact' | 'nn-descent'): KnnGraph {
  if (n < 2) throw new Error(`Nearest neighbours need at least 2 points; got ${n}.`);
  const kk = Math.min(k, n - 1);
  const method = force ?? (n <= EXACT_MAX ? 'exact' : 'nn-descent');
  if (method === 'exact') return { ...exactKnn(x, n, d, kk, hooks), method, recall: 1 };
  const g = nnDescent(x, n, d, kk, rng, hooks);
  // The check costs samples × n × d: about 5·10⁷ operations, at least 30 points (450 neighbours at k = 15).
  const samples = Math.min(n, 200, Math.max(30, Math.floor(5e7 / (n * d))));
  return { ...g, method, recall: sampledRecall(x, n, d, g.indices, kk, samples, rng) };
}

function sqDist(x: Float32Array, a: number, b: number, d: number): number {
  let s = 0;
  const oa = a * d;
  const ob = b * d;
  for (let t = 0; t < d; t++) {
    const v = x[oa + t] - x[ob + t];
    s += v * v;
  }
  return s;
}

/** Inserts (j, dist) into i's sorted list if it is closer than the worst; returns whether it changed. */
function push(idx: Int32Array, dst: Float32Array, k: number, i: number, j: number, dist: number, checkDup: boolean): boolean {
  const o = i * k;
  if (dist >= dst[o + k - 1]) return false;
  if (checkDup) for (let p = 0; p < k; p++) if (idx[o + p] === j) return false;
  let p = k - 1;
  while (p > 0 && dst[o + p - 1] > dist) {
    dst[o + p] = dst[o + p - 1];
    idx[o + p] = idx[o + p - 1];
    p--;
  }
  dst[o + p] = dist;
  idx[o + p] = j;
  return true;
}

function exactKnn(x: Float32Array, n: number, d: number, k: number, hooks: KnnHooks): { n: number; k: number; indices: Int32Array; dist2: Float32Array } {
  const indices = new Int32Array(n * k).fill(-1);
  const dist2 = new Float32Array(n * k).fill(Infinity);
  const B = 256;
  // Each pair once, into both lists; blocks keep the inner rows in cache.
  for (let bi = 0; bi < n; bi += B) {
    hooks.check?.();
    const ei = Math.min(n, bi + B);
    for (let bj = bi; bj < n; bj += B) {
      const ej = Math.min(n, bj + B);
      for (let i = bi; i < ei; i++) {
        for (let j = bj === bi ? i + 1 : bj; j < ej; j++) {
          const v = sqDist(x, i, j, d);
          push(indices, dist2, k, i, j, v, false);
          push(indices, dist2, k, j, i, v, false);
        }
      }
    }
    hooks.progress?.(ei / n);
  }
  return { n, k, indices, dist2 };
}

/** Bounded candidate lists: the c lowest random priorities kept (a seeded sample of the candidates). */
class Candidates {
  readonly idx: Int32Array;
  readonly pri: Float32Array;
  readonly count: Int32Array;
  constructor(
    n: number,
    readonly c: number,
  ) {
    this.idx = new Int32Array(n * c);
    this.pri = new Float32Array(n * c);
    this.count = new Int32Array(n);
  }
  clear(): void {
    this.count.fill(0);
  }
  add(i: number, j: number, p: number): void {
    const o = i * this.c;
    const cnt = this.count[i];
    for (let q = 0; q < cnt; q++) if (this.idx[o + q] === j) return;
    if (cnt < this.c) {
      this.idx[o + cnt] = j;
      this.pri[o + cnt] = p;
      this.count[i] = cnt + 1;
      return;
    }
    let worst = 0;
    for (let q = 1; q < this.c; q++) if (this.pri[o + q] > this.pri[o + worst]) worst = q;
    if (p < this.pri[o + worst]) {
      this.idx[o + worst] = j;
      this.pri[o + worst] = p;
    }
  }
  has(i: number, j: number): boolean {
    const o = i * this.c;
    for (let q = 0; q < this.count[i]; q++) if (this.idx[o + q] === j) return true;
    return false;
  }
}

function nnDescent(x: Float32Array, n: number, d: number, k: number, rng: Rng, hooks: KnnHooks): { n: number; k: number; indices: Int32Array; dist2: Float32Array } {
  const indices = new Int32Array(n * k).fill(-1);
  const dist2 = new Float32Array(n * k).fill(Infinity);
  const isNew = new Uint8Array(n * k);
  // Start from random-projection-tree leaves (points split by random hyperplanes): most
  // true neighbours share a leaf, so NN-descent needs a few rounds instead of a dozen.
  rpTreeInit(x, n, d, k, indices, dist2, rng, hooks);
  for (let i = 0; i < n; i++) {
    let added = 0;
    for (let p = 0; p < k; p++) if (indices[i * k + p] >= 0) added++;
    for (let tries = 0; added < k && tries < 10 * k; tries++) {
      const j = rng.int(n);
      if (j !== i && push(indices, dist2, k, i, j, sqDist(x, i, j, d), true)) added++;
    }
  }
  isNew.fill(1);
  // Bounded candidate lists keep a round's cost linear in n whatever k is.
  const c = Math.min(12, Math.max(8, Math.ceil(k / 2)));
  const fresh = new Candidates(n, c);
  const old = new Candidates(n, c);
  const maxRounds = 12;
  for (let round = 0; round < maxRounds; round++) {
    hooks.check?.();
    fresh.clear();
    old.clear();
    for (let i = 0; i < n; i++) {
      const o = i * k;
      for (let p = 0; p < k; p++) {
        const j = indices[o + p];
        if (j < 0) continue;
        const pr = rng.next();
        const target = isNew[o + p] ? fresh : old;
        target.add(i, j, pr);
        target.add(j, i, pr);
      }
    }
    // Sampled new neighbours have now been joined once: mark them old.
    for (let i = 0; i < n; i++) {
      const o = i * k;
      for (let p = 0; p < k; p++) if (isNew[o + p] && fresh.has(i, indices[o + p])) isNew[o + p] = 0;
    }
    let updates = 0;
    const tryPair = (a: number, b: number): void => {
      const v = sqDist(x, a, b, d);
      if (pushFlag(indices, dist2, isNew, k, a, b, v)) updates++;
      if (pushFlag(indices, dist2, isNew, k, b, a, v)) updates++;
    };
    for (let i = 0; i < n; i++) {
      const fo = i * c;
      const fc = fresh.count[i];
      const oc = old.count[i];
      for (let p = 0; p < fc; p++) {
        const a = fresh.idx[fo + p];
        for (let q = p + 1; q < fc; q++) tryPair(a, fresh.idx[fo + q]);
        for (let q = 0; q < oc; q++) {
          const b = old.idx[fo + q];
          if (a !== b) tryPair(a, b);
        }
      }
    }
    hooks.progress?.((round + 1) / maxRounds);
    if (updates <= 0.001 * n * k) break;
  }
  return { n, k, indices, dist2 };
}

function pushFlag(idx: Int32Array, dst: Float32Array, flag: Uint8Array, k: number, i: number, j: number, dist: number): boolean {
  const o = i * k;
  if (dist >= dst[o + k - 1]) return false;
  for (let p = 0; p < k; p++) if (idx[o + p] === j) return false;
  let p = k - 1;
  while (p > 0 && dst[o + p - 1] > dist) {
    dst[o + p] = dst[o + p - 1];
    idx[o + p] = idx[o + p - 1];
    flag[o + p] = flag[o + p - 1];
    p--;
  }
  dst[o + p] = dist;
  idx[o + p] = j;
  flag[o + p] = 1;
  return true;
}

/** Leaves of a few random-projection trees; every pair in a leaf is offered to both points' lists. */
function rpTreeInit(x: Float32Array, n: number, d: number, k: number, indices: Int32Array, dist2: Float32Array, rng: Rng, hooks: KnnHooks): void {
  const trees = n > 50000 ? 2 : 3;
  const leafSize = Math.max(k + 1, Math.min(64, 2 * k));
  const ids = new Int32Array(n);
  const side = new Float64Array(n);
  for (let tree = 0; tree < trees; tree++) {
    hooks.check?.();
    for (let i = 0; i < n; i++) ids[i] = i;
    const stack: Array<[number, number]> = [[0, n]];
    while (stack.length) {
      const [lo, hi] = stack.pop()!;
      const size = hi - lo;
      if (size <= leafSize) {
        for (let a = lo; a < hi; a++) {
          for (let b = a + 1; b < hi; b++) {
            const v = sqDist(x, ids[a], ids[b], d);
            push(indices, dist2, k, ids[a], ids[b], v, true);
            push(indices, dist2, k, ids[b], ids[a], v, true);
          }
        }
        continue;
      }
      // Hyperplane halfway between two random points of this node.
      const p = ids[lo + rng.int(size)];
      let q = ids[lo + rng.int(size)];
      for (let t = 0; q === p && t < 5; t++) q = ids[lo + rng.int(size)];
      let offset = 0;
      for (let t = 0; t < d; t++) offset += (x[p * d + t] - x[q * d + t]) * (x[p * d + t] + x[q * d + t]) * 0.5;
      let left = lo;
      for (let a = lo; a < hi; a++) {
        const i = ids[a];
        let s = 0;
        for (let t = 0; t < d; t++) s += (x[p * d + t] - x[q * d + t]) * x[i * d + t];
        side[a] = s - offset;
      }
      // Partition in place; a split that puts everything on one side (duplicates) is cut in half instead.
      const tmp = ids.slice(lo, hi);
      const sv = side.slice(lo, hi);
      let right = hi;
      for (let a = 0; a < size; a++) {
        if (sv[a] > 0 || (sv[a] === 0 && rng.next() < 0.5)) ids[--right] = tmp[a];
        else ids[left++] = tmp[a];
      }
      if (left === lo || left === hi) left = lo + (size >> 1);
      stack.push([lo, left], [left, hi]);
    }
  }
}

/** Exact k nearest neighbours of `samples` seeded points by brute force, compared with the graph's. */
export function sampledRecall(x: Float32Array, n: number, d: number, indices: Int32Array, k: number, samples: number, rng: Rng): number {
  let hit = 0;
  let total = 0;
  const ids = new Int32Array(k);
  const ds = new Float32Array(k);
  for (let s = 0; s < samples; s++) {
    const i = rng.int(n);
    ids.fill(-1);
    ds.fill(Infinity);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      push(ids, ds, k, 0, j, sqDist(x, i, j, d), false);
    }
    const truth = new Set(ids);
    for (let p = 0; p < k; p++) if (truth.has(indices[i * k + p])) hit++;
    total += k;
  }
  return total ? hit / total : 1;
}
