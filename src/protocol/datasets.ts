// Dataset and captioning messages between the extension host (and tests) and
// the runtime. A dataset is a folder in ACE-Step's layout: `<stem>.mp3|wav|
// flac|ogg`, `<stem>_prompt.txt`, `<stem>_lyrics.txt`, and `dataset.json`.
// Every path here is absolute. No vscode or node-only imports.
import { NotificationType, RequestType } from 'vscode-jsonrpc';

export const AUDIO_EXTENSIONS = ['.mp3', '.wav', '.flac', '.ogg'] as const;
export const PROMPT_SUFFIX = '_prompt.txt';
export const LYRICS_SUFFIX = '_lyrics.txt';
export const MANIFEST_FILE = 'dataset.json';

/** `dataset.json`. Unknown keys are kept when the runtime rewrites it. */
export interface DatasetManifest {
  version?: number;
  name: string;
  /** Put first in every prompt; LoRA training keys the style on it. */
  triggerWord?: string;
  /** Allowed clip length in seconds (validation). */
  duration?: { min?: number; max?: number };
  caption?: CaptionSettings;
}

export interface CaptionSettings {
  /** Labels file, relative to the dataset folder; else `<store>/caption-labels.json`, else the built-in one. */
  labels?: string;
  /** Overrides every dimension's top_k. */
  topK?: number;
  /** Overrides every dimension's score threshold (0..1, a softmax probability within the dimension). */
  threshold?: number;
}

export type PresenceState = 'ok' | 'missing' | 'empty';
/** none: never captioned here; captioned: prompt is as the captioner wrote it; edited: changed since. */
export type CaptionState = 'none' | 'captioned' | 'edited';

export interface DatasetSummary {
  /** Dataset folder (absolute). Identifies the dataset in every request. */
  dir: string;
  name: string;
  triggerWord: string;
  sampleCount: number;
  /** Sum of known durations, seconds (null when none is known yet). */
  totalDuration: number | null;
  /** Set while a caption batch runs or waits for this dataset. */
  captioning?: { batchId: string; done: number; total: number; state: 'queued' | 'running' };
  /** Problems from the last validation (null: not validated in this runtime yet). */
  problems: { errors: number; warnings: number } | null;
  /** Why the manifest could not be read, when it could not. */
  manifestError?: string;
}

export interface SampleSummary {
  stem: string;
  audio: string;
  prompt: string;
  lyrics: string;
  promptState: PresenceState;
  lyricsState: PresenceState;
  captionState: CaptionState;
  /** Seconds, when probed (cached by size and mtime). */
  duration: number | null;
  size: number;
}

export interface SampleInfo extends SampleSummary {
  /** Prompt text, at most 64 KiB. */
  promptText: string;
  /** Lyrics text, at most 256 KiB (`lyricsTruncated` says when more). */
  lyricsText: string;
  lyricsTruncated: boolean;
  tags: string[];
  /** The tags the captioner added last time (user tags are the others). */
  autoTags: string[];
  codec: string | null;
  sampleRate: number | null;
  channels: number | null;
  sha256: string | null;
}

export type Severity = 'error' | 'warning' | 'info';

export type ProblemCode =
  | 'manifest-missing'
  | 'manifest-invalid'
  | 'no-samples'
  | 'missing-prompt'
  | 'empty-prompt'
  | 'missing-lyrics'
  | 'empty-lyrics'
  | 'empty-audio'
  | 'undecodable-audio'
  | 'duration-out-of-range'
  | 'duplicate-audio'
  | 'duplicate-stem'
  | 'unreadable-name'
  | 'link-outside'
  | 'missing-trigger-word'
  | 'orphan-text'
  | 'not-mp3';

export interface TextRange {
  line: number;
  character: number;
  endLine: number;
  endCharacter: number;
}

export interface DatasetProblem {
  code: ProblemCode;
  severity: Severity;
  message: string;
  /** The file the diagnostic is shown on. */
  file: string;
  stem?: string;
  range?: TextRange;
  /** Another file involved (the first copy of a duplicate). */
  related?: string;
}

export interface ValidationReport {
  dir: string;
  name: string;
  ok: boolean;
  errors: number;
  warnings: number;
  infos: number;
  samples: number;
  problems: DatasetProblem[];
}

export namespace ListDatasetsRequest {
  export const method = 'tunestudio/datasets/list' as const;
  export const type = new RequestType<void, DatasetSummary[], void>(method);
}

export namespace ListSamplesRequest {
  export const method = 'tunestudio/datasets/samples' as const;
  export const type = new RequestType<{ dir: string }, SampleSummary[], void>(method);
}

