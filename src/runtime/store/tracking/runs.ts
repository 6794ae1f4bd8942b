// The only SQL that writes projects, runs, stop_requests, run_samples and
// run_artifacts: creating and ending runs, heartbeats and progress, the
// process that writes a run (setProcess, used by the jobs code), config,
// stop requests, samples and artifacts, renames. Statements are prepared once.
import type Database from 'better-sqlite3';

export interface NewRun {
  id: string;
  project: string;
  /** A given name, or one made from the project's run count (1-based). */
  name: string | ((ordinal: number) => string);
  config: string;
  pid: number | null;
  pidStart: string | null;
  host: string;
  now: string;
  /** Heartbeat time in epoch seconds. */
  heartbeatAt: number;
}

export interface RunEnd {
  exitCode?: number | null;
  signal?: string | null;
  reason?: string | null;
}

export class RunStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      project: db.prepare(`INSERT INTO projects(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET name=excluded.name RETURNING id`),
      runCount: db.prepare(`SELECT count(*) FROM runs WHERE project_id = ?`).pluck(),
      insert: db.prepare(
        `INSERT INTO runs(id, project_id, name, status, config, created_at, updated_at, heartbeat_at, pid, pid_start, host)
         VALUES (@id, @project_id, @name, 'running', @config, @now, @now, @hb, @pid, @pid_start, @host)`,
      ),
      state: db.prepare(`SELECT id, next_step, status FROM runs WHERE id = ?`),
      setConfig: db.prepare(`UPDATE runs SET config = json_patch(config, ?), updated_at = ? WHERE id = ?`),
      // A heartbeat from a run wrongly marked crashed brings it back.
      heartbeat: db.prepare(
        `UPDATE runs SET heartbeat_at = ?,
           status = CASE WHEN status = 'crashed' THEN 'running' ELSE status END,
           reason = CASE WHEN status = 'crashed' THEN 'heartbeat resumed after being marked crashed' ELSE reason END,
           ended_at = CASE WHEN status = 'crashed' THEN NULL ELSE ended_at END
         WHERE id = ?`,
      ),
      progress: db.prepare(`UPDATE runs SET progress_current = ?, progress_total = COALESCE(?, progress_total), updated_at = ? WHERE id = ?`),
      setProcess: db.prepare(`UPDATE runs SET pid = ?, pid_start = ? WHERE id = ?`),
      finish: db.prepare(
        `UPDATE runs SET status = ?, exit_code = COALESCE(?, exit_code), signal = COALESCE(?, signal), reason = COALESCE(?, reason),
           ended_at = ?, updated_at = ? WHERE id = ? AND status IN ('running', 'crashed')`,
      ),
      countMalformed: db.prepare(`UPDATE runs SET malformed_lines = malformed_lines + ?, last_warning = ?, updated_at = ? WHERE id = ?`),
      afterFlush: db.prepare(
        `UPDATE runs SET next_step = MAX(next_step, ?), rejected_values = rejected_values + ?, last_warning = COALESCE(?, last_warning), updated_at = ? WHERE id = ?`,
      ),
      delete: db.prepare(`DELETE FROM runs WHERE id = ?`),
      rename: db.prepare(`UPDATE runs SET name = ?, updated_at = ? WHERE id = ?`),
      resume: db.prepare(
        `UPDATE runs SET status = 'running', exit_code = NULL, signal = NULL, reason = NULL, ended_at = NULL,
           pid = ?, pid_start = ?, host = ?, heartbeat_at = ?, updated_at = ? WHERE id = ?`,
      ),
      clearStop: db.prepare(`DELETE FROM stop_requests WHERE run_id = ?`),
      stale: db.prepare(`SELECT id, pid, pid_start, host, heartbeat_at FROM runs WHERE status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < ?)`),
      markCrashed: db.prepare(`UPDATE runs SET status = 'crashed', reason = ?, ended_at = ?, updated_at = ? WHERE id = ? AND status = 'running'`),
      stopOf: db.prepare(`SELECT source, reason FROM stop_requests WHERE run_id = ?`),
      insertStop: db.prepare(
        `INSERT INTO stop_requests(run_id, requested_at, source, reason, alert_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT(run_id) DO NOTHING`,
      ),
      addSample: db.prepare(`INSERT INTO run_samples(run_id, step, prompt, text, created_at) VALUES (?, ?, ?, ?, ?)`),
      addArtifact: db.prepare(`INSERT INTO run_artifacts(run_id, kind, step, path, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
    };
  }

  /** Creates the project if new and the run (status running) in one transaction; returns the run's name. */
  create(r: NewRun): string {
    const create = this.db.transaction(() => {
      const projectId = (this.s.project.get(r.project, r.now) as { id: number }).id;
      const name = typeof r.name === 'string' ? r.name : r.name(Number(this.s.runCount.get(projectId)) + 1);
      this.s.insert.run({ id: r.id, project_id: projectId, name, config: r.config, now: r.now, hb: r.heartbeatAt, pid: r.pid, pid_start: r.pidStart, host: r.host });
      return name;
    });
    return create.immediate();
  }

  state(runId: string): { id: string; next_step: number; status: string } | undefined {
    return this.s.state.get(runId) as { id: string; next_step: number; status: string } | undefined;
  }

  /** Merges a JSON object (text) into the run's config. */
  setConfig(runId: string, patchJson: string, now: string): void {
    this.s.setConfig.run(patchJson, now, runId);
  }

  heartbeat(runId: string, atEpochS: number): void {
    this.s.heartbeat.run(atEpochS, runId);
  }

  progress(runId: string, current: number, total: number | null, now: string): void {
    this.s.progress.run(current, total, now, runId);
  }

  /** The process that writes this run (a job's child once it started): the reaper checks it. */
  setProcess(runId: string, pid: number | null, pidStart: string | null): void {
    this.s.setProcess.run(pid, pidStart, runId);
  }

  /** Only a running (or crashed) run changes; returns whether it did. */
  finish(runId: string, status: string, end: RunEnd, now: string): boolean {
    return this.s.finish.run(status, end.exitCode ?? null, end.signal ?? null, end.reason ?? null, now, now, runId).changes > 0;
  }

  countMalformed(runId: string, n: number, lastError: string, now: string): void {
    this.s.countMalformed.run(n, lastError, now, runId);
  }

  /** What a flush changes on a run: its next step, rejected values and last warning. */
  afterFlush(runId: string, nextStep: number, rejected: number, lastWarning: string | null, now: string): void {
    this.s.afterFlush.run(nextStep, rejected, lastWarning, now, runId);
  }

  /** The same run goes on in a new process (trackio's resume): running again, no end, no stop request. */
  resume(runId: string, p: { pid: number | null; pidStart: string | null; host: string; heartbeatAt: number }, now: string): void {
    const resume = this.db.transaction(() => {
      this.s.resume.run(p.pid, p.pidStart, p.host, p.heartbeatAt, now, runId);
      this.s.clearStop.run(runId);
    });
    resume.immediate();
  }

  /** Deletes a run; its metrics, summaries, alerts, watchers, samples and artifacts go with it (ON DELETE CASCADE). */
  /** Gives a run a new name (the rules are RunsService.rename's); false when no such run. */
  rename(runId: string, name: string, now: string): boolean {
    return this.s.rename.run(name, now, runId).changes > 0;
  }

  delete(runId: string): void {
    const del = this.db.transaction(() => this.s.delete.run(runId));
    del.immediate();
  }

  /** Running runs whose last heartbeat is before this time (epoch seconds), or that never beat. */
  stale(beforeEpochS: number): Array<{ id: string; pid: number | null; pid_start: string | null; host: string | null; heartbeat_at: number | null }> {
    return this.s.stale.all(beforeEpochS) as Array<{ id: string; pid: number | null; pid_start: string | null; host: string | null; heartbeat_at: number | null }>;
  }

  /** Marks a still-running run crashed; returns whether it was still running. */
  markCrashed(runId: string, reason: string, now: string): boolean {
    return this.s.markCrashed.run(reason, now, now, runId).changes > 0;
  }

  stopOf(runId: string): { source: string; reason: string } | undefined {
    return this.s.stopOf.get(runId) as { source: string; reason: string } | undefined;
  }

  /** The first stop request wins. */
  requestStop(runId: string, at: string, source: string, reason: string, alertId: number | null): void {
    this.s.insertStop.run(runId, at, source, reason, alertId);
  }

  addSample(runId: string, step: number | null, prompt: string | null, text: string, now: string): void {
    this.s.addSample.run(runId, step, prompt, text, now);
  }

  addArtifact(runId: string, kind: string, step: number | null, path: string, dataJson: string, now: string): void {
    this.s.addArtifact.run(runId, kind, step, path, dataJson, now);
  }
}
