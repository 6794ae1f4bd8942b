// The dataset editor (a custom editor on dataset.json): messages between its
// host in the extension and its page, and the pure rules both sides share
// (tags in a prompt, bulk edits). The host owns the document (what is on
// disk and the unsaved values); the page shows rows and asks for edits, which
// the host turns into undoable editor edits. Browser-safe: no node or vscode.
import type { CaptionState, DatasetProblem } from './datasets';
import { IpcCommand, IpcNotification, IpcRequest, type IpcRequestMessage, type IpcResponseMessage, type ReadyMessage, type WireOf } from './webview';

/** The editable text fields of a sample. `null`: the file does not exist. */
export type SampleField = 'prompt' | 'lyrics';

export interface EditorRow {
  stem: string;
  /** Audio file name inside the dataset folder. */
  file: string;
  /** A webview URI the page's <audio> element can play (the host made it with asWebviewUri). */
  src: string;
  duration: number | null;
  prompt: string | null;
  lyrics: string | null;
  captionState: CaptionState;
  /** Fields with unsaved edits. */
  dirty: SampleField[];
  problems: Array<Pick<DatasetProblem, 'code' | 'severity' | 'message'>>;
}

export interface EditorState {
  name: string;
  triggerWord: string;
  /** The trigger word has an unsaved edit. */
  triggerDirty: boolean;
  rows: EditorRow[];
}

/** One value change (the host checks `stem` and `field`). */
export interface FieldChange {
  stem: string;
  field: SampleField;
  value: string;
}

export type BulkOp =
  | { op: 'addTags'; tags: string[] }
  | { op: 'removeTags'; tags: string[] }
  | { op: 'replaceTag'; from: string; to: string }
  | { op: 'findReplacePrompt'; find: string; replace: string }
  | { op: 'setInstrumental' };

export const DatasetEditorCommands = {
  /** Set fields (one undoable edit for all of them). */
  edit: new IpcCommand<{ label: string; changes: FieldChange[] }, 'edit'>('edit'),
  /** A bulk operation on the given samples (one undoable edit). */
  bulk: new IpcCommand<{ stems: string[]; bulk: BulkOp }, 'bulk'>('bulk'),
  setTriggerWord: new IpcCommand<{ value: string }, 'setTriggerWord'>('setTriggerWord'),
  /** Files dropped on the page: their names and bytes (base64); imported through the safe importer. */
  drop: new IpcCommand<{ files: Array<{ name: string; data: string }>; uris: string[] }, 'drop'>('drop'),
  importFiles: new IpcCommand<object, 'importFiles'>('importFiles'),
  deleteSamples: new IpcCommand<{ stems: string[] }, 'deleteSamples'>('deleteSamples'),
  validate: new IpcCommand<object, 'validate'>('validate'),
};

export const DatasetEditorNotifications = {
  /** The whole state (first load, after a reload from disk). */
  state: new IpcNotification<{ state: EditorState }, 'state'>('state'),
  /** Rows that changed (edits, undo, redo, files changed on disk). */
  rows: new IpcNotification<{ rows: EditorRow[]; triggerWord: string; triggerDirty: boolean }, 'rows'>('rows'),
  /** The outcome of an import or delete, to show in the page. */
  notice: new IpcNotification<{ level: 'info' | 'error'; message: string }, 'notice'>('notice'),
};

export type DatasetEditorToHost = ReadyMessage | IpcRequestMessage | WireOf<typeof DatasetEditorCommands>;
export type DatasetEditorToPage = IpcResponseMessage | WireOf<typeof DatasetEditorNotifications>;

/** What the page keeps across reloads (setState). */
export interface DatasetEditorPageState {
  filter: string;
  sort: { key: SortKey; desc: boolean };
  selected: string[];
  cursor: string | null;
  scrollTop: number;
  flags: { missingPrompt: boolean; missingLyrics: boolean; problems: boolean };
  tagFilter: { tags: string[]; mode: 'and' | 'or' };
  duration: { min: number | null; max: number | null };
}

export type SortKey = 'file' | 'duration' | 'prompt' | 'lyrics' | 'caption' | 'problems';

// ------------------------------------------------------------ tags in a prompt
// A prompt file holds comma-separated tags (what ACE-Step's trainer reads as
// the prompt); the runtime's captioner and this editor share these rules.

export function parseTags(text: string): string[] {
  return text
    .split(/[,\n\r]+/)
    .map((t) => t.trim())
    .filter(Boolean);
}

export function formatTags(tags: string[]): string {
  return tags.join(', ');
}

const tagKey = (t: string) => t.trim().toLowerCase();

export function hasTag(tags: string[], tag: string): boolean {
  const k = tagKey(tag);
  return tags.some((t) => tagKey(t) === k);
}

/** A tag refused in a prompt: commas and line breaks split tags. */
export function tagError(tag: string): string | null {
  if (!tag.trim()) return 'a tag is empty';
  if (/[,\n\r]/.test(tag)) return `tag '${tag}' contains a comma or a line break, which split tags in a prompt file`;
  return null;
}

/** The new value of `field` after `bulk`, or null when the sample is unchanged. */
export function applyBulk(bulk: BulkOp, prompt: string | null, lyrics: string | null): { field: SampleField; value: string } | null {
  const tags = parseTags(prompt ?? '');
  switch (bulk.op) {
    case 'addTags': {
      const add = bulk.tags.filter((t) => !hasTag(tags, t));
      return add.length ? { field: 'prompt', value: formatTags([...tags, ...add.map((t) => t.trim())]) } : null;
    }
    case 'removeTags': {
      const kept = tags.filter((t) => !hasTag(bulk.tags, t));
      return kept.length !== tags.length ? { field: 'prompt', value: formatTags(kept) } : null;
    }
    case 'replaceTag': {
      if (!hasTag(tags, bulk.from)) return null;
      const out: string[] = [];
      for (const t of tags) {
        const next = tagKey(t) === tagKey(bulk.from) ? bulk.to.trim() : t;
        if (next && !hasTag(out, next)) out.push(next);
      }
      return { field: 'prompt', value: formatTags(out) };
    }
    case 'findReplacePrompt': {
      if (!bulk.find || prompt === null || !prompt.includes(bulk.find)) return null;
      return { field: 'prompt', value: prompt.split(bulk.find).join(bulk.replace) };
    }
    case 'setInstrumental':
      return lyrics?.trim() === '[inst]' ? null : { field: 'lyrics', value: '[inst]' };
  }
}

// ------------------------------------------------------------ waveform peaks
// The runtime decodes each file once (ffmpeg) and keeps its peaks in the
// store; the page draws from them and never decodes audio itself.

export interface SamplePeaks {
  stem: string;
  duration?: number;
  buckets?: number;
  /** base64 of an Int8Array of 2 × buckets: min then max per bucket (±127). */
  peaks?: string;
  /** Why there are none (an empty or undecodable file, ffmpeg missing). */
  error?: string;
}

export interface SamplePeaksParams {
  dir: string;
  stems: string[];
  buckets?: number;
}

/** Page → host request: peaks of these samples (the host asks the runtime). */
export const PeaksPageRequest = new IpcRequest<{ stems: string[]; buckets?: number }, SamplePeaks[]>('datasetEditor/peaks');
