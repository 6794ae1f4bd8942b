// The scheduler: exactly one per store, held as a lease row with a heartbeat.
// The holder starts queued jobs (priority, then FIFO) up to the slot count,
// supervises them, acts on cancel requests, and on taking the lease adopts
// jobs left running by a previous holder (same pid and process start time)
// or settles them truthfully. Every other runtime (or `tunestudio serve`)
// only reads, and takes over when the holder's heartbeat stops.
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { JobState } from '../../protocol/jobs';
import { createParsers } from '../ingest/spec';
import type { Tracker } from '../tracking/tracker';
import { nowIso } from '../tracking/tracker';
import { GpuPoller, findNvidiaSmi } from './gpu';
import { JobStore, jobDir, type JobRow } from './jobStore';
import { isSameProcess, processStartToken } from './proc';
import type { ResolvedSpec } from './spec';
import { FILES, Supervisor, type JobOutcome } from './supervisor';
import { trainerEnv } from './paths';

export const LEASE_NAME = 'scheduler';

export interface SchedulerOptions {
  db: Database.Database;
  tracker: Tracker;
  storeDir: string;
  launcher: string;
  nodePath?: string;
  slots: () => number;
  trusted: () => boolean;
  log: (level: 'info' | 'warn' | 'error' | 'debug', msg: string) => void;
  onChange: (kinds: Array<'jobs' | 'runs'>) => void;
  /** Runs supervised here: the crash reaper leaves them alone. */
  supervisedRuns?: Set<string>;
  leaseTimeoutS?: number;
  tickMs?: number;
  /** Where the holder is, for messages ("VS Code", "tunestudio serve"). */
  label?: string;
  /** Environment added to every job (under its spec's own env): the trainer's backend setting, the model cache. */
  jobEnv?: () => Record<string, string>;
  gpuPolling?: boolean;
}

export interface LeaseInfo {
  holder: string;
  pid: number | null;
  host: string | null;
  heartbeat_at: number;
  label: string;
}

interface Active {
  job: JobRow;
  sup: Supervisor;
  runId: string;
  lastPersist: number;
  lastProgressWrite: number;
  /** Removes the tracker commit hook that keeps this job's log offset with its points. */
  unhook: () => void;
}

/** Who holds the scheduler lease of a store (null: nobody ever did, or it was released). */
export function readLease(db: Database.Database): LeaseInfo | null {
  const r = db.prepare(`SELECT holder, pid, host, heartbeat_at FROM leases WHERE name = ?`).get(LEASE_NAME) as Omit<LeaseInfo, 'label'> | undefined;
  if (!r) return null;
  return { ...r, label: r.holder.split('|')[1] ?? '' };
}

/** Maps a job outcome to the run's final status. */
export function runStatusFor(state: JobOutcome['state']): 'finished' | 'failed' | 'cancelled' | 'stopped' {
  return state === 'completed' ? 'finished' : state;
}

export class Scheduler {
  readonly id: string;
  readonly jobs: JobStore;
  private holder = false;
  private readonly active = new Map<string, Active>();
  private timer: NodeJS.Timeout | null = null;
  private lastRenew = 0;
  private lastAcquireTry = 0;
  private untrustedNoticeGiven = false;
  private gpu: GpuPoller | null = null;
  private stopped = true;
  private ticking = false;

  constructor(private readonly o: SchedulerOptions) {
    this.id = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.jobs = new JobStore(o.db, o.storeDir);
  }

  get isHolder(): boolean {
    return this.holder;
  }

  private get leaseTimeout(): number {
    return this.o.leaseTimeoutS ?? 15;
  }

  leaseInfo(): LeaseInfo | null {
    return readLease(this.o.db);
  }

