// The Node SDK (`tune-studio/sdk`): log metrics from any Node training script.
//
//   import { init } from 'tune-studio/sdk';
//   const run = init({ project: 'gpt2-lora', config: { lr: 3e-4 } });
//   run.watch('train/loss', { nan: true, spike_factor: 3 });
//   for (let step = 0; step < 1000 && !run.shouldStop(); step++) run.log({ 'train/loss': loss }, step);
//   run.finish();
//
// Unsupervised, it writes the store directly (found like the CLI finds it).
// Under a Tune Studio supervisor (TUNESTUDIO_SUPERVISED=1: a job, or
// `tunestudio run`) it prints protocol lines instead and never opens SQLite;
// the supervisor applies watchers and writes the store.
import type Database from 'better-sqlite3';
import * as fs from 'node:fs';
import { JOB_ENV } from '../protocol/control';
import { formatProtocolLine, type AlertLevel, type ProtocolMessage } from '../protocol/lines';
import { openDatabase } from '../runtime/store/db';
import { findStoreDir } from '../runtime/store/store';
import { Tracker } from '../runtime/tracking/tracker';
import {
  applyCustomVerdict,
  checkCustomFunction,
  validateWatch,
  type CustomResult,
  type CustomVerdict,
  type WatchOptions,
  type WatcherState,
} from '../runtime/tracking/watchers';
import { readControlFile } from '../runtime/jobs/control';
import { processStartToken } from '../runtime/os/process';

export type { WatchOptions, CustomVerdict, CustomResult, AlertLevel };

export interface InitOptions {
  /** Project name (default "default"). */
  project?: string;
  /** Run name; need not be unique (default: a generated name like "brave-river-3"). */
  name?: string;
  config?: Record<string, unknown>;
  /** Store folder; default $TUNESTUDIO_DIR, else the nearest .tunestudio/ upward, else ./.tunestudio. */
  dir?: string;
}

export interface AlertOptions {
  title: string;
  text?: string;
  level?: AlertLevel;
  data?: Record<string, unknown>;
}

/**
 * A custom rule, called as fn(value, step): return a verdict, `true`, or (trackio's shape) a list of alert
 * objects to raise an alert; null, false or an empty list when all is well.
 */
export type CustomWatch = (value: number, step: number) => CustomResult;

/** How a run can end by its own `finish(status)`; trackio's names ('finished', 'failed') are these. */
export const FINISH_STATUSES = ['finished', 'failed', 'stopped', 'cancelled'] as const;
export type FinishStatus = (typeof FINISH_STATUSES)[number];

function checkFinishStatus(status: unknown): FinishStatus | undefined {
  if (status === undefined) return undefined;
  if (typeof status === 'string' && (FINISH_STATUSES as readonly string[]).includes(status)) return status as FinishStatus;
  throw new Error(`finish(${JSON.stringify(status)}): the status must be one of ${FINISH_STATUSES.join(', ')} (or nothing: finished, or stopped when a stop was requested)`);
}

export interface Run {
  readonly id: string;
  readonly name: string;
  readonly project: string;
  /** True when this process reports through a supervisor instead of writing the store. */
  readonly supervised: boolean;
  /** Logs metrics at `step` (default: one past the highest step so far). Values must be numbers; NaN and ±Infinity are kept. */
  log(metrics: Record<string, number | bigint>, step?: number): void;
  alert(alert: AlertOptions): void;
  /** Watches a metric with built-in rules (nan, max_value, min_value, spike_factor+window, patience+min_delta+mode) or a custom function. */
  watch(metric: string, options: WatchOptions): void;
  watch(metric: string, fn: CustomWatch, options?: { stop?: boolean }): void;
  /** True once a watcher (here or in the supervisor) or `tunestudio stop` asked this run to stop. */
  shouldStop(): boolean;
  /**
   * Ends the run: `finished`, or `stopped` when a stop was requested; `finish('failed')` (or 'stopped',
   * 'cancelled') sets the status. Under a supervisor the process's exit decides, so exit non-zero to fail.
   */
  finish(status?: FinishStatus): void;
}

const active = new Set<DirectRun | SupervisedRun>();
let hooksInstalled = false;

