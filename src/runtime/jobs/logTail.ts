// Follows one append-only output file (a job's output.log or stderr.log, a
// followed run file): reads what was appended since the last call, in
// bounded chunks, from a byte offset that a later follower can resume at.
// The file is read by position, so a writer that keeps appending (or a
// second reader) never disturbs it; a file that shrinks was truncated by
// someone and is read again from the start rather than stalling.
import * as fs from 'node:fs';

const CHUNK_BYTES = 1 << 20;

export class LogTail {
  /** Bytes of the file consumed so far. */
  offset: number;
  private fd: number | null = null;
  private buf: Buffer | null = null;

  constructor(
    readonly file: string,
    o: { offset?: number } = {},
  ) {
    this.offset = o.offset ?? 0;
  }

  /**
   * Hands every new chunk to `onChunk` (a copy the callee may keep) and
   * returns the number of bytes read. A missing file is not an error: the
   * writer has not created it yet.
   */
  read(onChunk: (chunk: Buffer) => void): number {
    let size: number;
    try {
      size = fs.statSync(this.file).size;
    } catch {
      return 0;
    }
    if (size < this.offset) this.offset = 0;
    if (size === this.offset) return 0;
    if (this.fd === null) this.fd = fs.openSync(this.file, 'r');
    this.buf ??= Buffer.allocUnsafe(CHUNK_BYTES);
    let total = 0;
    while (this.offset < size) {
      const n = fs.readSync(this.fd, this.buf, 0, Math.min(this.buf.length, size - this.offset), this.offset);
      if (n <= 0) break;
      this.offset += n;
      total += n;
      onChunk(Buffer.from(this.buf.subarray(0, n)));
    }
    return total;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    this.buf = null;
  }
}
