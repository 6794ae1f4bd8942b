// The scheduler: exactly one per store, held as a lease (lease.ts). The
// holder starts queued jobs (priority, then FIFO) up to the slot count, runs
// each through a JobRunner (one job → one run), persists progress, acts on
// cancel requests, and on taking the lease adopts jobs left running by a
// previous holder (same pid and process start time) or settles them
// truthfully. A job with "backend": "slurm" is submitted with sbatch and
// followed by the same JobRunner through a RemoteProcess (slurm.ts); it
// takes no local slot (Slurm queues it), and is re-adopted by its Slurm job
// id (slurm.json in its folder). Every other runtime (or `tunestudio serve`) only reads, and
// takes over when the holder's heartbeat stops.
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { JobState } from '../../protocol/jobs';
import { createParsers } from '../ingest/spec';
import type { ParserSpec } from '../ingest/types';
import { isSameProcess } from '../os/process';
import type { Tracker } from '../tracking/tracker';
import { nowIso } from '../tracking/tracker';
import { GpuPoller, findNvidiaSmi } from './gpu';
import { JobRunner, createJobRun } from './jobRunner';
import { JobStore, jobDir, type JobRow } from './jobStore';
import { Lease, readLease, type LeaseInfo } from './lease';
import { trainerEnv } from './paths';
import type { ResolvedSpec } from './spec';
import { FILES, type JobOutcome, type RemoteProcess } from './supervisor';
import { JOB_ENV } from '../../protocol/control';
import { SlurmPoller, readSlurmRecord, slurmRemote, submitSlurmJob, type JobBackendName } from './slurm';
import { SIGNAL_FILE, SLURM_FILE } from './slurmScript';

export { LEASE_NAME, readLease, type LeaseInfo } from './lease';
export { runStatusFor } from './jobRunner';

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
  /** The backend of a job whose spec names none (the tuneStudio.jobs.backend setting; default local). */
  defaultBackend?: () => JobBackendName;
  /** At most one squeue/sacct poll per this many ms (default 10 s). */
  slurmPollMs?: number;
}

interface Active {
  job: JobRow;
  runner: JobRunner;
  runId: string;
  lastPersist: number;
  lastProgressWrite: number;
  /** Slurm jobs: what the Jobs view shows (job id, partition, node, queue reason). */
  slurm?: { id: string; remote: ReturnType<typeof slurmRemote>; shown: string };
}

export class Scheduler {
  readonly id: string;
  readonly jobs: JobStore;
  private readonly lease: Lease;
  private holder = false;
  private readonly active = new Map<string, Active>();
  private timer: NodeJS.Timeout | null = null;
  private lastRenew = 0;
  private lastAcquireTry = 0;
  private untrustedNoticeGiven = false;
  private gpu: GpuPoller | null = null;
  private stopped = true;
  private ticking = false;
  private slurmPoller: SlurmPoller | null = null;

  constructor(private readonly o: SchedulerOptions) {
    this.id = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.jobs = new JobStore(o.db, o.storeDir);
    this.lease = new Lease(o.db, this.id, o.label ?? 'runtime', o.leaseTimeoutS ?? 15);
  }

  get isHolder(): boolean {
    return this.holder;
  }

  leaseInfo(): LeaseInfo | null {
    return readLease(this.o.db);
  }

