// The job rules, without a transport: submit (trust, reading and validating
// the spec), list, cancel (only what is not final yet), retry (only what
// is), control, caption jobs, and the scheduler's life. The runtime's LSP
// handlers (service.ts) and the `tunestudio` CLI (cli/jobs.ts) are thin
// adapters over it; new faces (MCP, HTTP) will be too.
import type Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FINAL_JOB_STATES, type Job, type JobSpec, type JobState } from '../../protocol/jobs';
import type { ControlCommandName } from '../../protocol/control';
import { parseJsonWithNonFinite } from '../../protocol/lines';
import type { Tracker } from '../tracking/tracker';
import { JobError, JobStore } from './jobStore';
import { leaseIsLive, readLease } from './lease';
import { builtinArgv, cliArgv, launcherPath } from './paths';
import { Scheduler, type SchedulerOptions } from './scheduler';
import { JobSpecError, resolveJobSpec, type ResolvedSpec } from './spec';

export const UNTRUSTED_MESSAGE =
  'This workspace is not trusted, so Tune Studio starts no jobs here. Trust it (Command Palette: "Workspaces: Manage Workspace Trust") to run jobs.';

export { JobError };

export interface JobsServiceOptions {
  db: Database.Database;
  storeDir: string;
  /** Whether jobs may be queued and started here (workspace trust; the CLI is always trusted). */
  trusted: () => boolean;
  /** What relative paths of a spec given inline resolve against. */
  baseDir: () => string;
  /** Scheduling: given, this service runs a Scheduler (it takes the lease when it is free); absent, it only queues and reads. */
  scheduler?: Omit<SchedulerOptions, 'db' | 'storeDir' | 'trusted' | 'launcher' | 'tracker'> & { tracker: Tracker; launcher?: string };
}

export class JobsService {
  readonly jobs: JobStore;
  private scheduler: Scheduler | null = null;

  constructor(private readonly o: JobsServiceOptions) {
    this.jobs = new JobStore(o.db, o.storeDir);
  }

  /** Starts the scheduler (when this service schedules). */
  start(): void {
    const s = this.o.scheduler;
    if (!s || this.scheduler) return;
    this.scheduler = new Scheduler({ ...s, db: this.o.db, storeDir: this.o.storeDir, trusted: this.o.trusted, launcher: s.launcher ?? launcherPath() });
    this.scheduler.start();
  }

  stop(): void {
    this.scheduler?.stop();
  }

  /** Wakes the scheduler (a setting changed, a job was queued). */
  kick(): void {
    this.scheduler?.kick();
  }

  /** For Runtime Status: whether this process schedules, and if not, who does. */
  schedulerStatus(): { holder: boolean; detail: string } | undefined {
    return this.scheduler ? { holder: this.scheduler.isHolder, detail: this.scheduler.describe() } : undefined;
  }

  /** Whether some process holds a live scheduler lease for this store. */
  scheduled(): boolean {
    return this.scheduler?.isHolder || leaseIsLive(readLease(this.o.db));
  }

  list(o: { states?: JobState[]; limit?: number } = {}): Job[] {
    return this.jobs.list(o);
  }

  get(ref: string): Job {
    return this.jobs.get(ref);
  }

  /** Forgets ended jobs (their runs and logs stay); the number removed. */
  clearFinished(): number {
    this.requireTrust();
    return this.jobs.clearFinished();
  }

