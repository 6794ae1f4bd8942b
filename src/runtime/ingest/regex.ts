// Regex parsers: user regexes with named groups, and the shipped presets for
// PyTorch Lightning's progress bar (with kohya sd-scripts' bar and ACE-Step
// 1.5's step lines) and ACE-Step's trainer (Lightning-based).
// The exact line shapes the presets accept are listed in docs/parsers.md.

import { clipLine, parseNumberToken } from './numbers';
import { findTqdmFrames, mayBeTqdmFrame, type TqdmFrame } from './tqdm';
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

// The epoch in a bar's desc, after any prefix (`0: Epoch 0`, `[rank: 0] Epoch 3/10`).
const EPOCH_DESC = /(?:^|[\s\]:])Epoch (\d+)(?:\/\d+)?$/;
const EPOCH_ONLY = /^Epoch (\d+)(?:\/\d+)?$/; // the common case, anchored
// kohya sd-scripts' training bar: `steps:  20%|██▊       | 196/1000 [05:34<22:51,  1.71s/it, avr_loss=0.434]`.
const KOHYA_DESC = /(?:^|[\s\]:[])steps$/;
const OTHER_BARS = /(?:^|[\s\]:])(?:Validation|Validating|Sanity Checking|Testing|Predicting)\b/;
// ACE-Step's per-step line (1.0 form), optionally after a logger prefix (loguru, logging)
// or glued to a progress frame printed just before it:
//   Epoch 3, step 1200: loss=0.0451, denoising_loss=0.0440, lr=1.0e-04
const ACE_STEP_LINE = /\bEpoch\s+(\d+),\s*step\s+(\d+)\s*:\s*(.*)$/;
// ACE-Step 1.5's trainer (acestep/training, shown by the Gradio UI through loguru):
//   [1m 32s] Step 70: Epoch 3/1000, Step 70, Loss: 0.7975          (every few steps)
//   [1m 48s] Step 96: ✅ Epoch 3/1000 in 37.8s, Loss: 0.8581         (an epoch's mean loss)
const ACE15_LINE = /\bStep (\d+): (.*?\bEpoch (\d+)\/(\d+)\b.*)$/;
const ACE15_PAIR = /(?:^|,\s*)([A-Za-z][A-Za-z _]*?):\s*([^\s,]+)/g;
const KEY_VALUE = /([A-Za-z_][\w./-]*)\s*=\s*([^\s,;]+)/g;
const SKIP_POSTFIX = new Set(['v_num']);

interface Emitted {
  step: number | undefined;
  /** The values as printed, `name=value,` each. */
  key: string;
}

/**
 * PyTorch Lightning's TQDMProgressBar, kohya sd-scripts' `steps:` bar and
 * ACE-Step 1.5's step lines (and, with `aceStep`, ACE-Step 1.0's own per-step
 * lines). Lightning metrics come from the bar's postfix (what the module
 * logged with prog_bar=True), names as printed; kohya's under `train/`.
 *
 * Steps: Lightning's is the batch count across epochs, each epoch starting
 * where the previous one ended (its declared total, or further when the bar
 * ran past it); kohya's bar counts optimizer steps itself.
 *
 * One point per step: both draw a step's frame twice, first (on update) with
 * the previous step's postfix, then (on set_postfix) with this step's. So a
 * step's first draw is held: a redraw at the same step with other values
 * replaces it; when the bar moves on (or the output ends: flush) the held draw
 * is the step's point. A redraw at a stored step adds only what changed.
 */
export class LightningParser implements LineParser {
  readonly name: RegexPresetName;
  private emitted: Emitted | null = null;
  private held: { step: number; metrics: Record<string, number>; key: string } | null = null;
  private epoch: { e: number; base: number | undefined; maxN: number; total?: number } | null = null;

  constructor(private readonly aceStep = false) {
    this.name = aceStep ? 'ace-step' : 'lightning';
  }

  parse(line: string): IngestEvent[] | null {
    if (mayBeTqdmFrame(line)) {
      const frames = findTqdmFrames(line);
      // The last training frame is what the terminal shows; earlier ones in the line were overdrawn.
      for (let i = frames.length - 1; i >= 0; i--) {
        const r = this.frame(frames[i]);
        if (r) return r;
      }
    }
    if (line.includes('Step ')) {
      const m = ACE15_LINE.exec(line);
      if (m) return this.ace15Line(line, Number(m[1]), m[2]);
    }
    if (this.aceStep && line.includes('step')) {
      const m = ACE_STEP_LINE.exec(line);
      if (m) return this.aceLine(line, Number(m[2]), m[3]);
    }
    return null;
  }

