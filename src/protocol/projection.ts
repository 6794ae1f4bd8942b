// Embedding-map messages between the extension host (and tests) and the
// runtime: which embedding spaces exist, layout requests with progress and
// cancel, and the measured quality of every layout. No vscode or node-only
// imports; vectors and layouts travel as plain number arrays (the runtime
// keeps them as Float32Array).
import { NotificationType, RequestType } from 'vscode-jsonrpc';

export type LayoutMethod = 'pacmap' | 'umap';

export interface LayoutOptions {
  method?: LayoutMethod;
  /** Same seed, same data, same options → the same layout, bit for bit. */
  seed?: number;
  /** PCA target before the neighbour search (≤ 50). */
  pcaDims?: number;
  /** Near pairs (PaCMAP) or neighbours (UMAP); default by method and size. */
  nNeighbors?: number;
  /** 'auto': exact up to 5000 points, NN-descent above. */
  knn?: 'auto' | 'exact' | 'nn-descent';
}

export type LayoutStage = 'pca' | 'knn' | 'optimise' | 'quality';

export interface LayoutProgress {
  /** The request's id (ProjectionLayoutRequest params.requestId). */
  requestId: string;
  stage: LayoutStage;
  /** 0..1 within the stage. */
  done: number;
}

export interface LayoutQualityInfo {
  knnRecall: number;
  trustworthiness: number;
  tripletAccuracy: number;
  k: number;
  subset: number;
  triplets: number;
}

export interface LayoutInfo {
  method: LayoutMethod;
  seed: number;
  n: number;
  /** Input dimensions and the PCA dimensions the neighbours were found in. */
  dims: number;
  pcaDims: number;
  knn: { method: 'exact' | 'nn-descent'; k: number; recall: number };
  quality: LayoutQualityInfo;
  /** For a warm-started update: how far the points it shares with the previous layout moved (share of its RMS radius). */
  moved?: { mean: number; max: number; points: number };
  warm: boolean;
  timingsMs: { pca: number; knn: number; optimise: number; quality: number; total: number };
}

/** One embedding space the map can show. */
export interface EmbeddingSpaceSummary {
  /** Stable id: `audio:<modelKey>@<datasetDir>` or `run:<runId>/<name>`. */
  id: string;
  kind: 'audio' | 'text' | 'run';
  name: string;
  count: number;
  dim: number;
  /** Run snapshots: their steps, oldest first. */
  steps?: number[];
}

export const CANCELLED_MESSAGE = 'Layout cancelled: a newer request for the same map replaced it.';

/** Error name of a layout promise rejected because a newer request replaced it. */
export const LAYOUT_CANCELLED = 'LayoutCancelled';

export interface ProjectionLayoutParams {
  requestId: string;
  /** An EmbeddingSpaceSummary id. */
  space: string;
  /** Run snapshot step (run spaces); default the latest. */
  step?: number;
  options?: LayoutOptions;
}

export interface ProjectionLayoutResult {
  ids: string[];
  labels: string[];
  /** Audio spaces: each point's source file (absolute), or null when the cache does not know it. */
  files?: Array<string | null>;
  /** n × 2, row-major. */
  layout: number[];
  info: LayoutInfo;
  /** True when the stored layout was returned without computing. */
  cached: boolean;
}

export namespace ProjectionSpacesRequest {
  export const method = 'tunestudio/projection/spaces' as const;
  export const type = new RequestType<{ datasetDir?: string; runId?: string }, EmbeddingSpaceSummary[], void>(method);
}

export namespace ProjectionLayoutRequest {
  export const method = 'tunestudio/projection/layout' as const;
  export const type = new RequestType<ProjectionLayoutParams, ProjectionLayoutResult, void>(method);
}

export namespace ProjectionCancelRequest {
  export const method = 'tunestudio/projection/cancel' as const;
  export const type = new RequestType<{ requestId: string }, { cancelled: boolean }, void>(method);
}

export namespace ProjectionProgressNotification {
  export const method = 'tunestudio/projection/progress' as const;
  export const type = new NotificationType<LayoutProgress>(method);
}
