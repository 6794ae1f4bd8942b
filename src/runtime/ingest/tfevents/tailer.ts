// Follows every `events.out.tfevents.*` under a TensorBoard log folder while
// trainers append to them: new files, appended records (framing and CRCs
// checked by TfRecordReader), resume offsets, files older than the job
// skipped and said, run-folder noise left out of metric names.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { TfRecordReader } from '../tfrecord';
import type { IngestEvent } from '../types';
import { decodeEvent, type DecodedEvent } from './decode';

const EVENT_FILE = /^events\.out\.tfevents\./;

// A run folder's date/time stamp: tensorboardX/rllib `2020-06-06_00-17-41`,
// SummaryWriter's default `Jun06_00-17-41`, Keras `20200606-001741`.
const STAMP = /\d{4}-\d{2}-\d{2}[_T -]\d{2}[-:.]\d{2}(?:[-:.]\d{2}(?:\.\d+)?)?|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\d{2}_\d{2}-\d{2}-\d{2}|(?<!\d)\d{8}[-_]\d{6}(?!\d)/;
const VERSION_DIR = /^version_\d+$/;

/**
 * The tag prefix of a file's folder (relative to the log folder) under
 * `prefix: "subfolder"`: its segments except run-folder noise — a segment with
 * a date/time stamp or Lightning's `version_N` names a run, not a group of
 * metrics (`2020-06-06_00-17-41_SAC_…/loss` → `loss`; `train/loss` stays).
 */
export function folderPrefix(folder: string): string {
  if (folder === '.' || folder === '') return '';
  const kept = folder.split('/').filter((seg) => !STAMP.test(seg) && !VERSION_DIR.test(seg));
  return kept.length ? `${kept.join('/')}/` : '';
}

/** A run name for a folder of event files: its segments with their date/time stamps taken out (`2020-06-06_00-17-41_SAC_x_` → `SAC_x`). */
export function runNameOfFolder(folder: string): string {
  if (folder === '.' || folder === '') return '';
  return folder
    .split('/')
    .map((seg) => seg.replace(new RegExp(STAMP.source, 'g'), '').replace(/^[\s_.-]+|[\s_.-]+$/g, ''))
    .filter((seg) => seg.length > 0 && !VERSION_DIR.test(seg))
    .join('/');
}

export interface TfeventsTailerOptions {
  /** The log folder (absolute). It may not exist yet: trainers create it. */
  dir: string;
  /** "subfolder" (default): a file's folder relative to `dir` prefixes its tags; "none": tags as they are. */
  prefix?: 'subfolder' | 'none';
  /** Source name on events (default "tfevents"). */
  source?: string;
  /**
   * Epoch ms: content a file already held when first seen, if the file was
   * last modified before this, is skipped (an earlier run's metrics); what is
   * appended later is read. Default: read everything.
   */
  since?: number;
  /** Resume positions from offsets() of an earlier tailer (runtime restart). */
  offsets?: Record<string, number>;
  maxRecordBytes?: number;
  /** Bytes read per call to fs.read (default 1 MiB). */
  readChunkBytes?: number;
  /** Folders visited at most per scan (default 10,000). */
  maxFolders?: number;
  /** false: only the event files directly in `dir`, not in its subfolders (default true). */
  recursive?: boolean;
  /** Bytes read at most per poll, over all files (default 64 MiB); the rest is read by the next polls. */
  maxBytesPerPoll?: number;
}

export interface TfeventsStats {
  files: number;
  bytes: number;
  records: number;
  scalars: number;
  /** Tagged values that held no scalar (images, histograms, text...). */
  skippedValues: number;
  corrupt: number;
  /** Files written before `since` whose earlier content was skipped (each reported by a notice event). */
  skippedFiles: number;
}

interface FileState {
  rel: string;
  prefix: string;
  reader: TfRecordReader;
  /** Bytes of the file pushed into the reader so far. */
  readPos: number;
  ino: number;
}

export class TfeventsTailer {
  readonly dir: string;
  readonly source: string;
  readonly stats: TfeventsStats = { files: 0, bytes: 0, records: 0, scalars: 0, skippedValues: 0, corrupt: 0, skippedFiles: 0 };
  private readonly opts: TfeventsTailerOptions;
  private readonly files = new Map<string, FileState>();
  private delivered: Record<string, number> = {};
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private watcher: fs.FSWatcher | null = null;
  private stopped = false;
  /** Bytes this poll may still read. */
  private budget = 0;

