// Parser for Hugging Face Trainer / accelerate / TRL output: the dicts Trainer
// prints on every log (Python repr) and the tqdm frames of its progress bars.
//
//   {'loss': 0.123, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 0.5}
//   {'loss': '19.85', 'learning_rate': '8.571e-05', 'epoch': '0.2941'}     (transformers ≥ 4.5x, TRL: .4g strings)
//   {'eval_loss': 0.4, 'eval_runtime': 1.2, 'epoch': 1.0}
//   {'train_runtime': 61.2, 'train_loss': 0.31, 'epoch': 3.0}                (the final summary)
//    50%|█████     | 500/1000 [01:40<01:40,  5.00it/s]
//
// The rules (docs/parsers.md):
// - A dict is found wherever it stands in a line (after `[stderr] `, a pod
//   name, `0: `, a torn frame) and read whole; numeric strings are numbers; a
//   line that looks like a Trainer dict but cannot be read is malformed, with
//   the reason. A dict inside a list (`[{'loss': …}, …]`, log_history) is not a log.
// - The training bar gives steps and progress: the first bar that is not a
//   data, download or loading bar; a later bar replaces it when a training
//   dict follows the new bar's frame and the old bar is finished (a new
//   phase) or was never confirmed by a training dict while the new one was
//   already running when first seen (output joined mid-run). Eval and
//   predict bars (nested, started at 0 while we watch, or after training) and
//   dataset `Map:` bars give neither.
// - Steps: an explicit `step`/`global_step`; else the log positions tqdm.write
//   left in the stream (a cleared bar redrawn with no line between: stdout was
//   block-buffered, the dict comes later) in order; else the training bar's
//   count, unless the dict's `epoch` × steps-per-epoch (learned from dicts
//   that arrived right after a fresh frame) says the bar is stale; without any
//   bar, one past the previous training dict. Eval dicts take the training step
//   they follow. Dicts printed before any bar wait (at most HOLD of them) until
//   steps-per-epoch is known.

import { clipLine, parseNumberToken } from './numbers';
import { parsePyDict, type PyDictEntry } from './pyliteral';
import { findTqdmFrames, mayBeTqdmFrame, type FoundFrame } from './tqdm';
import type { IngestEvent, LineParser } from './types';

type Kind = 'train' | 'eval' | 'test' | 'predict';

