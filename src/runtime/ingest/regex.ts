// Regex parsers: user regexes with named groups, and the shipped presets for
// PyTorch Lightning's progress bar and ACE-Step's trainer (Lightning-based).
// The exact line shapes the presets accept are listed in docs/parsers.md.

import { clipLine, parseNumberToken } from './numbers';
import { mayBeTqdmFrame, numericPostfix, parseTqdmFrame, type TqdmFrame } from './tqdm';
import type { IngestEvent, LineParser, RegexParserSpec, RegexPresetName } from './types';

export const REGEX_PRESETS: readonly RegexPresetName[] = ['lightning', 'ace-step'];

/** Names of the named groups in a pattern (lookbehinds `(?<=`, `(?<!` excluded). */
export function namedGroups(pattern: string): string[] {
  const out: string[] = [];
  const re = /\\.|\[(?:\\.|[^\]\\])*\]|\(\?<([A-Za-z_$][\w$]*)>/g;
  for (let m = re.exec(pattern); m; m = re.exec(pattern)) if (m[1]) out.push(m[1]);
  return out;
}

/** A user regex; the spec must have passed validateParserSpecs (the constructor throws otherwise). */
export class RegexParser implements LineParser {
  readonly name: string;
  private readonly re: RegExp;
  private readonly step?: string;
  private readonly metrics: Array<[metric: string, group: string]>;

  constructor(spec: RegexParserSpec) {
    this.name = spec.name ?? 'regex';
    this.re = new RegExp(spec.pattern, (spec.flags ?? '').replace(/[gy]/g, ''));
    this.step = spec.step;
    const groups = namedGroups(spec.pattern);
    if (spec.metrics) this.metrics = Object.entries(spec.metrics);
    else this.metrics = groups.filter((g) => g !== spec.step).map((g) => [`${spec.prefix ?? ''}${g}`, g]);
  }

  parse(line: string): IngestEvent[] | null {
    const m = this.re.exec(line);
    if (!m) return null;
    const groups = m.groups ?? {};
    const metrics: Record<string, number> = {};
    const bad: string[] = [];
    for (const [metric, group] of this.metrics) {
      const text = groups[group];
      if (text === undefined) continue; // an optional group that did not take part
      const v = parseNumberToken(text);
      if (v === undefined) bad.push(`group '${group}' captured ${JSON.stringify(clipLine(text, 40))}, not a number`);
      else metrics[metric] = v;
    }
    let step: number | undefined;
    if (this.step !== undefined && groups[this.step] !== undefined) {
      const v = parseNumberToken(groups[this.step]);
      if (v !== undefined && Number.isInteger(v) && v >= 0) step = v;
      else bad.push(`step group '${this.step}' captured ${JSON.stringify(clipLine(groups[this.step], 40))}, not a non-negative integer`);
    }
    const out: IngestEvent[] = [];
    if (Object.keys(metrics).length > 0) out.push({ type: 'metrics', metrics, ...(step !== undefined ? { step } : {}), source: this.name });
    if (bad.length > 0) out.push({ type: 'malformed', line: clipLine(line), error: bad.join('; '), source: this.name });
    return out;
  }
}

const EPOCH_DESC = /^Epoch (\d+)(?:\/\d+)?$/;
const OTHER_BARS = /^(?:Validation|Validating|Sanity Checking|Testing|Predicting)\b/;
// ACE-Step's per-step line, optionally after a logger prefix (loguru, logging)
// or glued to a progress frame printed just before it:
//   Epoch 3, step 1200: loss=0.0451, denoising_loss=0.0440, lr=1.0e-04
const ACE_STEP_LINE = /\bEpoch\s+(\d+),\s*step\s+(\d+)\s*:\s*(.*)$/;
const KEY_VALUE = /([A-Za-z_][\w./-]*)\s*=\s*([^\s,;]+)/g;
const SKIP_POSTFIX = new Set(['v_num']);

/**
 * PyTorch Lightning's TQDMProgressBar (and, with `aceStep`, ACE-Step's own
 * per-step lines). Metrics come from the bar's postfix (what the module logged
 * with prog_bar=True), names as printed. The step is the batch count across
 * epochs: epoch × total + n.
 */
export class LightningParser implements LineParser {
  readonly name: RegexPresetName;
  private last: { step?: number; key: string } | null = null;

  constructor(private readonly aceStep = false) {
    this.name = aceStep ? 'ace-step' : 'lightning';
  }

  parse(line: string): IngestEvent[] | null {
    if (mayBeTqdmFrame(line)) {
      const f = parseTqdmFrame(line);
      if (f) return this.frame(f);
    }
    if (this.aceStep && line.includes('step')) {
      const m = ACE_STEP_LINE.exec(line);
      if (m) return this.aceLine(line, Number(m[2]), m[3]);
    }
    return null;
  }

  private frame(f: TqdmFrame): IngestEvent[] | null {
    const e = EPOCH_DESC.exec(f.desc);
    if (!e) return OTHER_BARS.test(f.desc) ? [] : null; // validation bars: ours, but not training progress
    const out: IngestEvent[] = [{ type: 'progress', current: f.n, ...(f.total !== undefined ? { total: f.total } : {}), source: this.name }];
    const epoch = Number(e[1]);
    let step: number | undefined;
    if (f.exact) {
      if (f.total !== undefined) step = epoch * f.total + f.n;
      else if (epoch === 0) step = f.n;
    }
    const metrics = numericPostfix(f.postfix, SKIP_POSTFIX);
    if (Object.keys(metrics).length === 0) return out;
    // A redraw with the same step and values (refresh, postfix re-set) adds nothing.
    let key = '';
    for (const [k, v] of f.postfix) key += `${k}=${v},`;
    if (this.last && this.last.step === step && this.last.key === key) return out;
    this.last = { step, key };
    out.push({ type: 'metrics', metrics, ...(step !== undefined ? { step } : {}), source: this.name });
    return out;
  }

  private aceLine(line: string, step: number, rest: string): IngestEvent[] {
    const metrics: Record<string, number> = {};
    const bad: string[] = [];
    KEY_VALUE.lastIndex = 0;
    for (let m = KEY_VALUE.exec(rest); m; m = KEY_VALUE.exec(rest)) {
      const v = parseNumberToken(m[2]);
      const name = m[1].includes('/') ? m[1] : `train/${m[1]}`;
      if (v === undefined) bad.push(`${m[1]}=${clipLine(m[2], 40)} is not a number`);
      else metrics[name] = v;
    }
    if (Object.keys(metrics).length === 0 && bad.length === 0) {
      return [{ type: 'malformed', line: clipLine(line), error: 'an ACE-Step step line without key=value pairs', source: this.name }];
    }
    const out: IngestEvent[] = [];
    if (Object.keys(metrics).length > 0) out.push({ type: 'metrics', metrics, step, source: this.name });
    if (bad.length > 0) out.push({ type: 'malformed', line: clipLine(line), error: bad.join('; '), source: this.name });
    return out;
  }
}

export function createRegexParser(spec: RegexPresetName | RegexParserSpec): LineParser {
  if (spec === 'lightning') return new LightningParser(false);
  if (spec === 'ace-step') return new LightningParser(true);
  return new RegexParser(spec);
}
