// Job rows in the store: the persistent queue, and the only code with SQL on
// the jobs table (statements prepared once per shape). Any process may
// submit, list, request a cancel or send control; only the scheduler (lease
// holder) claims, starts, recovers and finishes jobs.
import type Database from 'better-sqlite3';
import * as path from 'node:path';
import { FINAL_JOB_STATES, type Job, type JobSpec, type JobState } from '../../protocol/jobs';
import type { ControlCommandName } from '../../protocol/control';
import { newRunId } from '../tracking/names';
import { nowIso } from '../tracking/tracker';
import { appendControlCommand } from './control';
import { FILES } from './supervisor';
import type { ResolvedSpec } from './spec';

export class JobError extends Error {}

/** A row of the jobs table: a Job as stored (spec as JSON, progress in columns) plus the scheduler's bookkeeping. */
type JobRow = Omit<Job, 'spec' | 'log_path' | 'progress' | 'queue_position'> & {
  spec: string;
  seq: number;
  pid_start: string | null;
  updated_at: string;
  log_offset: number;
  /** JSON: per TensorBoard tailer, file → byte offset of the next record not yet stored. */
  tailer_offsets: string | null;
  progress_current: number | null;
  progress_total: number | null;
  cancel_requested: string | null;
  supervisor: string | null;
};

export type { JobRow };

export function jobDir(storeDir: string, id: string): string {
  return path.join(storeDir, 'jobs', id);
}

/** The folder of a run started in the foreground (`tunestudio run`, `tunestudio train`): no job row, so named after the run. */
export function foregroundRunDir(storeDir: string, runId: string): string {
  return path.join(storeDir, 'jobs', `run-${runId}`);
}

export class JobStore {
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(
    readonly db: Database.Database,
    readonly storeDir: string,
  ) {}

  /** A statement prepared the first time its SQL is used, then reused. */
  private sql(text: string): Database.Statement {
    let st = this.stmts.get(text);
    if (!st) {
      st = this.db.prepare(text);
      this.stmts.set(text, st);
    }
    return st;
  }

  toJob(r: JobRow, queuePosition?: number): Job {
    let eta: number | null = null;
    if (r.state === 'running' && r.progress_current && r.progress_total && r.started_at) {
      const elapsed = (Date.now() - Date.parse(r.started_at)) / 1000;
      if (r.progress_current > 0 && r.progress_total > r.progress_current) eta = Math.round((elapsed / r.progress_current) * (r.progress_total - r.progress_current));
    }
    return {
      id: r.id,
      state: r.state,
      name: r.name,
      project: r.project,
      spec: JSON.parse(r.spec) as JobSpec,
      spec_file: r.spec_file,
      priority: r.priority,
      attempt: r.attempt,
      pid: r.pid,
      exit_code: r.exit_code,
      signal: r.signal,
      reason: r.reason,
      error_summary: r.error_summary,
      run_id: r.run_id,
      created_at: r.created_at,
      started_at: r.started_at,
      ended_at: r.ended_at,
      log_path: path.join(jobDir(this.storeDir, r.id), FILES.log),
      progress: r.progress_current === null ? null : { current: r.progress_current, total: r.progress_total, eta_s: eta },
      status_text: r.status_text,
      ...(queuePosition ? { queue_position: queuePosition } : {}),
    };
  }

  row(id: string): JobRow | undefined {
    return this.sql(`SELECT * FROM jobs WHERE id = ?`).get(id) as JobRow | undefined;
  }

  /** A job by id, or by a unique prefix of its id. */
  get(ref: string): Job {
    return this.toJob(this.resolve(ref));
  }

  resolve(ref: string): JobRow {
    const exact = this.row(ref);
    if (exact) return exact;
    const rows = this.sql(`SELECT * FROM jobs WHERE id LIKE ? ESCAPE '\\' OR name = ? ORDER BY seq`).all(ref.replace(/[%_\\]/g, '\\$&') + '%', ref) as JobRow[];
    if (rows.length === 1) return rows[0];
    if (rows.length > 1) {
      const active = rows.filter((r) => !FINAL_JOB_STATES.includes(r.state));
      if (active.length === 1) return active[0];
      throw new JobError(`'${ref}' matches ${rows.length} jobs — use an id:\n${rows.map((r) => `  ${r.id}  ${r.name}  ${r.state}  ${r.created_at}`).join('\n')}`);
    }
    throw new JobError(`no job with id or name '${ref}' (list them with: tunestudio jobs)`);
  }

  list(o: { states?: JobState[]; limit?: number } = {}): Job[] {
    const where = o.states?.length ? `WHERE state IN (${o.states.map(() => '?').join(',')})` : '';
    const rows = this.sql(
        `SELECT * FROM jobs ${where}
         ORDER BY CASE state WHEN 'running' THEN 0 WHEN 'starting' THEN 0 WHEN 'queued' THEN 1 ELSE 2 END,
                  CASE WHEN state = 'queued' THEN -priority ELSE 0 END, CASE WHEN state = 'queued' THEN seq ELSE -seq END
         LIMIT ?`,
      )
      .all(...(o.states ?? []), o.limit ? Math.floor(o.limit) : -1) as JobRow[];
    let pos = 0;
    return rows.map((r) => this.toJob(r, r.state === 'queued' ? ++pos : undefined));
  }

