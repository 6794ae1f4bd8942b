// What `tunestudio run` passes through of a command's output: every byte as
// written (colours, `\r` progress frames, a prompt without a newline), at
// once, except the `@tunestudio …` protocol lines, which are the program
// talking to Tune Studio, not to its user. Works on raw chunks in any
// split: only the first bytes of each line are held until it is clear
// whether the line is a protocol line.
const PREFIXES = [Buffer.from('@tunestudio '), Buffer.from('@tunestudio\t')];
const PREFIX_LEN = PREFIXES[0].length;
const LF = 0x0a;
const CR = 0x0d;

export class ProtocolLineFilter {
  /** start: at the beginning of a line; pass / drop: the rest of an ordinary / a protocol line; dropCr: a protocol line ended by \r (a \n may follow). */
  private mode: 'start' | 'pass' | 'drop' | 'dropCr' = 'start';
  private head: number[] = [];

  /** The part of `chunk` to show. */
  push(chunk: Uint8Array): Buffer {
    const out: Buffer[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.mode === 'dropCr') {
        this.mode = 'start';
        if (chunk[i] === LF) i++;
        continue;
      }
      if (this.mode === 'start') {
        const b = chunk[i++];
        if (b === LF || b === CR) {
          out.push(Buffer.from(this.head), Buffer.from([b]));
          this.head = [];
          continue;
        }
        this.head.push(b);
        const candidates = PREFIXES.filter((p) => this.head.every((x, k) => p[k] === x));
        if (!candidates.length) {
          out.push(Buffer.from(this.head));
          this.head = [];
          this.mode = 'pass';
        } else if (this.head.length === PREFIX_LEN) {
          this.head = [];
          this.mode = 'drop';
        }
        continue;
      }
      let j = i;
      while (j < chunk.length && chunk[j] !== LF && chunk[j] !== CR) j++;
      if (this.mode === 'pass') out.push(Buffer.from(chunk.subarray(i, j < chunk.length ? j + 1 : j)));
      if (j < chunk.length) this.mode = this.mode === 'drop' && chunk[j] === CR ? 'dropCr' : 'start';
      i = j + 1;
    }
    return Buffer.concat(out);
  }

  /** At the end of the output: a line start that never became a protocol line is shown. */
  flush(): Buffer {
    const rest = this.mode === 'start' ? Buffer.from(this.head) : Buffer.alloc(0);
    this.head = [];
    this.mode = 'start';
    return rest;
  }
}
