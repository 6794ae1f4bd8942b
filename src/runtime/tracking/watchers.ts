// Watchers: rules applied to every value of one metric, whatever its source
// (SDK, line protocol, log parsers, tfevents). Pure logic: `evaluateWatcher`
// takes the watcher's state and one value and returns the new state plus the
// alert episodes it opened, extended or closed. State is plain JSON so it is
// stored with the run and survives restarts. Exact semantics: README
// "Watchers" (each worked example there is a test in test/unit/tracking/).
import type { AlertLevel } from '../../protocol/lines';
import { jsonNumber, type AlertReason } from '../../protocol/tracking';

/** What a user writes (trackio's parameter names). */
export interface WatchOptions {
  nan?: boolean;
  max_value?: number;
  min_value?: number;
  spike_factor?: number;
  window?: number;
  patience?: number;
  min_delta?: number;
  mode?: 'min' | 'max';
  /** Overrides the default stop behaviour of every condition in this watch. */
  stop?: boolean;
  /** Alert level override for every condition in this watch. */
  level?: AlertLevel;
}

export type ConditionKind = 'nan' | 'max_value' | 'min_value' | 'spike' | 'patience' | 'custom';

export const DEFAULT_STOP: Record<ConditionKind, boolean> = {
  nan: true,
  max_value: true,
  patience: true,
  min_value: false,
  spike: false,
  custom: false,
};

/**
 * Defaults, trackio's (trackio/watchers.py MetricWatcher): `nan` is on unless
 * turned off, the spike window is 5 values, `min_delta` 0, `mode` 'min'.
 */
export const DEFAULT_NAN = true;
export const DEFAULT_WINDOW = 5;
export const DEFAULT_MIN_DELTA = 0;
export const DEFAULT_MODE: 'min' | 'max' = 'min';

/** A validated watcher as stored (spec column). */
export interface WatcherSpec extends WatchOptions {
  metric: string;
  /** Set for SDK custom functions: the function itself lives in the SDK process. */
  custom?: { name: string };
}

export class WatchError extends Error {}

const KNOWN = new Set(['nan', 'max_value', 'min_value', 'spike_factor', 'window', 'patience', 'min_delta', 'mode', 'stop', 'level', 'metric', 'custom', 'fn']);

