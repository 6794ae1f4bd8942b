// The projection service, without a transport: which embedding spaces exist,
// and layouts of them — returned from the store when this exact input was laid
// out before, else computed in the layout worker (warm-started from the
// previous snapshot's layout of the same run space) and stored. A new request
// for the same space cancels the stale one.
import type Database from 'better-sqlite3';
import type { EmbeddingSpaceSummary, LayoutOptions, LayoutProgress, ProjectionLayoutParams, ProjectionLayoutResult } from '../../protocol/projection';
import { AudioEmbeddingStore } from '../captioning/embeddings';
import { LayoutEngine } from './engine';
import type { WarmStart } from './layout';
import { audioEmbeddings, EmbeddingSnapshotStore, layoutKey, type EmbeddingSet } from './sources';

export interface ProjectionServiceOptions {
  db: () => Database.Database;
  engine?: LayoutEngine;
  onProgress?: (p: LayoutProgress) => void;
}

export class ProjectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectionError';
  }
}

interface Resolved {
  set: EmbeddingSet;
  snapshotId: number | null;
  /** The previous snapshot of the same run space, to warm-start from. */
  previous: { id: number } | null;
}

export class ProjectionService {
  readonly engine: LayoutEngine;
  private readonly snapshots: EmbeddingSnapshotStore;
  private readonly audio: AudioEmbeddingStore;
  private readonly requests = new Map<string, string>();

  constructor(private readonly o: ProjectionServiceOptions) {
    this.engine = o.engine ?? new LayoutEngine();
    this.snapshots = new EmbeddingSnapshotStore(o.db);
    this.audio = new AudioEmbeddingStore(o.db);
  }

  spaces(p: { datasetDir?: string; runId?: string } = {}): EmbeddingSpaceSummary[] {
    const out: EmbeddingSpaceSummary[] = [];
    if (p.runId) {
      const bySpace = new Map<string, { steps: number[]; count: number; dim: number }>();
      for (const s of this.snapshots.list(p.runId)) {
        const e = bySpace.get(s.space) ?? { steps: [], count: s.count, dim: s.dim };
        if (s.step !== null) e.steps.push(s.step);
        e.count = s.count;
        e.dim = s.dim;
        bySpace.set(s.space, e);
      }
      for (const [space, e] of bySpace) out.push({ id: `run:${p.runId}/${space}`, kind: 'run', name: space, count: e.count, dim: e.dim, steps: e.steps });
    }
    if (p.datasetDir) {
      const keys = this.o.db().prepare(`SELECT DISTINCT model_key FROM audio_embeddings ORDER BY model_key`).pluck().all() as string[];
      for (const key of keys) {
        const set = audioEmbeddings(this.audio, key, p.datasetDir);
        if (set.ids.length) out.push({ id: `audio:${key}@${p.datasetDir}`, kind: 'audio', name: `audio (${key})`, count: set.ids.length, dim: set.dim });
      }
    }
    return out;
  }

  async layout(p: ProjectionLayoutParams): Promise<ProjectionLayoutResult> {
    const options: LayoutOptions = { method: 'pacmap', seed: 42, ...p.options };
    const r = this.resolve(p.space, p.step);
    if (r.set.ids.length < 3) throw new ProjectionError(`Space '${p.space}' has ${r.set.ids.length} vectors; a map needs at least 3.`);
    const key = layoutKey(r.set, options);
    const stored = this.snapshots.getLayout(key);
    if (stored) return { ids: r.set.ids, labels: r.set.labels, ...(r.set.files ? { files: r.set.files } : {}), layout: Array.from(stored.layout), info: stored.info, cached: true };
    let warm: WarmStart | undefined;
    if (r.previous) {
      const prev = this.snapshots.get(r.previous.id);
      const prevLayout = prev ? this.snapshots.getLayout(layoutKey(prev, options)) : null;
      if (prev && prevLayout) {
        const row = new Map(prev.ids.map((id, i) => [id, i]));
        warm = { layout: prevLayout.layout, previousIndex: Int32Array.from(r.set.ids, (id) => row.get(id) ?? -1) };
      }
    }
    this.requests.set(p.requestId, p.space);
    try {
      const out = await this.engine.layout(
        p.space,
        { data: r.set.vectors, n: r.set.ids.length, dims: r.set.dim },
        // The vectors were read for this request only: hand them over instead of copying 4·n·d bytes.
        { options, warm, transfer: true, progress: (stage, done) => this.o.onProgress?.({ requestId: p.requestId, stage, done }) },
      );
      this.snapshots.putLayout(key, r.snapshotId, out.layout, out.info);
      return { ids: r.set.ids, labels: r.set.labels, ...(r.set.files ? { files: r.set.files } : {}), layout: Array.from(out.layout), info: out.info, cached: false };
    } finally {
      this.requests.delete(p.requestId);
    }
  }

  cancel(requestId: string): boolean {
    const space = this.requests.get(requestId);
    return space !== undefined && this.engine.cancel(space);
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  private resolve(space: string, step?: number): Resolved {
    const audio = /^audio:([^@]+)@(.+)$/.exec(space);
    if (audio) return { set: audioEmbeddings(this.audio, audio[1], audio[2]), snapshotId: null, previous: null };
    const run = /^run:([^/]+)\/(.+)$/.exec(space);
    if (!run) throw new ProjectionError(`Space '${space}' is not one this runtime knows (expected 'audio:<model>@<dataset folder>' or 'run:<run id>/<name>'); list them with ${'tunestudio/projection/spaces'}.`);
    const list = this.snapshots.list(run[1]).filter((s) => s.space === run[2]);
    if (!list.length) throw new ProjectionError(`Run '${run[1]}' has no embedding snapshots named '${run[2]}'; the trainer sends them with the protocol "embedding" message.`);
    const at = step === undefined ? list.length - 1 : list.findIndex((s) => s.step === step);
    if (at < 0) throw new ProjectionError(`Run '${run[1]}' has no '${run[2]}' snapshot at step ${step}; it has steps ${list.map((s) => s.step).join(', ')}.`);
    const snap = this.snapshots.get(list[at].id)!;
    return { set: snap, snapshotId: list[at].id, previous: at > 0 ? { id: list[at - 1].id } : null };
  }
}
