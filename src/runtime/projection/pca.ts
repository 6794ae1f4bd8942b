// PCA for the layout engine: randomized subspace iteration (Halko, Martinsson &
// Tropp) on a seeded row sample, then every row projected once. On 100k × 512
// the basis costs about as much as one projection pass, and the neighbour
// search afterwards runs in ≤ 50 dimensions instead of 512.
import { Rng } from './rng';

export interface PcaResult {
  /** n × dims, row-major. */
  coords: Float32Array;
  dims: number;
  /** Share of the (sampled) variance each kept component explains. */
  explained: number[];
}

export interface PcaOptions {
  /** Rows used to find the basis (all rows are projected). */
  maxSample?: number;
  powerIterations?: number;
}

/** Projects the n × d row-major matrix x onto its top `k` principal components. */
export function pca(x: Float32Array, n: number, d: number, k: number, rng: Rng, opts: PcaOptions = {}): PcaResult {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let t = 0; t < d; t++) mean[t] += x[o + t];
  }
  for (let t = 0; t < d; t++) mean[t] /= n;
  if (d <= k) {
    const coords = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) coords[i * d + t] = x[i * d + t] - mean[t];
    return { coords, dims: d, explained: [] };
  }
  const m = Math.min(n, opts.maxSample ?? 8192);
  const rows = sampleRows(n, m, rng);
  const s = new Float32Array(m * d);
  let total = 0;
  for (let r = 0; r < m; r++) {
    const o = rows[r] * d;
    for (let t = 0; t < d; t++) {
      const v = x[o + t] - mean[t];
      s[r * d + t] = v;
      total += v * v;
    }
  }
  const l = Math.min(k + 10, d, m);
  const omega = new Float64Array(d * l);
  for (let i = 0; i < omega.length; i++) omega[i] = rng.gauss();
  let q = mulSampleBy(s, m, d, omega, l); // m × l
  orthonormalizeColumns(q, m, l);
  for (let it = 0; it < (opts.powerIterations ?? 3); it++) {
    const z = mulSampleTransposedBy(s, m, d, q, l); // d × l
    orthonormalizeColumns(z, d, l);
    q = mulSampleBy(s, m, d, z, l);
    orthonormalizeColumns(q, m, l);
  }
  // B = Qᵀ S (l × d); the eigenvectors of B Bᵀ give the top right singular vectors of S.
  const bT = mulSampleTransposedBy(s, m, d, q, l); // d × l, = Bᵀ
  const c = new Float64Array(l * l);
  for (let t = 0; t < d; t++) {
    const o = t * l;
    for (let a = 0; a < l; a++) {
      const va = bT[o + a];
      if (va === 0) continue;
      for (let b = a; b < l; b++) c[a * l + b] += va * bT[o + b];
    }
  }
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) c[a * l + b] = c[b * l + a];
  const { values, vectors } = jacobiEigen(c, l);
  const order = [...values.keys()].sort((a, b) => values[b] - values[a]);
  const kk = Math.min(k, l);
  const comps = new Float64Array(kk * d); // kk × d
  const explained: number[] = [];
  for (let j = 0; j < kk; j++) {
    const e = order[j];
    const sv = Math.sqrt(Math.max(values[e], 1e-30));
    let big = 0;
    for (let t = 0; t < d; t++) {
      let acc = 0;
      for (let a = 0; a < l; a++) acc += bT[t * l + a] * vectors[a * l + e];
      comps[j * d + t] = acc / sv;
      if (Math.abs(comps[j * d + t]) > Math.abs(big)) big = comps[j * d + t];
    }
    // A fixed sign per component, so the same data gives the same orientation.
    if (big < 0) for (let t = 0; t < d; t++) comps[j * d + t] = -comps[j * d + t];
    explained.push(total > 0 ? values[e] / total : 0);
  }
  const coords = new Float32Array(n * kk);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let t = 0; t < d; t++) row[t] = x[o + t] - mean[t];
    for (let j = 0; j < kk; j++) {
      const co = j * d;
      let acc = 0;
      for (let t = 0; t < d; t++) acc += row[t] * comps[co + t];
      coords[i * kk + j] = acc;
    }
  }
  return { coords, dims: kk, explained };
}

function sampleRows(n: number, m: number, rng: Rng): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (m < n) {
    for (let i = 0; i < m; i++) {
      const j = i + rng.int(n - i);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
  }
  return idx.slice(0, m).sort();
}

/** S (m × d) times W (d × l) → m × l. */
function mulSampleBy(s: Float32Array, m: number, d: number, w: Float64Array, l: number): Float64Array {
  const out = new Float64Array(m * l);
  for (let r = 0; r < m; r++) {
    const so = r * d;
    const oo = r * l;
    for (let t = 0; t < d; t++) {
      const v = s[so + t];
      const wo = t * l;
      for (let a = 0; a < l; a++) out[oo + a] += v * w[wo + a];
    }
  }
  return out;
}

/** Sᵀ (d × m) times Q (m × l) → d × l. */
function mulSampleTransposedBy(s: Float32Array, m: number, d: number, q: Float64Array, l: number): Float64Array {
  const out = new Float64Array(d * l);
  for (let r = 0; r < m; r++) {
    const so = r * d;
    const qo = r * l;
    for (let t = 0; t < d; t++) {
      const v = s[so + t];
      const oo = t * l;
      for (let a = 0; a < l; a++) out[oo + a] += v * q[qo + a];
    }
  }
  return out;
}

/** Modified Gram–Schmidt on the columns of a row-major rows × cols matrix. */
function orthonormalizeColumns(a: Float64Array, rows: number, cols: number): void {
  for (let c = 0; c < cols; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let r = 0; r < rows; r++) dot += a[r * cols + c] * a[r * cols + p];
      for (let r = 0; r < rows; r++) a[r * cols + c] -= dot * a[r * cols + p];
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += a[r * cols + c] ** 2;
    norm = Math.sqrt(norm);
    const inv = norm > 1e-300 ? 1 / norm : 0;
    for (let r = 0; r < rows; r++) a[r * cols + c] *= inv;
  }
}

/** Cyclic Jacobi eigen-decomposition of a small symmetric matrix (n × n, row-major). Eigenvectors are columns. */
export function jacobiEigen(input: Float64Array, n: number): { values: number[]; vectors: Float64Array } {
  const a = Float64Array.from(input);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values: number[] = [];
  for (let i = 0; i < n; i++) values.push(a[i * n + i]);
  return { values, vectors: v };
}
