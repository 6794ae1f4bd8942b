// The protobuf wire format, read with protobufjs's Reader (protobufjs/minimal):
// a cursor over one message, bounded to it, so a sub-message that claims more
// bytes than its parent holds, or a field that runs past its message, is an
// error, not a read into the next field. Errors are ProtoErrors that say what
// was wrong.
import { Reader } from 'protobufjs/minimal';

export class ProtoError extends Error {}

interface LongLike {
  toNumber(): number;
}
const toNumber = (v: number | LongLike): number => (typeof v === 'number' ? v : v.toNumber());

let shared: Reader | null = null;

/**
 * A cursor over one protobuf message in buf[pos, end). A record's cursors
 * share one Reader: a sub-message narrows the Reader's bound (`len`) to its
 * own end, so protobufjs refuses to read past it, and gives the parent's bound
 * back when it is done (`more()` turning false, or `close()`).
 */
export class Wire {
  private constructor(
    readonly buf: Buffer,
    private readonly r: Reader,
    private readonly end: number,
    private readonly parentEnd: number,
  ) {}

  /** A cursor over a whole record. Decoding is synchronous, so one Reader serves every record in turn. */
  static of(buf: Buffer): Wire {
    const r = shared ?? (shared = Reader.create(buf) as Reader);
    r.buf = buf;
    r.pos = 0;
    r.len = buf.length;
    return new Wire(buf, r, buf.length, buf.length);
  }

  /** Whether fields remain; at the end, the parent's bound is restored. */
  more(): boolean {
    if (this.r.pos < this.end) return true;
    this.r.len = this.parentEnd;
    return false;
  }

  /** Leaves the message before its end (the rest is skipped). */
  close(): void {
    this.r.pos = this.end;
    this.r.len = this.parentEnd;
  }

  tag(): [field: number, wire: number] {
    const t = this.uint();
    return [t >>> 3, t & 7];
  }

  /** A varint as an unsigned 32-bit number (tags, lengths, enums, uint32). */
  uint(): number {
    const r = this.r;
    const b = r.buf[r.pos];
    if (b < 0x80 && r.pos < r.len) {
      r.pos++;
      return b; // one byte: most tags and lengths
    }
    return r.uint32();
  }

  /** uint64, exact up to 2^53. */
  uint64(): number {
    return toNumber(this.r.uint64() as unknown as number | LongLike);
  }

  /** int64 / int32 (two's complement, 10 bytes when negative), exact up to ±2^53. */
  int(): number {
    const r = this.r;
    const p = r.pos;
    const b = r.buf;
    // Up to 4 bytes (0 ≤ v < 2^28, every step of a real run): uint32 reads it exactly, without a Long.
    if (p + 4 <= r.len && (b[p] < 0x80 || b[p + 1] < 0x80 || b[p + 2] < 0x80 || b[p + 3] < 0x80)) return r.uint32();
    return toNumber(r.int64() as unknown as number | LongLike);
  }

  fixed32Float(): number {
    const r = this.r;
    if (r.pos + 4 > r.len) return r.float(); // protobufjs throws its out-of-range error
    const v = this.buf.readFloatLE(r.pos);
    r.pos += 4;
    return v;
  }

  fixed64Double(): number {
    const r = this.r;
    if (r.pos + 8 > r.len) return r.double();
    const v = this.buf.readDoubleLE(r.pos);
    r.pos += 8;
    return v;
  }

  /** A length-delimited field: returns its [start, end) in buf. */
  delimited(): [number, number] {
    const n = this.uint();
    const s = this.r.pos;
    if (s + n > this.end) throw new ProtoError('field runs past the end of its message');
    this.r.pos = s + n;
    return [s, s + n];
  }

  string(): string {
    const [s, e] = this.delimited();
    return this.buf.toString('utf8', s, e);
  }

  skip(wire: number): void {
    if (wire === 2) {
      this.delimited();
      return;
    }
    if (wire !== 0 && wire !== 1 && wire !== 5) throw new ProtoError(`unsupported wire type ${wire}`);
    this.r.skipType(wire);
  }

  /** The sub-message of a length-delimited field, bounded to it; read it to its end (or close() it) before reading on here. */
  sub(): Wire {
    const n = this.uint();
    const s = this.r.pos;
    if (s + n > this.end) throw new ProtoError('field runs past the end of its message');
    this.r.len = s + n;
    return new Wire(this.buf, this.r, s + n, this.end);
  }
}

/** protobufjs's errors (reading past the end, a varint over 10 bytes) as ProtoErrors. */
export function protoError(e: unknown): ProtoError {
  if (e instanceof ProtoError) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (e instanceof RangeError || /index out of range/.test(msg)) return new ProtoError(`field runs past the end of its message (${msg})`);
  if (/invalid varint/.test(msg)) return new ProtoError('varint longer than 10 bytes');
  return new ProtoError(msg);
}