  /** A sentence for status views: whether this process schedules, and if not, who does. */
  describe(): string {
    if (this.holder) return `this ${this.o.label ?? 'runtime'} schedules jobs (${this.active.size} running, ${this.o.slots()} slot${this.o.slots() === 1 ? '' : 's'})`;
    return Lease.describeOther(this.leaseInfo());
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

  private async tick(): Promise<void> {
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    try {
      const now = Date.now();
      if (this.holder) {
        if (now - this.lastRenew > 3000) {
          this.lastRenew = now;
          if (!this.lease.renew()) this.lostLease();
        }
      } else if (now - this.lastAcquireTry > 5000 || this.lastAcquireTry === 0) {
        this.lastAcquireTry = now;
        if (this.lease.acquire()) {
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

  private lostLease(): void {
    this.o.log('warn', 'lost the scheduler lease to another runtime; its jobs go on there');
    this.holder = false;
    for (const a of this.active.values()) a.runner.detach();
    this.active.clear();
    this.gpu?.stop();
    this.o.onChange(['jobs']);
  }

  // ----------------------------------------------------------- recovery

  /** Jobs a previous holder left starting/running: adopt the living, settle the rest truthfully. */
  private recover(): void {
    for (const job of this.jobs.unsettled()) {
      if (this.active.has(job.id)) continue;
      const dir = jobDir(this.o.storeDir, job.id);
      const alive = job.pid !== null && isSameProcess(job.pid, job.pid_start);
      const recorded = fs.existsSync(path.join(dir, FILES.exit));
      const slurmRec = this.backendOf(JSON.parse(job.spec) as ResolvedSpec) === 'slurm' ? readSlurmRecord(dir) : null;
      if (job.run_id && slurmRec) {
        this.o.log('info', `adopting job ${job.id} (${job.name}): Slurm job ${slurmRec.slurm_job_id}`);
        try {
          this.run(job, job.run_id, { pid: 0, startToken: null, offset: job.log_offset, tailers: job.tailer_offsets });
        } catch (e) {
          this.settleLost(job, `could not adopt Slurm job ${slurmRec.slurm_job_id} after a runtime restart: ${(e as Error).message}`);
        }
        continue;
      }
      if (job.run_id && job.pid !== null && (alive || recorded)) {
        this.o.log('info', `adopting job ${job.id} (${job.name}), pid ${job.pid}${alive ? '' : ' (already ended; reading its log and exit record)'}`);
        try {
          this.run(job, job.run_id, { pid: job.pid, startToken: job.pid_start, offset: job.log_offset, tailers: job.tailer_offsets });
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

  private backendOf(spec: ResolvedSpec): JobBackendName {
    return spec.backend ?? this.o.defaultBackend?.() ?? 'local';
  }

  private get localActive(): number {
    let n = 0;
    for (const a of this.active.values()) if (!a.slurm) n++;
    return n;
  }

  private startQueued(): void {
    while (true) {
      const next = this.jobs.nextQueued();
      // Slurm queues its jobs itself; only local jobs wait for a local slot.
      if (next && this.backendOf(JSON.parse(next.spec) as ResolvedSpec) !== 'slurm' && this.localActive >= Math.max(1, this.o.slots())) return;
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
    if (!this.jobs.claim(job.id, this.id)) return;
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
    for (const f of [FILES.control, FILES.exit, FILES.progress, SLURM_FILE, SIGNAL_FILE]) fs.rmSync(path.join(dir, f), { force: true });
    let runId: string | null = null;
    try {
      const run = createJobRun(this.o.tracker, {
        project: spec.project,
        name: spec.name,
        config: { ...(spec.config ?? {}), job: { id: job.id, attempt: job.attempt + 1, command: spec.command, cwd: spec.cwd } },
        watchers: (spec.watchers ?? []).map(({ metric, ...opts }) => ({ metric, opts })),
      });
      runId = run.id;
      this.jobs.update(job.id, { run_id: run.id });
      this.run({ ...job, run_id: run.id, attempt: job.attempt + 1 }, run.id);
    } catch (e) {
      const reason = `could not start: ${(e as Error).message}`;
      this.jobs.update(job.id, { state: 'failed', reason, ended_at: nowIso(), ...(runId ? { run_id: runId } : {}) });
      if (runId) this.o.tracker.finishRun(runId, 'failed', { reason });
      this.o.log('error', `job ${job.id} (${job.name}) ${reason}`);
      this.o.onChange(['jobs', 'runs']);
    }
  }

  /** Runs (or adopts) one job through a JobRunner. */
  private run(job: JobRow, runId: string, adopt?: { pid: number; startToken: string | null; offset: number; tailers: string | null }): void {
    const spec = JSON.parse(job.spec) as ResolvedSpec;
    const since = job.started_at ? Date.parse(job.started_at) - 1000 : Date.now();
    // After a restart, TensorBoard files resume where the previous runner stopped reading.
    const parsers = createParsers(spec.parsers as ParserSpec[] | undefined, {
      cwd: spec.cwd,
      since,
      offsets: adopt?.tailers ? (JSON.parse(adopt.tailers) as Array<Record<string, number>>) : undefined,
    });
    let a: Active | null = null;
    const dir = jobDir(this.o.storeDir, job.id);
    const env = { ...(this.o.jobEnv?.() ?? trainerEnv(this.o.storeDir)), ...(spec.env ?? {}) };
    let slurm: Active['slurm'];
    let remote: RemoteProcess | undefined;
    if (this.backendOf(spec) === 'slurm') {
      let rec = adopt ? readSlurmRecord(dir) : null;
      if (!rec) {
        rec = submitSlurmJob({
          jobDir: dir,
          jobName: spec.name,
          argv: spec.command,
          cwd: spec.cwd,
          // What the supervisor gives a local job's environment, for the launcher on the node to pass on.
          env: {
            PYTHONUNBUFFERED: '1',
            ...env,
            [JOB_ENV.supervised]: '1',
            [JOB_ENV.runId]: runId,
            [JOB_ENV.jobDir]: dir,
            [JOB_ENV.control]: path.join(dir, FILES.control),
            [JOB_ENV.progress]: path.join(dir, FILES.progress),
            [JOB_ENV.jobId]: job.id,
          },
          graceS: spec.grace_s,
          slurm: spec.slurm ?? {},
          nodePath: this.o.nodePath ?? process.execPath,
          launcher: this.o.launcher,
        });
      }
      this.slurmPoller ??= new SlurmPoller({ minIntervalMs: this.o.slurmPollMs, log: (m) => this.o.log('warn', m), onChange: () => this.showSlurm() });
      const r = slurmRemote(this.slurmPoller, rec.slurm_job_id, { jobDir: dir, log: (m) => this.o.log('warn', `job ${job.id}: ${m}`) });
      remote = r;
      slurm = { id: rec.slurm_job_id, remote: r, shown: '' };
    }
    const runner = new JobRunner({
      tracker: this.o.tracker,
      runId,
      jobDir: jobDir(this.o.storeDir, job.id),
      jobId: job.id,
      command: { argv: spec.command, cwd: spec.cwd, env, stallTimeoutS: spec.stall_timeout_s, graceS: spec.grace_s },
      remote,
      parsers,
      launcher: this.o.launcher,
      nodePath: this.o.nodePath,
      adopt,
      saveOffsets: (p) => this.jobs.saveOffsets(job.id, p),
      on: {
        onProgress: () => a && this.writeProgress(a, false),
        onStatus: (t) => {
          this.jobs.update(job.id, { status_text: t.slice(0, 200) });
          this.o.onChange(['jobs']);
        },
      },
      log: (m) => this.o.log('warn', `job ${job.id}: ${m}`),
    });
    const started = runner.start();
    a = { job, runner, runId, lastPersist: 0, lastProgressWrite: 0, slurm };
    this.active.set(job.id, a);
    this.o.supervisedRuns?.add(runId);
    if (slurm) {
      // 'starting' until Slurm runs it (showSlurm moves it on).
      if (!adopt) this.jobs.update(job.id, { state: 'starting', pid: null, pid_start: null, log_offset: 0, status_text: `Slurm job ${slurm.id}: submitted` });
      else this.jobs.update(job.id, { supervisor: this.id });
      this.o.log('info', `job ${job.id} (${job.name}) ${adopt ? 'adopted' : 'submitted'}: Slurm job ${slurm.id}, run ${runId}`);
    } else if (!adopt) {
      this.jobs.update(job.id, { state: 'running', pid: started.pid, pid_start: started.startToken, log_offset: 0 });
      this.o.log('info', `job ${job.id} (${job.name}) started: pid ${started.pid}, run ${runId}`);
    } else {
      this.jobs.update(job.id, { state: 'running', supervisor: this.id });
    }
    const active = a;
    void runner.settled.then((outcome) => this.settle(active, outcome));
    this.o.onChange(['jobs', 'runs']);
  }

  /** Slurm's view of each Slurm job into its row: state (starting while queued), and "Slurm job ID · partition · node · reason". */
  private showSlurm(): void {
    let changed = false;
    for (const a of this.active.values()) {
      if (!a.slurm) continue;
      const i = a.slurm.remote.info();
      const phase = a.slurm.remote.phase();
      const text = [`Slurm job ${a.slurm.id}`, i.state, i.partition, i.node, phase === 'queued' && i.reason ? `waiting: ${i.reason}` : null].filter(Boolean).join(' · ');
      if (text === a.slurm.shown) continue;
      a.slurm.shown = text;
      changed = true;
      this.jobs.update(a.job.id, { status_text: text.slice(0, 200), ...(phase === 'running' ? { state: 'running' as JobState } : {}) });
    }
    if (changed) this.o.onChange(['jobs']);
  }

  private writeProgress(a: Active, force: boolean): void {
    const now = Date.now();
    if (!force && now - a.lastProgressWrite < 1000) return;
    a.lastProgressWrite = now;
    const p = a.runner.sup.progress;
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

  /** The runner has finished the run; the job row follows. */
  private settle(a: Active, outcome: JobOutcome): void {
    if (this.active.get(a.job.id) !== a) return; // detached meanwhile (lost lease, stop)
    this.active.delete(a.job.id);
    this.o.supervisedRuns?.delete(a.runId);
    if (a.slurm) this.slurmPoller?.unwatch(a.slurm.id);
    const sup = a.runner.sup;
    this.jobs.update(a.job.id, {
      state: outcome.state as JobState,
      exit_code: outcome.exitCode,
      signal: outcome.signal,
      reason: outcome.reason,
      error_summary: outcome.errorSummary,
      ended_at: nowIso(),
      log_offset: sup.offset,
      cancel_requested: null,
      ...(sup.progress ? { progress_current: sup.progress.current, progress_total: sup.progress.total ?? null } : {}),
    });
    this.o.log(outcome.state === 'completed' ? 'info' : 'warn', `job ${a.job.id} (${a.job.name}) ${outcome.state}${outcome.reason ? `: ${outcome.reason}` : ''}`);
    this.o.onChange(['jobs', 'runs']);
    this.kick();
  }

  private handleCancelRequests(): void {
    for (const r of this.jobs.cancelRequests()) {
      const a = this.active.get(r.id);
      if (a) a.runner.cancel(r.cancel_requested);
      else if (r.state === 'queued') this.jobs.update(r.id, { state: 'cancelled', reason: r.cancel_requested, ended_at: nowIso(), cancel_requested: null });
    }
  }

  // ----------------------------------------------------------------- GPU

  private startGpuPolling(): void {
    if (this.o.gpuPolling === false || this.gpu || !findNvidiaSmi()) return;
    this.gpu = new GpuPoller({
      onReading: (_gpus, metrics) => {
        for (const a of this.active.values()) a.runner.logSystem(metrics);
      },
      onUnavailable: (reason) => this.o.log('debug', `GPU metrics unavailable: ${reason}`),
    });
    this.gpu.start();
  }

  // --------------------------------------------------------------- control

  /** Cancels now when this process supervises the job; otherwise records the request for the holder. */
  cancel(ref: string, reason?: string): ReturnType<JobStore['requestCancel']> {
    const r = this.jobs.requestCancel(ref, reason);
    this.active.get(r.job.id)?.runner.cancel(reason);
    this.o.onChange(['jobs']);
    return r;
  }

  /** Sends a control command, through stdin too when supervised here. */
  control(ref: string, cmd: 'stop' | 'save' | 'sample'): { sent: boolean; message: string } {
    const row = this.jobs.resolve(ref);
    const a = this.active.get(row.id);
    if (a) {
      a.runner.control(cmd, 'requested from Tune Studio');
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
    this.slurmPoller?.stop();
    // Points still buffered commit with the offsets (the hooks); then nothing of theirs is pending.
    this.o.tracker.tryFlush();
    for (const a of this.active.values()) {
      const p = a.runner.detach();
      if (!this.o.tracker.lastFlushError) this.jobs.update(a.job.id, { log_offset: p.log, ...(p.tailers ? { tailer_offsets: p.tailers } : {}) });
    }
    this.active.clear();
    if (this.holder) {
      this.lease.release();
      this.holder = false;
    }
  }

  /** Number of jobs supervised by this process. */
  get running(): number {
    return this.active.size;
  }
}
