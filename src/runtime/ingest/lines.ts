// Splits a trainer's raw output bytes into lines for the parsers and for the
// job log. A `\n` or `\r\n` ends a line; a lone `\r` ends a progress-bar frame
// (tqdm redraws its bar with `\r`). Parsers see every frame; the job log keeps
// only the last frame of each line (FrameCollapser). Memory stays bounded: a
// line longer than `maxLineBytes` is cut, flagged and the rest of it dropped.
//
// Splitting works on bytes: `\n` and `\r` never occur inside a UTF-8 multi-byte
// sequence, so a character split across chunks simply stays in the pending
// bytes until its line ends, and each line is decoded once.

const LF = 0x0a;
const CR = 0x0d;
const ESC = '\u001b';

/** 4 MiB: longer lines are cut (a trainer that prints a whole tensor, say). */
export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

export interface LinePiece {
  /** The text with ANSI escape sequences removed (what parsers read). */
  text: string;
  /** The text as written, escape sequences included (same string when there are none). */
  raw: string;
  /** false: a progress-bar frame ended by a lone `\r`; true: a line ended by `\n`, `\r\n` or EOF. */
  final: boolean;
  /** Set when the line was longer than maxLineBytes: `text` is its head; the rest was dropped. */
  truncated?: true;
}

export interface LineSplitterOptions {
  maxLineBytes?: number;
}

export interface LineSplitterStats {
  bytes: number;
  lines: number;
  frames: number;
  cutLines: number;
  droppedBytes: number;
}

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and two-byte escapes.
// Rich and coloured loggers emit these; parsers must not see them.
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;

export function stripAnsi(s: string): string {
  return s.includes(ESC) ? s.replace(ANSI_RE, '') : s;
}

export class LineSplitter {
  private readonly max: number;
  /** Bytes of the current, not yet terminated line. */
  private parts: Buffer[] = [];
  private partsLen = 0;
  /** The previous chunk ended with `\r`: whether it was `\r\n` depends on the next byte. */
  private crPending = false;
  /** The current line was cut; its bytes are dropped until it ends. */
  private discarding = false;
  readonly stats: LineSplitterStats = { bytes: 0, lines: 0, frames: 0, cutLines: 0, droppedBytes: 0 };

