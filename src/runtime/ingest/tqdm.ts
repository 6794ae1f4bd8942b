// Reads tqdm progress-bar frames, the format Hugging Face Trainer, accelerate,
// PyTorch Lightning (TQDMProgressBar) and kohya sd-scripts all print, wherever
// they stand in a line:
//
//   {desc}: {pct}%|{bar}| {n}/{total} [{elapsed}<{remaining}, {rate}{, postfix}]
//    5%|▌         | 50/1000 [00:10<03:10,  5.00it/s]
//   Epoch 0:  45%|████▌     | 45/100 [00:05<00:06, 8.50it/s, v_num=0, train_loss=0.512]
//     4% 100/2238 [1:49:59<42:08:58, 70.97s/it]          (no |bar|: Colab, containers without a tty)
//   {desc}: {n}{unit} [{elapsed}, {rate}{, postfix}]      (no known total)
//   Epoch 2: 45it [00:05, 8.50it/s, loss=0.5]
//   Epoch 2: |          | 45/? [00:05<00:00, 8.50it/s, loss=0.5]   (Lightning, unknown total)
//
// A frame is anchored on its timing bracket (`[` + `mm:ss`), read backwards
// for the counts, bar and percentage and forwards for the rate and postfix.
// Text before it (`[stderr] `, `pod-name: `, a torn earlier frame) and after
// it (a warning, a dict, a signal message written without a newline) is left
// to the caller; a bracket cut off by glued text (`4.45it/s/cluster/...`) still
// gives the counts.

import { parseNumberToken } from './numbers';

export interface TqdmFrame {
  /** Text before the bar (`Epoch 0`), without the colon; '' when none. May hold a prefix (`0: Epoch 0`). */
  desc: string;
  /** Items done. With tqdm's unit_scale it may be rounded (`1.2k`): see `exact`. */
  n: number;
  total?: number;
  /** n and total were printed as plain integers (not scaled like `1.2k`). */
  exact: boolean;
  /** key=value pairs after the rate (Lightning puts its logged metrics here), as printed; empty for a cut bracket. */
  postfix: Array<[string, string]>;
  /** The rate as printed (`5.00it/s`, `356.99 examples/s`, `?it/s`); '' when cut off. */
  rate: string;
}

export interface FoundFrame extends TqdmFrame {
  /** Where the frame starts in the line (its desc, percentage, bar or count). */
  start: number;
  /** One past its last character (its `]`, or the end of what could be read of a cut bracket). */
  end: number;
  /** The bracket was closed by `]` (false: glued text cut it). */
  closed: boolean;
}

const SUFFIX: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Z: 1e21, Y: 1e24 };
const ELAPSED = /\d+:\d\d+(?::\d\d)?/y;
const REMAINING = /<(?:\d+:\d\d+(?::\d\d)?|\?)/y;
// The rate: `5.00it/s`, `70.97s/it`, `?it/s`, ` 356.99 examples/s`; a cut one ends where a letter-or-slash run stops.
const RATE = /,\s*((?:\d+(?:\.\d+)?[kMGTPEZY]?|\?)\s?[A-Za-z_ ]*?\/(?:s|it|[A-Za-z_]+))/y;
const MAX_LINE = 1 << 16;

