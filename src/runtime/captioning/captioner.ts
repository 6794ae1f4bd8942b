// Captions samples: model (downloaded once, loaded once), label embeddings
// (disk cache), each clip's embedding (store cache by content hash, else
// decode a few windows with ffmpeg and run the audio tower), tags per
// dimension, and the prompt file rewritten atomically with the trigger word
// first and the user's own tags kept.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
import type { CaptionedSample, CaptionResult, DatasetManifest } from '../../protocol/datasets';
import type { AudioTools } from '../audio/ffmpeg';
import { decodeWindows, windowStarts } from '../audio/decode';
import { writeFileAtomic } from '../os/fs';
import type { FileFacts } from '../datasets/facts';
import type { SampleFiles } from '../datasets/scan';
import { formatTags, mergeTags, parseTags } from '../datasets/tags';
import { Clap, MAX_WINDOWS, modelKeys } from './clap';
import { AudioEmbeddingStore } from './embeddings';
import { loadLabels, type LabelSet } from './labels';
import { ensureModel, type DownloadProgress, type ModelOptions, type ResolvedModel } from './model';
import type { Batch } from './queue';
import { tagAudio } from './tagger';
import { TextEmbeddingCache } from './textCache';

const MAX_PROMPT_BYTES = 64 * 1024;

export interface CaptionerDeps {
  db: () => Database.Database;
  facts: FileFacts;
  storeDir: string;
  tools: () => AudioTools;
  model: () => ModelOptions;
}

export interface CaptionJob {
  dir: string;
  manifest: DatasetManifest;
  samples: SampleFiles[];
  overwrite: boolean;
}

interface CaptionRecord {
  auto_tags: string;
  prompt_size: number;
  prompt_mtime_ms: number;
}

export class Captioner {
  private loaded: { key: string; clap: Promise<Clap> } | null = null;
  readonly textCache: TextEmbeddingCache;
  readonly embeddings: AudioEmbeddingStore;
  /** Label embeddings kept in memory for the loaded model, by label texts hash. */
  private labelVectors = new Map<string, Float32Array[]>();

  constructor(private readonly deps: CaptionerDeps) {
    this.textCache = new TextEmbeddingCache(path.join(deps.storeDir, 'cache', 'captioning'));
    this.embeddings = new AudioEmbeddingStore(deps.db);
  }

  /** The loaded model for the current settings (downloads and loads on first use). */
  async clap(onDownload?: (p: DownloadProgress) => void, signal?: AbortSignal): Promise<Clap> {
    const model: ResolvedModel = await ensureModel({ ...this.deps.model(), signal }, onDownload);
    const keys = await modelKeys(model, this.deps.facts);
    const key = `${model.dir}\n${keys.text}\n${keys.audio}`;
    if (this.loaded?.key !== key) {
      const previous = this.loaded;
      this.labelVectors = new Map();
      this.loaded = { key, clap: Clap.load(model, keys) };
      this.loaded.clap.catch(() => {
        if (this.loaded?.key === key) this.loaded = null;
      });
      if (previous) void previous.clap.then((c) => c.dispose(), () => undefined);
    }
    return this.loaded.clap;
  }

  /** Label text embeddings: memory, else the disk cache, else the text tower (then cached). */
  async labelEmbeddings(clap: Clap, labels: LabelSet): Promise<{ vectors: Float32Array[]; cacheHit: boolean }> {
    const mem = this.labelVectors.get(labels.textsHash);
    if (mem) return { vectors: mem, cacheHit: true };
    const key = { modelId: clap.model.id, textKey: clap.keys.text, textsHash: labels.textsHash, count: labels.texts.length };
    let vectors = this.textCache.get(key);
    const cacheHit = vectors !== null;
    if (!vectors) {
      vectors = await clap.embedTexts(labels.texts);
      this.textCache.put(key, vectors);
    }
    this.labelVectors.set(labels.textsHash, vectors);
    return { vectors, cacheHit };
  }

  /** A clip's embedding: from the store by content hash, else computed and stored. */
  async audioEmbedding(clap: Clap, file: string, signal?: AbortSignal): Promise<{ vector: Float32Array; cached: boolean }> {
    const hash = await this.deps.facts.sha256(file, signal);
    const hit = this.embeddings.get(hash, clap.keys.audio);
    if (hit) return { vector: hit.vector, cached: true };
    const tools = this.deps.tools();
    const probe = await this.deps.facts.probe(file, tools, signal);
    if (!probe.ok) throw new Error(`cannot decode: ${probe.error}`);
    const starts = windowStarts(probe.duration ?? 0, clap.windowSamples, clap.sampleRate, MAX_WINDOWS);
    const windows = await decodeWindows(file, tools, starts, clap.windowSamples, { sampleRate: clap.sampleRate, signal });
    const vector = await clap.embedAudio(windows);
    this.embeddings.put(hash, clap.keys.audio, clap.model.id, vector, windows.length, file);
    return { vector, cached: false };
  }

