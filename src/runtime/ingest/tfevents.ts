// TensorBoard event files: the Event/Summary protobuf decoded by hand (no
// protobuf library: we need six fields), and a tailer that follows every
// `events.out.tfevents.*` under a log folder while trainers append to them.
//
// Fields read (tensorflow/core/util/event.proto, framework/summary.proto,
// framework/tensor.proto):
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; SummaryMetadata metadata = 9; TensorProto tensor = 8; }
//   SummaryMetadata { PluginData plugin_data = 1 { string plugin_name = 1; }; DataClass data_class = 4; }
//   TensorProto { DataType dtype = 1; TensorShapeProto tensor_shape = 2; bytes tensor_content = 4;
//                 repeated int32 half_val = 13; repeated float float_val = 5; repeated double double_val = 6;
//                 repeated int32 int_val = 7; repeated int64 int64_val = 10;
//                 repeated uint32 uint32_val = 16; repeated uint64 uint64_val = 17; }

import * as fs from 'node:fs';
import * as path from 'node:path';
import { TfRecordReader } from './tfrecord';
import type { IngestEvent } from './types';

// ---------------------------------------------------------------- protobuf

export class ProtoError extends Error {}

/** A cursor over one protobuf message in buf[pos, end). */
class Pb {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  more(): boolean {
    return this.pos < this.end;
  }

  byte(): number {
    if (this.pos >= this.end) throw new ProtoError('message ends inside a varint');
    return this.buf[this.pos++];
  }

  /** A varint as lo/hi 32-bit halves (exact for all 64 bits). */
  varint64(): [number, number] {
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      b = this.byte();
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return [lo >>> 0, 0];
    }
    b = this.byte();
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x70) >> 4;
    if (b < 0x80) return [lo >>> 0, hi >>> 0];
    for (let shift = 3; shift < 32; shift += 7) {
      b = this.byte();
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new ProtoError('varint longer than 10 bytes');
  }

  uint(): number {
    const b = this.pos < this.end ? this.buf[this.pos] : 0x80;
    if (b < 0x80) {
      this.pos++;
      return b;
    }
    const [lo, hi] = this.varint64();
    return hi * 0x100000000 + lo;
  }

  /** int64 / int32 (two's complement, 10 bytes when negative). */
  int(): number {
    const [lo, hi] = this.varint64();
    if (hi & 0x80000000) {
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      return -(nhi * 0x100000000 + nlo);
    }
    return hi * 0x100000000 + lo;
  }

  tag(): [field: number, wire: number] {
    const t = this.uint();
    return [Math.floor(t / 8), t & 7];
  }

  need(n: number): void {
    if (this.pos + n > this.end) throw new ProtoError('field runs past the end of its message');
  }

  fixed32Float(): number {
    this.need(4);
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  fixed64Double(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field: returns its [start, end). */
  delimited(): [number, number] {
    const n = this.uint();
    this.need(n);
    const s = this.pos;
    this.pos += n;
    return [s, s + n];
  }

  string(): string {
    const [s, e] = this.delimited();
    return this.buf.toString('utf8', s, e);
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint64();
        return;
      case 1:
        this.need(8);
        this.pos += 8;
        return;
      case 2:
        this.delimited();
        return;
      case 5:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new ProtoError(`unsupported wire type ${wire}`);
    }
  }

  sub(): Pb {
    const [s, e] = this.delimited();
    return new Pb(this.buf, s, e);
  }
}

// ---------------------------------------------------------------- Event

export const DT = { FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, INT64: 9, BOOL: 10, BFLOAT16: 14, UINT16: 17, HALF: 19, UINT32: 22, UINT64: 23 } as const;

export interface DecodedValue {
  tag: string;
  /** The scalar, when the value is one (simple_value or a one-element numeric tensor). */
  value?: number;
  /** Why a value with a tag gave no scalar (image, histogram, text, ...). */
  skipped?: string;
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: DecodedValue[];
}

