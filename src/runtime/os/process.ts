// Process facts from Linux /proc (the OS layer: used by job supervision, the
// crash reaper, dataset locks and the SDK): a process's start time
// (so a recycled pid is never mistaken for our job), the members of a process
// group and of a process tree, killing a group and waiting until it is empty,
// and CPU / memory of a tree. Elsewhere (macOS, Windows) the functions degrade:
// start tokens are null, liveness falls back to signal 0, trees are unknown.
import * as fs from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R running, S sleeping, D disk sleep, Z zombie, T stopped, X dead, ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** CPU time in clock ticks (USER_HZ): user, system, and of waited-for children. */
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  /** Start time in clock ticks after boot (field 22). */
  starttime: number;
}

const HAS_PROC = process.platform === 'linux' && fs.existsSync('/proc/self/stat');
/** USER_HZ: the unit of /proc CPU times; 100 on every Linux a trainer runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Parses the text of /proc/<pid>/stat. The command name (field 2) is in
 * parentheses and may itself contain spaces and parentheses, so the fields
 * after it are found from the LAST ')'.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const f = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // f[0] is field 3 (state); field n is f[n - 3].
  if (f.length < 20 || !Number.isInteger(pid)) return null;
  const num = (n: number) => Number(f[n - 3]);
  const st: ProcStat = {
    pid,
    comm: text.slice(open + 1, close),
    state: f[0],
    ppid: num(4),
    pgrp: num(5),
    session: num(6),
    utime: num(14),
    stime: num(15),
    cutime: num(16),
    cstime: num(17),
    starttime: num(22),
  };
  for (const k of ['ppid', 'pgrp', 'utime', 'stime', 'starttime'] as const) if (!Number.isFinite(st[k])) return null;
  return st;
}

export function readProcStat(pid: number): ProcStat | null {
  if (!HAS_PROC || !Number.isInteger(pid) || pid <= 0) return null;
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

let bootId: string | null | undefined;
function readBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().slice(0, 8) || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/**
 * An opaque token naming one process: `<boot id>:<start ticks>` on Linux
 * (a recycled pid, even after a reboot, gets another token). Null when the
 * process does not exist or the platform has no /proc. Store it beside the pid.
 */
export function processStartToken(pid: number): string | null {
  const st = readProcStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return null;
  const boot = readBootId();
  return boot ? `${boot}:${st.starttime}` : String(st.starttime);
}

/** Alive by signal 0 (EPERM: it exists but belongs to someone else). Zombies count as alive here. */
export function pidExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Is `pid` still the process we recorded? It must be alive (not a zombie) and,
 * when a start token was recorded and /proc can tell, have the same one. With
 * no token (or no /proc) only liveness can be checked.
 */
export function isSameProcess(pid: number, startToken?: string | null): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (HAS_PROC) {
    const now = processStartToken(pid);
    if (now === null) return false;
    return startToken ? now === startToken : true;
  }
  return pidExists(pid);
}

/** Every process in /proc (Linux); [] elsewhere. */
export function listProcesses(): ProcStat[] {
  if (!HAS_PROC) return [];
  const out: ProcStat[] = [];
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readProcStat(Number(name));
    if (st) out.push(st);
  }
  return out;
}

const dead = (st: ProcStat) => st.state === 'Z' || st.state === 'X';

/** Live (non-zombie) members of a process group. Linux only; [] elsewhere. */
export function groupMembers(pgid: number): number[] {
  return listProcesses()
    .filter((st) => st.pgrp === pgid && !dead(st))
    .map((st) => st.pid);
}