  private record(prompt: string): CaptionRecord | undefined {
    return this.deps.db().prepare(`SELECT auto_tags, prompt_size, prompt_mtime_ms FROM sample_captions WHERE prompt_path = ?`).get(prompt) as CaptionRecord | undefined;
  }

  /** The tags the captioner wrote last time into this prompt. */
  previousAutoTags(prompt: string): string[] {
    const r = this.record(prompt);
    return r ? (JSON.parse(r.auto_tags) as string[]) : [];
  }

  /** none / captioned / edited, from the record and the prompt's size and mtime (no read). */
  captionState(prompt: string, st: { size: number; mtimeMs: number } | null): 'none' | 'captioned' | 'edited' {
    const r = this.record(prompt);
    if (!r || !st) return 'none';
    return r.prompt_size === st.size && r.prompt_mtime_ms === st.mtimeMs ? 'captioned' : 'edited';
  }

  /**
   * Rewrites one prompt file: read, merge, write atomically, record. No
   * await between the read and the write, so nothing of ours interleaves.
   */
  writePrompt(s: SampleFiles, auto: string[], manifest: DatasetManifest, overwrite: boolean, meta: { modelKey: string; labelsHash: string }): { prompt: string; tags: string[] } {
    let existing: string[] = [];
    try {
      const st = fs.lstatSync(s.prompt);
      if (st.isSymbolicLink()) throw new Error(`'${path.basename(s.prompt)}' is a symbolic link; refusing to replace it`);
      if (st.size > MAX_PROMPT_BYTES) throw new Error(`'${path.basename(s.prompt)}' is larger than 64 KiB; not a tag list`);
      existing = parseTags(fs.readFileSync(s.prompt, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const tags = mergeTags({ existing, previousAuto: this.previousAutoTags(s.prompt), auto, triggerWord: manifest.triggerWord, overwrite });
    const text = formatTags(tags) + '\n';
    writeFileAtomic(s.prompt, text);
    const st = fs.statSync(s.prompt);
    this.deps
      .db()
      .prepare(
        `INSERT INTO sample_captions(prompt_path, auto_tags, model_key, labels_hash, prompt_size, prompt_mtime_ms, captioned_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(prompt_path) DO UPDATE SET auto_tags=excluded.auto_tags, model_key=excluded.model_key, labels_hash=excluded.labels_hash,
           prompt_size=excluded.prompt_size, prompt_mtime_ms=excluded.prompt_mtime_ms, captioned_at=excluded.captioned_at`,
      )
      .run(s.prompt, JSON.stringify(auto), meta.modelKey, meta.labelsHash, st.size, st.mtimeMs, new Date().toISOString());
    return { prompt: text.trimEnd(), tags };
  }

  /** Runs one batch (called by the queue: one at a time). */
  async run(batch: Batch, job: CaptionJob): Promise<CaptionResult> {
    const signal = batch.abort.signal;
    const result: CaptionResult = { batchId: batch.id, dir: job.dir, status: 'done', captioned: [], failed: [], cacheHits: 0, cacheMisses: 0, textCacheHit: false, model: '' };
    batch.total = job.samples.length;
    try {
      batch.progress('model', { message: 'loading the captioning model' });
      const clap = await this.clap((d) => batch.progress('model', { message: `downloading ${d.file}`, download: d }), signal);
      result.model = clap.model.id;
      batch.progress('labels', { message: 'embedding the labels' });
      const labels = loadLabels({ datasetDir: job.dir, settings: job.manifest.caption, storeDir: this.deps.storeDir });
      const { vectors, cacheHit } = await this.labelEmbeddings(clap, labels);
      result.textCacheHit = cacheHit;
      for (const s of job.samples) {
        if (signal.aborted) break;
        batch.progress('captioning', { current: s.stem });
        try {
          const { vector, cached } = await this.audioEmbedding(clap, s.audio, signal);
          if (cached) result.cacheHits++;
          else result.cacheMisses++;
          if (signal.aborted) break;
          const auto = tagAudio(vector, labels, vectors).flatMap((d) => d.chosen);
          const written = this.writePrompt(s, auto, job.manifest, job.overwrite, { modelKey: clap.keys.audio, labelsHash: labels.hash });
          const c: CaptionedSample = { stem: s.stem, prompt: written.prompt, tags: written.tags, autoTags: auto, cached };
          result.captioned.push(c);
        } catch (e) {
          if (signal.aborted) break;
          result.failed.push({ stem: s.stem, message: (e as Error).message });
        }
        batch.done++;
      }
      result.status = signal.aborted ? 'cancelled' : 'done';
      batch.progress(result.status, { message: `${result.captioned.length} captioned, ${result.failed.length} failed` });
    } catch (e) {
      result.status = signal.aborted ? 'cancelled' : 'failed';
      result.message = signal.aborted ? 'cancelled' : (e as Error).message;
      batch.progress(result.status, { message: result.message });
    }
    return result;
  }

  async dispose(): Promise<void> {
    const l = this.loaded;
    this.loaded = null;
    if (l) await l.clap.then((c) => c.dispose(), () => undefined);
  }
}