/** Decodes one Event record. Throws ProtoError on a malformed message. */
export function decodeEvent(data: Buffer): DecodedEvent {
  const pb = new Pb(data, 0, data.length);
  const ev: DecodedEvent = { wallTime: 0, step: 0, values: [] };
  while (pb.more()) {
    const [f, w] = pb.tag();
    if (f === 1 && w === 1) ev.wallTime = pb.fixed64Double();
    else if (f === 2 && w === 0) ev.step = pb.int();
    else if (f === 3 && w === 2) ev.fileVersion = pb.string();
    else if (f === 5 && w === 2) decodeSummary(pb.sub(), ev.values);
    else pb.skip(w);
  }
  return ev;
}

function decodeSummary(pb: Pb, out: DecodedValue[]): void {
  while (pb.more()) {
    const [f, w] = pb.tag();
    if (f === 1 && w === 2) out.push(decodeValue(pb.sub()));
    else pb.skip(w);
  }
}

interface TensorFields {
  dtype: number;
  elements: number;
  content?: [number, number];
  floats: number[];
  ints: number[];
  halves: number[];
}

function decodeValue(pb: Pb): DecodedValue {
  let tag = '';
  let simple: number | undefined;
  let plugin = '';
  let dataClass = 0;
  let tensor: TensorFields | undefined;
  while (pb.more()) {
    const [f, w] = pb.tag();
    if (f === 1 && w === 2) tag = pb.string();
    else if (f === 2 && w === 5) simple = pb.fixed32Float();
    else if (f === 9 && w === 2) [plugin, dataClass] = decodeMetadata(pb.sub());
    else if (f === 8 && w === 2) tensor = decodeTensor(pb.sub());
    else if (f === 7 && w === 2 && tag === '') tag = pb.string(); // node_name: the tag of very old files
    else pb.skip(w);
  }
  if (simple !== undefined) return { tag, value: simple };
  if (!tensor) return { tag, skipped: 'no scalar (image, histogram or audio summary)' };
  // data_class 1 is DATA_CLASS_SCALAR; plugins other than scalars hold other data.
  if (!(plugin === '' || plugin === 'scalars' || dataClass === 1)) return { tag, skipped: `plugin '${plugin}'` };
  const v = tensorScalar(tensor, pb.buf);
  return typeof v === 'number' ? { tag, value: v } : { tag, skipped: v.skipped };
}

function decodeMetadata(pb: Pb): [string, number] {
  let plugin = '';
  let dataClass = 0;
  while (pb.more()) {
    const [f, w] = pb.tag();
    if (f === 1 && w === 2) {
      const pd = pb.sub();
      while (pd.more()) {
        const [g, x] = pd.tag();
        if (g === 1 && x === 2) plugin = pd.string();
        else pd.skip(x);
      }
    } else if (f === 4 && w === 0) dataClass = pb.uint();
    else pb.skip(w);
  }
  return [plugin, dataClass];
}

function decodeTensor(pb: Pb): TensorFields {
  const t: TensorFields = { dtype: 0, elements: 1, floats: [], ints: [], halves: [] };
  // Repeated numeric fields come packed (wire 2) or one by one (wire 0/1/5).
  const repeated = (w: number, read: (p: Pb) => number, into: number[]) => {
    if (w === 2) {
      const p = pb.sub();
      while (p.more() && into.length < 2) into.push(read(p));
    } else if (into.length < 2) into.push(read(pb));
    else pb.skip(w);
  };
  while (pb.more()) {
    const [f, w] = pb.tag();
    switch (f) {
      case 1:
        if (w === 0) t.dtype = pb.uint();
        else pb.skip(w);
        break;
      case 2:
        if (w === 2) t.elements = shapeElements(pb.sub());
        else pb.skip(w);
        break;
      case 4:
        if (w === 2) t.content = pb.delimited();
        else pb.skip(w);
        break;
      case 5:
        repeated(w, (p) => p.fixed32Float(), t.floats);
        break;
      case 6:
        repeated(w, (p) => p.fixed64Double(), t.floats);
        break;
      case 7:
      case 10:
        repeated(w, (p) => p.int(), t.ints);
        break;
      case 16:
      case 17:
        repeated(w, (p) => p.uint(), t.ints);
        break;
      case 13:
        repeated(w, (p) => p.uint() & 0xffff, t.halves);
        break;
      default:
        pb.skip(w);
    }
  }
  return t;
}

