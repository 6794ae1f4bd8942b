// Label text embeddings on disk, one file per (model id, text graph and
// tokenizer hashes, label texts hash). The file name is the hash of that key
// and the file repeats the key, so a changed label list or model can never
// be served stale embeddings: it simply has no file yet.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../os/fs';

interface CacheFile {
  kind: 'tunestudio-clap-text-embeddings';
  modelId: string;
  textKey: string;
  textsHash: string;
  dim: number;
  count: number;
  data: string;
}

export class TextEmbeddingCache {
  constructor(readonly dir: string) {}

  fileFor(textKey: string, textsHash: string): string {
    const name = crypto.createHash('sha256').update(`${textKey}\n${textsHash}`).digest('hex');
    return path.join(this.dir, `text-${name}.json`);
  }

  get(key: { modelId: string; textKey: string; textsHash: string; count: number }): Float32Array[] | null {
    const file = this.fileFor(key.textKey, key.textsHash);
    let c: CacheFile;
    try {
      c = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
    } catch {
      return null;
    }
    if (c.kind !== 'tunestudio-clap-text-embeddings' || c.modelId !== key.modelId || c.textKey !== key.textKey || c.textsHash !== key.textsHash || c.count !== key.count) return null;
    const buf = Buffer.from(c.data, 'base64');
    if (buf.length !== c.dim * c.count * 4) return null;
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    return Array.from({ length: c.count }, (_, i) => all.slice(i * c.dim, (i + 1) * c.dim));
  }

  put(key: { modelId: string; textKey: string; textsHash: string }, vectors: Float32Array[]): void {
    const dim = vectors[0]?.length ?? 0;
    const all = new Float32Array(dim * vectors.length);
    vectors.forEach((v, i) => all.set(v, i * dim));
    const c: CacheFile = {
      kind: 'tunestudio-clap-text-embeddings',
      modelId: key.modelId,
      textKey: key.textKey,
      textsHash: key.textsHash,
      dim,
      count: vectors.length,
      data: Buffer.from(all.buffer).toString('base64'),
    };
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.fileFor(key.textKey, key.textsHash), JSON.stringify(c));
  }
}
