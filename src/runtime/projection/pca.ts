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
  const m = Math.min(n, opts.maxSample ?? 2048);
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
  for (let it = 0; it < (opts.powerIterations ?? 1); it++) {
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
  const proj = new Float64Array(kk);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let t = 0; t < d; t++) row[t] = x[o + t] - mean[t];
    dotRows(row, comps, d, kk, proj, 0);
    for (let j = 0; j < kk; j++) coords[i * kk + j] = proj[j];
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

/** S (m × d) times W (d × l) → m × l, as dot products against Wᵀ, four columns at a time. */
function mulSampleBy(s: Float32Array, m: number, d: number, w: Float64Array, l: number): Float64Array {
  const wt = new Float64Array(l * d);
  for (let t = 0; t < d; t++) for (let a = 0; a < l; a++) wt[a * d + t] = w[t * l + a];
  const out = new Float64Array(m * l);
  const row = new Float64Array(d);
  for (let r = 0; r < m; r++) {
    const so = r * d;
    for (let t = 0; t < d; t++) row[t] = s[so + t];
    dotRows(row, wt, d, l, out, r * l);
  }
  return out;
}

/** out[o + a] = row · wt[a] for every row a of wt (l × d); four rows per pass share each read of `row`. */
function dotRows(row: Float64Array, wt: Float64Array, d: number, l: number, out: Float64Array, o: number): void {
  let a = 0;
  for (; a + 4 <= l; a += 4) {
    const o0 = a * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    for (let t = 0; t < d; t++) {
      const v = row[t];
      c0 += v * wt[o0 + t];
      c1 += v * wt[o1 + t];
      c2 += v * wt[o2 + t];
      c3 += v * wt[o3 + t];
    }
    out[o + a] = c0;
    out[o + a + 1] = c1;
    out[o + a + 2] = c2;
    out[o + a + 3] = c3;
  }
  for (; a < l; a++) {
    const oa = a * d;
    let c = 0;
    for (let t = 0; t < d; t++) c += row[t] * wt[oa + t];
    out[o + a] = c;
  }
}

/** Sᵀ (d × m) times Q (m × l) → d × l, four sample rows per pass over the output. */
function mulSampleTransposedBy(s: Float32Array, m: number, d: number, q: Float64Array, l: number): Float64Array {
  const out = new Float64Array(d * l);
  let r = 0;
  for (; r + 4 <= m; r += 4) {
    const s0 = r * d;
    const s1 = s0 + d;
    const s2 = s1 + d;
    const s3 = s2 + d;
    const q0 = r * l;
    const q1 = q0 + l;
    const q2 = q1 + l;
    const q3 = q2 + l;
    for (let t = 0; t < d; t++) {
      const v0 = s[s0 + t];
      const v1 = s[s1 + t];
      const v2 = s[s2 + t];
      const v3 = s[s3 + t];
      const oo = t * l;
      for (let a = 0; a < l; a++) out[oo + a] += v0 * q[q0 + a] + v1 * q[q1 + a] + v2 * q[q2 + a] + v3 * q[q3 + a];
    }
  }
  for (; r < m; r++) {
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