function shapeElements(pb: Pb): number {
  let n = 1;
  while (pb.more()) {
    const [f, w] = pb.tag();
    if (f === 2 && w === 2) {
      const d = pb.sub();
      let size = 0;
      while (d.more()) {
        const [g, x] = d.tag();
        if (g === 1 && x === 0) size = d.int();
        else d.skip(x);
      }
      n *= size;
    } else if (f === 3 && w === 0) {
      if (pb.uint()) n = -1; // unknown rank
    } else pb.skip(w);
  }
  return n;
}

const ELEMENT_BYTES: Record<number, number> = {
  [DT.FLOAT]: 4,
  [DT.DOUBLE]: 8,
  [DT.INT32]: 4,
  [DT.UINT8]: 1,
  [DT.INT16]: 2,
  [DT.INT8]: 1,
  [DT.INT64]: 8,
  [DT.BFLOAT16]: 2,
  [DT.UINT16]: 2,
  [DT.HALF]: 2,
  [DT.UINT32]: 4,
  [DT.UINT64]: 8,
};

function tensorScalar(t: TensorFields, buf: Buffer): number | { skipped: string } {
  const size = ELEMENT_BYTES[t.dtype];
  if (size === undefined) return { skipped: `tensor of dtype ${t.dtype}, not a number` };
  if (t.elements !== 1) return { skipped: t.elements < 0 ? 'tensor of unknown shape' : `tensor of ${t.elements} elements, not a scalar` };
  if (t.content && t.content[1] > t.content[0]) {
    const [s, e] = t.content;
    if (e - s !== size) return { skipped: `tensor_content of ${e - s} bytes for one element of ${size}` };
    switch (t.dtype) {
      case DT.FLOAT:
        return buf.readFloatLE(s);
      case DT.DOUBLE:
        return buf.readDoubleLE(s);
      case DT.INT32:
        return buf.readInt32LE(s);
      case DT.UINT8:
        return buf.readUInt8(s);
      case DT.INT16:
        return buf.readInt16LE(s);
      case DT.INT8:
        return buf.readInt8(s);
      case DT.INT64:
        return Number(buf.readBigInt64LE(s));
      case DT.UINT64:
        return Number(buf.readBigUInt64LE(s));
      case DT.UINT32:
        return buf.readUInt32LE(s);
      case DT.UINT16:
        return buf.readUInt16LE(s);
      case DT.HALF:
        return halfToNumber(buf.readUInt16LE(s));
      case DT.BFLOAT16:
        return bfloat16ToNumber(buf.readUInt16LE(s));
    }
  }
  const list = t.dtype === DT.HALF || t.dtype === DT.BFLOAT16 ? t.halves : t.dtype === DT.FLOAT || t.dtype === DT.DOUBLE ? t.floats : t.ints;
  if (list.length !== 1) return { skipped: list.length === 0 ? 'empty tensor' : 'tensor with several values' };
  if (t.dtype === DT.HALF) return halfToNumber(list[0]);
  if (t.dtype === DT.BFLOAT16) return bfloat16ToNumber(list[0]);
  return list[0];
}

/** IEEE 754 binary16 bits to a number. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const F32 = new DataView(new ArrayBuffer(4));
function bfloat16ToNumber(b: number): number {
  F32.setUint32(0, (b & 0xffff) << 16);
  return F32.getFloat32(0);
}

// ---------------------------------------------------------------- tailer

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