  /** A sentence for status views: whether this process schedules, and if not, who does. */
  describe(): string {
    if (this.holder) return `this ${this.o.label ?? 'runtime'} schedules jobs (${this.active.size} running, ${this.o.slots()} slot${this.o.slots() === 1 ? '' : 's'})`;
    const l = this.leaseInfo();
    if (!l) return 'no scheduler holds this store yet';
    const age = Math.round(Date.now() / 1000 - l.heartbeat_at);
    return `read-only: ${l.label || 'another runtime'} (pid ${l.pid} on ${l.host}) schedules jobs for this store (heartbeat ${age} s ago)`;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(), this.o.tickMs ?? 500);
    void this.tick();
  }

  /** Wakes the loop now (after a submit or an exit). */
  kick(): void {
    setImmediate(() => void this.tick());
  }

  private tryAcquire(): boolean {
    const now = Date.now() / 1000;
    const me = `${this.id}|${this.o.label ?? 'runtime'}`;
    const take = this.o.db.transaction(() => {
      const r = this.o.db.prepare(`SELECT holder, pid, pid_start, host, heartbeat_at FROM leases WHERE name = ?`).get(LEASE_NAME) as
        | { holder: string; pid: number | null; pid_start: string | null; host: string | null; heartbeat_at: number }
        | undefined;
      const free =
        !r ||
        r.holder === me ||
        now - r.heartbeat_at > this.leaseTimeout ||
        (r.host === os.hostname() && r.pid !== null && !isSameProcess(r.pid, r.pid_start));
      if (!free) return false;
      this.o.db
        .prepare(`INSERT OR REPLACE INTO leases(name, holder, pid, pid_start, host, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(LEASE_NAME, me, process.pid, processStartToken(process.pid), os.hostname(), nowIso(), now);
      return true;
    });
    return take.immediate();
  }

  private renew(): boolean {
    const me = `${this.id}|${this.o.label ?? 'runtime'}`;
    return this.o.db.prepare(`UPDATE leases SET heartbeat_at = ? WHERE name = ? AND holder = ?`).run(Date.now() / 1000, LEASE_NAME, me).changes === 1;
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    try {
      const now = Date.now();
      if (this.holder) {
        if (now - this.lastRenew > 3000) {
          this.lastRenew = now;
          if (!this.renew()) {
            this.o.log('warn', 'lost the scheduler lease to another runtime; its jobs go on there');
            this.holder = false;
            for (const a of this.active.values()) {
              a.unhook();
              a.sup.detach();
            }
            this.active.clear();
            this.gpu?.stop();
            this.o.onChange(['jobs']);
          }
        }
      } else if (now - this.lastAcquireTry > 5000 || this.lastAcquireTry === 0) {
        this.lastAcquireTry = now;
        if (this.tryAcquire()) {
          this.holder = true;
          this.lastRenew = now;
          this.o.log('info', `scheduler lease taken by ${this.id}`);
          this.recover();
          this.startGpuPolling();
          this.o.onChange(['jobs', 'runs']);
        }
      }
      if (!this.holder) return;
      this.handleCancelRequests();
      this.persistActive(now);
      this.startQueued();
    } catch (e) {
      this.o.log('error', `scheduler: ${(e as Error).stack ?? e}`);
    } finally {
      this.ticking = false;
    }
  }

  // ----------------------------------------------------------- recovery

  /** Jobs a previous holder left starting/running: adopt the living, settle the rest truthfully. */
  private recover(): void {
    const rows = this.o.db.prepare(`SELECT * FROM jobs WHERE state IN ('starting', 'running')`).all() as JobRow[];
    for (const job of rows) {
      if (this.active.has(job.id)) continue;
      const dir = jobDir(this.o.storeDir, job.id);
      const alive = job.pid !== null && isSameProcess(job.pid, job.pid_start);
      const recorded = fs.existsSync(path.join(dir, FILES.exit));
      if (job.run_id && job.pid !== null && (alive || recorded)) {
        this.o.log('info', `adopting job ${job.id} (${job.name}), pid ${job.pid}${alive ? '' : ' (already ended; reading its log and exit record)'}`);
        try {
          this.supervise(job, job.run_id, { pid: job.pid, startToken: job.pid_start, offset: job.log_offset });
        } catch (e) {
          this.settleLost(job, `could not adopt after a runtime restart: ${(e as Error).message}`);
        }
      } else {
        this.settleLost(job, 'runtime restarted; process gone');
      }
    }
  }

  private settleLost(job: JobRow, reason: string): void {
    this.jobs.update(job.id, { state: 'failed', reason, ended_at: nowIso() });
    if (job.run_id) {
      this.o.tracker.finishRun(job.run_id, 'crashed', { reason: `${reason}: the job's process is gone and left no exit record` });
    }
    this.o.log('warn', `job ${job.id} (${job.name}): ${reason}`);
  }

  // ------------------------------------------------------------ starting

  private startQueued(): void {
    while (this.active.size < Math.max(1, this.o.slots())) {
      const next = this.jobs.nextQueued();
      if (!next) return;
      if (!this.o.trusted()) {
        if (!this.untrustedNoticeGiven) {
          this.untrustedNoticeGiven = true;
          this.o.log('warn', 'this workspace is not trusted, so queued jobs do not start. Trust it (Command Palette: "Workspaces: Manage Workspace Trust") to run them.');
          this.o.onChange(['jobs']);
        }
        return;
      }
      this.untrustedNoticeGiven = false;
      this.startJob(next);
    }
  }

  private startJob(job: JobRow): void {
    const claimed = this.o.db
      .prepare(`UPDATE jobs SET state = 'starting', attempt = attempt + 1, started_at = ?, supervisor = ?, updated_at = ? WHERE id = ? AND state = 'queued'`)
      .run(nowIso(), this.id, nowIso(), job.id);
    if (!claimed.changes) return;
    const spec = JSON.parse(job.spec) as ResolvedSpec;
    const dir = jobDir(this.o.storeDir, job.id);
    fs.mkdirSync(dir, { recursive: true });
    // A retry keeps the earlier attempt's logs beside the new ones.
    if (job.attempt > 0) {
      for (const f of [FILES.output, FILES.log]) {
        const p = path.join(dir, f);
        if (fs.existsSync(p)) fs.renameSync(p, path.join(dir, f.replace(/(\.\w+)$/, `.attempt${job.attempt}$1`)));
      }
    }
    for (const f of [FILES.control, FILES.exit, FILES.progress]) fs.rmSync(path.join(dir, f), { force: true });
    const run = this.o.tracker.createRun({
      project: spec.project,
      name: spec.name,
      config: { ...(spec.config ?? {}), job: { id: job.id, attempt: job.attempt + 1, command: spec.command, cwd: spec.cwd } },
    });
    this.jobs.update(job.id, { run_id: run.id });
    try {
      for (const w of spec.watchers ?? []) {
        const { metric, ...opts } = w;
        this.o.tracker.watch(run.id, metric, opts);
      }
      this.supervise({ ...job, run_id: run.id, attempt: job.attempt + 1 }, run.id);
    } catch (e) {
      const reason = `could not start: ${(e as Error).message}`;
      this.jobs.update(job.id, { state: 'failed', reason, ended_at: nowIso() });
      this.o.tracker.finishRun(run.id, 'failed', { reason });
      this.o.log('error', `job ${job.id} (${job.name}) ${reason}`);
      this.o.onChange(['jobs', 'runs']);
    }
  }

  private supervise(job: JobRow, runId: string, adopt?: { pid: number; startToken: string | null; offset: number }): void {
    const spec = JSON.parse(job.spec) as ResolvedSpec;
    const dir = jobDir(this.o.storeDir, job.id);
    const since = job.started_at ? Date.parse(job.started_at) - 1000 : Date.now();
    // After a restart, TensorBoard files resume where the previous supervisor stopped reading.
    const parsers = createParsers(spec.parsers as never, { cwd: spec.cwd, since, offsets: adopt && job.tailer_offsets ? (JSON.parse(job.tailer_offsets) as Array<Record<string, number>>) : undefined });
    const sup = new Supervisor({
      command: { argv: spec.command, cwd: spec.cwd, env: { ...(this.o.jobEnv?.() ?? trainerEnv(this.o.storeDir)), ...(spec.env ?? {}) }, stallTimeoutS: spec.stall_timeout_s, graceS: spec.grace_s },
      jobDir: dir,
      jobId: job.id,
      runId,
      tracker: this.o.tracker,
      parsers: parsers.lines,
      tailers: parsers.tailers,
      launcher: this.o.launcher,
      nodePath: this.o.nodePath,
      adopt,
      log: (m) => this.o.log('warn', `job ${job.id}: ${m}`),
    });
    // The log offset and the TensorBoard read positions commit in the same transaction as the
    // points read up to them: after a runtime crash the next supervisor resumes exactly there
    // (nothing lost, nothing twice).
    let savedOffset = adopt?.offset ?? 0;
    let savedTailers = adopt ? job.tailer_offsets : null;
    const saveOffset = this.o.db.prepare(`UPDATE jobs SET log_offset = ? WHERE id = ?`);
    const saveTailers = this.o.db.prepare(`UPDATE jobs SET tailer_offsets = ? WHERE id = ?`);
    const unhook = this.o.tracker.onCommit(() => {
      const offset = sup.resumeOffset;
      if (offset !== savedOffset) {
        saveOffset.run(offset, job.id);
        savedOffset = offset;
      }
      const tailers = parsers.tailers.length ? JSON.stringify(sup.tailerOffsets()) : null;
      if (tailers !== savedTailers) {
        saveTailers.run(tailers, job.id);
        savedTailers = tailers;
      }
    });
    let started: ReturnType<Supervisor['start']>;
    try {
      started = sup.start();
    } catch (e) {
      unhook();
      throw e;
    }
    const a: Active = { job, sup, runId, lastPersist: 0, lastProgressWrite: 0, unhook };
    this.active.set(job.id, a);
    this.o.supervisedRuns?.add(runId);
    if (!adopt) {
      this.jobs.update(job.id, { state: 'running', pid: started.pid, pid_start: started.startToken, log_offset: 0 });
      this.o.db.prepare(`UPDATE runs SET pid = ?, pid_start = ? WHERE id = ?`).run(started.pid, started.startToken, runId);
      this.o.log('info', `job ${job.id} (${job.name}) started: pid ${started.pid}, run ${runId}`);
    } else {
      this.jobs.update(job.id, { state: 'running', supervisor: this.id });
    }
    sup.on('progress', () => this.writeProgress(a, false));
    sup.on('status', (t: string) => {
      this.jobs.update(job.id, { status_text: t.slice(0, 200) });
      this.o.onChange(['jobs']);
    });
    void sup.done.then((outcome) => this.settle(a, outcome));
    this.o.onChange(['jobs', 'runs']);
  }

  private writeProgress(a: Active, force: boolean): void {
    const now = Date.now();
    if (!force && now - a.lastProgressWrite < 1000) return;
    a.lastProgressWrite = now;
    const p = a.sup.progress;
    if (!p) return;
    this.jobs.update(a.job.id, { progress_current: p.current, progress_total: p.total ?? null });
    this.o.onChange(['jobs']);
  }

  private persistActive(now: number): void {
    for (const a of this.active.values()) {
      if (now - a.lastPersist < 2000) continue;
      a.lastPersist = now;
      this.writeProgress(a, true);
    }
  }

  private settle(a: Active, outcome: JobOutcome): void {
    a.unhook();
    this.active.delete(a.job.id);
    this.o.supervisedRuns?.delete(a.runId);
    this.jobs.update(a.job.id, {
      state: outcome.state as JobState,
      exit_code: outcome.exitCode,
      signal: outcome.signal,
      reason: outcome.reason,
      error_summary: outcome.errorSummary,
      ended_at: nowIso(),
      log_offset: a.sup.offset,
      cancel_requested: null,
      ...(a.sup.progress ? { progress_current: a.sup.progress.current, progress_total: a.sup.progress.total ?? null } : {}),
    });
    this.o.tracker.finishRun(a.runId, runStatusFor(outcome.state), { exitCode: outcome.exitCode, signal: outcome.signal, reason: outcome.reason });
    this.o.log(outcome.state === 'completed' ? 'info' : 'warn', `job ${a.job.id} (${a.job.name}) ${outcome.state}${outcome.reason ? `: ${outcome.reason}` : ''}`);
    this.o.onChange(['jobs', 'runs']);
    this.kick();
  }

  private handleCancelRequests(): void {
    const rows = this.o.db.prepare(`SELECT id, state, cancel_requested FROM jobs WHERE cancel_requested IS NOT NULL AND state IN ('queued', 'starting', 'running')`).all() as Array<{
      id: string;
      state: JobState;
      cancel_requested: string;
    }>;
    for (const r of rows) {
      const a = this.active.get(r.id);
      if (a) a.sup.cancel(r.cancel_requested);
      else if (r.state === 'queued') this.jobs.update(r.id, { state: 'cancelled', reason: r.cancel_requested, ended_at: nowIso(), cancel_requested: null });
    }
  }

  // ----------------------------------------------------------------- GPU

  private startGpuPolling(): void {
    if (this.o.gpuPolling === false || this.gpu || !findNvidiaSmi()) return;
    this.gpu = new GpuPoller({
      onReading: (_gpus, metrics) => {
        for (const a of this.active.values()) a.sup.logSystem(metrics);
      },
      onUnavailable: (reason) => this.o.log('debug', `GPU metrics unavailable: ${reason}`),
    });
    this.gpu.start();
  }

  // --------------------------------------------------------------- control

  /** Cancels now when this process supervises the job; otherwise records the request for the holder. */
  cancel(ref: string, reason?: string): ReturnType<JobStore['requestCancel']> {
    const r = this.jobs.requestCancel(ref, reason);
    const a = this.active.get(r.job.id);
    if (a) a.sup.cancel(reason);
    this.o.onChange(['jobs']);
    return r;
  }

  /** Sends a control command, through stdin too when supervised here. */
  control(ref: string, cmd: 'stop' | 'save' | 'sample'): { sent: boolean; message: string } {
    const row = this.jobs.resolve(ref);
    const a = this.active.get(row.id);
    if (a) {
      a.sup.control(cmd, 'requested from Tune Studio');
      return { sent: true, message: `asked ${row.name} to ${cmd === 'save' ? 'save a checkpoint' : cmd === 'sample' ? 'generate samples' : 'stop'}` };
    }
    return this.jobs.control(ref, cmd);
  }

  /** Stops scheduling. Jobs keep running (detached) and are adopted by the next holder. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.gpu?.stop();
    // Points still buffered commit with the offsets (the hooks); then nothing of theirs is pending.
    this.o.tracker.tryFlush();
    for (const a of this.active.values()) {
      a.unhook();
      const tailers = a.sup.tailerOffsets();
      if (!this.o.tracker.lastFlushError) this.jobs.update(a.job.id, { log_offset: a.sup.resumeOffset, ...(tailers.length ? { tailer_offsets: JSON.stringify(tailers) } : {}) });
      a.sup.detach();
    }
    this.active.clear();
    if (this.holder) {
      this.o.db.prepare(`DELETE FROM leases WHERE name = ? AND holder = ?`).run(LEASE_NAME, `${this.id}|${this.o.label ?? 'runtime'}`);
      this.holder = false;
    }
  }

  /** Number of jobs supervised by this process. */
  get running(): number {
    return this.active.size;
  }
}