// Keys Trainer always or often logs. A dict needs one of them to count as a
// metrics line, so a script printing its config dict is not read as metrics.
const KNOWN_KEY = /^(?:loss|epoch|learning_rate|grad_norm|step|global_step|train_.+)$|(?:^|_)(?:eval|test|predict)_./;
// The same, as it appears quoted in the text: decides whether a dict that
// fails to parse was meant as metrics (malformed) or is someone else's line.
const KNOWN_KEY_TEXT = /['"](?:loss|epoch|learning_rate|grad_norm|train_\w+|\w*(?:eval|test|predict)_\w+)['"]\s*:/;
const STEP_KEYS = new Set(['step', 'global_step']);
// Where HF puts the split marker: `eval_loss`, and with metric_key_prefix `mrpc_en_eval_loss`.
const MARKER = /^(?:(.*?)_)?(eval|test|predict)_(.+)$/;
const GROUPS = /^(?:train|eval|test|predict|system)\//;
// Bars that are never the training bar: data preparation, downloads, loading.
const OTHER_DESC = /(?:^|\s|\[)(?:Map|Filter|Tokeniz|Running tokenizer|Loading|Downloading|Download|Fetching|Formatting|Generating|Preparing|Processing|Converting|Casting|Extracting|Applying|Saving|Uploading|Resolving|Computing|Creating|Packing|Evaluat|Predict|Sanity|Validation|Testing)/i;
const OTHER_RATE = /(?:examples|ex|ba|B|kB|KB|MB|GB|KiB|MiB|GiB|files?|shards?|tokens|samples|docs)\/s$/;
const DICT_START = /\{\s*['"]/g;
/** Dicts printed before any bar that wait for steps-per-epoch. */
const HOLD = 8;

interface Bar {
  n: number;
  total?: number;
  seq: number;
  other: boolean;
  /** The count of its first frame seen: 0 for a bar that started while we watched (a nested eval bar does). */
  firstN: number;
}

interface Held {
  entries: PyDictEntry[];
  epoch: number;
}

export class HfParser implements LineParser {
  readonly name = 'hf';
  private bars = new Map<string, Bar>();
  private seq = 0;
  private latest: Bar | undefined;
  /** The training bar. */
  private train: Bar | undefined;
  /** The bar of the last frame, by what identifies it. */
  private latestFrame: { desc: string; total: number | undefined; bar: Bar } | undefined;
  /** A training-bar frame arrived since the last dict (so a dict now is placed by a fresh count). */
  private freshFrame = false;
  /** A cleared bar: the training count at the clear, until the next piece says whether a line was written there. */
  private clear: number | null = null;
  /** Log positions left by tqdm.write whose line has not arrived yet (buffered stdout), oldest first. */
  private marks: number[] = [];
  private lastTrainStep: number | undefined;
  /** Steps per epoch, and the count it was learned at (the largest is the most precise). */
  private spe: { s: number; n: number } | undefined;
  private held: Held[] = [];
  /** A training dict took its step from the training bar (so it is not an evaluation's bar). */
  private confirmed = false;

  parse(line: string, final = true): IngestEvent[] | null {
    if (isBlank(line)) {
      if (!final && line.length > 0 && this.train) {
        if (this.clear === null) this.clear = this.train.n;
        return [];
      }
      if (final && this.clear !== null) this.clear = null; // the write was an empty line
      return null;
    }
    const events: IngestEvent[] = [];
    const frames = mayBeTqdmFrame(line) ? findTqdmFrames(line) : [];
    let fi = 0;
    let claimed = frames.length > 0;
    let pos = 0;
    DICT_START.lastIndex = 0;
    for (let m = line.indexOf('{') === -1 ? null : DICT_START.exec(line); m; m = DICT_START.exec(line)) {
      const d = m.index;
      if (d < pos) continue;
      while (fi < frames.length && frames[fi].start < d) this.frame(frames[fi++], events);
      if (insideList(line, d)) {
        pos = d + 1;
        continue;
      }
      const r = parsePyDict(line, d);
      if (!r.ok) {
        if (KNOWN_KEY_TEXT.test(line.slice(d))) {
          events.push({ type: 'malformed', line: clipLine(line), error: `looks like a Trainer log dict but is not a complete Python dict: ${r.error}`, source: this.name });
          claimed = true;
        }
        pos = line.length;
        break;
      }
      pos = r.end;
      DICT_START.lastIndex = r.end;
      while (fi < frames.length && frames[fi].start < pos) fi++;
      if (!r.entries.some((e) => KNOWN_KEY.test(e.key))) continue;
      claimed = true;
      this.dict(r.entries, events, line);
    }
    while (fi < frames.length) this.frame(frames[fi++], events);
    if (this.clear !== null && final) this.clear = null; // a line written at the clear: no pending log
    return claimed ? events : null;
  }

  /** Dicts still waiting for a step (end of output): placed one past the previous training dict. */
  flush(): IngestEvent[] {
    const out: IngestEvent[] = [];
    this.releaseHeld(out, true);
    return out;
  }

  private frame(f: FoundFrame, events: IngestEvent[]): void {
    // Most frames redraw the same bar as the one before: no key to build then.
    const lf = this.latestFrame;
    let bar = lf && lf.desc === f.desc && lf.total === f.total ? lf.bar : undefined;
    const key = bar ? '' : `${f.desc}\u0000${f.total ?? -1}`;
    if (!bar) bar = this.bars.get(key);
    if (!bar) {
      bar = { n: f.n, total: f.total, seq: 0, other: OTHER_DESC.test(f.desc) || OTHER_RATE.test(f.rate), firstN: f.n };
      this.bars.set(key, bar);
      if (this.bars.size > 16) this.dropOldestBar();
    }
    bar.n = f.n;
    bar.seq = ++this.seq;
    this.latestFrame = { desc: f.desc, total: f.total, bar };
    if (!f.exact) {
      // 1.2k/10k: a rounded count is no step, but still progress of the training bar.
      if (!bar.other && (!this.train || this.train === bar)) events.push({ type: 'progress', current: f.n, total: f.total, source: this.name });
      return;
    }
    this.latest = bar;
    if (!bar.other && !this.train) this.train = bar;
    if (bar !== this.train) return;
    if (this.clear !== null) {
      // The bar was cleared and redrawn at the same count with no line between (tqdm.write):
      // the log line went to a buffer. (A nested bar closing also clears, but the training bar
      // then moves on to its next count.)
      if (f.n === this.clear) {
        this.marks.push(this.clear);
        if (this.marks.length > 256) this.marks.shift();
      }
      this.clear = null;
    }
    this.freshFrame = true;
    events.push({ type: 'progress', current: f.n, total: f.total, source: this.name });
  }

  private dropOldestBar(): void {
    let oldest: string | undefined;
    let seq = Infinity;
    for (const [k, st] of this.bars)
      if (st !== this.train && st.seq < seq) {
        seq = st.seq;
        oldest = k;
      }
    if (oldest !== undefined) this.bars.delete(oldest);
    this.latestFrame = undefined;
  }

  private dict(entries: PyDictEntry[], events: IngestEvent[], line: string): void {
    const kind = kindOf(entries);
    // The end-of-training summary: train_runtime without a per-step loss (Unsloth puts train_runtime in every step's dict).
    const summary = entries.some((e) => e.key === 'train_runtime') && !entries.some((e) => e.key === 'loss');
    let explicit: number | undefined;
    let epoch: number | undefined;
    for (const e of entries) {
      const v = numeric(e.value);
      if (v === undefined) continue;
      if (STEP_KEYS.has(e.key) && Number.isSafeInteger(v) && v >= 0) explicit = v;
      if (e.key === 'epoch' && Number.isFinite(v)) epoch = v;
    }
    const fresh = this.freshFrame;
    this.freshFrame = false;
    let step: number | undefined;
    if (explicit !== undefined) {
      step = explicit;
      if (this.marks.length) this.marks.shift();
    } else if (this.marks.length && !this.staleMarks(kind, summary, epoch)) {
      step = this.marks.shift();
    } else {
      this.clear = null;
      const l = this.latest;
      if (kind === 'train' && !summary && l && this.train && l !== this.train && !l.other && !finished(l) && (finished(this.train) || (!this.confirmed && l.firstN > 0))) {
        // A training dict after another bar's frame: that bar is the training bar when the one we
        // had is finished (a new training phase), or was never confirmed by a training dict and the
        // new one was already running when first seen (output joined mid-run), unlike a nested
        // evaluation bar, which starts at 0 while we watch.
        this.train = l;
        this.confirmed = false;
      }
      const bar = this.train;
      if (!bar) {
        if (kind === 'train' && !summary) {
          if (epoch !== undefined && epoch > 0 && this.held.length < HOLD) {
            this.held.push({ entries, epoch });
            return;
          }
          this.releaseHeld(events, true);
          step = (this.lastTrainStep ?? 0) + 1;
        } else {
          this.releaseHeld(events, true);
          step = this.lastTrainStep;
        }
      } else if (kind !== 'train' && !this.confirmed && bar === this.latest && finished(bar)) {
        // A finished bar no training dict ever took, drawn just before: the evaluation's own bar.
        step = this.lastTrainStep;
      } else {
        step = bar.n;
        const byEpoch = kind === 'train' && !summary && epoch !== undefined && epoch > 0 && this.spe ? Math.round(epoch * this.spe.s) : undefined;
        if (byEpoch !== undefined && Math.abs(byEpoch - bar.n) > 1 + halfUnit(epoch!) * this.spe!.s && byEpoch > (this.lastTrainStep ?? -1) && (bar.total === undefined || byEpoch <= bar.total)) {
          step = byEpoch; // the bar is stale (frames lost) or the dict late
        } else if (fresh && epoch !== undefined && epoch > 0 && bar.n > 0 && (!this.spe || bar.n >= this.spe.n)) {
          this.spe = { s: bar.n / epoch, n: bar.n };
        }
      }
    }
    if (this.held.length && this.spe) this.releaseHeld(events, false);
    const metrics: Record<string, number> = {};
    for (const { key, value } of entries) {
      if (STEP_KEYS.has(key)) continue;
      const v = numeric(value);
      if (v === undefined) continue; // bools, None, nested, text: not metrics
      // The summary's epoch repeats the last training dict's at the same step: not a second point.
      if (summary && key === 'epoch' && step !== undefined && step === this.lastTrainStep) continue;
      metrics[metricName(key, kind)] = v;
    }
    if (Object.keys(metrics).length === 0) {
      // Trainer keys whose values are text but not numbers: it looked like a log and could not be read.
      const text = entries.find((e) => KNOWN_KEY.test(e.key) && typeof e.value !== 'number' && e.value.kind === 'string');
      if (text) {
        const v = (text.value as { value: string }).value;
        events.push({ type: 'malformed', line: clipLine(line), error: `a Trainer log dict without a number: '${text.key}' is ${JSON.stringify(clipLine(v, 40))}`, source: this.name });
        return;
      }
    }
    if (kind === 'train' && !summary && step !== undefined) {
      this.lastTrainStep = step;
      if (this.train && step === this.train.n) this.confirmed = true;
    }
    if (Object.keys(metrics).length === 0) return;
    events.push({ type: 'metrics', metrics, ...(step !== undefined ? { step } : {}), source: this.name });
  }

  /**
   * Pending log positions that this dict's epoch contradicts while the training bar's count agrees:
   * the line arrived before its clear-and-redraw was read (stdout and stderr read as two streams),
   * so the positions are stale. They are dropped.
   */
  private staleMarks(kind: Kind, summary: boolean, epoch: number | undefined): boolean {
    if (kind !== 'train' || summary || epoch === undefined || !(epoch > 0) || !this.spe || !this.train) return false;
    const at = Math.round(epoch * this.spe.s);
    const tol = 1 + halfUnit(epoch) * this.spe.s;
    if (Math.abs(this.marks[0] - at) <= tol || Math.abs(this.train.n - at) > tol) return false;
    this.marks = [];
    return true;
  }

  /** Emits the dicts that waited: by epoch × steps-per-epoch when known, else one past the previous. */
  private releaseHeld(events: IngestEvent[], force: boolean): void {
    if (!this.held.length || (!force && !this.spe)) return;
    const held = this.held;
    this.held = [];
    for (const h of held) {
      let step = this.spe ? Math.round(h.epoch * this.spe.s) : (this.lastTrainStep ?? 0) + 1;
      if (this.lastTrainStep !== undefined && step <= this.lastTrainStep) step = this.lastTrainStep + 1;
      this.lastTrainStep = step;
      const metrics: Record<string, number> = {};
      for (const { key, value } of h.entries) {
        const v = STEP_KEYS.has(key) ? undefined : numeric(value);
        if (v !== undefined) metrics[metricName(key, 'train')] = v;
      }
      if (Object.keys(metrics).length) events.push({ type: 'metrics', metrics, step, source: this.name });
    }
  }
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 32 && s.charCodeAt(i) !== 9) return false;
  return true;
}

/** Half a unit of the last printed decimal of an epoch (0.06 → 0.005; 2.059 → 0.0005; 2 → 0.005): how far off epoch × steps-per-epoch may be. */
function halfUnit(epoch: number): number {
  // Every transformers version prints at least 2 decimals' worth (round(epoch, 2), then .4g);
  // Python drops trailing zeros (2.0 → 2, 0.50 → 0.5), so fewer printed decimals mean 2.
  const s = String(epoch);
  const dot = s.indexOf('.');
  const decimals = s.includes('e') || dot === -1 ? 0 : s.length - dot - 1;
  return 0.5 * 10 ** -Math.max(2, decimals);
}

function finished(b: Bar): boolean {
  return b.total !== undefined && b.n >= b.total;
}

/** `[{'loss': …}, {…}]` (Trainer's log_history) or a dict nested in another: not a log line. */
function insideList(line: string, at: number): boolean {
  let k = at - 1;
  while (k >= 0 && line[k] === ' ') k--;
  return k >= 0 && (line[k] === '[' || line[k] === ',' || line[k] === '(');
}

/** A number, or a string holding one as Python prints it ('19.85', '8.571e-05', 'nan', 'inf'). */
function numeric(v: PyDictEntry['value']): number | undefined {
  if (typeof v === 'number') return v;
  if (v.kind === 'string') return parseNumberToken(v.value);
  return undefined;
}

function kindOf(entries: PyDictEntry[]): Kind {
  for (const e of entries) {
    const m = MARKER.exec(e.key);
    if (m && !e.key.includes('/')) return m[2] as Kind;
    if (e.key.startsWith('eval_')) return 'eval';
  }
  return 'train';
}

/**
 * `loss` → `train/loss`; `eval_loss` → `eval/loss`; `mrpc_en_eval_loss` →
 * `eval/mrpc_en_loss` (metric_key_prefix); `test_acc` → `test/acc`; other keys
 * of an eval (test) dict (epoch) go under eval/ (test/) too; TRL's
 * `rewards/…/mean` → `train/rewards/…/mean`; names already under a group
 * (`train/…`, `eval/…`) are kept.
 */
export function metricName(key: string, kind: Kind): string {
  if (GROUPS.test(key)) return key;
  const slash = key.indexOf('/');
  const head = slash === -1 ? key : key.slice(0, slash);
  const m = MARKER.exec(head);
  if (m && m[3]) {
    const rest = m[3] + (slash === -1 ? '' : key.slice(slash));
    return `${m[2]}/${m[1] ? `${m[1]}_` : ''}${rest}`;
  }
  return `${kind}/${key}`;
}
