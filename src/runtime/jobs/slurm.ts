// The Slurm job backend: submits a job with `sbatch --parsable` (a generated
// batch script that runs the same launcher as local jobs, the command in
// argv.json), learns every job's state from ONE `squeue` call per poll (and
// one `sacct` for the ids squeue no longer knows), at most once per
// `minIntervalMs` (10 s) per cluster whatever the number of jobs, and ends
// jobs with `scancel`. A job is then followed by the same Supervisor as a
// local one (its files in the job folder, on the shared file system),
// through a RemoteProcess made here.
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../os/fs';
import type { JobOutcomeState, RemoteProcess } from './supervisor';
import {
  ARGV_FILE,
  BATCH_FILE,
  SACCT_FIELDS,
  SIGNAL_FILE,
  SLURM_FILE,
  SQUEUE_FORMAT,
  batchScript,
  mapSlurmState,
  parseSacct,
  parseSbatch,
  parseSqueue,
  sbatchArgs,
  type MappedState,
  type SlurmArgvFile,
  type SlurmJobRecord,
  type SlurmJobState,
  type SlurmOptions,
} from './slurmScript';

export type JobBackendName = 'local' | 'slurm';

export class SlurmError extends Error {}

/** Runs a Slurm command without a shell; throws with its stderr (the words Slurm chose) on failure. */
function runSync(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, timeout: 60_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string; status?: number };
    if (err.code === 'ENOENT') throw new SlurmError(`'${cmd}' is not on PATH: the Slurm client tools are needed for "backend": "slurm" (install slurm-client, or run where they are)`);
    const said = (err.stderr ?? '').trim().split('\n').filter(Boolean).join('; ');
    throw new SlurmError(said || `${cmd} failed (exit ${err.status ?? '?'})`);
  }
}

function runAsync(cmd: string, args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ ok: !err, stdout: String(stdout ?? ''), stderr: String(stderr ?? '') }));
  });
}

export interface SubmitInput {
  jobDir: string;
  jobName: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  graceS?: number;
  slurm: SlurmOptions;
  nodePath: string;
  launcher: string;
}

/**
 * Writes argv.json and the batch script into the job folder and submits it.
 * A refused submission (a partition that does not exist, a bad --time)
 * throws with sbatch's own words; nothing is queued then.
 */
export function submitSlurmJob(i: SubmitInput): SlurmJobRecord {
  fs.mkdirSync(i.jobDir, { recursive: true });
  const argvFile: SlurmArgvFile = { argv: i.argv, cwd: i.cwd, env: i.env, ...(i.graceS ? { grace_s: i.graceS } : {}) };
  writeFileAtomic(path.join(i.jobDir, ARGV_FILE), JSON.stringify(argvFile, null, 1));
  const script = path.join(i.jobDir, BATCH_FILE);
  fs.writeFileSync(script, batchScript({ nodePath: i.nodePath, launcher: i.launcher, jobDir: i.jobDir }), { mode: 0o700 });
  const args = sbatchArgs({ jobName: i.jobName, jobDir: i.jobDir, outputFile: path.join(i.jobDir, 'output.log'), script, slurm: i.slurm });
  let out: string;
  try {
    out = runSync('sbatch', args);
  } catch (e) {
    throw new SlurmError(`Slurm refused the job: ${(e as Error).message} (check the job's "slurm" options: ${JSON.stringify(i.slurm)})`);
  }
  const { id, cluster } = parseSbatch(out);
  const rec: SlurmJobRecord = { slurm_job_id: id, cluster, partition: i.slurm.partition ?? null, submitted_at: new Date().toISOString() };
  writeFileAtomic(path.join(i.jobDir, SLURM_FILE), JSON.stringify(rec));
  return rec;
}

export function readSlurmRecord(jobDir: string): SlurmJobRecord | null {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(jobDir, SLURM_FILE), 'utf8')) as SlurmJobRecord;
    return typeof r.slurm_job_id === 'string' ? r : null;
  } catch {
    return null;
  }
}

/** `scancel`: TERM to the batch step (the launcher asks the trainer to save and stop), or the whole job. */
export function scancel(id: string, sig: 'SIGTERM' | 'SIGKILL'): void {
  runSync('scancel', sig === 'SIGTERM' ? ['--batch', '--signal=TERM', id] : [id]);
}

interface Watched {
  state: SlurmJobState | null;
  mapped: MappedState | null;
  /** Polls in which neither squeue nor sacct knew the job. */
  missing: number;
}

/**
 * The states of all watched Slurm jobs, from one squeue call (and one sacct
 * call for the ids squeue did not list) per poll, never more often than
 * minIntervalMs. Everyone reads the cache.
 */
export class SlurmPoller {
  private readonly watched = new Map<string, Watched>();
  private lastPoll = 0;
  private polling = false;
  private timer: NodeJS.Timeout | null = null;
  /** Counts, for status lines and the bench. */
  readonly calls = { squeue: 0, sacct: 0 };

  constructor(private readonly o: { minIntervalMs?: number; log?: (msg: string) => void; onChange?: () => void } = {}) {}

