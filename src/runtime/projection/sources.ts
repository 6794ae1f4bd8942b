// Where the map's vectors come from, and where snapshots and layouts are kept:
// the CLAP audio embeddings the captioner caches, snapshots a trainer sends
// with the protocol `embedding` message (inline, or an .npy / .safetensors
// file beside its log), and computed layouts keyed by their input so a map
// reopens without recomputing. This file owns the SQL of embedding_snapshots
// and embedding_layouts.
import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EmbeddingMessage } from '../../protocol/lines';
import type { LayoutInfo, LayoutOptions } from '../../protocol/projection';
import type { AudioEmbeddingStore } from '../captioning/embeddings';
import { readSafetensors } from '../training/safetensors';
import { readNpy } from './npy';

/** Vectors of one space, row-major, with an id and a label per row. */
export interface EmbeddingSet {
  ids: string[];
  labels: string[];
  dim: number;
  vectors: Float32Array;
  /** Audio spaces: each row's source file (absolute), or null; the map plays it on click. */
  files?: Array<string | null>;
}

export interface SnapshotSummary {
  id: number;
  runId: string;
  space: string;
  step: number | null;
  count: number;
  dim: number;
  source: string;
}

export class EmbeddingSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddingSourceError';
  }
}

/** The captioner's cached audio embeddings of one model, limited to files under `datasetDir` when given. */
export function audioEmbeddings(store: AudioEmbeddingStore, modelKey: string, datasetDir?: string): EmbeddingSet {
  const root = datasetDir ? path.resolve(datasetDir) + path.sep : null;
  const rows = store.all(modelKey).filter((r) => !root || (r.sourcePath !== null && path.resolve(r.sourcePath).startsWith(root)));
  const dim = rows[0]?.vector.length ?? 0;
  const kept = rows.filter((r) => r.vector.length === dim);
  const vectors = new Float32Array(kept.length * dim);
  kept.forEach((r, i) => vectors.set(r.vector, i * dim));
  return {
    ids: kept.map((r) => r.contentHash),
    labels: kept.map((r) => (r.sourcePath ? path.basename(r.sourcePath) : r.contentHash.slice(0, 12))),
    dim,
    vectors,
    files: kept.map((r) => r.sourcePath),
  };
}

/**
 * Reads the vectors of a protocol `embedding` message: inline `vectors`, or
 * `file` (.npy, or .safetensors with `tensor` naming the tensor when it holds
 * several) resolved against `baseDir` (the folder of the job's log) and
 * refused when it points outside it.
 */
export function readEmbeddingMessage(msg: EmbeddingMessage, baseDir: string): EmbeddingSet & { source: string } {
  const name = `Embedding snapshot '${msg.name}'`;
  let vectors: Float32Array;
  let rows: number;
  let dim: number;
  let source: string;
  if (msg.vectors) {
    rows = msg.vectors.length;
    dim = msg.vectors[0]?.length ?? 0;
    vectors = new Float32Array(rows * dim);
    msg.vectors.forEach((v, i) => {
      if (v.length !== dim) throw new EmbeddingSourceError(`${name}: vector ${i} has ${v.length} values, the first has ${dim}; send vectors of one length.`);
      vectors.set(v, i * dim);
    });
    source = 'inline';
  } else if (msg.file) {
    const root = path.resolve(baseDir);
    const file = path.resolve(root, msg.file);
    if (file !== root && !file.startsWith(root + path.sep)) {
      throw new EmbeddingSourceError(`${name}: file '${msg.file}' is outside the job folder ${root}; write it beside the log and send a relative path.`);
    }
    if (!fs.existsSync(file)) throw new EmbeddingSourceError(`${name}: file '${msg.file}' does not exist in ${root}; write it before printing the message.`);
    if (file.endsWith('.npy')) {
      const m = readNpy(file);
      rows = m.rows;
      dim = m.cols;
      vectors = m.data;
    } else if (file.endsWith('.safetensors')) {
      const { tensors } = readSafetensors(file);
      const names = [...tensors.keys()];
      const key = msg.tensor ?? (names.length === 1 ? names[0] : undefined);
      const t = key !== undefined ? tensors.get(key) : undefined;
      if (!t) {
        throw new EmbeddingSourceError(`${name}: ${msg.tensor ? `tensor '${msg.tensor}' is not in` : 'say which tensor to read ("tensor") from'} '${msg.file}' (it holds ${names.join(', ') || 'no tensors'}).`);
      }
      if (t.shape.length !== 2 || !(t.data instanceof Float32Array)) {
        throw new EmbeddingSourceError(`${name}: tensor '${key}' in '${msg.file}' is ${t.dtype} of shape [${t.shape}]; a 2-D float tensor (vectors × dimensions) is needed.`);
      }
      [rows, dim] = t.shape;
      vectors = t.data;
    } else {
      throw new EmbeddingSourceError(`${name}: file '${msg.file}' is neither .npy nor .safetensors; save the vectors in one of those formats.`);
    }
    source = path.relative(root, file);
  } else {
    throw new EmbeddingSourceError(`${name}: it has neither "vectors" nor "file"; send one of them.`);
  }
  if (msg.ids.length !== rows) throw new EmbeddingSourceError(`${name}: ${msg.ids.length} ids for ${rows} vectors; send one id per vector.`);
  if (msg.labels && msg.labels.length !== rows) throw new EmbeddingSourceError(`${name}: ${msg.labels.length} labels for ${rows} vectors; send one label per vector, or none.`);
  for (let i = 0; i < vectors.length; i++) {
    if (!Number.isFinite(vectors[i])) throw new EmbeddingSourceError(`${name}: vector ${Math.floor(i / dim)} ('${msg.ids[Math.floor(i / dim)]}') has a non-finite value; the snapshot was not stored.`);
  }
  return { ids: msg.ids, labels: msg.labels ?? msg.ids, dim, vectors, source };
}