  /**
   * Queues a job from a spec or a *.tunejob.json file (relative paths resolve
   * against the file's folder, else baseDir); `overrides` win over the file.
   * Throws JobSpecError with every problem when the spec is not valid.
   */
  submit(p: { spec?: JobSpec | Record<string, unknown>; specFile?: string; overrides?: Record<string, unknown> }): Job {
    this.requireTrust();
    let raw: unknown = p.spec;
    let dir = this.o.baseDir();
    if (p.specFile) {
      dir = path.dirname(p.specFile);
      try {
        raw = parseJsonWithNonFinite(fs.readFileSync(p.specFile, 'utf8'));
      } catch (e) {
        throw new JobError(`cannot read job file ${p.specFile}: ${(e as Error).message}`);
      }
    }
    if (p.overrides && raw && typeof raw === 'object' && !Array.isArray(raw)) {
      const base = raw as Record<string, unknown>;
      // Slurm options from the command line add to the file's (--time alone keeps its partition).
      const slurm = isObject(base.slurm) && isObject(p.overrides.slurm) ? { slurm: { ...base.slurm, ...p.overrides.slurm } } : {};
      raw = { ...base, ...p.overrides, ...slurm };
    }
    const spec = resolveJobSpec(raw, { baseDir: dir, specFile: p.specFile, builtinArgv });
    return this.enqueue(spec, p.specFile ?? null);
  }

  /** Queues a spec built by Tune Studio itself (caption jobs, `tunestudio train --submit`). */
  enqueue(spec: ResolvedSpec, specFile: string | null = null): Job {
    this.requireTrust();
    const job = this.jobs.insert(spec, specFile);
    this.kick();
    return job;
  }

  /** Queues `tunestudio dataset caption DIR` as a job; the folder must be inside the workspace. */
  submitCaption(p: { dir: string; overwrite?: boolean; stems?: string[] }, o: { workspaceFolders: string[]; modelPath?: string; offline?: boolean; ffmpegPath?: string }): Job {
    this.requireTrust();
    const dir = path.resolve(p.dir);
    const inside = o.workspaceFolders.some((w) => {
      const rel = path.relative(w, dir);
      return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
    });
    if (o.workspaceFolders.length && !inside) throw new JobError(`Dataset folder '${p.dir}' is outside the workspace; captioning refused.`);
    const args = [
      '--dir', this.o.storeDir, 'dataset', 'caption', dir,
      ...(p.overwrite ? ['--overwrite'] : []),
      ...(o.modelPath ? ['--model', o.modelPath] : []),
      ...(o.offline ? ['--offline'] : []),
      ...(o.ffmpegPath ? ['--ffmpeg', o.ffmpegPath] : []),
      ...(p.stems?.length ? ['--sample', ...p.stems] : []),
    ];
    const spec = resolveJobSpec(
      { name: `caption ${path.basename(dir)}`, project: 'datasets', command: cliArgv(args), parsers: ['protocol'], stall_timeout_s: 3600, config: { dataset: dir, samples: p.stems ?? 'all', overwrite: !!p.overwrite } },
      { baseDir: dir },
    );
    return this.enqueue(spec);
  }

  /**
   * Cancel: a queued job is cancelled at once (it never starts); a running
   * one is asked to stop (control stop → SIGTERM → SIGKILL), at once when it
   * is supervised here, else by the scheduler that holds it. A final job
   * cannot be cancelled.
   */
  cancel(ref: string, reason?: string): { job: Job; immediate: boolean } {
    const row = this.jobs.resolve(ref);
    if (FINAL_JOB_STATES.includes(row.state)) throw new JobError(`job ${row.id} (${row.name}) is already ${row.state}`);
    return this.scheduler ? this.scheduler.cancel(row.id, reason) : this.jobs.requestCancel(row.id, reason);
  }

  /** Puts a finished job back in the queue (a new attempt makes a new run). */
  retry(ref: string): Job {
    this.requireTrust();
    const row = this.jobs.resolve(ref);
    if (!FINAL_JOB_STATES.includes(row.state)) throw new JobError(`job ${row.id} (${row.name}) is ${row.state}; only finished jobs can be retried`);
    const job = this.jobs.retry(row.id);
    this.kick();
    return job;
  }

  /** Sends a control command: through stdin too when supervised here, else control.json. */
  control(ref: string, cmd: ControlCommandName): { sent: boolean; message: string } {
    return this.scheduler ? this.scheduler.control(ref, cmd) : this.jobs.control(ref, cmd);
  }

  private requireTrust(): void {
    if (!this.o.trusted()) throw new JobError(UNTRUSTED_MESSAGE);
  }
}

export { JobSpecError };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
