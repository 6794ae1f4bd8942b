// Crash detection: a run still marked `running` whose heartbeat is older than
// the timeout and whose process is gone (same host: the pid is dead, or was
// recycled by another process) is marked `crashed`. Runs from other hosts,
// whose pids cannot be checked, are marked after five timeouts.
import type Database from 'better-sqlite3';
import * as os from 'node:os';
import { isSameProcess } from '../jobs/proc';
import { HEARTBEAT_TIMEOUT_S, nowIso } from './tracker';

export interface ReapResult {
  crashed: string[];
}

export function reapCrashedRuns(db: Database.Database, o: { timeoutS?: number; now?: number; host?: string; skip?: Set<string> } = {}): ReapResult {
  const timeout = o.timeoutS ?? HEARTBEAT_TIMEOUT_S;
  const now = o.now ?? Date.now() / 1000;
  const host = o.host ?? os.hostname();
  const stale = db
    .prepare(`SELECT id, pid, pid_start, host, heartbeat_at FROM runs WHERE status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < ?)`)
    .all(now - timeout) as Array<{ id: string; pid: number | null; pid_start: string | null; host: string | null; heartbeat_at: number | null }>;
  const crashed: string[] = [];
  const mark = db.prepare(
    `UPDATE runs SET status = 'crashed', reason = ?, ended_at = ?, updated_at = ? WHERE id = ? AND status = 'running'`,
  );
  const alert = db.prepare(
    `INSERT INTO alerts(run_id, created_at, updated_at, level, reason, title, text, data) VALUES (?, ?, ?, 'error', 'crashed', ?, ?, ?)`,
  );
  for (const r of stale) {
    if (o.skip?.has(r.id)) continue;
    const age = r.heartbeat_at === null ? Infinity : now - r.heartbeat_at;
    let gone: boolean;
    let why: string;
    if (r.host === host || r.host === null) {
      if (r.pid === null) {
        // Nobody can say the process lives; only trust a long silence.
        gone = age > timeout * 5;
        why = `no heartbeat for ${Math.round(age)} s and no process id recorded`;
      } else {
        gone = !isSameProcess(r.pid, r.pid_start ?? undefined);
        why = `process ${r.pid} is gone and its last heartbeat was ${Math.round(age)} s ago`;
      }
    } else {
      gone = age > timeout * 5;
      why = `no heartbeat from host ${r.host} for ${Math.round(age)} s`;
    }
    if (!gone) continue;
    const t = nowIso();
    const done = db.transaction(() => {
      if (mark.run(`crashed: ${why}`, t, t, r.id).changes) {
        alert.run(r.id, t, t, 'Run crashed', `The run's ${why}.`, JSON.stringify({ pid: r.pid, host: r.host, heartbeat_age_s: Math.round(age) }));
        crashed.push(r.id);
      }
    });
    done.immediate();
  }
  return { crashed };
}
