// The scheduler lease: one row per store that says which process schedules
// its jobs, kept alive by a heartbeat. A process takes it when it is free,
// its holder's heartbeat is older than the timeout, or its holder (on this
// host) is gone; it renews it while it schedules and releases it when it
// stops. Everyone else only reads it ("who schedules here?").
import type Database from 'better-sqlite3';
import * as os from 'node:os';
import { isSameProcess, processStartToken } from '../os/process';
import { nowIso } from '../tracking/tracker';

export const LEASE_NAME = 'scheduler';

export interface LeaseInfo {
  holder: string;
  pid: number | null;
  pid_start: string | null;
  host: string | null;
  heartbeat_at: number;
  label: string;
}

/** Who holds a lease of a store (default: the scheduler's; null: nobody ever did, or it was released). */
export function readLease(db: Database.Database, name = LEASE_NAME): LeaseInfo | null {
  const r = db.prepare(`SELECT holder, pid, pid_start, host, heartbeat_at FROM leases WHERE name = ?`).get(name) as Omit<LeaseInfo, 'label'> | undefined;
  if (!r) return null;
  return { ...r, label: r.holder.split('|')[1] ?? '' };
}

/** Whether a lease's holder renewed it within `timeoutS` (default: the scheduler's 15 s). */
export function leaseIsLive(l: LeaseInfo | null, timeoutS = 15): boolean {
  return !!l && Date.now() / 1000 - l.heartbeat_at < timeoutS;
}

export class Lease {
  /** `id|label`: who we are in the row. */
  private readonly me: string;
  private readonly stmts: {
    get: Database.Statement;
    take: Database.Statement;
    renew: Database.Statement;
    release: Database.Statement;
  };

  constructor(
    private readonly db: Database.Database,
    id: string,
    label: string,
    private readonly timeoutS: number,
    /** Which lease: the scheduler's, or another one-per-store role (the run-file follower's). */
    readonly name: string = LEASE_NAME,
  ) {
    this.me = `${id}|${label}`;
    this.stmts = {
      get: db.prepare(`SELECT holder, pid, pid_start, host, heartbeat_at FROM leases WHERE name = ?`),
      take: db.prepare(`INSERT OR REPLACE INTO leases(name, holder, pid, pid_start, host, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      renew: db.prepare(`UPDATE leases SET heartbeat_at = ? WHERE name = ? AND holder = ?`),
      release: db.prepare(`DELETE FROM leases WHERE name = ? AND holder = ?`),
    };
  }

  /** Takes the lease when it is free, expired, or held by a process of this host that is gone. */
  acquire(): boolean {
    const now = Date.now() / 1000;
    const take = this.db.transaction(() => {
      const r = this.stmts.get.get(this.name) as { holder: string; pid: number | null; pid_start: string | null; host: string | null; heartbeat_at: number } | undefined;
      const free =
        !r ||
        r.holder === this.me ||
        now - r.heartbeat_at > this.timeoutS ||
        (r.host === os.hostname() && r.pid !== null && !isSameProcess(r.pid, r.pid_start));
      if (!free) return false;
      this.stmts.take.run(this.name, this.me, process.pid, processStartToken(process.pid), os.hostname(), nowIso(), now);
      return true;
    });
    return take.immediate();
  }

  /** Heartbeat; false when another process has taken the lease meanwhile. */
  renew(): boolean {
    return this.stmts.renew.run(Date.now() / 1000, this.name, this.me).changes === 1;
  }

  release(): void {
    this.stmts.release.run(this.name, this.me);
  }

  read(): LeaseInfo | null {
    return readLease(this.db, this.name);
  }

  /** A sentence about someone else's lease, for status views. */
  static describeOther(l: LeaseInfo | null): string {
    if (!l) return 'no scheduler holds this store yet';
    const age = Math.round(Date.now() / 1000 - l.heartbeat_at);
    return `read-only: ${l.label || 'another runtime'} (pid ${l.pid} on ${l.host}) schedules jobs for this store (heartbeat ${age} s ago)`;
  }
}