  constructor(opts: TfeventsTailerOptions) {
    this.opts = opts;
    this.dir = path.resolve(opts.dir);
    this.source = opts.source ?? 'tfevents';
    this.delivered = { ...(opts.offsets ?? {}) };
  }

  /**
   * Reads whatever is new: new event files, records appended since the last
   * poll (up to maxBytesPerPoll; the rest on the next polls). A record cut off
   * at a file's end is left for a later poll. Never rejects for a bad file:
   * problems become 'malformed' events. Calls are serialized.
   */
  poll(): Promise<IngestEvent[]> {
    const run = this.queue.then(() => this.pollOnce());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * offsets() as of the last poll that returned: everything before them has
   * been handed out as events. A poll reads ahead while it runs; a caller that
   * saves positions beside what it stored (a runtime that may crash) saves these.
   */
  deliveredOffsets(): Record<string, number> {
    return { ...this.delivered };
  }

  /** Where each file has been read to (relative path → byte offset of the next record). */
  offsets(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const st of this.files.values()) out[st.rel] = st.reader.offset;
    return out;
  }

  /**
   * Polls every `intervalMs` (default 2000) and, where the platform allows,
   * also soon after the folder changes. `onEvents` gets each non-empty batch.
   */
  start(onEvents: (events: IngestEvent[]) => void, opts: { intervalMs?: number; watch?: boolean; onError?: (e: unknown) => void } = {}): void {
    if (this.timer) return;
    this.stopped = false;
    let pending = false;
    const tick = () => {
      if (pending || this.stopped) return;
      pending = true;
      this.poll()
        .then((events) => {
          if (events.length > 0 && !this.stopped) onEvents(events);
        })
        .catch((e) => opts.onError?.(e))
        .finally(() => (pending = false));
    };
    this.timer = setInterval(tick, opts.intervalMs ?? 2000);
    this.timer.unref();
    if (opts.watch !== false) this.watch(tick);
    tick();
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
    await this.queue;
  }

  private watch(tick: () => void): void {
    try {
      // recursive is supported on Linux from Node 20; polling still covers the rest.
      this.watcher = fs.watch(this.dir, { recursive: true, persistent: false }, () => tick());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null; // folder not there yet, or no watch support: polling only
    }
  }

  private async pollOnce(): Promise<IngestEvent[]> {
    const events: IngestEvent[] = [];
    const found = await this.scan();
    const present = new Set(found);
    for (const rel of this.files.keys()) if (!present.has(rel)) this.files.delete(rel);
    this.budget = this.opts.maxBytesPerPoll ?? 64 * 1024 * 1024;
    for (const rel of found) {
      if (this.budget <= 0) break;
      try {
        await this.readFile(rel, events);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue; // removed between scan and read
        events.push({ type: 'malformed', line: rel, error: `cannot read event file: ${(e as Error).message}`, source: this.source });
      }
    }
    // Synchronous with the return: the caller gets these events before anything else runs.
    this.delivered = this.offsets();
    return events;
  }

