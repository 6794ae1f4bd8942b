// Crash detection: a run still marked `running` whose heartbeat is older than
// the timeout and whose process is gone (same host: the pid is dead, or was
// recycled by another process) is marked `crashed`. Runs from other hosts,
// whose pids cannot be checked, are marked after five timeouts.
import type Database from 'better-sqlite3';
import * as os from 'node:os';
import { SqliteTrackingStore, type TrackingStore } from '../store/tracking';
import { isSameProcess } from '../os/process';
import { HEARTBEAT_TIMEOUT_S, nowIso } from './tracker';

export interface ReapResult {
  crashed: string[];
}

/** `store`: the tracking store (the runtime passes its own, prepared once), or a connection to make one on. */
export function reapCrashedRuns(
  store: TrackingStore | Database.Database,
  o: { timeoutS?: number; now?: number; host?: string; skip?: Set<string> } = {},
): ReapResult {
  const st: TrackingStore = 'runs' in store && 'write' in store ? store : new SqliteTrackingStore(store as Database.Database);
  const timeout = o.timeoutS ?? HEARTBEAT_TIMEOUT_S;
  const now = o.now ?? Date.now() / 1000;
  const host = o.host ?? os.hostname();
  const stale = st.runs.stale(now - timeout);
  const crashed: string[] = [];
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
    st.write(() => {
      // The reason never repeats the status word (shown as "crashed: <reason>").
      if (st.runs.markCrashed(r.id, why, t)) {
        st.alerts.insert({
          runId: r.id,
          now: t,
          level: 'error',
          reason: 'crashed',
          title: 'Run crashed',
          text: `The run's ${why}.`,
          metric: null,
          step: null,
          dataJson: JSON.stringify({ pid: r.pid, host: r.host, heartbeat_age_s: Math.round(age) }),
          watcherId: null,
        });
        crashed.push(r.id);
      }
    });
  }
  return { crashed };
}
