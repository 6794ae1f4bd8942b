// The dataset editor's document: for every sample the prompt and lyrics as
// they are on disk and as edited, and the dataset's trigger word (in
// dataset.json). Edits are values with their before and after, so undo and
// redo are exact; Save writes only what differs from disk, after checking
// that nothing changed on disk since it was read (a changed file is a
// conflict the editor asks about, never overwritten silently). No vscode
// import: the unit tests drive it with real files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CaptionState } from '../../protocol/datasets';
import type { FieldChange, SampleField } from '../../protocol/datasetEditor';

export interface SampleEntry {
  stem: string;
  audio: string;
  promptPath: string;
  lyricsPath: string;
  duration: number | null;
  captionState: CaptionState;
}

interface Values {
  prompt: string | null;
  lyrics: string | null;
}

export type EditField = SampleField | 'trigger';
export interface EditChange {
  /** '' for the trigger word. */
  stem: string;
  field: EditField;
  before: string | null;
  after: string | null;
}
export interface ModelEdit {
  label: string;
  changes: EditChange[];
}

export interface Conflict {
  file: string;
  stem: string;
  field: EditField;
}

/** What a backup (hot exit) keeps: the unsaved values and the disk values they were made against. */
export interface BackupData {
  version: 1;
  values: Array<{ stem: string; field: EditField; value: string | null; disk: string | null }>;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Write-then-rename, so a crash mid-save never leaves half a prompt file. */
function writeAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export class DatasetModel {
  readonly entries = new Map<string, SampleEntry>();
  private disk = new Map<string, Values>();
  private current = new Map<string, Values>();
  private diskTrigger = '';
  /** What a changed file held when last reported as a conflict (reported once per change). */
  private readonly seenOnDisk = new Map<string, string | null>();
  private trigger = '';
  name = '';

  constructor(readonly manifestPath: string) {}

  get dir(): string {
    return path.dirname(this.manifestPath);
  }

  /** Reads the manifest and the text files of `entries` (replacing what was loaded; unsaved values are dropped). */
  load(entries: SampleEntry[]): void {
    this.entries.clear();
    this.seenOnDisk.clear();
    this.disk.clear();
    this.current.clear();
    for (const e of entries) {
      this.entries.set(e.stem, e);
      const v = { prompt: readText(e.promptPath), lyrics: readText(e.lyricsPath) };
      this.disk.set(e.stem, v);
      this.current.set(e.stem, { ...v });
    }
    const m = this.readManifest();
    this.name = typeof m.name === 'string' ? m.name : path.basename(this.dir);
    this.diskTrigger = this.trigger = typeof m.triggerWord === 'string' ? m.triggerWord : '';
  }

  /** New samples (audio added on disk) join; gone ones leave; unsaved values of the others are kept. */
  updateEntries(entries: SampleEntry[]): void {
    const seen = new Set<string>();
    for (const e of entries) {
      seen.add(e.stem);
      const had = this.entries.has(e.stem);
      this.entries.set(e.stem, e);
      if (!had) {
        const v = { prompt: readText(e.promptPath), lyrics: readText(e.lyricsPath) };
        this.disk.set(e.stem, v);
        this.current.set(e.stem, { ...v });
      }
    }
    for (const stem of [...this.entries.keys()]) {
      if (!seen.has(stem)) {
        this.entries.delete(stem);
        this.disk.delete(stem);
        this.current.delete(stem);
      }
    }
  }

  private readManifest(): Record<string, unknown> {
    const text = readText(this.manifestPath);
    if (text === null) throw new Error(`${this.manifestPath} does not exist; create the dataset with "Tune Studio: New Dataset…".`);
    try {
      const m = JSON.parse(text) as unknown;
      if (m && typeof m === 'object' && !Array.isArray(m)) return m as Record<string, unknown>;
    } catch {
      /* below */
    }
    throw new Error(`${this.manifestPath} is not a JSON object; fix it in the text editor (Reopen Editor With… → Text Editor).`);
  }

  value(stem: string, field: SampleField): string | null {
    return this.current.get(stem)?.[field] ?? null;
  }

  diskValue(stem: string, field: SampleField): string | null {
    return this.disk.get(stem)?.[field] ?? null;
  }

  get triggerWord(): string {
    return this.trigger;
  }

  get triggerDirty(): boolean {
    return this.trigger !== this.diskTrigger;
  }

  dirtyFields(stem: string): SampleField[] {
    const c = this.current.get(stem);
    const d = this.disk.get(stem);
    if (!c || !d) return [];
    return (['prompt', 'lyrics'] as const).filter((f) => c[f] !== d[f]);
  }

  get isDirty(): boolean {
    return this.triggerDirty || [...this.entries.keys()].some((s) => this.dirtyFields(s).length > 0);
  }

  /** The edit that sets these values (only the ones that change), or null when nothing changes. */
  makeEdit(label: string, changes: FieldChange[]): ModelEdit | null {
    const out: EditChange[] = [];
    for (const c of changes) {
      if (!this.entries.has(c.stem)) throw new Error(`Dataset '${this.name}' has no sample '${c.stem}' (it may have been deleted on disk); reopen the editor.`);
      if (c.field !== 'prompt' && c.field !== 'lyrics') throw new Error(`'${String(c.field)}' is not a field of a sample (prompt or lyrics).`);
      if (typeof c.value !== 'string') throw new Error(`The new ${c.field} of '${c.stem}' is not text.`);
      const before = this.value(c.stem, c.field);
      if (before !== c.value) out.push({ stem: c.stem, field: c.field, before, after: c.value });
    }
    return out.length ? { label, changes: out } : null;
  }

  makeTriggerEdit(value: string): ModelEdit | null {
    const v = value.trim();
    if (/[,\n\r\0]/.test(v)) throw new Error(`Trigger word '${v}' must not contain commas or line breaks (prompts are comma-separated tags).`);
    return v === this.trigger ? null : { label: 'Set Trigger Word', changes: [{ stem: '', field: 'trigger', before: this.trigger, after: v }] };
  }

  /** Applies an edit forward (do/redo) or backward (undo). Returns the stems it touched. */
  apply(edit: ModelEdit, direction: 'redo' | 'undo'): string[] {
    const stems = new Set<string>();
    const list = direction === 'redo' ? edit.changes : [...edit.changes].reverse();
    for (const c of list) {
      const v = direction === 'redo' ? c.after : c.before;
      if (c.field === 'trigger') {
        this.trigger = v ?? '';
        continue;
      }
      const cur = this.current.get(c.stem);
      if (!cur) continue; // deleted on disk since
      cur[c.field] = v;
      stems.add(c.stem);
    }
    return [...stems];
  }

  private fileOf(stem: string, field: EditField): string {
    if (field === 'trigger') return this.manifestPath;
    const e = this.entries.get(stem)!;
    return field === 'prompt' ? e.promptPath : e.lyricsPath;
  }

  /** Unsaved fields whose file changed on disk since it was read. */
  conflicts(): Conflict[] {
    const out: Conflict[] = [];
    for (const stem of this.entries.keys()) {
      for (const field of this.dirtyFields(stem)) {
        const file = this.fileOf(stem, field);
        if (readText(file) !== this.diskValue(stem, field)) out.push({ file, stem, field });
      }
    }
    if (this.triggerDirty) {
      const m = this.readManifest();
      if ((typeof m.triggerWord === 'string' ? m.triggerWord : '') !== this.diskTrigger) out.push({ file: this.manifestPath, stem: '', field: 'trigger' });
    }
    return out;
  }

  /** Writes every unsaved value (the caller has asked about conflicts). Returns the files written. */
  save(): string[] {
    const written: string[] = [];
    this.seenOnDisk.clear();
    for (const [stem, cur] of this.current) {
      const d = this.disk.get(stem)!;
      for (const field of this.dirtyFields(stem)) {
        const file = this.fileOf(stem, field);
        const v = cur[field];
        if (v === null) fs.rmSync(file, { force: true });
        else writeAtomic(file, v);
        d[field] = v;
        written.push(file);
      }
    }
    if (this.triggerDirty) {
      const m = this.readManifest();
      m.triggerWord = this.trigger;
      writeAtomic(this.manifestPath, JSON.stringify(m, null, 2) + '\n');
      this.diskTrigger = this.trigger;
      written.push(this.manifestPath);
    }
    return written;
  }

  /** Reads one file again (changed on disk). Its value follows disk unless it has unsaved edits; returns whether it has. */
  reread(file: string): { stem: string; dirty: boolean } | null {
    if (file === this.manifestPath) {
      const m = this.readManifest();
      const t = typeof m.triggerWord === 'string' ? m.triggerWord : '';
      if (t === this.diskTrigger) return null;
      if (this.triggerDirty) {
        if (this.seenOnDisk.get('\0trigger') === t) return null;
        this.seenOnDisk.set('\0trigger', t);
        return { stem: '', dirty: true };
      }
      this.diskTrigger = this.trigger = t;
      return { stem: '', dirty: false };
    }
    for (const [stem, e] of this.entries) {
      const field: SampleField | null = e.promptPath === file ? 'prompt' : e.lyricsPath === file ? 'lyrics' : null;
      if (!field) continue;
      const text = readText(file);
      const d = this.disk.get(stem)!;
      const key = `${stem}\0${field}`;
      if (this.dirtyFields(stem).includes(field)) {
        // The unsaved edit was made against what was read: keep that as the baseline, so Save sees the conflict.
        if (text === d[field] || this.seenOnDisk.get(key) === text) return null;
        this.seenOnDisk.set(key, text);
        return { stem, dirty: true };
      }
      this.seenOnDisk.delete(key);
      if (text === d[field]) return null;
      d[field] = text;
      this.current.get(stem)![field] = text;
      return { stem, dirty: false };
    }
    return null;
  }

  backup(): BackupData {
    const values: BackupData['values'] = [];
    for (const stem of this.entries.keys()) {
      for (const field of this.dirtyFields(stem)) values.push({ stem, field, value: this.value(stem, field), disk: this.diskValue(stem, field) });
    }
    if (this.triggerDirty) values.push({ stem: '', field: 'trigger', value: this.trigger, disk: this.diskTrigger });
    return { version: 1, values };
  }

  /** Puts a backup's unsaved values back (after load()). */
  restore(b: BackupData): void {
    if (b?.version !== 1 || !Array.isArray(b.values)) return;
    for (const v of b.values) {
      if (v.field === 'trigger') this.trigger = v.value ?? '';
      else {
        const cur = this.current.get(v.stem);
        if (cur && (v.field === 'prompt' || v.field === 'lyrics')) cur[v.field] = v.value;
      }
    }
  }
}