export function init(options: InitOptions = {}): Run {
  installExitHooks();
  const supervised = process.env[JOB_ENV.supervised] === '1' && !!process.env[JOB_ENV.runId];
  // Never silently local: with a team server named, a run that cannot go there is refused, not written to a stray local store.
  if (!supervised && process.env.TUNESTUDIO_SERVER) {
    throw new Error(
      `tunestudio.init(): TUNESTUDIO_SERVER is set (${process.env.TUNESTUDIO_SERVER}), but this Node SDK does not send runs to a team server yet, and it will not write a local store instead. ` +
        'Unset TUNESTUDIO_SERVER to track in the local store, or run the script under tunestudio run on the local machine.',
    );
  }
  const run = supervised ? new SupervisedRun(options) : new DirectRun(options);
  active.add(run);
  return run;
}

// ------------------------------------------------------------------ direct

class DirectRun implements Run {
  readonly id: string;
  readonly name: string;
  readonly project: string;
  readonly supervised = false;
  private readonly db: Database.Database;
  private readonly tracker: Tracker;
  private readonly heartbeat: NodeJS.Timeout;
  private ended = false;
  private lastStopCheck = 0;
  private stopped: { reason: string } | null = null;

  constructor(o: InitOptions) {
    this.db = openDatabase(findStoreDir(o.dir));
    // Background flush failures (a full disk) keep the points buffered; nothing is printed.
    this.tracker = new Tracker(this.db, { onError: () => undefined });
    const r = this.tracker.createRun({
      project: o.project,
      name: o.name,
      config: o.config,
      pid: process.pid,
      pidStart: processStartToken(process.pid) ?? null,
    });
    this.id = r.id;
    this.name = r.name;
    this.project = r.project;
    this.heartbeat = setInterval(() => {
      try {
        this.tracker.heartbeat(this.id);
      } catch {
        /* store busy or full: the next beat tries again */
      }
    }, 5000);
    this.heartbeat.unref();
  }

  log(metrics: Record<string, number | bigint>, step?: number): void {
    this.assertOpen('log');
    this.tracker.log(this.id, metrics, step);
  }

  alert(a: AlertOptions): void {
    this.assertOpen('alert');
    this.tracker.alert(this.id, a);
  }

  watch(metric: string, optionsOrFn: WatchOptions | CustomWatch, fnOptions?: { stop?: boolean }): void {
    this.assertOpen('watch');
    if (typeof optionsOrFn === 'function') this.tracker.watch(this.id, metric, { ...(fnOptions ?? {}) }, optionsOrFn);
    else this.tracker.watch(this.id, metric, { ...optionsOrFn });
  }

  shouldStop(): boolean {
    if (this.stopped) return true;
    // A watcher in this process is known at once; another process (`tunestudio stop`) at most 200 ms later.
    let stop = this.tracker.stopRequested(this.id, { cachedOnly: true });
    const now = Date.now();
    if (!stop && now - this.lastStopCheck >= 200) {
      this.lastStopCheck = now;
      stop = this.tracker.stopRequested(this.id);
    }
    if (stop) this.stopped = stop;
    return !!stop;
  }

  finish(status?: FinishStatus): void {
    const wanted = checkFinishStatus(status);
    if (this.ended) return;
    const stop = this.tracker.stopRequested(this.id);
    if (wanted && wanted !== 'finished') {
      this.end(wanted, { exitCode: null, reason: wanted === 'stopped' && stop ? stop.reason : `finish('${wanted}') called by the program` });
      return;
    }
    this.end(stop ? 'stopped' : 'finished', { exitCode: null, reason: stop ? stop.reason : null });
  }

  /** Called by finish() and by the exit hooks. */
  end(status: FinishStatus, o: { exitCode?: number | null; signal?: string | null; reason?: string | null }): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    active.delete(this);
    try {
      this.tracker.finishRun(this.id, status, o);
    } finally {
      this.tracker.close();
      this.db.close();
    }
  }

  /** The exit hook must stay bounded: wait at most ~1.5 s for a busy store. */
  shortenBusyTimeout(): void {
    try {
      this.db.pragma('busy_timeout = 1500');
    } catch {
      /* closed */
    }
  }

  private assertOpen(what: string): void {
    if (this.ended) throw new Error(`run '${this.name}' (${this.id}) is finished; cannot ${what}. Call init() for a new run.`);
  }
}

// -------------------------------------------------------------- supervised

class SupervisedRun implements Run {
  readonly id: string;
  readonly name: string;
  readonly project: string;
  readonly supervised = true;
  private ended = false;
  private stopReason: string | null = null;
  private lastStopCheck = 0;
  private nextStep = 0;
  private readonly custom: Array<{ metric: string; fn: CustomWatch; state: WatcherState; spec: ReturnType<typeof validateWatch> }> = [];

