// One job into one run — the same code for the scheduler's jobs and for
// `tunestudio run` / `tunestudio train` in the foreground: the run and its
// watchers, the Supervisor that starts (or adopts) the process and follows
// its output, the commit hook that keeps the read positions (log offset,
// TensorBoard offsets) in the same transaction as the points read up to
// them, and the settled outcome written to the run.
//
// Following a process this code did not start (PYTHON's src/runtime/follow/):
//   new JobRunner({ tracker, runId, jobDir, parsers, command: { argv: [], cwd },
//     adopt: { pid, startToken, offset },      // offset: the committed one, 0 at first
//     output: { stdout: '<the append-only run file>' },
//     saveOffsets: (p) => <store p.log where the next follower finds it>,
//     settleRun: false }).start()
// then await `settled`. No launcher is needed. The process's liveness is its
// pid + start token; the outcome comes from an exit record when there is one,
// else it reads "failed: the process ended without recording its exit" — with
// `settleRun: false` the run is left for the caller to finish
// (tracker.finishRun) from what the file itself says (its finish message).
import type { ControlCommandName } from '../../protocol/control';
import type { CreatedParsers } from '../ingest/spec';
import type { Tracker } from '../tracking/tracker';
import { Supervisor, type JobOutcome, type RemoteProcess, type SupervisedCommand, type SupervisorCallbacks } from './supervisor';

/** Maps a job outcome to the run's final status. */
export function runStatusFor(state: JobOutcome['state']): 'finished' | 'failed' | 'cancelled' | 'stopped' {
  return state === 'completed' ? 'finished' : state;
}

export interface JobRunDefinition {
  project: string;
  name?: string;
  config?: Record<string, unknown>;
  watchers?: Array<{ metric: string; opts: Record<string, unknown> }>;
}

/** Creates the run a job reports into, with its watchers. A bad watcher finishes the run failed and throws. */
export function createJobRun(tracker: Tracker, d: JobRunDefinition): { id: string; name: string; project: string } {
  const run = tracker.createRun({ project: d.project, name: d.name, config: d.config });
  try {
    for (const w of d.watchers ?? []) tracker.watch(run.id, w.metric, w.opts);
  } catch (e) {
    tracker.finishRun(run.id, 'failed', { reason: `could not start: ${(e as Error).message}` });
    throw e;
  }
  return run;
}

/** Read positions that commit with the points: output.log's offset and, per TensorBoard tailer, its file offsets (JSON). */
export interface CommittedPositions {
  log: number;
  tailers: string | null;
}

export interface JobRunnerOptions {
  tracker: Tracker;
  runId: string;
  jobDir: string;
  jobId?: string;
  command: SupervisedCommand;
  parsers: CreatedParsers;
  /** dist/launcher.js; not needed to follow a process we did not start. */
  launcher?: string;
  nodePath?: string;
  splitStderr?: boolean;
  output?: { stdout: string; stderr?: string };
  adopt?: { pid: number; startToken: string | null; offset: number; stderrOffset?: number; tailers?: string | null };
  /** Called inside the flush transaction whenever the positions moved: store them beside the points. */
  saveOffsets?: (p: CommittedPositions) => void;
  on?: SupervisorCallbacks;
  log?: (msg: string) => void;
  resourceIntervalMs?: number;
  pollMs?: number;
  /** The job runs on another backend (Slurm); see Supervisor. */
  remote?: RemoteProcess;
  /** Finish the run with the outcome (default true). */
  settleRun?: boolean;
}

export class JobRunner {
  readonly sup: Supervisor;
  /** The outcome, once the process is gone, its output read and the run finished. */
  readonly settled: Promise<JobOutcome>;
  private unhook: (() => void) | null = null;
  private resolveSettled!: (o: JobOutcome) => void;

  constructor(private readonly o: JobRunnerOptions) {
    this.sup = new Supervisor({
      command: o.command,
      jobDir: o.jobDir,
      jobId: o.jobId,
      runId: o.runId,
      tracker: o.tracker,
      parsers: o.parsers.lines,
      tailers: o.parsers.tailers,
      launcher: o.launcher,
      nodePath: o.nodePath,
      splitStderr: o.splitStderr,
      output: o.output,
      adopt: o.adopt && { pid: o.adopt.pid, startToken: o.adopt.startToken, offset: o.adopt.offset, stderrOffset: o.adopt.stderrOffset },
      on: o.on,
      log: o.log,
      resourceIntervalMs: o.resourceIntervalMs,
      pollMs: o.pollMs,
      remote: o.remote,
    });
    this.settled = new Promise((r) => (this.resolveSettled = r));
  }

  /** Starts (or adopts) the process; the positions then commit with every flush. */
  start(): { pid: number | null; startToken: string | null } {
    const o = this.o;
    if (o.saveOffsets) {
      const save = o.saveOffsets;
      let saved: CommittedPositions = { log: o.adopt?.offset ?? 0, tailers: o.adopt?.tailers ?? null };
      // The log offset and the TensorBoard read positions commit in the same transaction as the
      // points read up to them: after a runtime crash the next runner resumes exactly there
      // (nothing lost, nothing twice).
      this.unhook = o.tracker.onCommit(() => {
        const now = this.positions();
        if (now.log !== saved.log || now.tailers !== saved.tailers) {
          save(now);
          saved = now;
        }
      });
    }
    let started: { pid: number | null; startToken: string | null };
    try {
      started = this.sup.start();
    } catch (e) {
      this.unhookCommit();
      throw e;
    }
    // Which process the run is, so the crash reaper can tell it from a recycled pid.
    if (!o.adopt && started.pid !== null) o.tracker.setProcess(o.runId, started.pid, started.startToken);
    void this.sup.done.then((outcome) => {
      // Finishing the run flushes the last points; the hook still runs then, so the final positions commit with them.
      if (o.settleRun !== false) o.tracker.finishRun(o.runId, runStatusFor(outcome.state), { exitCode: outcome.exitCode, signal: outcome.signal, reason: outcome.reason });
      else o.tracker.tryFlush();
      this.unhookCommit();
      this.resolveSettled(outcome);
    });
    return started;
  }

  /** Where a later runner should resume. */
  positions(): CommittedPositions {
    return { log: this.sup.resumeOffset, tailers: this.o.parsers.tailers.length ? JSON.stringify(this.sup.tailerOffsets()) : null };
  }

  cancel(reason?: string): void {
    this.sup.cancel(reason);
  }

  control(cmd: ControlCommandName, reason?: string): void {
    this.sup.control(cmd, reason);
  }

  logSystem(metrics: Record<string, number>): void {
    this.sup.logSystem(metrics);
  }

  /** Stops following without touching the process (it goes on; a later runner adopts it). Returns where to resume. */
  detach(): CommittedPositions {
    this.unhookCommit();
    const p = this.positions();
    this.sup.detach();
    return p;
  }

  private unhookCommit(): void {
    this.unhook?.();
    this.unhook = null;
  }
}
