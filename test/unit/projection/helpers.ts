// Test data for the layout engine: seeded Gaussian clusters and neighbour purity.
import { Rng } from '../../../src/runtime/projection/rng';

export function gaussianClusters(perCluster: number, clusters: number, dims: number, seed: number, spread = 10): { data: Float32Array; n: number; labels: Int32Array } {
  const r = new Rng(seed);
  const n = perCluster * clusters;
  const data = new Float32Array(n * dims);
  const labels = new Int32Array(n);
  const centers = Array.from({ length: clusters }, () => Array.from({ length: dims }, () => r.gauss() * spread));
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    labels[i] = c;
    for (let t = 0; t < dims; t++) data[i * dims + t] = centers[c][t] + r.gauss();
  }
  return { data, n, labels };
}

/** For each point, the share of its k nearest 2-D neighbours that carry its label. */
export function neighbourPurity(layout: Float32Array, labels: Int32Array, k: number): Float64Array {
  const n = labels.length;
  const out = new Float64Array(n);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) d[j] = j === i ? Infinity : (layout[i * 2] - layout[j * 2]) ** 2 + (layout[i * 2 + 1] - layout[j * 2 + 1]) ** 2;
    const nearest = Array.from(d.keys()).sort((a, b) => d[a] - d[b]).slice(0, k);
    out[i] = nearest.filter((j) => labels[j] === labels[i]).length / k;
  }
  return out;
}