function finiteNumber(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new WatchError(`'${name}' must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

/** Checks a watch request eagerly so mistakes surface at registration, not mid-training. */
export function validateWatch(metric: unknown, options: Record<string, unknown>): WatcherSpec {
  if (typeof metric !== 'string' || metric.trim() === '') throw new WatchError('a watcher needs a metric name');
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) {
      throw new WatchError(
        `unknown watcher option '${k}' for metric '${metric}'; known: nan, max_value, min_value, spike_factor, window, patience, min_delta, mode, stop, level`,
      );
    }
  }
  // `nan` is always written into a built-in watcher's stored spec, so it keeps the rule it was registered
  // with whatever the default becomes. A custom function decides alone (as in trackio): no nan rule beside it.
  const spec: WatcherSpec = options.custom === undefined ? { metric, nan: DEFAULT_NAN } : { metric };
  if (options.nan !== undefined) {
    if (typeof options.nan !== 'boolean') throw new WatchError(`'nan' must be true or false`);
    if (options.custom !== undefined) throw new WatchError(`'nan' does not apply to a custom watcher function: check the value in the function`);
    spec.nan = options.nan;
  }
  if (options.max_value !== undefined) spec.max_value = finiteNumber(options.max_value, 'max_value');
  if (options.min_value !== undefined) spec.min_value = finiteNumber(options.min_value, 'min_value');
  if (options.spike_factor !== undefined) {
    const f = finiteNumber(options.spike_factor, 'spike_factor');
    if (f <= 1) throw new WatchError(`'spike_factor' must be greater than 1 (3 means "3× the recent level"), got ${f}`);
    spec.spike_factor = f;
  }
  if (options.window !== undefined) {
    const w = finiteNumber(options.window, 'window');
    if (!Number.isInteger(w) || w < 1) throw new WatchError(`'window' must be a whole number ≥ 1, got ${w}`);
    if (spec.spike_factor === undefined) throw new WatchError(`'window' only applies with 'spike_factor'`);
    spec.window = w;
  }
  if (options.patience !== undefined) {
    const p = finiteNumber(options.patience, 'patience');
    if (!Number.isInteger(p) || p < 1) throw new WatchError(`'patience' must be a whole number ≥ 1, got ${p}`);
    spec.patience = p;
  }
  if (options.min_delta !== undefined) {
    const d = finiteNumber(options.min_delta, 'min_delta');
    if (d < 0) throw new WatchError(`'min_delta' must be ≥ 0, got ${d}`);
    if (spec.patience === undefined) throw new WatchError(`'min_delta' only applies with 'patience'`);
    spec.min_delta = d;
  }
  if (options.mode !== undefined) {
    if (options.mode !== 'min' && options.mode !== 'max') {
      throw new WatchError(`'mode' must be 'min' or 'max' (lower case), got ${JSON.stringify(options.mode)}`);
    }
    if (spec.patience === undefined) throw new WatchError(`'mode' only applies with 'patience'`);
    spec.mode = options.mode;
  }
  if (options.stop !== undefined) {
    if (typeof options.stop !== 'boolean') throw new WatchError(`'stop' must be true or false`);
    spec.stop = options.stop;
  }
  if (options.level !== undefined) {
    if (options.level !== 'info' && options.level !== 'warn' && options.level !== 'error') {
      throw new WatchError(`'level' must be 'info', 'warn' or 'error'`);
    }
    spec.level = options.level;
  }
  if (options.custom !== undefined) {
    const c = options.custom as { name?: unknown };
    spec.custom = { name: typeof c?.name === 'string' ? c.name : 'custom' };
  }
  if (
    !spec.nan &&
    spec.max_value === undefined &&
    spec.min_value === undefined &&
    spec.spike_factor === undefined &&
    spec.patience === undefined &&
    !spec.custom
  ) {
    throw new WatchError(`the watcher for '${metric}' has no condition (nan is false): give nan, max_value, min_value, spike_factor or patience`);
  }
  if (spec.max_value !== undefined && spec.min_value !== undefined && spec.min_value > spec.max_value) {
    throw new WatchError(`'min_value' (${spec.min_value}) is above 'max_value' (${spec.max_value})`);
  }
  return spec;
}

export function stopsOn(spec: WatcherSpec, kind: ConditionKind): boolean {
  return spec.stop ?? DEFAULT_STOP[kind];
}

/** An open alert episode: one alert row, extended while the condition holds. */
export interface Episode {
  /** Alert row id once written (assigned at flush). */
  alertId?: number;
  /** Local key until the alert row exists. */
  key: string;
  count: number;
  firstStep: number;
  lastStep: number;
  lastValue: number | null;
}

export interface WatcherState {
  /** Recent accepted (non-spike, finite) values for the spike rule, oldest first. */
  window?: number[];
  /** Consecutive spike values (re-baseline after `window` of them). */
  spikeRun?: number[];
  best?: number;
  bestStep?: number;
  sinceBest?: number;
  episodes?: Partial<Record<ConditionKind, Episode>>;
  /** Counts of values seen, for display. */
  seen?: number;
}

export interface AlertDraft {
  kind: ConditionKind;
  reason: AlertReason;
  level: AlertLevel;
  title: string;
  text: string;
  metric: string;
  step: number;
  data: Record<string, unknown>;
  stop: boolean;
}

export type WatchEvent =
  | { type: 'open'; key: string; alert: AlertDraft }
  | { type: 'extend'; key: string; kind: ConditionKind; alertId?: number; count: number; lastStep: number; value: number | null }
  | { type: 'close'; key: string; kind: ConditionKind; alertId?: number };

let keySeq = 0;
function newKey(): string {
  keySeq = (keySeq + 1) % Number.MAX_SAFE_INTEGER;
  return `${process.pid}-${Date.now().toString(36)}-${keySeq}`;
}

function fmt(v: number | null): string {
  if (v === null || Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '').replace(/\.?0+e/, 'e');
}


interface Ctx {
  spec: WatcherSpec;
  state: WatcherState;
  value: number;
  step: number;
  events: WatchEvent[];
}

/**
 * A condition that holds on this value either opens an episode (first time)
 * or extends the open one; a condition that does not hold closes it.
 */
function holds(c: Ctx, kind: ConditionKind, draft: () => Omit<AlertDraft, 'kind' | 'metric' | 'step' | 'stop'>): void {
  const episodes = (c.state.episodes ??= {});
  const open = episodes[kind];
  const v = Number.isNaN(c.value) ? null : c.value;
  if (open) {
    open.count++;
    open.lastStep = c.step;
    open.lastValue = v;
    c.events.push({ type: 'extend', key: open.key, kind, alertId: open.alertId, count: open.count, lastStep: c.step, value: v });
    return;
  }
  const d = draft();
  const key = newKey();
  episodes[kind] = { key, count: 1, firstStep: c.step, lastStep: c.step, lastValue: v };
  c.events.push({
    type: 'open',
    key,
    alert: {
      ...d,
      level: c.spec.level ?? d.level,
      kind,
      metric: c.spec.metric,
      step: c.step,
      stop: stopsOn(c.spec, kind),
      data: { ...d.data, count: 1, first_step: c.step, last_step: c.step, stop: stopsOn(c.spec, kind) },
    },
  });
}

function clear(c: Ctx, kind: ConditionKind): void {
  const open = c.state.episodes?.[kind];
  if (!open) return;
  delete c.state.episodes![kind];
  c.events.push({ type: 'close', key: open.key, kind, alertId: open.alertId });
}

/**
 * Applies one value of the watched metric. `value` may be NaN or ±Infinity.
 * Returns the events in order; the state object is updated in place.
 */
export function evaluateWatcher(spec: WatcherSpec, state: WatcherState, value: number, step: number): WatchEvent[] {
  const c: Ctx = { spec, state, value, step, events: [] };
  state.seen = (state.seen ?? 0) + 1;
  const finite = Number.isFinite(value);
  const m = spec.metric;

  if (spec.nan) {
    if (!finite) {
      const isNan = Number.isNaN(value);
      holds(c, 'nan', () => ({
        reason: isNan ? 'nan' : 'inf',
        level: 'error',
        title: `${m} is ${fmt(value)}`,
        text: `${m} became ${fmt(value)} at step ${step}.`,
        data: { value: jsonNumber(value) },
      }));
    } else clear(c, 'nan');
  }

  // Threshold rules compare numbers; NaN is neither above nor below anything (use `nan` for it).
  if (spec.max_value !== undefined && !Number.isNaN(value)) {
    const max = spec.max_value;
    if (value > max) {
      holds(c, 'max_value', () => ({
        reason: 'above_max',
        level: 'error',
        title: `${m} above ${fmt(max)}`,
        text: `${m} = ${fmt(value)} at step ${step}, above max_value ${fmt(max)}.`,
        data: { value: jsonNumber(value), threshold: max },
      }));
    } else clear(c, 'max_value');
  }
  if (spec.min_value !== undefined && !Number.isNaN(value)) {
    const min = spec.min_value;
    if (value < min) {
      holds(c, 'min_value', () => ({
        reason: 'below_min',
        level: 'warn',
        title: `${m} below ${fmt(min)}`,
        text: `${m} = ${fmt(value)} at step ${step}, below min_value ${fmt(min)}.`,
        data: { value: jsonNumber(value), threshold: min },
      }));
    } else clear(c, 'min_value');
  }

  if (spec.spike_factor !== undefined && finite) spike(c, spec.spike_factor, spec.window ?? DEFAULT_WINDOW);
  if (spec.patience !== undefined) patience(c, spec.patience, spec.min_delta ?? DEFAULT_MIN_DELTA, spec.mode ?? DEFAULT_MODE);
  return c.events;
}

/**
 * Spike: the window holds the last `window` accepted values. With a full
 * window of mean μ and mean absolute value a, a value v is a spike when
 * |v − μ| > (spike_factor − 1) × a. A spike never enters the window. After
 * `window` consecutive spikes the series has moved to a new level: they
 * become the window and the episode ends.
 */
function spike(c: Ctx, factor: number, window: number): void {
  const st = c.state;
  const win = (st.window ??= []);
  const v = c.value;
  if (win.length >= window) {
    const mean = win.reduce((s, x) => s + x, 0) / win.length;
    const meanAbs = win.reduce((s, x) => s + Math.abs(x), 0) / win.length;
    const allowed = (factor - 1) * meanAbs;
    if (Math.abs(v - mean) > allowed) {
      const run = (st.spikeRun ??= []);
      run.push(v);
      if (run.length >= window) {
        st.window = run.slice(-window);
        st.spikeRun = [];
        clear(c, 'spike');
        return;
      }
      holds(c, 'spike', () => ({
        reason: 'spike',
        level: 'warn',
        title: `${c.spec.metric} spiked to ${fmt(v)}`,
        text: `${c.spec.metric} = ${fmt(v)} at step ${c.step}; the mean of the previous ${win.length} values is ${fmt(mean)} (allowed deviation ${fmt(allowed)} = (spike_factor ${factor} − 1) × mean |value| ${fmt(meanAbs)}).`,
        data: { value: v, baseline: mean, baseline_abs: meanAbs, allowed_deviation: allowed, spike_factor: factor, window },
      }));
      return;
    }
  }
  st.spikeRun = [];
  clear(c, 'spike');
  win.push(v);
  if (win.length > window) win.splice(0, win.length - window);
}

/**
 * Patience: the best value so far is b (the first value sets it). A value
 * improves when v < b − min_delta (mode min) or v > b + min_delta (mode max);
 * it then becomes b and the count resets. Every other value of this metric,
 * NaN and ±Infinity included, adds one. The rule fires when the count reaches
 * `patience`: with patience 3, on the 3rd value in a row that does not improve.
 */
function patience(c: Ctx, patience: number, minDelta: number, mode: 'min' | 'max'): void {
  const st = c.state;
  const v = c.value;
  const finite = Number.isFinite(v);
  const improves =
    finite && (st.best === undefined || (mode === 'min' ? v < st.best - minDelta : v > st.best + minDelta));
  if (improves) {
    st.best = v;
    st.bestStep = c.step;
    st.sinceBest = 0;
    clear(c, 'patience');
    return;
  }
  st.sinceBest = (st.sinceBest ?? 0) + 1;
  if (st.sinceBest >= patience) {
    const best = st.best;
    holds(c, 'patience', () => ({
      reason: 'stagnation',
      level: 'warn',
      title: `${c.spec.metric} stopped improving`,
      text:
        best === undefined
          ? `${c.spec.metric} has had ${st.sinceBest} values and none is a finite number.`
          : `${c.spec.metric} has not improved on ${fmt(best)} (step ${st.bestStep}) by more than ${fmt(minDelta)} for ${st.sinceBest} values (patience ${patience}, mode ${mode}).`,
      data: { value: jsonNumber(v), best: best ?? null, best_step: st.bestStep ?? null, patience, min_delta: minDelta, mode },
    }));
  }
}

/** A custom rule's verdict for one value (SDK only). A falsy result means "fine". */
export interface CustomVerdict {
  title?: string;
  text?: string;
  level?: AlertLevel;
  stop?: boolean;
  data?: Record<string, unknown>;
}

/**
 * What a custom function may return: a falsy value or an empty list ("fine"),
 * `true`, one verdict, or trackio's shape, a list of alert dicts
 * (`title`, `text`, `level`, `stop`, `data`).
 */
export type CustomResult = CustomVerdict | CustomVerdict[] | boolean | null | undefined;

/** A custom function is called as fn(value, step): one taking more arguments would never get them. */
export function checkCustomFunction(metric: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new WatchError(`watch('${metric}', fn): fn must be a function (value, step) => alert or null, got ${typeof fn}`);
  if (fn.length > 2) {
    throw new WatchError(
      `watch('${metric}', fn): a custom watcher is called as fn(value, step) — 2 arguments — but ${fn.name ? `'${fn.name}'` : 'this function'} declares ${fn.length}; ` +
        `drop the extra parameters (the metric name is '${metric}' already)`,
    );
  }
}

const LEVEL_NAMES: Record<string, AlertLevel> = { info: 'info', warn: 'warn', warning: 'warn', error: 'error' };

/** One verdict from whatever the function returned; several alert dicts become one episode (highest level, any stop). */
export function normalizeCustomResult(result: unknown): CustomVerdict | null {
  if (!result) return null;
  if (result === true) return {};
  const list = Array.isArray(result) ? result : [result];
  const dicts = list.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x));
  if (list.length && !dicts.length) {
    return { title: 'custom watcher returned something that is not an alert', text: `expected null, true, an alert object or a list of them; got ${JSON.stringify(result).slice(0, 200)}`, level: 'error', stop: false };
  }
  if (!dicts.length) return null;
  const one = (d: Record<string, unknown>): CustomVerdict => ({
    title: typeof d.title === 'string' ? d.title : undefined,
    text: typeof d.text === 'string' ? d.text : undefined,
    level: typeof d.level === 'string' ? LEVEL_NAMES[d.level.toLowerCase()] : undefined,
    stop: typeof d.stop === 'boolean' ? d.stop : undefined,
    data: d.data && typeof d.data === 'object' && !Array.isArray(d.data) ? (d.data as Record<string, unknown>) : undefined,
  });
  const verdicts = dicts.map(one);
  if (verdicts.length === 1) return verdicts[0];
  const rank = { info: 0, warn: 1, error: 2 } as const;
  const level = verdicts.reduce<AlertLevel | undefined>((lv, v) => (v.level && (!lv || rank[v.level] > rank[lv]) ? v.level : lv), undefined);
  const stops = verdicts.filter((v) => v.stop !== undefined);
  return {
    title: verdicts.find((v) => v.title)?.title,
    text: verdicts.map((v) => v.text ?? v.title).filter(Boolean).join('\n') || undefined,
    level,
    stop: stops.length ? stops.some((v) => v.stop) : undefined,
    data: { ...(verdicts[0].data ?? {}), alerts: verdicts },
  };
}

/** Applies a custom function's result with the same episode rules as the built-in conditions. */
export function applyCustomVerdict(
  spec: WatcherSpec,
  state: WatcherState,
  value: number,
  step: number,
  result: unknown,
): WatchEvent[] {
  const c: Ctx = { spec, state, value, step, events: [] };
  const verdict = normalizeCustomResult(result);
  if (verdict) {
    const wasOpen = !!state.episodes?.custom;
    holds(c, 'custom', () => ({
      reason: 'custom',
      level: verdict.level ?? 'warn',
      title: verdict.title ?? `${spec.metric}: ${spec.custom?.name ?? 'custom rule'} fired`,
      text: verdict.text ?? `${spec.custom?.name ?? 'A custom rule'} fired on ${spec.metric} = ${fmt(value)} at step ${step}.`,
      data: { value: jsonNumber(value), ...(verdict.data ?? {}) },
    }));
    if (!wasOpen && verdict.stop !== undefined) {
      const open = c.events.find((e) => e.type === 'open');
      if (open && open.type === 'open') {
        open.alert.stop = verdict.stop;
        open.alert.data.stop = verdict.stop;
      }
    }
  } else clear(c, 'custom');
  return c.events;
}