  /** Relative paths of event files under dir, sorted (TensorBoard's order). Symbolic links are not followed. */
  private async scan(): Promise<string[]> {
    const out: string[] = [];
    const max = this.opts.maxFolders ?? 10_000;
    const stack = [''];
    let visited = 0;
    while (stack.length > 0 && visited < max) {
      const rel = stack.pop()!;
      visited++;
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(path.join(this.dir, rel), { withFileTypes: true });
      } catch {
        continue; // not created yet, or removed
      }
      for (const e of entries) {
        const child = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (this.opts.recursive !== false) stack.push(child);
        }
        else if (e.isFile() && EVENT_FILE.test(e.name)) out.push(child);
      }
    }
    return out.sort();
  }

  private async readFile(rel: string, events: IngestEvent[]): Promise<void> {
    const abs = path.join(this.dir, rel);
    const stat = await fs.promises.stat(abs);
    let st = this.files.get(rel);
    if (st && st.ino !== stat.ino) {
      // Replaced by a new file of the same name: start over.
      this.files.delete(rel);
      st = undefined;
    }
    if (!st) {
      const folder = path.posix.dirname(rel);
      const resume = this.opts.offsets?.[rel];
      let start = 0;
      if (resume !== undefined && resume <= stat.size) start = resume;
      else if (this.opts.since !== undefined && stat.mtimeMs < this.opts.since) start = -1;
      st = {
        rel,
        prefix: this.opts.prefix === 'none' ? '' : folderPrefix(folder),
        reader: new TfRecordReader({ maxRecordBytes: this.opts.maxRecordBytes }),
        readPos: 0,
        ino: stat.ino,
      };
      this.files.set(rel, st);
      this.stats.files++;
      if (start === -1) {
        // Written before this job: skip it, but follow appends. Records start
        // at a boundary only at offset 0, so skip whole records.
        start = await this.recordBoundaryAtOrBefore(abs, stat.size);
        this.stats.skippedFiles++;
        events.push({
          type: 'notice',
          text: `${rel} was last written ${new Date(stat.mtimeMs).toISOString()}, before this job started: its ${start} bytes of earlier events were skipped (an earlier run's metrics); what is appended to it now is read. To import earlier logs: tunestudio import tensorboard ${this.dir}`,
          source: this.source,
        });
      }
      if (start > 0) {
        st.reader = new TfRecordReader({ maxRecordBytes: this.opts.maxRecordBytes, startOffset: start });
        st.readPos = start;
      }
    }
    if (stat.size < st.readPos) {
      events.push({ type: 'malformed', line: rel, error: `event file shrank from ${st.readPos} to ${stat.size} bytes; reading it again from the start`, source: this.source });
      st.reader = new TfRecordReader({ maxRecordBytes: this.opts.maxRecordBytes });
      st.readPos = 0;
    }
    if (stat.size === st.readPos) return;
    const fh = await fs.promises.open(abs, 'r');
    try {
      const chunkSize = this.opts.readChunkBytes ?? 1024 * 1024;
      while (st.readPos < stat.size && this.budget > 0) {
        const want = Math.min(Math.max(chunkSize, st.reader.needed), stat.size - st.readPos);
        const chunk = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(chunk, 0, want, st.readPos);
        if (bytesRead === 0) break;
        st.readPos += bytesRead;
        this.budget -= bytesRead;
        this.stats.bytes += bytesRead;
        this.records(st, st.reader.push(bytesRead === want ? chunk : chunk.subarray(0, bytesRead)), events);
      }
    } finally {
      await fh.close();
    }
  }

  /** Files whose last record is not complete yet (cut off, or still being written), with the bytes held. */
  incomplete(): Array<{ file: string; bytes: number }> {
    const out: Array<{ file: string; bytes: number }> = [];
    for (const st of this.files.values()) if (st.reader.buffered > 0) out.push({ file: st.rel, bytes: st.reader.buffered });
    return out;
  }

  /** The offset just past the last complete record that ends at or before `size`. */
  private async recordBoundaryAtOrBefore(abs: string, size: number): Promise<number> {
    const reader = new TfRecordReader({ maxRecordBytes: this.opts.maxRecordBytes });
    const fh = await fs.promises.open(abs, 'r');
    try {
      let pos = 0;
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      while (pos < size) {
        const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, size - pos), pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        reader.push(chunk.subarray(0, bytesRead));
      }
    } finally {
      await fh.close();
    }
    return reader.offset;
  }

  private records(st: FileState, items: ReturnType<TfRecordReader['push']>, events: IngestEvent[]): void {
    for (const item of items) {
      if (item.type === 'corrupt') {
        this.stats.corrupt++;
        events.push({ type: 'malformed', line: `${st.rel} @ byte ${item.offset}`, error: item.reason, source: this.source });
        continue;
      }
      this.stats.records++;
      let ev: DecodedEvent;
      try {
        ev = decodeEvent(item.data);
      } catch (e) {
        this.stats.corrupt++;
        events.push({ type: 'malformed', line: `${st.rel} @ byte ${item.offset}`, error: `not an Event record: ${(e as Error).message}`, source: this.source });
        continue;
      }
      if (ev.values.length === 0) continue; // file_version, graph, session log
      const metrics: Record<string, number> = {};
      let n = 0;
      for (const v of ev.values) {
        if (v.value === undefined) {
          this.stats.skippedValues++;
          continue;
        }
        metrics[st.prefix + v.tag] = v.value;
        n++;
      }
      if (n === 0) continue;
      this.stats.scalars += n;
      events.push({ type: 'metrics', metrics, step: ev.step, wallTime: ev.wallTime, source: `${this.source}:${st.rel}` });
    }
  }
}
