// The dataset service: list, create, import, validate, caption, export. Used
// by the runtime (over JSON-RPC, see index.ts) and by the CLI in-process; it
// knows nothing of the connection except the callbacks it is given.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  MANIFEST_FILE,
  type CaptionParams,
  type CaptionProgress,
  type CaptionResult,
  type CreateDatasetParams,
  type DatasetSummary,
  type ExportParams,
  type ExportResult,
  type ImportAudioParams,
  type ImportAudioResult,
  type PresenceState,
  type SampleInfo,
  type SampleSummary,
  type ValidationReport,
} from '../../protocol/datasets';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { FfmpegMissingError, resolveAudioTools, type AudioTools } from '../audio/ffmpeg';
import { Captioner } from '../captioning/captioner';
import type { ModelOptions } from '../captioning/model';
import { CaptionQueue } from '../captioning/queue';
import { writeFileAtomic } from '../os/fs';
import { DatasetDiagnostics, type PublishFn } from './diagnostics';
import { exportFolder, exportParquet } from './export';
import { FileFacts } from './facts';
import { importAudio } from './importer';
import { defaultManifest, manifestPath, parseManifest, readManifestText } from './manifest';
import { refuseReason, sanitizeStem } from './names';
import { PathRefusedError, isInside, realpathOrNull, resolveDir } from './paths';
import { discoverDatasets, readHead, scanDataset, type SampleFiles, type TextFile } from './scan';
import { parseTags } from './tags';
import { validateDataset } from './validate';
import { acquireCaptionLock } from './lock';

export interface DatasetSettings {
  ffmpegPath?: string;
  captioningModelPath?: string;
  captioningOffline?: boolean;
}

export interface DatasetServiceOptions {
  store: Store;
  log: Logger;
  settings: () => DatasetSettings;
  /** Roots for discovery and for path checks (requests may not reach outside them); empty: no check (CLI). */
  workspaceFolders: string[];
  publish?: PublishFn;
  onChanged?: () => void;
  onProgress?: (p: CaptionProgress) => void;
  /** Text of a file open in the editor (unsaved edits win over the disk). */
  documentText?: (file: string) => string | null;
  /** Model download cache and hub address (tests point these at temp folders and a local server). */
  modelCacheDir?: string;
  modelEndpoint?: string;
}

const PROMPT_INFO_BYTES = 64 * 1024;
const LYRICS_INFO_BYTES = 256 * 1024;

function presence(f: TextFile | null): PresenceState {
  return !f ? 'missing' : f.size === 0 ? 'empty' : 'ok';
}

export class DatasetService {
  readonly facts: FileFacts;
  readonly captioner: Captioner;
  readonly queue: CaptionQueue;
  private readonly diagnostics: DatasetDiagnostics | null;
  private readonly lastCounts = new Map<string, { errors: number; warnings: number }>();
  private readonly backgroundProbes = new Set<string>();
  /** Work started after a request returned (probes, re-validation): awaited on dispose. */
  private readonly background = new Set<Promise<unknown>>();
  private disposed = false;

  constructor(private readonly o: DatasetServiceOptions) {
    this.facts = new FileFacts(() => o.store.db);
    this.diagnostics = o.publish ? new DatasetDiagnostics(o.publish) : null;
    this.queue = new CaptionQueue((p) => o.onProgress?.(p));
    this.captioner = new Captioner({
      db: () => o.store.db,
      facts: this.facts,
      storeDir: o.store.dir,
      tools: () => this.tools(),
      model: () => this.modelOptions(),
    });
  }

  tools(): AudioTools {
    return resolveAudioTools(this.o.settings().ffmpegPath || undefined);
  }

  modelOptions(): ModelOptions {
    const s = this.o.settings();
    return {
      modelPath: s.captioningModelPath || undefined,
      offline: !!s.captioningOffline,
      cacheDir: this.o.modelCacheDir,
      endpoint: this.o.modelEndpoint,
      workspaceFolders: this.o.workspaceFolders,
    };
  }

