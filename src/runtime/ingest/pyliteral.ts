// A small reader for Python literal reprs, enough for the dicts trainers print:
// `{'loss': 0.123, 'learning_rate': 5e-05, 'epoch': 0.5}`. Strings in single or
// double quotes (with escapes and b/r/u prefixes), True/False/None, nan/inf,
// numbers with exponents, wrappers around a number (`tensor(0.5000,
// device='cuda:0')`, `np.float32(0.5)`, `float('nan')`), and nested values,
// which are read (so the dict's end is found) but not returned.

import { parseNumberToken } from './numbers';

/** What a dict value became: a number, or a note of what else it was. */
export type PyScalar = number | { kind: 'string'; value: string } | { kind: 'bool' | 'none' | 'nested' | 'opaque' };

export interface PyDictEntry {
  key: string;
  value: PyScalar;
}

export type PyDictResult = { ok: true; entries: PyDictEntry[]; end: number } | { ok: false; error: string; at: number };

const MAX_DEPTH = 32;

class PyError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

const NUMBER_TOKEN = /[+-]?(?:(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)/iy;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
// Wrappers whose single string argument is a number: float('nan'), Decimal('0.1').
const STRING_NUMBER_CALLS = new Set(['float', 'Decimal', 'decimal.Decimal']);

class Reader {
  i: number;
  constructor(
    readonly s: string,
    start: number,
  ) {
    this.i = start;
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  expect(ch: string): void {
    this.ws();
    if (this.s[this.i] !== ch) throw new PyError(`expected '${ch}'${this.describeHere()}`, this.i);
    this.i++;
  }

  describeHere(): string {
    return this.i >= this.s.length ? ' but the line ended' : ` at column ${this.i + 1}, found '${this.s[this.i]}'`;
  }

  /**
   * `{...}`: a dict, or a set when the first element is not followed by ':'.
   * Deciding after the first element keeps reading linear (no backtracking).
   */
  braced(depth: number, dictOnly: boolean): PyDictEntry[] | 'set' {
    this.expect('{');
    const entries: PyDictEntry[] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return entries;
    }
    let first = true;
    for (;;) {
      this.ws();
      const keyAt = this.i;
      const key = this.value(depth + 1);
      this.ws();
      if (first && this.s[this.i] !== ':' && !dictOnly) {
        this.restOfSequence('}', depth);
        return 'set';
      }
      first = false;
      this.expect(':');
      const value = this.value(depth + 1);
      if (typeof key === 'number') entries.push({ key: String(key), value });
      else if (key.kind === 'string') entries.push({ key: key.value, value });
      else if (key.kind === 'nested') throw new PyError('a dict key cannot be a list or dict', keyAt);
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        this.ws();
        if (this.s[this.i] === '}') {
          this.i++;
          return entries;
        }
        continue;
      }
      if (c === '}') {
        this.i++;
        return entries;
      }
      throw new PyError(`expected ',' or '}'${this.describeHere()}`, this.i);
    }
  }

  /** A list or tuple: read and dropped. */
  sequence(open: string, close: string, depth: number): void {
    this.expect(open);
    this.ws();
    if (this.s[this.i] === close) {
      this.i++;
      return;
    }
    this.value(depth + 1);
    this.restOfSequence(close, depth);
  }

  /** After an element: `, element`* then the closing bracket (a trailing comma allowed). */
  restOfSequence(close: string, depth: number): void {
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === close) {
        this.i++;
        return;
      }
      if (c !== ',') throw new PyError(`expected ',' or '${close}'${this.describeHere()}`, this.i);
      this.i++;
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return;
      }
      this.value(depth + 1);
    }
  }

  value(depth: number): PyScalar {
    if (depth > MAX_DEPTH) throw new PyError('nested too deeply', this.i);
    this.ws();
    const s = this.s;
    const c = s[this.i];
    if (c === undefined) throw new PyError('expected a value but the line ended', this.i);
    if (c === '{') {
      this.braced(depth, false);
      return { kind: 'nested' };
    }
    if (c === '[') {
      this.sequence('[', ']', depth);
      return { kind: 'nested' };
    }
    if (c === '(') {
      this.sequence('(', ')', depth);
      return { kind: 'nested' };
    }
    if (c === "'" || c === '"') return { kind: 'string', value: this.string() };
    if (c === '<') {
      this.angle();
      return { kind: 'opaque' };
    }
    const code = s.charCodeAt(this.i);
    if ((code >= 48 && code <= 57) || code === 43 || code === 45 || code === 46) {
      NUMBER_TOKEN.lastIndex = this.i;
      const m = NUMBER_TOKEN.exec(s);
      if (m) {
        const tok = m[0];
        // Digits (the common case) go straight to Number(); inf/nan and 1_000 through parseNumberToken.
        const v = /[_a-zA-Z]/.test(tok) && !/^[+-]?[\d.]+[eE][+-]?\d+$/.test(tok) ? parseNumberToken(tok) : Number(tok);
        if (v !== undefined && !(Number.isNaN(v) && !/nan/i.test(tok))) {
          this.i += tok.length;
          if (this.identChar(s.charCodeAt(this.i))) throw new PyError(`unexpected '${s[this.i]}' after a number`, this.i);
          return v;
        }
      }
      throw new PyError(`expected a value at column ${this.i + 1}, found '${c}'`, this.i);
    }
    IDENT.lastIndex = this.i;
    const id = IDENT.exec(s);
    if (id) {
      const name = id[0];
      // String prefixes: b'..', r'..', u'..', rb'..'.
      const q = s[this.i + name.length];
      if ((q === "'" || q === '"') && /^[rRbBuU]{1,2}$/.test(name)) {
        this.i += name.length;
        return { kind: 'string', value: this.string() };
      }
      this.i += name.length;
      this.ws();
      if (s[this.i] === '(') return this.call(name, depth);
      switch (name) {
        case 'True':
        case 'False':
          return { kind: 'bool' };
        case 'None':
          return { kind: 'none' };
        case 'nan':
        case 'NaN':
          return NaN;
        case 'inf':
        case 'Infinity':
          return Infinity;
        default:
          // A bare name such as torch.float16 in `dtype=torch.float16`.
          return { kind: 'opaque' };
      }
    }
    throw new PyError(`expected a value at column ${this.i + 1}, found '${c}'`, this.i);
  }

  /** name(first, ...rest, key=value): the first argument when it is a number. */
  call(name: string, depth: number): PyScalar {
    this.expect('(');
    let first: PyScalar | undefined;
    let count = 0;
    for (;;) {
      this.ws();
      if (this.s[this.i] === ')') {
        this.i++;
        break;
      }
      // keyword argument?
      IDENT.lastIndex = this.i;
      const kw = IDENT.exec(this.s);
      let isKeyword = false;
      if (kw && !kw[0].includes('.')) {
        let j = this.i + kw[0].length;
        while (this.s[j] === ' ') j++;
        if (this.s[j] === '=' && this.s[j + 1] !== '=') {
          this.i = j + 1;
          isKeyword = true;
        }
      }
      const v = this.value(depth + 1);
      if (!isKeyword) {
        if (count === 0) first = v;
        count++;
      }
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ')') {
        this.i++;
        break;
      }
      throw new PyError(`expected ',' or ')'${this.describeHere()}`, this.i);
    }
    if (count !== 1 || first === undefined) return { kind: 'opaque' };
    if (typeof first === 'number') return first;
    if (first.kind === 'string' && STRING_NUMBER_CALLS.has(name)) {
      const v = parseNumberToken(first.value);
      if (v !== undefined) return v;
    }
    return first.kind === 'nested' ? first : { kind: 'opaque' };
  }

  /** `<AddBackward0>`, `<function f at 0x7f...>`: skipped to the matching '>'. */
  angle(): void {
    let depth = 0;
    const s = this.s;
    for (; this.i < s.length; this.i++) {
      const c = s[this.i];
      if (c === '<') depth++;
      else if (c === '>') {
        depth--;
        if (depth === 0) {
          this.i++;
          return;
        }
      } else if (c === "'" || c === '"') {
        this.string();
        this.i--;
      }
    }
    throw new PyError("unterminated '<'", this.i);
  }

  string(): string {
    const s = this.s;
    const q = s[this.i];
    let j = this.i + 1;
    let out = '';
    let from = j;
    while (j < s.length) {
      const c = s[j];
      if (c === q) {
        out += s.slice(from, j);
        this.i = j + 1;
        return out;
      }
      if (c === '\\') {
        out += s.slice(from, j);
        const e = s[j + 1];
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === undefined ? '' : e;
        j += 2;
        from = j;
        continue;
      }
      j++;
    }
    throw new PyError('unterminated string', this.i);
  }

  identChar(code: number): boolean {
    return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
  }
}

/**
 * Reads the dict starting at `start` (which must be `{`). Returns its entries
 * and the index just past its closing brace, or an error with the position.
 * Never throws.
 */
export function parsePyDict(text: string, start = 0): PyDictResult {
  const r = new Reader(text, start);
  try {
    const entries = r.braced(0, true) as PyDictEntry[];
    return { ok: true, entries, end: r.i };
  } catch (e) {
    if (e instanceof PyError) return { ok: false, error: e.message, at: e.at };
    if (e instanceof RangeError) return { ok: false, error: 'nested too deeply', at: r.i };
    throw e;
  }
}
