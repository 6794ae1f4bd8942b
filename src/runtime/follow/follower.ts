// The follower: ingests the run files of unsupervised trainers (see
// runFile.ts) with the same line splitter, protocol parser and RunIngest as a
// supervised job's log, so watchers, alerts and stop requests behave the same.
// One follower per store (a lease row); the VS Code runtime runs one for as
// long as it is open, and `tunestudio follow` (started by the Python client
// when no follower lives) runs one until no run file is active.
//
// Exactly once: each file's read position (and its end record) is written by
// a Tracker commit hook, in the same transaction as the points read up to it;
// a follower killed at any moment resumes where the last commit stood.
// A trainer whose process is gone (pid + start time) without an end record is
// marked `crashed` once everything it wrote has been read.
import type Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LineSplitter } from '../ingest/lines';
import { ProtocolParser } from '../ingest/protocol';
import { LineIngest } from '../ingest/spec';
import { appendControlCommand } from '../jobs/control';
import { Lease } from '../jobs/lease';
import { LogTail } from '../jobs/logTail';
import { writeFileAtomic } from '../os/fs';
import { isSameProcess, processStartToken } from '../os/process';
import { RunIngest } from '../tracking/ingest';
import { nowIso, type Tracker } from '../tracking/tracker';
import {
  controlFileFor,
  FOLLOWER_FILE,
  isRunMetaLine,
  parseEnd,
  parseHeader,
  RUN_FILE_NAME,
  RunFileError,
  runFileDir,
  type RunFileEnd,
  type RunFileHeader,
} from './runFile';

export const FOLLOW_LEASE = 'follow';

export interface FollowerOptions {
  db: Database.Database;
  tracker: Tracker;
  storeDir: string;
  /** 'runtime' (VS Code: follows for as long as it runs) or 'cli' (`tunestudio follow`). */
  label: 'runtime' | 'cli';
  pollMs?: number;
  /** A holder that has not renewed the lease for this long is presumed gone (s). */
  leaseTimeoutS?: number;
  log?: (msg: string) => void;
  /** Called after runs changed (created, finished): the runtime notifies its views. */
  onRunsChanged?: (runIds: string[]) => void;
}

interface Followed {
  file: string;
  name: string;
  header: RunFileHeader;
  headerBytes: number;
  /** Bytes read so far (the splitter may hold the start of an unterminated line). */
  offset: number;
  /** The same file follower as a job's output log. */
  tail: LogTail;
  savedOffset: number;
  splitter: LineSplitter;
  lines: LineIngest;
  ingest: RunIngest;
  /** Read and awaiting its commit (then the run is settled). */
  end: RunFileEnd | null;
  savedEnd: string | null;
  stopWritten: boolean;
  lastBeat: number;
  lastStopCheck: number;
}

export class Follower {
  private readonly dir: string;
  private readonly files = new Map<string, Followed>();
  /** Files that cannot be followed (bad header): named once in the log, left on disk. */
  private readonly refused = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private watcher: fs.FSWatcher | null = null;
  private holder = false;
  private lastRenew = 0;
  private busy = false;
  private readonly lease: Lease;
  private readonly leaseTimeoutS: number;
  private readonly unhook: () => void;
  private readonly saveOffset: Database.Statement;

  constructor(private readonly o: FollowerOptions) {
    this.dir = runFileDir(o.storeDir);
    this.leaseTimeoutS = o.leaseTimeoutS ?? 15;
    this.lease = new Lease(o.db, `${process.pid}@${os.hostname()}`, o.label, this.leaseTimeoutS, FOLLOW_LEASE);
    this.saveOffset = o.db.prepare(`UPDATE run_files SET offset = ?, ended = ?, updated_at = ? WHERE file = ?`);
    // Runs inside every flush of the tracker, after its points: positions commit with them.
    this.unhook = o.tracker.onCommit(() => {
      for (const f of this.files.values()) {
        const offset = f.offset - f.splitter.pendingBytes;
        const ended = f.end ? JSON.stringify(f.end) : null;
        if (offset === f.savedOffset && ended === f.savedEnd) continue;
        this.saveOffset.run(offset, ended, nowIso(), f.name);
        f.savedOffset = offset;
        f.savedEnd = ended;
      }
    });
  }

  get isHolder(): boolean {
    return this.holder;
  }

  /** Run files waiting or being followed (whoever follows them). */
  activeFiles(): string[] {
    try {
      return fs
        .readdirSync(this.dir)
        .filter((n) => RUN_FILE_NAME.test(n))
        .map((n) => path.join(this.dir, n));
    } catch {
      return [];
    }
  }

  start(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    this.timer = setInterval(() => this.tick(), this.o.pollMs ?? 200);
    try {
      this.watcher = fs.watch(this.dir, () => this.tick());
      this.watcher.on('error', () => undefined);
    } catch {
      /* polling alone */
    }
    this.tick();
  }