/** Live descendants of pid (children, grandchildren, ...), not pid itself. Linux only. */
export function descendants(pid: number, all: ProcStat[] = listProcesses()): number[] {
  const children = new Map<number, number[]>();
  for (const st of all) {
    if (dead(st)) continue;
    const list = children.get(st.ppid);
    if (list) list.push(st.pid);
    else children.set(st.ppid, [st.pid]);
  }
  const out: number[] = [];
  const stack = [pid];
  const seen = new Set<number>([pid]);
  while (stack.length > 0) {
    for (const c of children.get(stack.pop()!) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

function ownGroup(): number | null {
  return readProcStat(process.pid)?.pgrp ?? null;
}

/**
 * Sends `signal` to every process of group `pgid` (process.kill(-pgid)).
 * Returns false when the group no longer exists. Refuses pgid ≤ 1 and our own
 * group: kill(-1) would signal every process we may signal, and our own group
 * would take the runtime down with the job.
 */
export function killProcessGroup(pgid: number, signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new RangeError(`refusing to signal process group ${pgid}: not a job's group`);
  const own = HAS_PROC ? ownGroup() : null;
  if (pgid === own || (!HAS_PROC && pgid === process.pid)) {
    throw new RangeError(`refusing to signal process group ${pgid}: it is the runtime's own group (start jobs with detached: true)`);
  }
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** True while the group has a member that is not a zombie. */
export function groupAlive(pgid: number): boolean {
  if (HAS_PROC) return groupMembers(pgid).length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until no live process is left in the group, checking every `intervalMs`. Returns whether it emptied before `timeoutMs`. */
export async function waitForGroupExit(pgid: number, opts: { timeoutMs: number; intervalMs?: number }): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 50;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(1, deadline - Date.now()))));
  }
}

/**
 * The usual stop: SIGTERM to the group, up to `graceMs` for it to exit, then
 * SIGKILL and up to `killWaitMs` more. Says which signal ended it and whether
 * the group is empty.
 */
export async function stopProcessGroup(
  pgid: number,
  opts: { graceMs: number; killWaitMs?: number; intervalMs?: number },
): Promise<{ signal: 'SIGTERM' | 'SIGKILL' | null; emptied: boolean }> {
  // Zombies (exited, not yet reaped) still receive signals: ask about live members.
  if (!groupAlive(pgid) || !killProcessGroup(pgid, 'SIGTERM')) return { signal: null, emptied: true };
  if (await waitForGroupExit(pgid, { timeoutMs: opts.graceMs, intervalMs: opts.intervalMs })) return { signal: 'SIGTERM', emptied: true };
  killProcessGroup(pgid, 'SIGKILL');
  const emptied = await waitForGroupExit(pgid, { timeoutMs: opts.killWaitMs ?? 5000, intervalMs: opts.intervalMs });
  return { signal: 'SIGKILL', emptied };
}

/** Resident memory of one process in bytes (VmRSS), or null. */
export function rssBytes(pid: number): number | null {
  if (!HAS_PROC) return null;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0; // kernel threads and zombies have no VmRSS
  } catch {
    return null;
  }
}

export interface TreeUsage {
  /** Live pids of the tree (root first). */
  pids: number[];
  /** CPU use since the previous sample, in percent of one core (200 = two cores busy); null on the first sample. */
  cpuPercent: number | null;
  /** Sum of the members' resident memory. */
  rssBytes: number;
  /** Total CPU seconds the tree's live members (and their reaped children) have used. */
  cpuSeconds: number;
}

/**
 * Samples CPU and memory of a process tree (a job and everything it started).
 * CPU % is the growth of utime+stime (and of reaped children's times) between
 * two samples, per member, over the wall time between them.
 */
export class ProcessTreeSampler {
  private prev = new Map<string, number>();
  private prevAt: number | null = null;

  constructor(readonly rootPid: number) {}

  sample(now = performance.now()): TreeUsage | null {
    if (!HAS_PROC) return null;
    const all = listProcesses();
    const root = all.find((s) => s.pid === this.rootPid);
    if (!root || dead(root)) return null;
    const pids = [this.rootPid, ...descendants(this.rootPid, all)];
    const byPid = new Map(all.map((s) => [s.pid, s]));
    const next = new Map<string, number>();
    let delta = 0;
    let total = 0;
    let rss = 0;
    for (const pid of pids) {
      const st = byPid.get(pid);
      if (!st) continue;
      const ticks = st.utime + st.stime + st.cutime + st.cstime;
      const key = `${pid}:${st.starttime}`;
      next.set(key, ticks);
      total += ticks;
      const before = this.prev.get(key);
      delta += before === undefined ? ticks : Math.max(0, ticks - before);
      rss += rssBytes(pid) ?? 0;
    }
    let cpuPercent: number | null = null;
    if (this.prevAt !== null && now > this.prevAt) {
      cpuPercent = Math.max(0, ((delta / CLOCK_TICKS_PER_SECOND) * 1000 * 100) / (now - this.prevAt));
    }
    this.prev = next;
    this.prevAt = now;
    return { pids, cpuPercent, rssBytes: rss, cpuSeconds: total / CLOCK_TICKS_PER_SECOND };
  }
}