function scaled(s: string): { v: number; exact: boolean } {
  const last = s[s.length - 1];
  if (SUFFIX[last] !== undefined) return { v: Number(s.slice(0, -1)) * SUFFIX[last], exact: false };
  return { v: Number(s), exact: s.indexOf('.') === -1 };
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** A count token ending just before `end` (digits, one inner dot, an optional k/M/G suffix); its start, or -1. */
function countBack(s: string, end: number, floor: number): number {
  let k = end - 1;
  if (k >= floor && SUFFIX[s[k]] !== undefined) k--;
  const digitsEnd = k;
  let dots = 0;
  while (k >= floor) {
    const c = s.charCodeAt(k);
    if (c >= 48 && c <= 57) k--;
    else if (c === 46) (dots++, k--);
    else break;
  }
  const start = k + 1;
  if (start > digitsEnd || dots > 1 || s.charCodeAt(start) === 46 || s.charCodeAt(digitsEnd) === 46) return -1;
  return start;
}

/** Cheap pre-check so most lines never reach the scanner. */
export function mayBeTqdmFrame(line: string): boolean {
  return line.includes('[') && line.includes(':');
}

/**
 * Every frame in a line, in order. A line holds several when a terminal's
 * `\r` redraws were rendered (or torn) into one line.
 */
export function findTqdmFrames(line: string): FoundFrame[] {
  const out: FoundFrame[] = [];
  if (line.length > MAX_LINE) return out;
  const whole = wholeLineFrame(line);
  if (whole) {
    out.push(whole);
    return out;
  }
  let floor = 0;
  for (let i = line.indexOf('['); i !== -1; i = line.indexOf('[', i + 1)) {
    ELAPSED.lastIndex = i + 1;
    const em = ELAPSED.exec(line);
    if (!em) continue;
    let j = i + 1 + em[0].length;
    REMAINING.lastIndex = j;
    const rm = REMAINING.exec(line);
    if (rm) j += rm[0].length;
    if (line[j] !== ',' && line[j] !== ']') continue;
    // Backwards: `n/total` or `n/?` (or `n unit` without a total).
    let k = i - 1;
    while (k >= floor && line[k] === ' ') k--;
    let total: string | undefined;
    let nStart: number;
    let withTotal = false;
    const totalStart = line[k] === '?' ? k : countBack(line, k + 1, floor);
    if (totalStart > floor && line[totalStart - 1] === '/') {
      const ns = countBack(line, totalStart - 1, floor);
      if (ns === -1) continue;
      total = line.slice(totalStart, k + 1);
      nStart = ns;
      withTotal = true;
    } else {
      // No total: `45it [`, `120 examples [`; the timing must not show a remaining time.
      if (rm) continue;
      let u = k;
      while (u >= floor && /[A-Za-z/]/.test(line[u])) u--;
      if (line[u] === ' ' && u < k) u--;
      const ns = countBack(line, u + 1, floor);
      if (ns === -1) continue;
      nStart = ns;
    }
    let start = nStart;
    let p = nStart - 1;
    while (p >= floor && line[p] === ' ') p--;
    if (withTotal && line[p] === '|') {
      const open = line.lastIndexOf('|', p - 1);
      if (open >= floor) {
        start = open;
        p = open - 1;
      } else {
        start = p; // a torn bar: only its closing '|' is left
        p = -1;
      }
      while (p >= floor && line[p] === ' ') p--;
    }
    if (p >= floor && line[p] === '%') {
      let q = p - 1;
      while (q >= floor && q > p - 4 && isDigit(line[q])) q--;
      if (q < p - 1) {
        start = q + 1;
        p = q;
        while (p >= floor && line[p] === ' ') p--;
      }
    }
    let desc = '';
    if (p >= floor && line[p] === ':') {
      desc = line.slice(floor, p).trim();
      start = floor + (line.slice(floor, p).length - line.slice(floor, p).trimStart().length);
    }
    // Forwards: the rate and the postfix up to `]`.
    RATE.lastIndex = j;
    const rate = RATE.exec(line);
    const close = line.indexOf(']', j);
    const nextOpen = line.indexOf('[', j);
    const afterRate = rate ? j + rate[0].length : j;
    let closed = close !== -1 && (nextOpen === -1 || nextOpen > close) && close >= afterRate;
    if (closed && rate) {
      // After the rate comes the postfix (`, k=v`) or the `]`; anything else is glued text.
      let q = afterRate;
      while (line.charCodeAt(q) === 32) q++;
      closed = q === close || line.charCodeAt(q) === 44;
    }
    let end: number;
    let postfix: Array<[string, string]> = [];
    if (closed) {
      end = close + 1;
      const eq = line.indexOf('=', j);
      if (eq !== -1 && eq < close) postfix = parsePostfix(line.slice(j, close));
    } else {
      end = afterRate;
    }
    const n = scaled(line.slice(nStart, nStart + (withTotal ? line.indexOf('/', nStart) - nStart : countLen(line, nStart))));
    const t = total === undefined || total === '?' ? undefined : scaled(total);
    out.push({
      desc,
      n: n.v,
      total: t?.v,
      exact: n.exact && (t?.exact ?? true),
      postfix,
      rate: rate ? rate[1].trim() : '',
      start,
      end,
      closed,
    });
    floor = end;
    i = end - 1;
  }
  return out;
}

// The common case, one clean frame filling the line (trailing spaces pad a frame over a longer
// one), read by one anchored regex; everything else goes through the scanner.
const SC = '\\d+(?:\\.\\d+)?[kMGTPEZY]?';
const TIMING = '\\d+:\\d\\d+(?::\\d\\d)?';
const WHOLE_TOTAL = new RegExp(`^(?:([^|\\[\\]]*?):)?\\s*(?:(\\d{1,3})%)?\\s*(?:\\|[^|]*\\|)?\\s*(${SC})/(${SC}|\\?)\\s*\\[(${TIMING}(?:<(?:${TIMING}|\\?))?)(,[^\\[\\]]*)?\\]\\s*$`);
const WHOLE_NO_TOTAL = new RegExp(`^(?:([^|\\[\\]]*?):)?\\s*(${SC}) ?[A-Za-z/]*\\s+\\[(${TIMING})(,[^\\[\\]]*)?\\]\\s*$`);

function wholeLineFrame(line: string): FoundFrame | null {
  let e = line.length - 1;
  while (e >= 0 && line.charCodeAt(e) === 32) e--;
  if (line.charCodeAt(e) !== 93) return null; // ']'
  let m = WHOLE_TOTAL.exec(line);
  let n: { v: number; exact: boolean };
  let total: { v: number; exact: boolean } | undefined;
  let rest: string | undefined;
  if (m) {
    n = scaled(m[3]);
    total = m[4] === '?' ? undefined : scaled(m[4]);
    rest = m[6];
  } else {
    m = WHOLE_NO_TOTAL.exec(line);
    if (!m) return null;
    n = scaled(m[2]);
    rest = m[4];
  }
  const desc = (m[1] ?? '').trim();
  const comma = rest ? rest.indexOf(',', 1) : -1;
  const rate = rest ? (comma === -1 ? rest.slice(1) : rest.slice(1, comma)).trim() : '';
  return {
    desc,
    n: n.v,
    total: total?.v,
    exact: n.exact && (total?.exact ?? true),
    postfix: rest && rest.includes('=') ? parsePostfix(rest) : [],
    rate,
    start: desc ? line.indexOf(desc) : leadingSpaces(line),
    end: e + 1,
    closed: true,
  };
}

function leadingSpaces(s: string): number {
  let i = 0;
  while (s.charCodeAt(i) === 32) i++;
  return i;
}

function countLen(s: string, from: number): number {
  let e = from;
  while (e < s.length && (isDigit(s[e]) || s[e] === '.')) e++;
  if (SUFFIX[s[e]]) e++;
  return e - from;
}

/** Parses one frame; null when the text holds no tqdm frame. With several, the last one (what a terminal shows). */
export function parseTqdmFrame(line: string): TqdmFrame | null {
  const all = findTqdmFrames(line);
  return all.length ? all[all.length - 1] : null;
}

/**
 * The bracket holds `elapsed<remaining, rate, k=v, k=v` (or `elapsed, rate, ...`
 * without a total): `k=v` pairs after the first comma-separated timing parts.
 */
const PAIR = /,\s*([^\s=,]+)=([^,]*)/g;
function parsePostfix(bracket: string): Array<[string, string]> {
  if (!bracket.includes('=')) return [];
  const out: Array<[string, string]> = [];
  PAIR.lastIndex = 0;
  for (let m = PAIR.exec(bracket); m; m = PAIR.exec(bracket)) out.push([m[1], m[2].trim()]);
  return out;
}

/** Numeric postfix values, e.g. for Lightning's logged metrics; non-numbers (v_num=a1b2) are skipped. */
export function numericPostfix(postfix: Array<[string, string]>, skip: ReadonlySet<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of postfix) {
    if (skip.has(k)) continue;
    const n = parseNumberToken(v);
    if (n !== undefined) out[k] = n;
  }
  return out;
}