  /** Stops following; positions already committed stay; the lease is released. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
    try {
      this.o.tracker.flush();
    } catch {
      /* kept in memory until the process ends: the next follower re-reads from the last commit */
    }
    this.unhook();
    this.release();
  }

  /** One pass: take or renew the lease, then read every run file. Public for tests and the CLI loop. */
  tick(): void {
    if (this.busy) return;
    this.busy = true;
    try {
      if (!this.leaseOk()) return;
      const seen = new Set<string>();
      for (const file of this.activeFiles()) {
        seen.add(file);
        if (this.refused.has(file)) continue;
        try {
          this.step(file);
        } catch (e) {
          this.log(`cannot follow ${file}: ${(e as Error).message}`);
        }
      }
      for (const [file, f] of this.files) if (!seen.has(file)) this.files.delete(f.file);
    } finally {
      this.busy = false;
    }
  }

  // ------------------------------------------------------------------ lease

  private leaseOk(): boolean {
    const now = Date.now();
    if (this.holder && now - this.lastRenew < 1000) return true;
    // acquire() renews our own row too, and takes one whose holder stopped beating or is gone.
    const got = this.lease.acquire();
    if (got && !this.holder) this.writeFollowerFile();
    if (!got && this.holder) this.files.clear();
    this.holder = got;
    this.lastRenew = now;
    return got;
  }

  /** Who holds the lease now, or null (for `tunestudio follow` deciding whether to wait). */
  leaseHolder(): { label: string; alive: boolean } | null {
    const r = this.lease.read();
    if (!r) return null;
    const alive = Date.now() / 1000 - r.heartbeat_at <= this.leaseTimeoutS && (r.host !== os.hostname() || r.pid === null || isSameProcess(r.pid, r.pid_start));
    return { label: r.label, alive };
  }

  private writeFollowerFile(): void {
    try {
      writeFileAtomic(path.join(this.dir, FOLLOWER_FILE), JSON.stringify({ pid: process.pid, pid_start: processStartToken(process.pid), label: this.o.label }));
    } catch (e) {
      this.log(`cannot write ${FOLLOWER_FILE}: ${(e as Error).message}`);
    }
  }

  /**
   * Gives up the lease. The follower file goes first: a client that finds no
   * follower file starts a follower, and one that found it wrote its run file
   * before looking, so the caller's last scan (after this) sees that file.
   */
  release(): void {
    if (!this.holder) return;
    const own = path.join(this.dir, FOLLOWER_FILE);
    try {
      const cur = JSON.parse(fs.readFileSync(own, 'utf8')) as { pid?: number };
      if (cur.pid === process.pid) fs.rmSync(own, { force: true });
    } catch {
      /* already gone */
    }
    try {
      this.lease.release();
    } catch {
      /* the lease times out */
    }
    this.holder = false;
    this.files.clear();
  }

  // ------------------------------------------------------------------ files

  private step(file: string): void {
    let f = this.files.get(file);
    if (!f) {
      const opened = this.open(file);
      if (!opened) return;
      f = opened;
    }
    // Liveness first, then read: whatever a dead process wrote is read before it is judged.
    const alive = f.header.pid === null ? true : isSameProcess(f.header.pid, f.header.pid_start);
    this.read(f);
    const now = Date.now();
    if (f.end) {
      // The end record must be committed (with every point before it) before the run is settled.
      this.o.tracker.flush();
      this.settle(f, f.end);
      return;
    }
    if (!alive) {
      this.read(f);
      this.o.tracker.batch(() => this.consume(f!, f!.splitter.flush()));
      if (f.end) {
        this.o.tracker.flush();
        this.settle(f, f.end);
        return;
      }
      this.o.tracker.flush();
      this.crashed(f);
      return;
    }
    if (now - f.lastBeat >= 5000) {
      f.lastBeat = now;
      this.o.tracker.heartbeat(f.header.run_id);
      f.ingest.flushCounters();
    }
    if (!f.stopWritten && now - f.lastStopCheck >= 200) {
      f.lastStopCheck = now;
      const stop = this.o.tracker.stopRequested(f.header.run_id);
      if (stop) {
        appendControlCommand(controlFileFor(file), 'stop', stop.reason);
        f.stopWritten = true;
      }
    }
  }

  /** Reads the header, creates (or resumes) the run, and restores the committed position. */
  private open(file: string): Followed | null {
    const name = path.basename(file);
    const row = this.o.db.prepare(`SELECT run_id, offset, ended, state FROM run_files WHERE file = ?`).get(name) as
      | { run_id: string; offset: number; ended: string | null; state: string }
      | undefined;
    if (row?.state === 'done') {
      this.cleanup(file, name);
      return null;
    }
    let first: { line: string; bytes: number } | null;
    let header: RunFileHeader;
    try {
      first = readFirstLine(file);
      if (first === null) return null; // the header is still being written
      header = parseHeader(first.line, file);
    } catch (e) {
      if (!(e instanceof RunFileError)) throw e;
      this.refused.add(file);
      this.log(`${e.message}; the file is left as it is and not followed`);
      return null;
    }
    if (!row) {
      this.ensureRun(header);
      this.o.db.prepare(`INSERT OR IGNORE INTO run_files(file, run_id, offset, updated_at) VALUES (?, ?, ?, ?)`).run(name, header.run_id, first.bytes, nowIso());
      this.o.onRunsChanged?.([header.run_id]);
    }
    const offset = Math.max(row?.offset ?? 0, first.bytes);
    const f: Followed = {
      file,
      name,
      header,
      headerBytes: first.bytes,
      offset,
      tail: new LogTail(file, { offset }),
      savedOffset: row?.offset ?? first.bytes,
      splitter: new LineSplitter(),
      lines: new LineIngest([new ProtocolParser()]),
      ingest: new RunIngest(this.o.tracker, header.run_id),
      end: row?.ended ? (JSON.parse(row.ended) as RunFileEnd) : null,
      savedEnd: row?.ended ?? null,
      stopWritten: false,
      lastBeat: 0,
      lastStopCheck: 0,
    };
    this.files.set(file, f);
    return f;
  }

  private ensureRun(h: RunFileHeader): void {
    const exists = this.o.tracker.runExists(h.run_id);
    const config = h.group && h.config.group === undefined ? { ...h.config, group: h.group } : h.config;
    if (!exists) {
      this.o.tracker.createRun({ id: h.run_id, project: h.project, name: h.name, config, pid: h.pid, pidStart: h.pid_start, host: h.host ?? undefined });
      return;
    }
    if (!h.resume) return; // the same file read again after a restart: the run is there already
    // trackio's resume: the same run goes on in a new process (its end and stop request cleared).
    this.o.tracker.resumeRun(h.run_id, { pid: h.pid, pidStart: h.pid_start, host: h.host ?? os.hostname() });
    if (Object.keys(h.config).length) this.o.tracker.setConfig(h.run_id, h.config);
  }

  private read(f: Followed): void {
    if (f.end) return;
    try {
      f.tail.read((chunk) => {
        f.offset = f.tail.offset;
        // Nothing after the end record counts; one batch per chunk: a flush then stands at a chunk boundary, where the position is exact.
        if (!f.end) this.o.tracker.batch(() => this.consume(f, f.splitter.push(chunk)));
      });
    } finally {
      f.tail.close(); // a run file is removed once settled: hold no descriptor between reads
    }
  }

  private consume(f: Followed, pieces: Array<{ text: string; final: boolean }>): void {
    for (const p of pieces) {
      if (f.end) break; // nothing after the end record counts
      if (p.final && isRunMetaLine(p.text)) {
        const end = parseEnd(p.text);
        if (end) f.end = end;
        continue;
      }
      for (const e of f.lines.line(p.text, p.final)) {
        try {
          f.ingest.handle(e);
        } catch (err) {
          this.log(`run ${f.header.run_id}: could not record ${e.type}: ${(err as Error).message}`);
        }
      }
    }
  }

  private settle(f: Followed, end: RunFileEnd): void {
    f.ingest.flushCounters();
    const stop = this.o.tracker.stopRequested(f.header.run_id);
    const status = end.status === 'finished' && stop ? 'stopped' : end.status;
    const reason = status === 'stopped' && stop && !end.reason ? `stopped: ${stop.reason}` : end.reason ?? null;
    this.o.tracker.finishRun(f.header.run_id, status, { exitCode: end.exit_code ?? null, signal: end.signal ?? null, reason });
    this.done(f);
  }

  private crashed(f: Followed): void {
    f.ingest.flushCounters();
    const why = `process ${f.header.pid} ended without finish() or an exit record (killed with SIGKILL, or out of memory)`;
    this.o.tracker.alert(f.header.run_id, { title: 'Run crashed', text: `The run's ${why}.`, level: 'error', reason: 'crashed', data: { pid: f.header.pid, host: f.header.host } });
    this.o.tracker.finishRun(f.header.run_id, 'crashed', { reason: `crashed: ${why}` });
    this.done(f);
  }

  private done(f: Followed): void {
    this.o.db.prepare(`UPDATE run_files SET state = 'done', updated_at = ? WHERE file = ?`).run(nowIso(), f.name);
    this.files.delete(f.file);
    this.cleanup(f.file, f.name);
    this.o.onRunsChanged?.([f.header.run_id]);
  }

  /** A settled file goes away (its row last: a crash in between only repeats the cleanup). */
  private cleanup(file: string, name: string): void {
    fs.rmSync(controlFileFor(file), { force: true });
    fs.rmSync(file, { force: true });
    this.o.db.prepare(`DELETE FROM run_files WHERE file = ? AND state = 'done'`).run(name);
  }

  private log(msg: string): void {
    this.o.log?.(msg);
  }
}

/** The first line of a file and its length in bytes with the newline, or null while it is incomplete. */
function readFirstLine(file: string): { line: string; bytes: number } | null {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const nl = buf.subarray(0, n).indexOf(0x0a);
    if (nl < 0) {
      if (n === buf.length) throw new RunFileError(`run file ${file}: the header line is longer than 1 MiB`);
      return null;
    }
    return { line: buf.toString('utf8', 0, nl).replace(/\r$/, ''), bytes: nl + 1 };
  } finally {
    fs.closeSync(fd);
  }
}
