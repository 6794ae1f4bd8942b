// The layout pipeline, synchronous and pure (the worker runs it): PCA → k
// nearest neighbours → PaCMAP or UMAP → quality. A warm start places every
// point the previous layout already had where it was, and each new point at
// the mean of its placed neighbours, so an update moves points instead of
// reshuffling them.
import type { LayoutInfo, LayoutOptions, LayoutStage } from '../../protocol/projection';
import { knn } from './knn';
import { defaultNeighbors, pacmap } from './pacmap';
import { pca } from './pca';
import { displacement, layoutQuality } from './quality';
import { Rng } from './rng';
import { umap } from './umap';

export interface LayoutInput {
  /** n × dims, row-major. */
  data: Float32Array;
  n: number;
  dims: number;
}

export interface WarmStart {
  /** Previous layout, m × 2. */
  layout: Float32Array;
  /** For each of the n new points, its row in the previous layout, or −1 when it is new. */
  previousIndex: Int32Array;
}

export interface LayoutHooks {
  /** Called between iterations; throws to cancel. */
  check?: () => void;
  progress?: (stage: LayoutStage, done: number) => void;
}

export interface LayoutOutput {
  layout: Float32Array;
  info: LayoutInfo;
}

export const MAX_PCA_DIMS = 50;

export function computeLayout(input: LayoutInput, options: LayoutOptions = {}, warm?: WarmStart, hooks: LayoutHooks = {}): LayoutOutput {
  const { data, n, dims } = input;
  if (!Number.isInteger(n) || n < 3) throw new Error(`A layout needs at least 3 points; got ${n}. Add more samples or snapshots.`);
  if (data.length !== n * dims) throw new Error(`Embedding matrix has ${data.length} values, expected ${n} × ${dims} = ${n * dims}.`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new Error(`Embedding ${Math.floor(i / dims)} has a non-finite value (${data[i]}) in dimension ${i % dims}; fix or drop that vector and lay out again.`);
    }
  }
  const method = options.method ?? 'pacmap';
  const seed = options.seed ?? 42;
  const rng = new Rng(seed);
  const t0 = performance.now();
  hooks.progress?.('pca', 0);
  const p = pca(data, n, dims, Math.min(options.pcaDims ?? MAX_PCA_DIMS, MAX_PCA_DIMS), rng);
  hooks.check?.();
  hooks.progress?.('pca', 1);
  const t1 = performance.now();
  const nNeighbors = options.nNeighbors ?? (method === 'pacmap' ? defaultNeighbors(n) : 15);
  // PaCMAP picks its near pairs from more candidates by a scaled distance; UMAP uses the k nearest as they are.
  const k = Math.min(n - 1, method === 'pacmap' ? nNeighbors + 5 : nNeighbors);
  const force = options.knn && options.knn !== 'auto' ? options.knn : undefined;
  const graph = knn(p.coords, n, p.dims, k, rng, { check: hooks.check, progress: (f) => hooks.progress?.('knn', f) }, force);
  const t2 = performance.now();
  const init = warm ? warmInit(warm, graph.indices, graph.k, n) : undefined;
  const opt = { check: hooks.check, progress: (f: number) => hooks.progress?.('optimise', f) };
  const layout =
    method === 'umap' ? umap(p.coords, n, p.dims, graph, rng, { init }, opt) : pacmap(p.coords, n, p.dims, graph, rng, { nNeighbors, init }, opt);
  const t3 = performance.now();
  hooks.progress?.('quality', 0);
  const quality = layoutQuality(p.coords, p.dims, layout, n, { seed });
  let moved: LayoutInfo['moved'];
  if (warm) {
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) if (warm.previousIndex[i] >= 0) pairs.push([warm.previousIndex[i], i]);
    moved = displacement(warm.layout, layout, pairs);
  }
  hooks.progress?.('quality', 1);
  const t4 = performance.now();
  const round = (v: number): number => Math.round(v * 10) / 10;
  return {
    layout,
    info: {
      method,
      seed,
      n,
      dims,
      pcaDims: p.dims,
      knn: { method: graph.method, k: graph.k, recall: graph.recall },
      quality,
      ...(moved ? { moved } : {}),
      warm: warm !== undefined,
      timingsMs: { pca: round(t1 - t0), knn: round(t2 - t1), optimise: round(t3 - t2), quality: round(t4 - t3), total: round(t4 - t0) },
    },
  };
}

/** Known points where they were; new points at the mean of their placed neighbours (else the centre). */
function warmInit(warm: WarmStart, indices: Int32Array, k: number, n: number): Float32Array {
  const init = new Float32Array(n * 2);
  const placed = new Uint8Array(n);
  let cx = 0;
  let cy = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const q = warm.previousIndex[i];
    if (q >= 0 && q * 2 + 1 < warm.layout.length) {
      init[i * 2] = warm.layout[q * 2];
      init[i * 2 + 1] = warm.layout[q * 2 + 1];
      placed[i] = 1;
      cx += init[i * 2];
      cy += init[i * 2 + 1];
      c++;
    }
  }
  cx = c ? cx / c : 0;
  cy = c ? cy / c : 0;
  for (let i = 0; i < n; i++) {
    if (placed[i]) continue;
    let sx = 0;
    let sy = 0;
    let m = 0;
    for (let p = 0; p < k; p++) {
      const j = indices[i * k + p];
      if (j >= 0 && placed[j]) {
        sx += init[j * 2];
        sy += init[j * 2 + 1];
        m++;
      }
    }
    // A tiny index-based offset keeps two new points with the same neighbours apart (zero distance has no gradient direction).
    const jitter = 1e-3 * ((i % 7) - 3);
    init[i * 2] = (m ? sx / m : cx) + jitter;
    init[i * 2 + 1] = (m ? sy / m : cy) - jitter;
  }
  return init;
}