  /** A dataset folder from a request: real path, inside the workspace, with a dataset.json. */
  resolveDataset(dir: string): string {
    const real = resolveDir(dir, this.o.workspaceFolders, 'Dataset folder');
    if (!fs.existsSync(path.join(real, MANIFEST_FILE))) {
      throw new PathRefusedError(`'${dir}' is not a dataset: it has no ${MANIFEST_FILE}. Create one with "Tune Studio: New Dataset".`);
    }
    return real;
  }

  private manifestText(dir: string): string | null {
    return this.o.documentText?.(manifestPath(dir)) ?? readManifestText(dir);
  }

  private manifest(dir: string) {
    return parseManifest(dir, this.manifestText(dir));
  }

  list(): DatasetSummary[] {
    return discoverDatasets(this.o.workspaceFolders).map((dir) => this.summary(dir));
  }

  summary(dir: string): DatasetSummary {
    const parsed = this.manifest(dir);
    let files: ReturnType<typeof scanDataset> | null = null;
    try {
      files = scanDataset(dir);
    } catch {
      /* unreadable folder: shown with zero samples */
    }
    let total: number | null = null;
    for (const s of files?.samples ?? []) {
      const d = this.cachedDuration(s);
      if (d !== null) total = (total ?? 0) + d;
    }
    const b = this.queue.forDir(dir);
    return {
      dir,
      name: parsed.manifest.name,
      triggerWord: parsed.manifest.triggerWord ?? '',
      sampleCount: files?.samples.length ?? 0,
      totalDuration: total,
      problems: this.lastCounts.get(dir) ?? null,
      ...(b && b.state !== 'finished' ? { captioning: { batchId: b.id, done: b.done, total: b.total, state: b.state } } : {}),
      ...(parsed.readable ? {} : { manifestError: parsed.problems[0]?.message }),
    };
  }

  private cachedDuration(s: SampleFiles): number | null {
    try {
      return this.facts.cachedProbe(s.audio, fs.statSync(s.audio))?.duration ?? null;
    } catch {
      return null;
    }
  }

  /** Samples with their state; durations not known yet are probed in the background (a change notification follows). */
  samples(dirIn: string): SampleSummary[] {
    const dir = this.resolveDataset(dirIn);
    const files = scanDataset(dir);
    const unknown: SampleFiles[] = [];
    const out = files.samples.map((s) => {
      const duration = this.cachedDuration(s);
      if (duration === null && s.size > 0 && !s.linkOutside) unknown.push(s);
      return this.sampleSummary(s, duration);
    });
    if (unknown.length) this.probeInBackground(dir, unknown);
    return out;
  }

  private sampleSummary(s: SampleFiles, duration: number | null): SampleSummary {
    return {
      stem: s.stem,
      audio: s.audio,
      prompt: s.prompt,
      lyrics: s.lyrics,
      promptState: presence(s.promptFile),
      lyricsState: presence(s.lyricsFile),
      captionState: this.captioner.captionState(s.prompt, s.promptFile),
      duration,
      size: s.size,
    };
  }