  constructor(o: InitOptions) {
    this.id = process.env[JOB_ENV.runId]!;
    this.name = o.name ?? this.id;
    this.project = o.project ?? 'default';
    if (o.config) this.emit({ config: o.config });
  }

  private emit(m: ProtocolMessage): void {
    // A synchronous write keeps lines whole and ordered with the program's own output.
    fs.writeSync(1, formatProtocolLine(m) + '\n');
  }

  log(metrics: Record<string, number | bigint>, step?: number): void {
    if (step !== undefined && !(Number.isSafeInteger(step) && step >= 0)) throw new Error(`step must be a whole number ≥ 0, got ${JSON.stringify(step)}`);
    const s = step ?? this.nextStep;
    this.nextStep = Math.max(this.nextStep, s + 1);
    const clean: Record<string, number> = {};
    for (const [k, v] of Object.entries(metrics)) clean[k] = typeof v === 'bigint' ? Number(v) : (v as number);
    this.emit({ step: s, metrics: clean });
    for (const c of this.custom) {
      const v = clean[c.metric];
      if (typeof v !== 'number') continue;
      let verdict: unknown;
      try {
        verdict = c.fn(v, s);
      } catch (e) {
        verdict = { title: `${c.metric}: custom watcher threw`, text: String((e as Error)?.message ?? e), level: 'error', stop: false };
      }
      for (const e of applyCustomVerdict(c.spec, c.state, v, s, verdict)) {
        if (e.type !== 'open') continue;
        this.emit({ alert: { title: e.alert.title, text: e.alert.text, level: e.alert.level, metric: c.metric, step: s, data: { ...e.alert.data, reason: 'custom' } } });
        if (e.alert.stop && !this.stopReason) {
          this.stopReason = e.alert.title;
          this.emit({ stop: { reason: e.alert.title } });
        }
      }
    }
  }

  alert(a: AlertOptions): void {
    this.emit({ alert: { title: a.title, text: a.text, level: a.level, data: a.data } });
  }

  watch(metric: string, optionsOrFn: WatchOptions | CustomWatch, fnOptions?: { stop?: boolean }): void {
    if (typeof optionsOrFn === 'function') {
      checkCustomFunction(metric, optionsOrFn);
      const spec = validateWatch(metric, { ...(fnOptions ?? {}), custom: { name: optionsOrFn.name || 'custom' } });
      this.custom.push({ metric, fn: optionsOrFn, state: {}, spec });
      return;
    }
    validateWatch(metric, { ...optionsOrFn });
    this.emit({ watch: { metric, ...optionsOrFn } });
  }

  shouldStop(): boolean {
    if (this.stopReason) return true;
    const now = Date.now();
    if (now - this.lastStopCheck < 200) return false;
    this.lastStopCheck = now;
    const file = process.env[JOB_ENV.control];
    if (file) {
      const stop = readControlFile(file).commands.find((c) => c.cmd === 'stop');
      if (stop) this.stopReason = stop.reason ?? 'stop requested';
    }
    return !!this.stopReason;
  }

  finish(status?: FinishStatus): void {
    checkFinishStatus(status);
    this.ended = true;
    active.delete(this);
  }

  end(): void {
    this.finish();
  }
}

// -------------------------------------------------------------- exit hooks

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  let lastError: Error | null = null;
  process.on('uncaughtExceptionMonitor', (e) => (lastError = e instanceof Error ? e : new Error(String(e))));
  // Bounded and silent: every write is synchronous (better-sqlite3) with a short busy timeout.
  process.on('exit', (code) => {
    for (const run of [...active]) {
      if (run instanceof DirectRun) {
        run.shortenBusyTimeout();
        const reason = lastError
          ? `uncaught exception: ${lastError.message.slice(0, 300)}`
          : code === 0
            ? 'exited without finish()'
            : `exited with code ${code} without finish()`;
        try {
          run.end('failed', { exitCode: code, reason });
        } catch {
          /* the store is gone or locked; the reaper will mark the run crashed */
        }
      } else run.end();
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // Someone else handles this signal: they decide whether to exit (our exit hook then runs).
      if (process.listenerCount(sig) > 1) return;
      for (const run of [...active]) {
        if (run instanceof DirectRun) {
          run.shortenBusyTimeout();
          try {
            run.end('failed', { signal: sig, reason: `interrupted by ${sig}` });
          } catch {
            /* see above */
          }
        }
      }
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}