  private frame(f: TqdmFrame): IngestEvent[] | null {
    const kohya = f.desc.endsWith('steps') && KOHYA_DESC.test(f.desc);
    const e = kohya ? null : f.desc.startsWith('Epoch ') ? EPOCH_ONLY.exec(f.desc) : EPOCH_DESC.exec(f.desc);
    if (!e && !kohya) return OTHER_BARS.test(f.desc) ? [] : null; // validation bars: ours, but not training progress
    const out: IngestEvent[] = [{ type: 'progress', current: f.n, ...(f.total !== undefined ? { total: f.total } : {}), source: this.name }];
    let step: number | undefined;
    if (f.exact) step = kohya ? f.n : this.epochStep(Number(e![1]), f.n, f.total);
    // The values as printed, `name=value,` each: what tells a redraw from a new draw.
    const metrics: Record<string, number> = {};
    let key = '';
    for (const [k, v] of f.postfix) {
      if (SKIP_POSTFIX.has(k)) continue;
      const x = parseNumberToken(v);
      if (x === undefined) continue;
      const name = kohya && !k.includes('/') ? `train/${k}` : k;
      metrics[name] = x;
      key += `${name}=${v},`;
    }
    if (key === '') return out;
    const em = this.emitted;
    if (em && step === em.step) {
      // A redraw at a stored step: only what changed is new.
      if (key === em.key) return out;
      const before = pairs(em.key);
      const changed: Record<string, number> = {};
      for (const [name, v] of pairs(key)) if (before.get(name) !== v) changed[name] = metrics[name];
      em.key = key;
      if (Object.keys(changed).length) out.push({ type: 'metrics', metrics: changed, ...(step !== undefined ? { step } : {}), source: this.name });
      return out;
    }
    const held = this.held;
    if (held && step !== undefined && held.step === step) {
      // The redraw of the held step: the first draw showed the previous step's values.
      if (key !== held.key) this.emit(step, metrics, key, out);
      return out;
    }
    if (held) this.emit(held.step, held.metrics, held.key, out); // the bar moved on: the held draw was its step's
    if (step === undefined) {
      this.emit(undefined, metrics, key, out);
      return out;
    }
    this.held = { step, metrics, key };
    return out;
  }

  /** At the end of the output: the last step's values, drawn but not yet followed by another step. */
  flush(): IngestEvent[] {
    const out: IngestEvent[] = [];
    if (this.held) this.emit(this.held.step, this.held.metrics, this.held.key, out);
    return out;
  }

  private emit(step: number | undefined, metrics: Record<string, number>, key: string, out: IngestEvent[]): void {
    this.held = null;
    this.emitted = { step, key };
    out.push({ type: 'metrics', metrics, ...(step !== undefined ? { step } : {}), source: this.name });
  }

  /** Batch count across epochs: where this epoch starts plus n. Undefined when an earlier epoch's size is unknown. */
  private epochStep(e: number, n: number, total: number | undefined): number | undefined {
    const st = this.epoch;
    if (st && (e < st.e || (e === st.e && n < st.maxN && n === 0))) {
      // The bar started over (a new fit in the same process, a second paste): continue after the last step, never on top of it.
      const last = st.base === undefined ? undefined : st.base + st.maxN;
      this.epoch = { e, base: last, maxN: n, total };
    } else if (!st) {
      this.epoch = { e, base: total !== undefined ? e * total : e === 0 ? 0 : undefined, maxN: n, total };
    } else if (e > st.e) {
      const size = st.total === undefined ? st.maxN : Math.max(st.total, st.maxN);
      const skipped = e - st.e - 1;
      const perSkipped = total ?? st.total;
      const base = st.base === undefined || (skipped > 0 && perSkipped === undefined) ? undefined : st.base + size + skipped * (perSkipped ?? 0);
      this.epoch = { e, base, maxN: n, total };
    } else {
      st.maxN = Math.max(st.maxN, n);
      if (total !== undefined) st.total = total;
    }
    const base = this.epoch!.base;
    return base === undefined ? undefined : base + n;
  }

  /** ACE-Step 1.5: `Step 70: Epoch 3/1000, Step 70, Loss: 0.7975`; an epoch's summary (`✅ Epoch 3/1000 in 37.8s`) gives `train/epoch_loss`. */
  private ace15Line(line: string, step: number, rest: string): IngestEvent[] {
    const summary = /\bEpoch \d+\/\d+ in \d/.test(rest);
    const metrics: Record<string, number> = {};
    const bad: string[] = [];
    ACE15_PAIR.lastIndex = 0;
    for (let m = ACE15_PAIR.exec(rest); m; m = ACE15_PAIR.exec(rest)) {
      const key = m[1].trim().toLowerCase().replace(/\s+/g, '_');
      if (key === 'step' || key === 'epoch') continue;
      const v = parseNumberToken(m[2]);
      if (v === undefined) {
        bad.push(`${m[1]}: ${clipLine(m[2], 40)} is not a number`);
        continue;
      }
      metrics[`train/${summary ? `epoch_${key}` : key}`] = v;
    }
    const out: IngestEvent[] = [];
    if (Object.keys(metrics).length > 0) out.push({ type: 'metrics', metrics, step, source: this.name });
    if (bad.length > 0) out.push({ type: 'malformed', line: clipLine(line), error: bad.join('; '), source: this.name });
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

/** `name=value,name=value,` back to name → value as printed (names and values hold no `=` or `,`). */
function pairs(key: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of key.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

export function createRegexParser(spec: RegexPresetName | RegexParserSpec): LineParser {
  if (spec === 'lightning') return new LightningParser(false);
  if (spec === 'ace-step') return new LightningParser(true);
  return new RegexParser(spec);
}
