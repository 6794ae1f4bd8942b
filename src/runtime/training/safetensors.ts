// Reader and writer for the safetensors format (Hugging Face): an 8-byte
// little-endian header length N, N bytes of JSON header (tensor name →
// {dtype, shape, data_offsets}, plus an optional "__metadata__" map of
// strings), then the tensor bytes, contiguous and in offset order. Ours so the
// trainer reads models and writes PEFT adapters without Python; malformed files
// are refused with an error that names the file and the defect.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { halfTable } from '../numeric/half';

/** Every dtype the format defines, with its size in bytes (sub-byte types are refused). */
const DTYPE_SIZES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

/** Dtypes Tune Studio decodes; floats become Float32Array, I32/I64 Int32Array/BigInt64Array, U8/BOOL Uint8Array. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL';
const DECODED = new Set<string>(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'U8', 'BOOL']);

/** Header lengths beyond this are refused before anything is allocated (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export interface LoadedTensor {
  /** The dtype stored in the file (floats are decoded to Float32Array whatever their width). */
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsContents {
  tensors: Map<string, LoadedTensor>;
  metadata: Record<string, string>;
}

export interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface ParsedHeader {
  entries: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
}

/** The defect in a malformed file; `message` names the file, the defect and what to do. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly defect: string,
  ) {
    super(`Safetensors file '${file}' is malformed: ${defect}. The file was not loaded; re-export it or download it again.`);
    this.name = 'SafetensorsError';
  }
}

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Validates the header bytes and the offsets against the data length. `head`
 * must hold at least the 8 length bytes; `fileSize` is the whole file's size.
 */
