// TFRecord framing, as TensorBoard event files use it, read incrementally:
//
//   uint64 length (little-endian)
//   uint32 masked_crc32c(length bytes)
//   byte   data[length]
//   uint32 masked_crc32c(data)
//
// Both checksums are checked. A record whose data checksum fails is reported
// and skipped (its length is trustworthy). A header whose checksum fails
// cannot be trusted for its length: the reader reports it and scans forward,
// byte by byte, to the next header whose checksum holds. A record cut off at
// the end of the input is not an error: the writer is still writing it.

const POLY = 0x82f63b78; // CRC-32C (Castagnoli), reflected
const MASK_DELTA = 0xa282ead8;

// Slicing-by-8 tables: TABLE[k * 256 + b] is the CRC of byte b followed by k
// zero bytes. Int32Array and no `>>> 0` inside the loop keep V8 on small
// integers (about 20% faster than uint32 arithmetic).
const TABLE = (() => {
  const t = new Int32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + i];
      t[k * 256 + i] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
})();

/** CRC-32C of bytes [start, end) of buf, continuing from `crc` (0 to start). */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  let c = ~crc;
  let i = start;
  const t = TABLE;
  const end8 = end - 8;
  for (; i <= end8; i += 8) {
    c ^= buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    c =
      t[1792 + (c & 0xff)] ^
      t[1536 + ((c >>> 8) & 0xff)] ^
      t[1280 + ((c >>> 16) & 0xff)] ^
      t[1024 + (c >>> 24)] ^
      t[768 + buf[i + 4]] ^
      t[512 + buf[i + 5]] ^
      t[256 + buf[i + 6]] ^
      t[buf[i + 7]];
  }
  for (; i < end; i++) c = t[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** TensorFlow's masking, so a CRC of data that embeds CRCs stays well distributed. */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

export type TfRecordItem =
  | { type: 'record'; data: Buffer; offset: number }
  | { type: 'corrupt'; offset: number; length: number; reason: string };

export interface TfRecordReaderOptions {
  /** A record longer than this is reported and skipped (default 256 MiB). */
  maxRecordBytes?: number;
  /** Stream offset of the first byte pushed (when reading a file from the middle), so reported offsets are file offsets. */
  startOffset?: number;
}

const HEADER = 12;
const FOOTER = 4;

export class TfRecordReader {
  private readonly max: number;
  private buf: Buffer = Buffer.alloc(0);
  /** Stream offset of buf[0]. */
  private base = 0;
  private skipRemaining = 0;
  private resyncFrom = -1;

  constructor(opts: TfRecordReaderOptions = {}) {
    this.max = opts.maxRecordBytes ?? 256 * 1024 * 1024;
    this.base = opts.startOffset ?? 0;
  }

  /** Stream offset of the first byte not yet consumed: where a complete record would start. */
  get offset(): number {
    return this.base;
  }

  /** Bytes held for a record not yet complete. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Bytes still needed before the pending record is complete (0 when unknown or none). */
  get needed(): number {
    if (this.skipRemaining > 0 || this.resyncFrom >= 0) return 0;
    if (this.buf.length < HEADER) return 0;
    const len = this.buf.readUInt32LE(0) + this.buf.readUInt32LE(4) * 0x100000000;
    return Math.max(0, HEADER + len + FOOTER - this.buf.length);
  }

  /**
   * Feeds the next bytes of the stream; returns the records and problems
   * completed by them. A record's data is a view into the bytes pushed: read
   * it before reusing the chunk.
   */
  push(chunk: Buffer): TfRecordItem[] {
    const out: TfRecordItem[] = [];
    const buf = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    let p = 0;
    for (;;) {
      if (this.skipRemaining > 0) {
        const n = Math.min(this.skipRemaining, buf.length - p);
        p += n;
        this.skipRemaining -= n;
        if (this.skipRemaining > 0) break;
        continue;
      }
      if (buf.length - p < HEADER) break;
      if (maskCrc(crc32c(buf, p, p + 8)) !== buf.readUInt32LE(p + 8)) {
        if (this.resyncFrom < 0) this.resyncFrom = this.base + p;
        p++;
        continue;
      }
      if (this.resyncFrom >= 0) {
        const skipped = this.base + p - this.resyncFrom;
        out.push({
          type: 'corrupt',
          offset: this.resyncFrom,
          length: skipped,
          reason: `record header checksum mismatch; skipped ${skipped} bytes to the next valid record`,
        });
        this.resyncFrom = -1;
      }
      const len = buf.readUInt32LE(p) + buf.readUInt32LE(p + 4) * 0x100000000;
      if (len > this.max) {
        out.push({ type: 'corrupt', offset: this.base + p, length: HEADER + len + FOOTER, reason: `record of ${len} bytes is larger than the ${this.max}-byte limit; skipped` });
        p += HEADER;
        this.skipRemaining = len + FOOTER;
        continue;
      }
      if (buf.length - p < HEADER + len + FOOTER) break;
      const dataEnd = p + HEADER + len;
      if (maskCrc(crc32c(buf, p + HEADER, dataEnd)) !== buf.readUInt32LE(dataEnd)) {
        out.push({ type: 'corrupt', offset: this.base + p, length: HEADER + len + FOOTER, reason: 'record data checksum mismatch; record skipped' });
      } else {
        out.push({ type: 'record', data: buf.subarray(p + HEADER, dataEnd), offset: this.base + p });
      }
      p = dataEnd + FOOTER;
    }
    this.base += p;
    // Keep only the unconsumed tail, copied so a large consumed chunk can be freed.
    const rest = buf.length - p;
    this.buf = rest === 0 ? Buffer.alloc(0) : Buffer.from(buf.subarray(p));
    return out;
  }
}