export namespace SampleInfoRequest {
  export const method = 'tunestudio/datasets/sampleInfo' as const;
  export const type = new RequestType<{ dir: string; stem: string }, SampleInfo, void>(method);
}

export interface CreateDatasetParams {
  /** Folder to create the dataset in (inside a workspace folder). */
  parent: string;
  /** Dataset name; the folder name is its sanitised form. */
  name: string;
  triggerWord?: string;
}

export namespace CreateDatasetRequest {
  export const method = 'tunestudio/datasets/create' as const;
  export const type = new RequestType<CreateDatasetParams, DatasetSummary, void>(method);
}

export interface ImportFile {
  /** Absolute path of the file to copy in. */
  source: string;
  /** Name in the dataset (default: the source's file name); sanitised, and refused if it is a path. */
  name?: string;
}

export interface ImportAudioParams {
  dir: string;
  files: ImportFile[];
  /** Also copy `<stem>_prompt.txt` / `<stem>_lyrics.txt` found beside each source (default true). */
  withText?: boolean;
}

export interface ImportAudioResult {
  imported: Array<{ source: string; stem: string; audio: string; prompt?: string; lyrics?: string }>;
  /** Same content as a sample already there, or as an earlier file of this import: not copied. */
  duplicates: Array<{ source: string; sameAs: string }>;
}

export namespace ImportAudioRequest {
  export const method = 'tunestudio/datasets/import' as const;
  export const type = new RequestType<ImportAudioParams, ImportAudioResult, void>(method);
}

export namespace ValidateDatasetRequest {
  export const method = 'tunestudio/datasets/validate' as const;
  export const type = new RequestType<{ dir: string }, ValidationReport, void>(method);
}

export interface CaptionParams {
  dir: string;
  /** Samples to caption; all when absent. */
  stems?: string[];
  /** Replace user-written tags too (default false: they are kept). */
  overwrite?: boolean;
  /** Chosen by the client so it can cancel before the request returns; unique per batch. */
  batchId?: string;
}

export interface CaptionedSample {
  stem: string;
  prompt: string;
  tags: string[];
  autoTags: string[];
  /** True when the audio embedding came from the store. */
  cached: boolean;
}

export interface CaptionResult {
  batchId: string;
  dir: string;
  status: 'done' | 'cancelled' | 'failed';
  captioned: CaptionedSample[];
  failed: Array<{ stem: string; message: string }>;
  /** Audio embeddings found in the store / computed. */
  cacheHits: number;
  cacheMisses: number;
  /** Label text embeddings came from the disk cache. */
  textCacheHit: boolean;
  model: string;
  message?: string;
}

export namespace CaptionRequest {
  export const method = 'tunestudio/datasets/caption' as const;
  export const type = new RequestType<CaptionParams, CaptionResult, void>(method);
}

export namespace CancelCaptionRequest {
  export const method = 'tunestudio/datasets/cancelCaption' as const;
  export const type = new RequestType<{ batchId: string }, { cancelled: boolean }, void>(method);
}

export type CaptionPhase = 'queued' | 'model' | 'labels' | 'captioning' | 'done' | 'cancelled' | 'failed';

export interface CaptionProgress {
  batchId: string;
  dir: string;
  phase: CaptionPhase;
  done: number;
  total: number;
  /** Stem being captioned. */
  current?: string;
  message?: string;
  /** While the model downloads: bytes of all files. */
  download?: { file: string; loaded: number; total: number };
}

export namespace CaptionProgressNotification {
  export const method = 'tunestudio/datasets/captionProgress' as const;
  export const type = new NotificationType<CaptionProgress>(method);
}

export interface ExportParams {
  dir: string;
  format: 'parquet' | 'folder';
  /** parquet: the file to write; folder: a folder that does not exist yet or is empty. */
  out: string;
}

export interface ExportResult {
  format: 'parquet' | 'folder';
  out: string;
  samples: number;
  bytes: number;
  /** Files converted to mp3 for ACE-Step's folder layout. */
  transcoded: number;
}

export namespace ExportDatasetRequest {
  export const method = 'tunestudio/datasets/export' as const;
  export const type = new RequestType<ExportParams, ExportResult, void>(method);
}

/** Captions as a job (its own process, shown in the Jobs view, cancellable there). Returns the queued job. */
export namespace CaptionJobRequest {
  export const method = 'tunestudio/datasets/captionJob' as const;
  export const type = new RequestType<{ dir: string; stems?: string[]; overwrite?: boolean }, import('./jobs').Job, void>(method);
}