  constructor(opts: LineSplitterOptions = {}) {
    const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max < 16) throw new RangeError(`maxLineBytes must be an integer ≥ 16, got ${max}`);
    this.max = max;
  }

  /** Feeds a chunk; returns the pieces it completed. The chunk may be reused by the caller afterwards. */
  push(chunk: Buffer | Uint8Array): LinePiece[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: LinePiece[] = [];
    const len = buf.length;
    this.stats.bytes += len;
    if (len === 0) return out;
    let pos = 0;
    if (this.crPending) {
      this.crPending = false;
      if (buf[0] === LF) {
        this.endLine(buf, 0, 0, true, out);
        pos = 1;
      } else {
        this.endLine(buf, 0, 0, false, out);
      }
    }
    // Next `\n` and `\r` at or after pos; recomputed only once passed, so the
    // scan stays linear even when a chunk holds no `\r` at all.
    let nl = buf.indexOf(LF, pos);
    let cr = buf.indexOf(CR, pos);
    while (pos < len) {
      if (nl !== -1 && nl < pos) nl = buf.indexOf(LF, pos);
      if (cr !== -1 && cr < pos) cr = buf.indexOf(CR, pos);
      const t = nl === -1 ? cr : cr === -1 ? nl : Math.min(nl, cr);
      if (t === -1) {
        this.appendPartial(buf, pos, len, out);
        break;
      }
      if (t === nl) {
        this.endLine(buf, pos, t, true, out);
        pos = t + 1;
      } else if (t + 1 < len) {
        const crlf = buf[t + 1] === LF;
        this.endLine(buf, pos, t, crlf, out);
        pos = crlf ? t + 2 : t + 1;
      } else {
        // `\r` is the chunk's last byte: keep the line until the next byte tells.
        this.appendPartial(buf, pos, t, out);
        this.crPending = true;
        pos = len;
      }
    }
    return out;
  }

  /** At EOF: the unterminated rest, if any, as a final line. */
  flush(): LinePiece[] {
    const out: LinePiece[] = [];
    if (this.crPending) {
      this.crPending = false;
      this.endLine(Buffer.alloc(0), 0, 0, true, out);
    } else if (this.partsLen > 0) {
      this.endLine(Buffer.alloc(0), 0, 0, true, out);
    } else {
      this.discarding = false;
    }
    return out;
  }

  /** Bytes held for the current unterminated line (bounded by maxLineBytes). */
  get pendingBytes(): number {
    return this.partsLen;
  }

  private appendPartial(buf: Buffer, start: number, end: number, out: LinePiece[]): void {
    const n = end - start;
    if (n === 0) return;
    if (this.discarding) {
      this.stats.droppedBytes += n;
      return;
    }
    if (this.partsLen + n > this.max) {
      this.cut(buf, start, end, out);
      return;
    }
    // Copy: the caller may reuse its buffer (fs.read into a fixed buffer).
    this.parts.push(Buffer.from(buf.subarray(start, end)));
    this.partsLen += n;
  }

  private endLine(buf: Buffer, start: number, end: number, final: boolean, out: LinePiece[]): void {
    if (this.discarding) {
      this.stats.droppedBytes += end - start;
      this.discarding = false;
      return;
    }
    const n = end - start;
    if (this.partsLen + n > this.max) {
      this.cut(buf, start, end, out);
      this.discarding = false;
      return;
    }
    let raw: string;
    if (this.partsLen === 0) {
      raw = buf.toString('utf8', start, end);
    } else {
      if (n > 0) this.parts.push(buf.subarray(start, end));
      raw = Buffer.concat(this.parts, this.partsLen + n).toString('utf8');
      this.parts = [];
      this.partsLen = 0;
    }
    // An empty frame is the `\r` that starts a redraw: nothing to report.
    if (!final && raw.length === 0) return;
    if (final) this.stats.lines++;
    else this.stats.frames++;
    out.push({ text: stripAnsi(raw), raw, final });
  }

  /** Emits the first maxLineBytes of the current line (cut on a character boundary) and drops the rest. */
  private cut(buf: Buffer, start: number, end: number, out: LinePiece[]): void {
    // Callers guarantee partsLen + (end - start) > max, so buf[start + take] exists.
    const take = this.max - this.partsLen;
    const head = Buffer.concat([...this.parts, buf.subarray(start, start + take)], this.max);
    let e = head.length;
    if ((buf[start + take] & 0xc0) === 0x80) {
      // The first dropped byte continues a character: back up to that
      // character's lead byte so it is not split (at most 3 bytes).
      while (e > 0 && (head[e - 1] & 0xc0) === 0x80) e--;
      if (e > 0) e--;
    }
    const raw = head.toString('utf8', 0, e);
    this.stats.droppedBytes += this.partsLen + (end - start) - e;
    this.stats.cutLines++;
    this.stats.lines++;
    this.parts = [];
    this.partsLen = 0;
    this.discarding = true;
    out.push({ text: stripAnsi(raw), raw, final: true, truncated: true });
  }
}

/**
 * Turns the pieces of LineSplitter into the lines of the collapsed job log:
 * frames are held (each replaces the previous) and only the last one is
 * written, when its line ends. A terminal shows the same: a line ended right
 * after a redraw shows the last frame; a line written over a frame shows that
 * line.
 */
export class FrameCollapser {
  private frame: string | null = null;

  /** Returns the line to write to the log, or null while a bar is still redrawing. */
  push(piece: { text: string; final: boolean }): string | null {
    if (!piece.final) {
      this.frame = piece.text;
      return null;
    }
    const frame = this.frame;
    this.frame = null;
    if (piece.text === '' && frame !== null) return frame;
    return piece.text;
  }

  /** The frame on screen now (for a live "current progress" display). */
  get current(): string | null {
    return this.frame;
  }

  /** At EOF: the last frame of an unfinished line, if any. */
  flush(): string | null {
    const f = this.frame;
    this.frame = null;
    return f;
  }
}

/** Convenience: collapses a whole list of pieces into log lines. */
export function collapseFrames(pieces: Iterable<{ text: string; final: boolean }>): string[] {
  const c = new FrameCollapser();
  const out: string[] = [];
  for (const p of pieces) {
    const line = c.push(p);
    if (line !== null) out.push(line);
  }
  const last = c.flush();
  if (last !== null) out.push(last);
  return out;
}