/** A stable key for a layout: the vectors, ids and options it was computed from. */
export function layoutKey(set: EmbeddingSet, options: LayoutOptions): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ options, dim: set.dim, ids: set.ids }));
  h.update(Buffer.from(set.vectors.buffer, set.vectors.byteOffset, set.vectors.byteLength));
  return h.digest('hex');
}

function toBlob(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function fromBlob(b: Buffer): Float32Array {
  const out = new Float32Array(b.length / 4);
  Buffer.from(out.buffer).set(b);
  return out;
}

export class EmbeddingSnapshotStore {
  constructor(private readonly db: () => Database.Database) {}

  /** Stores a run's snapshot; a second snapshot of the same space and step replaces the first. Returns its id. */
  add(runId: string, space: string, step: number | null, set: EmbeddingSet, source: string): number {
    const db = this.db();
    return db.transaction(() => {
      if (step !== null) db.prepare(`DELETE FROM embedding_snapshots WHERE run_id = ? AND space = ? AND step = ?`).run(runId, space, step);
      const r = db
        .prepare(
          `INSERT INTO embedding_snapshots(run_id, space, step, count, dim, ids, labels, vectors, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(runId, space, step, set.ids.length, set.dim, JSON.stringify(set.ids), JSON.stringify(set.labels), toBlob(set.vectors), source, new Date().toISOString());
      return Number(r.lastInsertRowid);
    })();
  }

  list(runId: string): SnapshotSummary[] {
    const rows = this.db()
      .prepare(`SELECT id, run_id, space, step, count, dim, source FROM embedding_snapshots WHERE run_id = ? ORDER BY space, step IS NULL, step, id`)
      .all(runId) as Array<{ id: number; run_id: string; space: string; step: number | null; count: number; dim: number; source: string }>;
    return rows.map((r) => ({ id: r.id, runId: r.run_id, space: r.space, step: r.step, count: r.count, dim: r.dim, source: r.source }));
  }

  get(id: number): (EmbeddingSet & { summary: SnapshotSummary }) | null {
    const r = this.db().prepare(`SELECT * FROM embedding_snapshots WHERE id = ?`).get(id) as
      | { id: number; run_id: string; space: string; step: number | null; count: number; dim: number; ids: string; labels: string | null; vectors: Buffer; source: string }
      | undefined;
    if (!r) return null;
    const ids = JSON.parse(r.ids) as string[];
    return {
      ids,
      labels: r.labels ? (JSON.parse(r.labels) as string[]) : ids,
      dim: r.dim,
      vectors: fromBlob(r.vectors),
      summary: { id: r.id, runId: r.run_id, space: r.space, step: r.step, count: r.count, dim: r.dim, source: r.source },
    };
  }

  putLayout(key: string, snapshotId: number | null, layout: Float32Array, info: LayoutInfo): void {
    this.db()
      .prepare(
        `INSERT INTO embedding_layouts(key, snapshot_id, method, count, layout, info, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET layout = excluded.layout, info = excluded.info, created_at = excluded.created_at`,
      )
      .run(key, snapshotId, info.method, layout.length / 2, toBlob(layout), JSON.stringify(info), new Date().toISOString());
  }

  getLayout(key: string): { layout: Float32Array; info: LayoutInfo } | null {
    const r = this.db().prepare(`SELECT layout, info FROM embedding_layouts WHERE key = ?`).get(key) as { layout: Buffer; info: string } | undefined;
    return r ? { layout: fromBlob(r.layout), info: JSON.parse(r.info) as LayoutInfo } : null;
  }
}