export function parseHeader(head: Uint8Array, fileSize: number, source = '<buffer>'): ParsedHeader {
  if (fileSize < 8 || head.length < 8) throw new SafetensorsError(source, `file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(source, `header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(n64);
  if (n < 2) throw new SafetensorsError(source, `header length ${n} is too small for a JSON object`);
  if (8 + n > fileSize) throw new SafetensorsError(source, `header length ${n} runs past the end of the ${fileSize}-byte file`);
  if (head.length < 8 + n) throw new SafetensorsError(source, `header truncated (${head.length - 8} of ${n} bytes)`);
  const headerBytes = head.subarray(8, 8 + n);
  if (headerBytes[0] !== 0x7b) throw new SafetensorsError(source, `header does not start with '{' (first byte 0x${headerBytes[0].toString(16).padStart(2, '0')})`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new SafetensorsError(source, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SafetensorsError(source, 'header is not a JSON object');
  const dataLen = fileSize - 8 - n;
  const entries = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError(source, '"__metadata__" must be an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsError(source, `"__metadata__.${k}" must be a string, got ${JSON.stringify(v)}`);
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as Partial<HeaderEntry> | null;
    if (typeof e !== 'object' || e === null) throw new SafetensorsError(source, `tensor '${name}' entry is not an object`);
    if (typeof e.dtype !== 'string') throw new SafetensorsError(source, `tensor '${name}' has no dtype`);
    const size = DTYPE_SIZES[e.dtype];
    if (size === undefined) throw new SafetensorsError(source, `tensor '${name}' has unknown dtype '${e.dtype}'`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(source, `tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0]) {
      throw new SafetensorsError(source, `tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    if (off[1] > dataLen) throw new SafetensorsError(source, `tensor '${name}' data_offsets [${off[0]}, ${off[1]}] are out of range (data section is ${dataLen} bytes)`);
    const expected = numel(e.shape) * size;
    if (off[1] - off[0] !== expected) {
      throw new SafetensorsError(source, `tensor '${name}' is ${off[1] - off[0]} bytes but shape ${JSON.stringify(e.shape)} × ${e.dtype} needs ${expected}`);
    }
    entries.set(name, { dtype: e.dtype, shape: e.shape, data_offsets: [off[0], off[1]] });
  }
  // The data section must be covered exactly, in offset order, without holes or overlaps.
  const sorted = [...entries.entries()].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let end = 0;
  let prev = '';
  for (const [name, e] of sorted) {
    const [b, f] = e.data_offsets;
    if (b < end) throw new SafetensorsError(source, `tensors '${prev}' and '${name}' overlap (byte ${b} < ${end})`);
    if (b > end) throw new SafetensorsError(source, `data is not contiguous: ${b - end} unused bytes before tensor '${name}' (offset ${end})`);
    end = f;
    prev = name;
  }
  if (end !== dataLen) throw new SafetensorsError(source, `data is not contiguous: ${dataLen - end} bytes after the last tensor are not described by the header`);
  return { entries, metadata, dataStart: 8 + n };
}

/** Copies bytes into a fresh ArrayBuffer when the typed view would be misaligned. */
function aligned(bytes: Uint8Array, align: number): ArrayBuffer {
  if (bytes.byteOffset % align === 0 && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

/** Decodes one tensor's bytes (little-endian) to the in-memory type. */
export function decodeTensor(dtype: string, shape: number[], bytes: Uint8Array, name = '?', source = '<buffer>'): LoadedTensor {
  if (!DECODED.has(dtype)) throw new SafetensorsError(source, `tensor '${name}' has dtype '${dtype}', which Tune Studio cannot decode (supported: ${[...DECODED].join(', ')})`);
  const n = numel(shape);
  let data: TensorData;
  switch (dtype) {
    case 'F32':
      data = new Float32Array(aligned(bytes, 4));
      break;
    case 'F64': {
      const src = new Float64Array(aligned(bytes, 8));
      data = Float32Array.from(src);
      break;
    }
    case 'F16': {
      const src = new Uint16Array(aligned(bytes, 2));
      const table = halfTable();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[src[i]];
      data = out;
      break;
    }
    case 'BF16': {
      const src = new Uint16Array(aligned(bytes, 2));
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = src[i] << 16;
      data = new Float32Array(out.buffer);
      break;
    }
    case 'I32':
      data = new Int32Array(aligned(bytes, 4));
      break;
    case 'I64':
      data = new BigInt64Array(aligned(bytes, 8));
      break;
    default:
      data = new Uint8Array(aligned(bytes, 1));
  }
  return { dtype: dtype as SafetensorsDtype, shape: [...shape], data };
}

/** Parses a whole safetensors file held in memory. */
export function parseSafetensors(buf: Uint8Array, source = '<buffer>'): SafetensorsContents {
  const header = parseHeader(buf, buf.byteLength, source);
  const tensors = new Map<string, LoadedTensor>();
  for (const [name, e] of header.entries) {
    const bytes = buf.subarray(header.dataStart + e.data_offsets[0], header.dataStart + e.data_offsets[1]);
    tensors.set(name, decodeTensor(e.dtype, e.shape, bytes, name, source));
  }
  return { tensors, metadata: header.metadata };
}

/** Reads only the header of a file (cheap: no tensor data is read). */
export function readSafetensorsHeader(file: string): ParsedHeader {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, Math.min(8, size), 0);
    // validate the length before allocating for it
    const n = size >= 8 ? lenBuf.readBigUInt64LE(0) : 0n;
    const want = size < 8 || n > BigInt(MAX_HEADER_BYTES) || 8 + Number(n) > size ? 8 : 8 + Number(n);
    const head = Buffer.alloc(want);
    fs.readSync(fd, head, 0, want, 0);
    return parseHeader(head, size, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads and decodes a safetensors file. */
export function readSafetensors(file: string): SafetensorsContents {
  const header = readSafetensorsHeader(file);
  const buf = fs.readFileSync(file);
  const tensors = new Map<string, LoadedTensor>();
  for (const [name, e] of header.entries) {
    const bytes = buf.subarray(header.dataStart + e.data_offsets[0], header.dataStart + e.data_offsets[1]);
    tensors.set(name, decodeTensor(e.dtype, e.shape, bytes, name, file));
  }
  return { tensors, metadata: header.metadata };
}

export interface TensorToWrite {
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array | number[];
  /** Stored dtype; defaults from the data (Float32Array → F32, Int32Array → I32, BigInt64Array → I64, Uint8Array → U8). */
  dtype?: 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U8';
}

function floatToHalf(v: number): number {
  // round-to-nearest-even via the float32 bit pattern
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (exp << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

function encode(t: TensorToWrite, name: string): { dtype: string; bytes: Uint8Array } {
  const n = numel(t.shape);
  if (t.data.length !== n) throw new Error(`Tensor '${name}': ${t.data.length} values do not fill shape ${JSON.stringify(t.shape)} (${n}).`);
  const dtype = t.dtype ?? (t.data instanceof Int32Array ? 'I32' : t.data instanceof BigInt64Array ? 'I64' : t.data instanceof Uint8Array ? 'U8' : 'F32');
  switch (dtype) {
    case 'F32': {
      const a = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
      return { dtype, bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
    }
    case 'F16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = floatToHalf(Number(t.data[i]));
      return { dtype, bytes: new Uint8Array(out.buffer) };
    }
    case 'BF16': {
      const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
      const u = new Uint32Array(f.buffer, f.byteOffset, f.length);
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const x = u[i];
        // NaN stays NaN; otherwise round to nearest even
        out[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
      }
      return { dtype, bytes: new Uint8Array(out.buffer) };
    }
    case 'I32': {
      const a = t.data instanceof Int32Array ? t.data : Int32Array.from(t.data as ArrayLike<number>, Number);
      return { dtype, bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
    }
    case 'I64': {
      const a = t.data instanceof BigInt64Array ? t.data : BigInt64Array.from(Array.from(t.data as ArrayLike<number>, (v) => BigInt(Math.trunc(Number(v)))));
      return { dtype, bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
    }
    case 'U8': {
      const a = t.data instanceof Uint8Array ? t.data : Uint8Array.from(t.data as ArrayLike<number>, Number);
      return { dtype, bytes: a };
    }
  }
}

/** Serialises tensors (in the given order) into safetensors bytes; the header is space-padded to 8 bytes like the reference writer. */
export function serializeSafetensors(tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata?: Record<string, string>): Buffer {
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new Error(`'__metadata__' is reserved and cannot name a tensor.`);
    const { dtype, bytes } = encode(t, name);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))]);
}

/** Writes a safetensors file atomically (temp file in the same folder, then rename). */
export function writeSafetensors(file: string, tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata?: Record<string, string>): void {
  const data = serializeSafetensors(tensors, metadata);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