  get minIntervalMs(): number {
    // TUNESTUDIO_SLURM_POLL_MS: for tests on a one-node cluster; a real cluster keeps the 10 s floor.
    return this.o.minIntervalMs ?? (Number(process.env.TUNESTUDIO_SLURM_POLL_MS) || 10_000);
  }

  watch(id: string): void {
    if (!this.watched.has(id)) this.watched.set(id, { state: null, mapped: null, missing: 0 });
    this.ensureTimer();
  }

  unwatch(id: string): void {
    this.watched.delete(id);
    if (!this.watched.size) this.stop();
  }

  state(id: string): { raw: SlurmJobState | null; mapped: MappedState | null; missing: number } {
    const w = this.watched.get(id);
    return { raw: w?.state ?? null, mapped: w?.mapped ?? null, missing: w?.missing ?? 0 };
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), Math.min(this.minIntervalMs, 1000));
    this.timer.unref();
    void this.poll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One poll for all watched jobs, unless the last one was less than minIntervalMs ago. */
  async poll(): Promise<void> {
    if (this.polling || !this.watched.size || Date.now() - this.lastPoll < this.minIntervalMs) return;
    this.polling = true;
    this.lastPoll = Date.now();
    try {
      this.calls.squeue++;
      const q = await runAsync('squeue', ['-h', '-t', 'all', '--me', '-o', SQUEUE_FORMAT]);
      if (!q.ok) {
        this.o.log?.(`squeue failed: ${q.stderr.trim() || 'no output'}; job states are kept as they were`);
        return;
      }
      const seen = parseSqueue(q.stdout);
      const unknown = [...this.watched.keys()].filter((id) => !seen.has(id));
      if (unknown.length) {
        this.calls.sacct++;
        const a = await runAsync('sacct', ['-P', '-n', '-X', '-o', SACCT_FIELDS, '-j', unknown.join(',')]);
        if (a.ok) for (const [id, st] of parseSacct(a.stdout)) seen.set(id, st);
      }
      let changed = false;
      for (const [id, w] of this.watched) {
        const st = seen.get(id);
        if (!st) {
          w.missing++;
          continue;
        }
        w.missing = 0;
        if (w.state?.state !== st.state || w.state?.reason !== st.reason || w.state?.node !== st.node) changed = true;
        w.state = st;
        w.mapped = mapSlurmState(st);
      }
      if (changed) this.o.onChange?.();
    } catch (e) {
      this.o.log?.(`Slurm poll failed: ${(e as Error).message}`);
    } finally {
      this.polling = false;
    }
  }
}

function readSignal(jobDir: string): string | null {
  try {
    return (JSON.parse(fs.readFileSync(path.join(jobDir, SIGNAL_FILE), 'utf8')) as { signal?: string }).signal ?? null;
  } catch {
    return null;
  }
}

/** Polls in which Slurm knew nothing of a job before it is taken as gone (squeue forgets after MinJobAge). */
const MISSING_POLLS = 3;

/**
 * The Supervisor's view of one Slurm job. `ended` also when an exit record
 * exists and Slurm no longer lists the job as running, or when Slurm has
 * forgotten the job for MISSING_POLLS polls.
 */
export function slurmRemote(poller: SlurmPoller, id: string, o: { jobDir?: string; log?: (m: string) => void } = {}): RemoteProcess & { info(): { state: string | null; reason: string | null; node: string | null; partition: string | null } } {
  poller.watch(id);
  let signalled: 'SIGTERM' | 'SIGKILL' | null = null;
  const forgotten = () => poller.state(id).missing >= MISSING_POLLS;
  return {
    phase() {
      const s = poller.state(id);
      if (forgotten()) return 'ended';
      if (!s.mapped) return 'queued';
      if (s.mapped.phase === 'ended') return 'ended';
      return s.mapped.phase;
    },
    signal(sig) {
      if (signalled === sig) return;
      signalled = sig;
      try {
        // A job still waiting in the queue has no batch step to signal: cancel it outright.
        scancel(id, this.phase() === 'queued' ? 'SIGKILL' : sig);
      } catch (e) {
        o.log?.(`scancel ${id} (${sig}) failed: ${(e as Error).message}`);
      }
    },
    outcome() {
      const s = poller.state(id);
      if (s.mapped?.phase === 'ended') {
        // USR2 comes signal_lead_s before --time: the launcher asked the trainer to save and stop, so Slurm
        // saw an ordinary exit; the job still ended because of its time limit.
        if (s.raw?.state !== 'TIMEOUT' && s.raw?.state !== 'CANCELLED' && o.jobDir && readSignal(o.jobDir) === 'USR2') {
          return { state: 'failed', reason: 'time limit: Slurm signalled USR2 ahead of the job\'s --time and it was asked to save a checkpoint and stop (raise "time", or resume from the checkpoint)', exitCode: s.mapped.exitCode };
        }
        return { state: s.mapped.outcome as JobOutcomeState, reason: s.mapped.reason, exitCode: s.mapped.exitCode };
      }
      if (forgotten()) return { state: 'failed', reason: `Slurm no longer knows job ${id} (it is not in squeue or sacct)`, exitCode: null };
      return null;
    },
    info() {
      const r = poller.state(id).raw;
      return { state: r?.state ?? null, reason: r?.reason ?? null, node: r?.node ?? null, partition: r?.partition ?? null };
    },
  };
}
