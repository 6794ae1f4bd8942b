// A TensorBoard event-file ENCODER for tests, written independently of the
// decoder in src/runtime/ingest (bitwise CRC-32C, BigInt varints, its own
// protobuf writer), so a bug shared by both sides cannot hide. Field numbers
// follow tensorflow/core/util/event.proto and framework/{summary,tensor}.proto.

/** Bit-at-a-time CRC-32C (Castagnoli); slow and obviously right. */
export function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32cBitwise(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 0x100000000;
}

/** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function tfrecord(data: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  const lenCrc = Buffer.alloc(4);
  lenCrc.writeUInt32LE(maskedCrc32c(len));
  const dataCrc = Buffer.alloc(4);
  dataCrc.writeUInt32LE(maskedCrc32c(data));
  return Buffer.concat([len, lenCrc, Buffer.from(data), dataCrc]);
}

class Writer {
  private parts: Buffer[] = [];

  private varintBig(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    const bytes: number[] = [];
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      bytes.push(b);
    } while (x > 0n);
    this.parts.push(Buffer.from(bytes));
  }

  key(field: number, wire: number): this {
    this.varintBig(BigInt(field * 8 + wire));
    return this;
  }

  varint(field: number, v: number | bigint): this {
    this.key(field, 0);
    this.varintBig(BigInt(v));
    return this;
  }

  double(field: number, v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.key(field, 1).parts.push(b);
    return this;
  }

  float(field: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.key(field, 5).parts.push(b);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.key(field, 2);
    this.varintBig(BigInt(data.length));
    this.parts.push(Buffer.from(data));
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export const DT_FLOAT = 1;
export const DT_DOUBLE = 2;
export const DT_INT32 = 3;
export const DT_STRING = 7;
export const DT_INT64 = 9;
export const DT_HALF = 19;

export interface TensorSpec {
  dtype: number;
  /** Dimension sizes; [] (default) is a scalar. */
  shape?: number[];
  floatVal?: number[];
  doubleVal?: number[];
  /** binary16 bit patterns. */
  halfVal?: number[];
  intVal?: number[];
  int64Val?: Array<number | bigint>;
  stringVal?: string[];
  content?: Buffer;
  /** Write repeated numbers packed (proto3 default) or one field each. */
  packed?: boolean;
}

export type ValueSpec =
  | { tag: string; simple: number }
  | { tag: string; tensor: TensorSpec; plugin?: string; dataClass?: number }
  | { tag: string; image: { width: number; height: number } }
  | { tag: string; histogram: number[] };

export interface EventSpec {
  wallTime?: number;
  step?: number | bigint;
  fileVersion?: string;
  values?: ValueSpec[];
}

function tensorProto(t: TensorSpec): Writer {
  const w = new Writer().varint(1, t.dtype);
  const shape = new Writer();
  for (const d of t.shape ?? []) shape.message(2, new Writer().varint(1, d));
  w.message(2, shape);
  if (t.content) w.bytes(4, t.content);
  const packed = t.packed ?? true;
  const rep = (field: number, xs: Array<number | bigint> | undefined, kind: 'float' | 'double' | 'varint') => {
    if (!xs || xs.length === 0) return;
    if (!packed) {
      for (const x of xs) {
        if (kind === 'float') w.float(field, Number(x));
        else if (kind === 'double') w.double(field, Number(x));
        else w.varint(field, x);
      }
      return;
    }
    const inner = new Writer();
    for (const x of xs) {
      if (kind === 'float') {
        const b = Buffer.alloc(4);
        b.writeFloatLE(Number(x));
        inner.raw(b);
      } else if (kind === 'double') {
        const b = Buffer.alloc(8);
        b.writeDoubleLE(Number(x));
        inner.raw(b);
      } else {
        const v = new Writer();
        v.varint(1, x);
        inner.raw(v.finish().subarray(1)); // drop the key byte: packed elements are bare varints
      }
    }
    w.bytes(field, inner.finish());
  };
  rep(5, t.floatVal, 'float');
  rep(6, t.doubleVal, 'double');
  rep(7, t.intVal, 'varint');
  rep(10, t.int64Val, 'varint');
  rep(13, t.halfVal, 'varint');
  for (const s of t.stringVal ?? []) w.string(8, s);
  return w;
}

function valueProto(v: ValueSpec): Writer {
  const w = new Writer().string(1, v.tag);
  if ('simple' in v) w.float(2, v.simple);
  else if ('tensor' in v) {
    if (v.plugin !== undefined || v.dataClass !== undefined) {
      const meta = new Writer();
      if (v.plugin !== undefined) meta.message(1, new Writer().string(1, v.plugin).bytes(2, Buffer.alloc(0)));
      if (v.dataClass !== undefined) meta.varint(4, v.dataClass);
      w.message(9, meta);
    }
    w.message(8, tensorProto(v.tensor));
  } else if ('image' in v) {
    w.message(4, new Writer().varint(1, v.image.height).varint(2, v.image.width).varint(3, 3).bytes(4, Buffer.from('PNG...')));
  } else {
    const h = new Writer().double(1, Math.min(...v.histogram)).double(2, Math.max(...v.histogram)).double(3, v.histogram.length);
    w.message(5, h);
  }
  return w;
}

/** The bytes of one Event message (not framed). */
export function eventProto(e: EventSpec): Buffer {
  const w = new Writer();
  if (e.wallTime !== undefined) w.double(1, e.wallTime);
  if (e.step !== undefined && e.step !== 0) w.varint(2, e.step);
  if (e.fileVersion !== undefined) w.string(3, e.fileVersion);
  if (e.values) {
    const s = new Writer();
    for (const v of e.values) s.message(1, valueProto(v));
    w.message(5, s);
  }
  return w.finish();
}

/** One framed Event record. */
export function eventRecord(e: EventSpec): Buffer {
  return tfrecord(eventProto(e));
}

/** A whole event file: the file_version record, then the events. */
export function eventFile(events: EventSpec[], wallTime = 1_700_000_000): Buffer {
  return Buffer.concat([eventRecord({ wallTime, fileVersion: 'brain.Event:2' }), ...events.map(eventRecord)]);
}

/** Scalars as PyTorch's SummaryWriter.add_scalar writes them (simple_value). */
export function scalarEvent(step: number, scalars: Record<string, number>, wallTime = 1_700_000_000 + step): EventSpec {
  return { wallTime, step, values: Object.entries(scalars).map(([tag, simple]) => ({ tag, simple })) };
}

/** A scalar as TF2's tf.summary.scalar writes it: a DT_FLOAT tensor in tensor_content, plugin "scalars". */
export function tf2ScalarEvent(step: number, tag: string, value: number, wallTime = 1_700_000_000 + step): EventSpec {
  const content = Buffer.alloc(4);
  content.writeFloatLE(value);
  return { wallTime, step, values: [{ tag, tensor: { dtype: DT_FLOAT, content }, plugin: 'scalars', dataClass: 1 }] };
}

/** binary16 bit pattern of a number (round to nearest; enough for test values). */
export function toHalfBits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}
