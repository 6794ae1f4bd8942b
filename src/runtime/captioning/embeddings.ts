// Audio embeddings in the store, keyed by content hash and model key, so a
// renamed or copied file is not embedded again and a changed model never
// reuses old vectors. The projection view reads the same table.
import type Database from 'better-sqlite3';

export interface StoredEmbedding {
  vector: Float32Array;
  windows: number;
}

export class AudioEmbeddingStore {
  constructor(private readonly db: () => Database.Database) {}

  get(contentHash: string, modelKey: string): StoredEmbedding | null {
    const r = this.db().prepare(`SELECT dim, vector, windows FROM audio_embeddings WHERE content_hash = ? AND model_key = ?`).get(contentHash, modelKey) as
      | { dim: number; vector: Buffer; windows: number }
      | undefined;
    if (!r || r.vector.length !== r.dim * 4) return null;
    const v = new Float32Array(r.dim);
    Buffer.from(v.buffer).set(r.vector);
    return { vector: v, windows: r.windows };
  }

  put(contentHash: string, modelKey: string, modelId: string, vector: Float32Array, windows: number, sourcePath: string): void {
    this.db()
      .prepare(
        `INSERT INTO audio_embeddings(content_hash, model_key, model_id, dim, vector, windows, source_path, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(content_hash, model_key) DO UPDATE SET source_path = excluded.source_path`,
      )
      .run(contentHash, modelKey, modelId, vector.length, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength), windows, sourcePath, new Date().toISOString());
  }

  /** All embeddings of one model (for the projection view). */
  all(modelKey: string): Array<{ contentHash: string; sourcePath: string | null; vector: Float32Array }> {
    const rows = this.db().prepare(`SELECT content_hash, source_path, dim, vector FROM audio_embeddings WHERE model_key = ? ORDER BY content_hash`).all(modelKey) as Array<{
      content_hash: string;
      source_path: string | null;
      dim: number;
      vector: Buffer;
    }>;
    return rows.map((r) => {
      const v = new Float32Array(r.dim);
      Buffer.from(v.buffer).set(r.vector);
      return { contentHash: r.content_hash, sourcePath: r.source_path, vector: v };
    });
  }
}
