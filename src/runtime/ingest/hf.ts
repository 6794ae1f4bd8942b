// Parser for Hugging Face Trainer / accelerate output: the dicts Trainer prints
// on every log (Python repr) and the tqdm frames of its progress bars.
//
//   {'loss': 0.123, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 0.5}
//   {'eval_loss': 0.4, 'eval_runtime': 1.2, 'eval_samples_per_second': 83.1, 'epoch': 1.0}
//   {'train_runtime': 61.2, 'train_samples_per_second': 13.1, 'train_loss': 0.31, 'epoch': 3.0}
//    50%|█████     | 500/1000 [01:40<01:40,  5.00it/s]
//
// The printed dicts carry no step. Trainer redraws its bar (showing the global
// step) before it prints a log, so the step is taken from the latest frame of
// the training bar; an evaluation bar (another total) is told apart so an eval
// dict gets the training step, not the eval batch count.

import { clipLine } from './numbers';
import { parsePyDict, type PyDictEntry } from './pyliteral';
import { mayBeTqdmFrame, parseTqdmFrame } from './tqdm';
import type { IngestEvent, LineParser } from './types';

// Keys Trainer always or often logs. A dict needs one of them to count as a
// metrics line, so a script printing its config dict is not read as metrics.
const KNOWN_KEY = /^(?:loss|epoch|learning_rate|grad_norm|step|global_step|eval_.+|test_.+|train_.+|predict_.+)$/;
// The same, as it appears quoted in the text: decides whether a dict that
// fails to parse was meant as metrics (malformed) or is someone else's line.
const KNOWN_KEY_TEXT = /['"](?:loss|epoch|learning_rate|grad_norm|eval_\w+|test_\w+|train_\w+)['"]\s*:/;
const STEP_KEYS = new Set(['step', 'global_step']);

interface BarState {
  n: number;
  seq: number;
}

export class HfParser implements LineParser {
  readonly name = 'hf';
  /** Latest frame per bar, keyed by the bar's total (-1: no total). */
  private bars = new Map<number, BarState>();
  private seq = 0;
  private lastTotal: number | undefined;
  /** Total of the bar that gave the step of the latest training dict: the training bar. */
  private trainTotal: number | undefined;

  parse(line: string, _final = true): IngestEvent[] | null {
    const brace = line.indexOf('{');
    if (brace === -1) return this.frame(line);
    // A dict printed right after a frame without a newline: read both.
    const before = brace > 0 ? line.slice(0, brace) : '';
    const events: IngestEvent[] = [];
    if (before.trim().length > 0) {
      const fr = this.frame(before);
      if (fr === null) return null; // text before the dict: not a Trainer log line
      events.push(...fr);
    }
    const dict = this.dict(line, brace);
    if (dict === null) return events.length > 0 ? events : null;
    events.push(...dict);
    return events;
  }

  /** The step a dict of this kind gets now (undefined: unknown). */
  currentStep(kind: 'train' | 'eval'): number | undefined {
    if (kind === 'train') return this.trainingBar()?.n;
    if (this.trainTotal !== undefined) return this.bars.get(this.trainTotal)?.n;
    // No training dict yet (evaluation at start): the most recent bar other than the latest one.
    let best: BarState | undefined;
    for (const [total, st] of this.bars) {
      if (total === this.lastTotal) continue;
      if (!best || st.seq > best.seq) best = st;
    }
    return best?.n;
  }

  /**
   * The bar whose count a training dict takes: the latest frame's bar, except
   * that tqdm.write redraws every open bar after a log line, so the latest
   * frame can be a finished evaluation bar; then it is the bar that gave the
   * previous training dict its step. (A new training bar, started later,
   * shows unfinished frames and so is taken.)
   */
  private trainingBar(): (BarState & { total: number }) | undefined {
    if (this.lastTotal === undefined) return undefined;
    const latest = this.bars.get(this.lastTotal);
    if (!latest) return undefined;
    if (this.trainTotal !== undefined && this.trainTotal !== this.lastTotal && latest.n === this.lastTotal) {
      const train = this.bars.get(this.trainTotal);
      if (train) return { ...train, total: this.trainTotal };
    }
    return { ...latest, total: this.lastTotal };
  }

  private frame(text: string): IngestEvent[] | null {
    if (!mayBeTqdmFrame(text)) return null;
    const f = parseTqdmFrame(text);
    if (!f) return null;
    if (!f.exact) {
      // 1.2k/10k: a rounded count is no step, but still progress.
      return [{ type: 'progress', current: f.n, total: f.total, source: this.name }];
    }
    const key = f.total ?? -1;
    this.bars.set(key, { n: f.n, seq: ++this.seq });
    this.lastTotal = key;
    if (this.bars.size > 16) {
      // Bounded: drop the oldest bar.
      let oldest: number | undefined;
      let seq = Infinity;
      for (const [k, st] of this.bars) if (st.seq < seq) (seq = st.seq), (oldest = k);
      if (oldest !== undefined) this.bars.delete(oldest);
    }
    return [{ type: 'progress', current: f.n, total: f.total, source: this.name }];
  }

  private dict(line: string, brace: number): IngestEvent[] | null {
    const r = parsePyDict(line, brace);
    if (!r.ok || line.slice(r.end).trim().length > 0) {
      if (!KNOWN_KEY_TEXT.test(line)) return null;
      const error = r.ok ? `unexpected text after the dict at column ${r.end + 1}` : `looks like a Trainer log dict but is not a complete Python dict: ${r.error}`;
      return [{ type: 'malformed', line: clipLine(line), error, source: this.name }];
    }
    if (!r.entries.some((e) => KNOWN_KEY.test(e.key))) return null;
    return this.metrics(r.entries);
  }

  private metrics(entries: PyDictEntry[]): IngestEvent[] {
    let kind: 'train' | 'eval' | 'test' | 'predict' = 'train';
    for (const e of entries) {
      if (e.key.startsWith('eval_')) kind = 'eval';
      else if (e.key.startsWith('test_')) kind = 'test';
      else if (e.key.startsWith('predict_')) kind = 'predict';
      if (kind !== 'train') break;
    }
    let explicitStep: number | undefined;
    const metrics: Record<string, number> = {};
    for (const { key, value } of entries) {
      if (typeof value !== 'number') continue; // strings, bools, None, nested: not metrics
      if (STEP_KEYS.has(key)) {
        if (Number.isInteger(value) && value >= 0) explicitStep = value;
        continue;
      }
      metrics[metricName(key, kind)] = value;
    }
    let step = explicitStep;
    if (step === undefined) {
      if (kind === 'train') {
        const bar = this.trainingBar();
        step = bar?.n;
        if (bar) this.trainTotal = bar.total;
      } else {
        step = this.currentStep('eval');
      }
    }
    if (Object.keys(metrics).length === 0) return [];
    return [{ type: 'metrics', metrics, ...(step !== undefined ? { step } : {}), source: this.name }];
  }
}

/**
 * `loss` → `train/loss`, `eval_loss` → `eval/loss`, `test_acc` → `test/acc`;
 * in an eval (test) dict the other keys (epoch) go under eval/ (test/) too;
 * names that already contain '/' are kept.
 */
export function metricName(key: string, kind: 'train' | 'eval' | 'test' | 'predict'): string {
  if (key.includes('/')) return key;
  if (key.length > 5 && key.startsWith('eval_')) return `eval/${key.slice(5)}`;
  if (key.length > 5 && key.startsWith('test_')) return `test/${key.slice(5)}`;
  if (key.length > 8 && key.startsWith('predict_')) return `predict/${key.slice(8)}`;
  return `${kind}/${key}`;
}