  /**
   * Removes the rows of ended jobs (completed, failed, cancelled, stopped): the Jobs view's "Clear
   * Finished Jobs". Their runs, metrics and log files stay. Returns how many were removed.
   */
  clearFinished(): number {
    const states = FINAL_JOB_STATES;
    return this.sql(`DELETE FROM jobs WHERE state IN (${states.map(() => '?').join(',')})`).run(...states).changes;
  }

  insert(spec: ResolvedSpec, specFile?: string | null): Job {
    const id = 'j' + newRunId();
    const now = nowIso();
    const insert = this.db.transaction(() => {
      const seq = this.nextSeq();
      this.sql(
          `INSERT INTO jobs(id, state, name, project, spec, spec_file, priority, seq, created_at, updated_at)
           VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, spec.name, spec.project, JSON.stringify(spec), specFile ?? null, spec.priority ?? 0, seq, now, now);
    });
    insert.immediate();
    return this.get(id);
  }

  private nextSeq(): number {
    return Number((this.sql(`SELECT coalesce(max(seq), 0) + 1 AS seq FROM jobs`).get() as { seq: number }).seq);
  }

  /** The next job to start: highest priority, then oldest. */
  nextQueued(): JobRow | undefined {
    return this.sql(`SELECT * FROM jobs WHERE state = 'queued' AND cancel_requested IS NULL ORDER BY priority DESC, seq LIMIT 1`).get() as JobRow | undefined;
  }

  update(id: string, fields: Partial<Omit<JobRow, 'id'>>): void {
    const keys = Object.keys(fields).sort();
    if (!keys.length) return;
    this
      .sql(`UPDATE jobs SET ${keys.map((k) => `${k} = @${k}`).join(', ')}, updated_at = @updated_at WHERE id = @id`)
      .run({ ...fields, updated_at: nowIso(), id });
  }

  // ------------------------------------------------ the scheduler's statements

  /** Claims a queued job for a start by `supervisor` (false: someone else did, or it was cancelled). */
  claim(id: string, supervisor: string): boolean {
    const now = nowIso();
    return (
      this.sql(`UPDATE jobs SET state = 'starting', attempt = attempt + 1, started_at = ?, supervisor = ?, updated_at = ? WHERE id = ? AND state = 'queued'`).run(now, supervisor, now, id)
        .changes > 0
    );
  }

  /** Jobs a scheduler left starting or running (to adopt or settle after a restart). */
  unsettled(): JobRow[] {
    return this.sql(`SELECT * FROM jobs WHERE state IN ('starting', 'running')`).all() as JobRow[];
  }

  /** Jobs with a cancel request that are not final yet. */
  cancelRequests(): Array<{ id: string; state: JobState; cancel_requested: string }> {
    return this.sql(`SELECT id, state, cancel_requested FROM jobs WHERE cancel_requested IS NOT NULL AND state IN ('queued', 'starting', 'running')`).all() as Array<{
      id: string;
      state: JobState;
      cancel_requested: string;
    }>;
  }

  /** Where the job's output has been read to (inside the flush transaction that stored the points). */
  saveOffsets(id: string, p: { log: number; tailers: string | null }): void {
    this.sql(`UPDATE jobs SET log_offset = ?, tailer_offsets = ? WHERE id = ?`).run(p.log, p.tailers, id);
  }

  /**
   * Cancel: a queued job is cancelled at once (it never starts); a running one
   * gets a cancel request the scheduler acts on (control stop → SIGTERM → SIGKILL).
   * Whether it may be cancelled at all is JobsService's rule.
   */
  requestCancel(ref: string, reason = 'cancelled by the user'): { job: Job; immediate: boolean } {
    const row = this.resolve(ref);
    const t = this.db.transaction(() => {
      const r = this.sql(`UPDATE jobs SET state = 'cancelled', reason = ?, ended_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'`)
        .run(`${reason} (before it started)`, nowIso(), nowIso(), row.id);
      if (r.changes) return true;
      this.sql(`UPDATE jobs SET cancel_requested = ?, updated_at = ? WHERE id = ?`).run(reason, nowIso(), row.id);
      return false;
    });
    const immediate = t.immediate();
    return { job: this.get(row.id), immediate };
  }

  /** Puts a job back in the queue (a new attempt makes a new run); JobsService allows it only for finished jobs. */
  retry(ref: string): Job {
    const row = this.resolve(ref);
    const seq = this.nextSeq();
    this.sql(
        `UPDATE jobs SET state = 'queued', seq = ?, pid = NULL, pid_start = NULL, exit_code = NULL, signal = NULL, reason = NULL,
           error_summary = NULL, started_at = NULL, ended_at = NULL, cancel_requested = NULL, progress_current = NULL,
           progress_total = NULL, status_text = NULL, log_offset = 0, tailer_offsets = NULL, updated_at = ? WHERE id = ?`,
      )
      .run(seq, nowIso(), row.id);
    return this.get(row.id);
  }

  /** Writes a control command to the job's control.json (works from any process). */
  control(ref: string, cmd: ControlCommandName): { sent: boolean; message: string } {
    const row = this.resolve(ref);
    if (row.state !== 'running') return { sent: false, message: `job ${row.name} is ${row.state}, not running` };
    appendControlCommand(path.join(jobDir(this.storeDir, row.id), FILES.control), cmd, `requested from Tune Studio`);
    const what = cmd === 'save' ? 'save a checkpoint' : cmd === 'sample' ? 'generate samples' : 'stop';
    return { sent: true, message: `asked ${row.name} to ${what} (trainers that read the control channel act on it)` };
  }
}
