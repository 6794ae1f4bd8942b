// Reads tqdm progress-bar frames, the format Hugging Face Trainer, accelerate
// and PyTorch Lightning (TQDMProgressBar) all print:
//
//   {desc}: {pct}%|{bar}| {n}/{total} [{elapsed}<{remaining}, {rate}{, postfix}]
//    5%|▌         | 50/1000 [00:10<03:10,  5.00it/s]
//   Epoch 0:  45%|████▌     | 45/100 [00:05<00:06, 8.50it/s, v_num=0, train_loss=0.512]
//   {desc}: {n}{unit} [{elapsed}, {rate}{, postfix}]      (no known total)
//   Epoch 2: 45it [00:05, 8.50it/s, loss=0.5]
//   Epoch 2: |          | 45/? [00:05<00:00, 8.50it/s, loss=0.5]   (Lightning, unknown total)

import { parseNumberToken } from './numbers';

export interface TqdmFrame {
  /** Text before the bar (`Epoch 0`), without the colon; '' when none. */
  desc: string;
  /** Items done. With tqdm's unit_scale it may be rounded (`1.2k`): see `exact`. */
  n: number;
  total?: number;
  /** n and total were printed as plain integers (not scaled like `1.2k`). */
  exact: boolean;
  /** key=value pairs after the rate (Lightning puts its logged metrics here), as printed. */
  postfix: Array<[string, string]>;
}

const SCALED = '(\\d+(?:\\.\\d+)?[kMGTPEZY]?)';
// The bar may hold any character but '|'; trailing spaces pad a frame over a longer previous one.
const WITH_TOTAL = new RegExp(`^(?:(.*?):)?\\s*(?:(\\d{1,3})%)?\\|[^|]*\\|\\s*${SCALED}/(${SCALED.slice(1, -1)}|\\?)\\s*(?:\\[(.*)\\])?\\s*$`);
const WITHOUT_TOTAL = new RegExp(`^(?:(.*?):)?\\s*${SCALED}( ?[A-Za-z/]*)\\s+\\[(\\d+:\\d\\d(?::\\d\\d)?(?:,.*)?)\\]\\s*$`);
const SUFFIX: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Z: 1e21, Y: 1e24 };

function scaled(s: string): { v: number; exact: boolean } {
  const last = s[s.length - 1];
  if (SUFFIX[last]) return { v: Number(s.slice(0, -1)) * SUFFIX[last], exact: false };
  return { v: Number(s), exact: /^\d+$/.test(s) };
}

/** Cheap pre-check so most lines never reach the regexes. */
export function mayBeTqdmFrame(line: string): boolean {
  return line.includes(' [') && line.includes(']');
}

/** Parses one frame; null when the text is not a tqdm frame. */
export function parseTqdmFrame(line: string): TqdmFrame | null {
  if (line.length > 4096) return null;
  let m = line.includes('|') ? WITH_TOTAL.exec(line) : null;
  if (m) {
    const n = scaled(m[3]);
    const total = m[4] === '?' ? undefined : scaled(m[4]);
    return {
      desc: (m[1] ?? '').trim(),
      n: n.v,
      total: total?.v,
      exact: n.exact && (total?.exact ?? true),
      postfix: parsePostfix(m[5] ?? '', 2),
    };
  }
  m = WITHOUT_TOTAL.exec(line);
  if (m) {
    const n = scaled(m[2]);
    return { desc: (m[1] ?? '').trim(), n: n.v, exact: n.exact, postfix: parsePostfix(m[4] ?? '', 2) };
  }
  return null;
}

/**
 * The bracket holds `elapsed<remaining, rate, k=v, k=v` (or `elapsed, rate, ...`
 * without a total): comma-separated, the first `skip` parts are timing.
 */
const PAIR = /,\s*([^\s=,]+)=([^,]*)/g;
function parsePostfix(bracket: string, skip: number): Array<[string, string]> {
  if (!bracket.includes('=')) return [];
  let from = -1;
  for (let k = 0; k < skip - 1; k++) {
    from = bracket.indexOf(',', from + 1);
    if (from === -1) return [];
  }
  const out: Array<[string, string]> = [];
  PAIR.lastIndex = from + 1;
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