  private track(p: Promise<unknown>): void {
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private probeInBackground(dir: string, samples: SampleFiles[]): void {
    if (this.disposed || this.backgroundProbes.has(dir)) return;
    let tools: AudioTools;
    try {
      tools = this.tools();
    } catch {
      return; // validation reports a missing ffmpeg
    }
    this.backgroundProbes.add(dir);
    const work = (async () => {
      for (const s of samples) {
        try {
          await this.facts.probe(s.audio, tools);
        } catch (e) {
          this.o.log.debug(`probe of ${s.audio} failed: ${(e as Error).message}`);
        }
      }
    })().finally(() => {
      this.backgroundProbes.delete(dir);
      if (!this.disposed) this.o.onChanged?.();
    });
    this.track(work);
  }

  async sampleInfo(dirIn: string, stem: string): Promise<SampleInfo> {
    const dir = this.resolveDataset(dirIn);
    const s = scanDataset(dir).samples.find((x) => x.stem === stem);
    if (!s) throw new Error(`Dataset '${path.basename(dir)}' has no sample '${stem}'.`);
    // Reading (or playing) it would reach outside the dataset folder.
    if (s.linkOutside) throw new PathRefusedError(`Sample '${s.audioName}' is a link to '${s.linkOutside}', outside the dataset folder; refused. Copy the file in instead.`);
    let probe = null;
    try {
      probe = s.size > 0 ? await this.facts.probe(s.audio, this.tools()) : null;
    } catch (e) {
      if (!(e instanceof FfmpegMissingError)) throw e;
    }
    const prompt = s.promptFile ? readHead(s.prompt, PROMPT_INFO_BYTES).text : '';
    const lyrics = s.lyricsFile ? readHead(s.lyrics, LYRICS_INFO_BYTES) : { text: '', truncated: false };
    return {
      ...this.sampleSummary(s, probe?.duration ?? null),
      promptText: prompt,
      lyricsText: lyrics.text,
      lyricsTruncated: lyrics.truncated,
      tags: parseTags(prompt),
      autoTags: this.captioner.previousAutoTags(s.prompt),
      codec: probe?.codec ?? null,
      sampleRate: probe?.sampleRate ?? null,
      channels: probe?.channels ?? null,
      sha256: s.size > 0 ? await this.facts.sha256(s.audio) : null,
    };
  }

  create(p: CreateDatasetParams): DatasetSummary {
    const parent = resolveDir(p.parent, this.o.workspaceFolders, 'Parent folder');
    const name = typeof p.name === 'string' ? p.name.trim() : '';
    const refused = refuseReason(name);
    if (refused) throw new PathRefusedError(`Dataset name '${JSON.stringify(name).slice(1, -1)}' refused: ${refused}.`);
    const trigger = (p.triggerWord ?? '').trim();
    if (/[,\n\r\0]/.test(trigger)) throw new Error(`Trigger word '${trigger}' must not contain commas or line breaks (prompts are comma-separated tags).`);
    const folder = sanitizeStem(name);
    const dir = path.join(parent, folder);
    let st: fs.Stats | null = null;
    try {
      st = fs.lstatSync(dir);
    } catch {
      /* new */
    }
    if (st?.isSymbolicLink()) throw new PathRefusedError(`'${dir}' is a symbolic link; create the dataset somewhere else.`);
    if (st && !st.isDirectory()) throw new Error(`'${dir}' exists and is not a folder.`);
    if (st && fs.existsSync(path.join(dir, MANIFEST_FILE))) throw new Error(`'${dir}' is already a dataset (it has a ${MANIFEST_FILE}).`);
    if (!st) fs.mkdirSync(dir);
    const real = realpathOrNull(dir)!;
    if (!isInside(parent, real)) throw new PathRefusedError(`'${dir}' resolves outside '${parent}'; refused.`);
    writeFileAtomic(path.join(real, MANIFEST_FILE), JSON.stringify(defaultManifest(name, trigger), null, 2) + '\n');
    this.o.onChanged?.();
    return this.summary(real);
  }

  async import(p: ImportAudioParams): Promise<ImportAudioResult> {
    const dir = this.resolveDataset(p.dir);
    const name = this.manifest(dir).manifest.name;
    const result = await importAudio(dir, name, p, { facts: this.facts, tools: this.tools() });
    this.o.onChanged?.();
    this.revalidateLater(dir);
    return result;
  }

  async validate(dirIn: string): Promise<ValidationReport> {
    const dir = this.resolveDataset(dirIn);
    return (await this.runValidation(dir)).report;
  }

  private async runValidation(dir: string) {
    let tools: AudioTools | null = null;
    let toolsError: string | undefined;
    try {
      tools = this.tools();
    } catch (e) {
      toolsError = (e as Error).message;
    }
    const out = await validateDataset({ dir, manifestText: this.manifestText(dir), facts: this.facts, tools, toolsError });
    this.diagnostics?.publish(out.report);
    this.lastCounts.set(dir, { errors: out.report.errors, warnings: out.report.warnings });
    return out;
  }

  /** Re-validates after a change, without failing the request that caused it. */
  revalidateLater(dir: string): void {
    if (this.disposed) return;
    this.track(
      this.runValidation(dir).then(
        () => this.o.onChanged?.(),
        (e) => this.o.log.warn(`validation of ${dir} failed`, e),
      ),
    );
  }

  /** Validates a dataset.json the editor has open (text may be unsaved). */
  async validateManifestDocument(file: string): Promise<void> {
    const dir = realpathOrNull(path.dirname(file));
    if (!dir || path.basename(file) !== MANIFEST_FILE) return;
    if (this.o.workspaceFolders.length && !this.o.workspaceFolders.some((r) => isInside(realpathOrNull(r) ?? r, dir))) return;
    await this.runValidation(dir);
    this.o.onChanged?.();
  }

  /** Everything up to the queue's check-and-set runs before the first await, so two calls cannot both pass it. */
  async caption(p: CaptionParams): Promise<CaptionResult> {
    const dir = this.resolveDataset(p.dir);
    const { manifest } = this.manifest(dir);
    this.tools(); // a missing ffmpeg is an error now, not once per sample
    const all = scanDataset(dir).samples.filter((s) => !s.linkOutside && s.size > 0);
    let samples = all;
    if (p.stems) {
      const byStem = new Map(all.map((s) => [s.stem, s]));
      const unknown = p.stems.filter((s) => !byStem.has(s));
      if (unknown.length) throw new Error(`Dataset '${manifest.name}' has no sample${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} to caption.`);
      samples = [...new Set(p.stems)].map((s) => byStem.get(s)!);
    }
    // Across processes too (a captioning job, the CLI): one batch per dataset at a time.
    const promise = this.queue.submit(
      dir,
      manifest.name,
      async (batch) => {
        const release = acquireCaptionLock(this.o.store.dir, dir, manifest.name);
        try {
          return await this.captioner.run(batch, { dir, manifest, samples, overwrite: !!p.overwrite });
        } finally {
          release();
        }
      },
      p.batchId,
    );
    this.o.onChanged?.();
    try {
      return await promise;
    } finally {
      this.o.onChanged?.();
      this.revalidateLater(dir);
    }
  }

  cancelCaption(batchId: string): boolean {
    return this.queue.cancel(batchId);
  }

  async export(p: ExportParams): Promise<ExportResult> {
    const dir = this.resolveDataset(p.dir);
    const busy = this.queue.forDir(dir);
    if (busy) throw new Error(`Dataset '${busy.name}' is being captioned (batch ${busy.id}); export it when captioning has finished.`);
    const { report, files } = await this.runValidation(dir);
    if (!report.ok) {
      const first = report.problems.find((x) => x.severity === 'error');
      throw new Error(`Dataset '${report.name}' does not validate (${report.errors} error${report.errors === 1 ? '' : 's'}${first ? `, e.g. ${first.message}` : ''}). Fix the errors shown in the Problems panel, then export.`);
    }
    if (files.samples.length === 0) throw new Error(`Dataset '${report.name}' has no samples to export.`);
    if (p.format === 'parquet') return exportParquet(dir, files.samples, p.out);
    if (p.format === 'folder') {
      let tools: AudioTools | null = null;
      try {
        tools = this.tools();
      } catch {
        /* only needed for non-mp3 files; exportFolder says so */
      }
      return exportFolder(dir, files.samples, p.out, tools);
    }
    throw new Error(`Unknown export format '${String(p.format)}'; use 'parquet' or 'folder'.`);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.queue.cancelAll();
    await this.queue.idle();
    while (this.background.size) await Promise.allSettled([...this.background]);
    await this.captioner.dispose();
  }
}
