// Supervises one job process: starts it (through the launcher, in its own
// process group, output to the job's log file — never a pipe), follows that
// file (LogTail) for lines, feeds parsers and the run, writes the collapsed
// log, watches heartbeats (output, metrics, progress.json), detects stalls,
// honours stop requests, ends the job through Termination (control → SIGTERM
// → SIGKILL), and decides the outcome truthfully from the recorded exit.
// A job on another backend (Slurm) is the same code with a RemoteProcess:
// liveness and signals come from it instead of a local pid, and its final
// state (a time limit, a node failure) is taken over the launcher's record.
// Adopting a job after a runtime restart is the same code path: it follows
// the file from where it stopped. One job into one run (create, watchers,
// offsets committed with the points, settle) is JobRunner's, above this.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JOB_ENV, type ControlCommandName } from '../../protocol/control';
import { FrameCollapser, LineSplitter, type LinePiece } from '../ingest/lines';
import { LineIngest } from '../ingest/spec';
import type { TfeventsTailer } from '../ingest/tfevents';
import type { IngestEvent, LineParser } from '../ingest/types';
import { groupAlive, isSameProcess, killProcessGroup, processStartToken, ProcessTreeSampler } from '../os/process';
import { RunIngest } from '../tracking/ingest';
import type { Tracker } from '../tracking/tracker';
import { appendControlCommand } from './control';
import { ProtocolLineFilter } from './echo';
import { LogTail } from './logTail';
import { Termination } from './termination';

export type JobOutcomeState = 'completed' | 'failed' | 'cancelled' | 'stopped';

export interface JobOutcome {
  state: JobOutcomeState;
  exitCode: number | null;
  signal: string | null;
  reason: string | null;
  errorSummary: string | null;
}

export interface SupervisedCommand {
  argv: string[];
  cwd: string;
  env?: Record<string, string>;
  stallTimeoutS?: number;
  graceS?: number;
}

export interface SupervisorOptions {
  command: SupervisedCommand;
  jobDir: string;
  jobId?: string;
  runId: string;
  tracker: Tracker;
  parsers: LineParser[];
  tailers?: TfeventsTailer[];
  /**
   * Keep the command's stderr apart from its stdout (stderr.log beside
   * output.log), e.g. so `tunestudio run` can pass each through to its own.
   * Both are read into the run. Default: both go to output.log.
   */
  splitStderr?: boolean;
  /** Where the output is (default: output.log and stderr.log in jobDir); for following files another process writes. */
  output?: { stdout: string; stderr?: string };
  /** Typed callbacks for what the supervisor learns as it goes. */
  on?: SupervisorCallbacks;
  /** The launcher script (dist/launcher.js); only needed to start a process. */
  launcher?: string;
  /** The Node that runs the launcher. */
  nodePath?: string;
  /** How often the log is read when no file event woke us (ms). */
  pollMs?: number;
  /**
   * Take over a running process instead of starting one: its pid and start
   * token (so a recycled pid is never taken for it) and the committed byte
   * offsets to resume each output file at (nothing read twice).
   */
  adopt?: { pid: number; startToken: string | null; offset: number; stderrOffset?: number };
  log?: (msg: string) => void;
  /** Sample CPU/memory of the process tree every this many ms (0: never). */
  resourceIntervalMs?: number;
  /** The job runs elsewhere (Slurm): follow its files, ask this for liveness and signals. */
  remote?: RemoteProcess;
}

export interface SupervisorCallbacks {
  /** A progress frame or progress.json update. */
  onProgress?(p: { current: number; total: number | undefined }): void;
  /** A status text (protocol `status`, progress.json `status`). */
  onStatus?(text: string): void;
  /**
   * Output as it is read, per stream, byte for byte, with the `@tunestudio`
   * protocol lines left out (they are the program talking to us, not to
   * its user): what `tunestudio run` passes through.
   */
  onOutput?(stream: OutputStreamName, chunk: Buffer): void;
}

export type OutputStreamName = 'stdout' | 'stderr';

/** A job process this machine cannot see (a Slurm job): what the supervisor needs of it. */
export interface RemoteProcess {
  /** queued: waiting for resources (no stall detection); ended: gone for good. */
  phase(): 'queued' | 'running' | 'ended';
  /** SIGTERM: ask the batch step to end (the launcher turns it into a control stop); SIGKILL: end it. */
  signal(sig: 'SIGTERM' | 'SIGKILL'): void;
  /** Once ended: what the backend says about how (null: nothing beyond the launcher's record). */
  outcome(): { state: JobOutcomeState; reason: string | null; exitCode: number | null } | null;
}

export const FILES = {
  output: 'output.log',
  stderr: 'stderr.log',
  log: 'log.txt',
  control: 'control.json',
  progress: 'progress.json',
  exit: 'exit.json',
} as const;

/** Lines from the end of a log that explain a failure: the last Python traceback, or the last error-looking lines. */
export function errorSummary(lines: string[], max = 20): string | null {
  const tb = lines.map((l) => l.startsWith('Traceback (most recent call last)')).lastIndexOf(true);
  if (tb >= 0) return lines.slice(tb, tb + 60).slice(-max).join('\n').slice(-4000);
  const idx = lines.map((l) => /\b(error|exception|fatal|panic|killed|out of memory|oom)\b/i.test(l)).lastIndexOf(true);
  if (idx >= 0) return lines.slice(Math.max(0, idx - 5), idx + 5).join('\n').slice(-4000);
  const tail = lines.filter((l) => l.trim()).slice(-5);
  return tail.length ? tail.join('\n').slice(-4000) : null;
}

interface OutputStream {
  name: OutputStreamName;
  tail: LogTail;
  splitter: LineSplitter;
  collapser: FrameCollapser;
  /** Only when someone listens to onOutput. */
  echo: ProtocolLineFilter | null;
}

export class Supervisor {
  readonly jobDir: string;
  readonly files: Record<keyof typeof FILES, string>;
  pid: number | null = null;
  startToken: string | null = null;
  progress: { current: number; total: number | undefined } | null = null;
  statusText: string | null = null;
  readonly done: Promise<JobOutcome>;

  private resolveDone!: (o: JobOutcome) => void;
  private child: ChildProcess | null = null;
  private childExit: { code: number | null; signal: string | null } | null = null;
  private readonly streams: OutputStream[];
  private readonly ingest: RunIngest;
  /** Runs each line through the job's parsers; the first that claims a line wins. One for all streams: HF's bar on stderr gives the step of its dicts on stdout. */
  private readonly lines: LineIngest;
  private readonly tail: string[] = [];
  private readonly termination: Termination;
  private timer: NodeJS.Timeout | null = null;
  private watcher: fs.FSWatcher | null = null;
  private lastBeat = Date.now();
  private lastHeartbeatWrite = 0;
  private lastStopCheck = 0;
  private lastProgressMtime = 0;
  private finished = false;
  private reading = false;
  private sampler: { s: ProcessTreeSampler; at: number } | null = null;
  /**
   * Remote jobs: a later attempt of the same job (Slurm requeued it, or ran it
   * twice after a controller crash) appends to the same output; its steps
   * below this floor are already in the run and are dropped (counted, said).
   */
  private attemptFloor: number | null = null;
  private replayedDropped = 0;

  constructor(private readonly o: SupervisorOptions) {
    this.jobDir = o.jobDir;
    fs.mkdirSync(this.jobDir, { recursive: true });
    this.files = Object.fromEntries(Object.entries(FILES).map(([k, v]) => [k, path.join(this.jobDir, v)])) as Record<keyof typeof FILES, string>;
    if (o.output) {
      this.files.output = o.output.stdout;
      if (o.output.stderr) this.files.stderr = o.output.stderr;
    }
    const stream = (name: OutputStreamName, file: string, offset: number): OutputStream => ({
      name,
      tail: new LogTail(file, { offset }),
      splitter: new LineSplitter(),
      collapser: new FrameCollapser(),
      echo: o.on?.onOutput ? new ProtocolLineFilter() : null,
    });
    this.streams = [stream('stdout', this.files.output, o.adopt?.offset ?? 0)];
    if (o.splitStderr || o.output?.stderr) this.streams.push(stream('stderr', this.files.stderr, o.adopt?.stderrOffset ?? 0));
    this.ingest = new RunIngest(o.tracker, o.runId);
    // Embedding snapshot files sit beside the log.
    this.ingest.embeddingDir = path.dirname(this.files.output);
    this.lines = new LineIngest(o.parsers);
    this.ingest.onProgress = (current, total) => {
      this.progress = { current, total };
      this.o.on?.onProgress?.(this.progress);
    };
    this.ingest.onStatus = (t) => {
      this.statusText = t;
      this.o.on?.onStatus?.(t);
    };
    this.termination = new Termination(this.graceMs, {
      askToStop: (reason) => this.control('stop', reason),
      signal: (sig) => this.signalGroup(sig),
    });
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  private get stallMs(): number {
    return (this.o.command.stallTimeoutS ?? 600) * 1000;
  }
  private get graceMs(): number {
    return (this.o.command.graceS ?? 10) * 1000;
  }

  /** Bytes of output.log (the command's stdout, or all its output) read so far. */
  get offset(): number {
    return this.streams[0].tail.offset;
  }

  /** Where each TensorBoard tailer has handed out events to (saved for a later supervisor). */
  tailerOffsets(): Array<Record<string, number>> {
    return (this.o.tailers ?? []).map((t) => t.deliveredOffsets());
  }

  /** Where a later supervisor should resume reading output.log: the end of the last complete line. */
  get resumeOffset(): number {
    return this.resumeOffsets.stdout;
  }

  /** The same, per output file (stderr only when it is kept apart). */
  get resumeOffsets(): { stdout: number; stderr?: number } {
    const at = (s: OutputStream) => s.tail.offset - s.splitter.pendingBytes;
    return { stdout: at(this.streams[0]), ...(this.streams[1] ? { stderr: at(this.streams[1]) } : {}) };
  }

  /** Starts (or adopts) the process and the supervision loop. */
  start(): { pid: number | null; startToken: string | null } {
    if (this.o.remote) {
      this.lastBeat = Date.now();
    } else if (this.o.adopt) {
      this.pid = this.o.adopt.pid;
      this.startToken = this.o.adopt.startToken;
      this.lastBeat = Date.now();
    } else {
      this.spawn();
    }
    if ((this.o.resourceIntervalMs ?? 10_000) > 0 && this.pid) this.sampler = { s: new ProcessTreeSampler(this.pid), at: 0 };
    try {
      this.watcher = fs.watch(this.jobDir, () => this.tick());
      this.watcher.on('error', () => undefined);
    } catch {
      /* polling alone */
    }
    this.timer = setInterval(() => this.tick(), this.o.pollMs ?? 200);
    // Each poll's events as one batch, like output chunks: a flush never splits them from their offsets.
    for (const t of this.o.tailers ?? []) t.start((events) => this.o.tracker.batch(() => this.handleEvents(events)), { intervalMs: 1000 });
    this.tick();
    return { pid: this.pid, startToken: this.startToken };
  }

  private spawn(): void {
    const c = this.o.command;
    if (!c.argv.length) throw new Error('the job has no command to run');
    if (!this.o.launcher) throw new Error('no launcher given: a supervisor can only start a command through dist/launcher.js');
    fs.rmSync(this.files.exit, { force: true });
    const out = fs.openSync(this.files.output, 'a');
    let err = out;
    try {
      if (this.streams[1]) err = fs.openSync(this.files.stderr, 'a');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        // Python buffers stdout when it is not a terminal; a log file needs lines as they come.
        PYTHONUNBUFFERED: '1',
        ...c.env,
        [JOB_ENV.supervised]: '1',
        [JOB_ENV.runId]: this.o.runId,
        [JOB_ENV.jobDir]: this.jobDir,
        [JOB_ENV.control]: this.files.control,
        [JOB_ENV.progress]: this.files.progress,
        ...(this.o.jobId ? { [JOB_ENV.jobId]: this.o.jobId } : {}),
      };
      delete env.ELECTRON_RUN_AS_NODE;
      this.child = spawn(this.o.nodePath ?? process.execPath, [this.o.launcher, this.files.exit, '--', ...c.argv], {
        cwd: c.cwd,
        env,
        detached: true,
        stdio: ['pipe', out, err],
        windowsHide: true,
      });
    } finally {
      fs.closeSync(out);
      if (err !== out) fs.closeSync(err);
    }
    this.child.stdin?.on('error', () => undefined);
    this.child.on('exit', (code, signal) => {
      this.childExit = { code, signal };
      this.tick();
    });
    this.child.on('error', (e) => {
      this.childExit = { code: 127, signal: null };
      this.log(`cannot start the launcher: ${e.message}`);
      this.tick();
    });
    this.pid = this.child.pid ?? null;
    if (!this.pid) throw new Error(`could not start '${c.argv[0]}'`);
    this.startToken = processStartToken(this.pid);
    this.lastBeat = Date.now();
  }

  private log(msg: string): void {
    this.o.log?.(msg);
  }

  /** Sends a control command (control.json, and stdin when we started the process). */
  control(cmd: ControlCommandName, reason?: string): void {
    const c = appendControlCommand(this.files.control, cmd, reason);
    try {
      this.child?.stdin?.write(JSON.stringify(c) + '\n');
    } catch {
      /* stdin closed: the file carries it */
    }
  }

  /** A user cancel: control stop, then SIGTERM after the grace period, then SIGKILL. Ends `cancelled`. */
  cancel(reason = 'cancelled by the user'): void {
    if (this.finished) return;
    if (this.termination.begin('cancel', reason)) this.tick();
  }

  private signalGroup(sig: 'SIGTERM' | 'SIGKILL'): void {
    if (this.o.remote) {
      if (this.o.remote.phase() !== 'ended') this.o.remote.signal(sig);
      return;
    }
    if (!this.pid || !this.alive()) return;
    try {
      killProcessGroup(this.pid, sig);
    } catch (e) {
      this.log(`cannot signal job group ${this.pid}: ${(e as Error).message}`);
    }
  }

  private alive(): boolean {
    if (this.o.remote) return this.o.remote.phase() !== 'ended';
    if (!this.pid) return false;
    if (this.child) return this.childExit === null;
    return isSameProcess(this.pid, this.startToken);
  }

  private tick(): void {
    if (this.finished || this.reading) return;
    this.reading = true;
    try {
      this.readNew();
      this.checkProgressFile();
      const now = Date.now();
      if (now - this.lastHeartbeatWrite > 5000) {
        this.lastHeartbeatWrite = now;
        this.o.tracker.heartbeat(this.o.runId);
        this.ingest.flushCounters();
      }
      if (this.sampler && now - this.sampler.at >= (this.o.resourceIntervalMs ?? 10_000)) this.sampleResources(now);
      if (!this.termination.requested && now - this.lastStopCheck > 500) {
        this.lastStopCheck = now;
        const stop = this.o.tracker.stopRequested(this.o.runId);
        if (stop) this.termination.begin('stop', stop.reason, now);
      }
      // Waiting in a Slurm queue is not a stall.
      if (this.o.remote?.phase() === 'queued') this.lastBeat = now;
      if (!this.termination.requested && now - this.lastBeat > this.stallMs && this.alive()) this.stalled(now);
      if (this.alive()) this.termination.tick(now);
      else void this.finish();
    } catch (e) {
      this.log(`supervision error: ${(e as Error).stack ?? e}`);
    } finally {
      this.reading = false;
    }
  }

  private stalled(now: number): void {
    const mins = this.stallMs / 60_000;
    const reason = `stalled: no progress for ${mins >= 1 ? `${Math.round(mins * 10) / 10} min` : `${Math.round(this.stallMs / 1000)} s`}`;
    this.o.tracker.alert(this.o.runId, {
      title: 'Job stalled',
      text: `No output, metric or progress.json update for ${Math.round(this.stallMs / 1000)} s; stopping it (SIGTERM, then SIGKILL after ${this.graceMs / 1000} s).`,
      level: 'error',
      reason: 'stalled',
      data: { stall_timeout_s: this.stallMs / 1000, last_heartbeat: new Date(this.lastBeat).toISOString() },
    });
    this.termination.begin('stall', reason, now);
  }

  private readNew(): void {
    for (const s of this.streams) {
      // One batch per chunk: a flush of the tracker then always sits at a chunk boundary, where
      // resumeOffset is exactly what its points came from (see JobRunner's commit hook).
      s.tail.read((chunk) => {
        this.echo(s, s.echo?.push(chunk));
        this.o.tracker.batch(() => this.consume(s, s.splitter.push(chunk)));
      });
    }
  }

  private echo(s: OutputStream, shown: Buffer | undefined): void {
    if (!shown?.length) return;
    try {
      this.o.on!.onOutput!(s.name, shown);
    } catch (e) {
      this.log(`could not pass the output on: ${(e as Error).message}`);
    }
  }

  /** The launcher's `[tunestudio] attempt N on HOST …` line (Slurm mode): a second start of the same job. */
  private noteAttempt(text: string): void {
    const m = /^\[tunestudio\] attempt (\d+) on (\S+)/.exec(text);
    if (!m) return;
    const n = Number(m[1]);
    if (n < 2) return;
    this.reportDropped();
    this.attemptFloor = this.o.tracker.nextStep(this.o.runId);
    const preempted = /previous attempt ended by (SIGTERM|USR2)/.test(text);
    this.o.tracker.alert(this.o.runId, {
      title: preempted ? `Preempted: attempt ${n} started` : `Attempt ${n} started`,
      text: `${preempted ? 'Slurm preempted and requeued the job' : 'Slurm started the job again (requeue, or a second run after a controller restart)'}; attempt ${n} runs on ${m[2]}. Steps below ${this.attemptFloor} are already recorded: the new attempt's copies of them are dropped, not doubled.`,
      level: 'warn',
      reason: preempted ? 'preempted' : 'attempt',
      data: { attempt: n, resumes_after_step: this.attemptFloor - 1 },
    });
  }

  private reportDropped(): void {
    if (!this.replayedDropped) return;
    const note = `[tunestudio] dropped ${this.replayedDropped} metric line${this.replayedDropped === 1 ? '' : 's'} that a later attempt logged again for steps already recorded (below step ${this.attemptFloor})`;
    fs.appendFileSync(this.files.log, note + '\n');
    this.log(note);
    this.replayedDropped = 0;
  }

  /** A later attempt's metrics at steps the run already has: not logged twice. */
  private replayed(e: IngestEvent): boolean {
    if (this.attemptFloor === null) return false;
    const step = e.type === 'metrics' ? e.step : e.type === 'protocol' && e.message.metrics ? e.message.step : undefined;
    if (typeof step !== 'number' || step >= this.attemptFloor) return false;
    this.replayedDropped++;
    return true;
  }

  private consume(s: OutputStream, pieces: LinePiece[]): void {
    if (!pieces.length) return;
    this.lastBeat = Date.now();
    const out: string[] = [];
    for (const p of pieces) {
      if (this.o.remote && p.final) this.noteAttempt(p.text);
      const line = s.collapser.push(p);
      if (line !== null) {
        out.push(line);
        this.tail.push(line);
        if (this.tail.length > 200) this.tail.splice(0, this.tail.length - 200);
      }
      this.handleEvents(this.lines.line(p.text, p.final));
    }
    if (out.length) fs.appendFileSync(this.files.log, out.join('\n') + '\n');
  }

  private handleEvents(events: IngestEvent[]): void {
    if (!events.length) return;
    this.lastBeat = Date.now();
    for (const e of events) {
      if (this.replayed(e)) continue;
      try {
        this.ingest.handle(e);
      } catch (err) {
        this.log(`could not record ${e.type} from the job: ${(err as Error).message}`);
      }
    }
  }

  private checkProgressFile(): void {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.files.progress);
    } catch {
      return;
    }
    if (st.mtimeMs === this.lastProgressMtime) return;
    this.lastProgressMtime = st.mtimeMs;
    this.lastBeat = Date.now();
    try {
      const p = JSON.parse(fs.readFileSync(this.files.progress, 'utf8')) as { current?: unknown; total?: unknown; status?: unknown };
      if (typeof p.current === 'number') this.handleEvents([{ type: 'progress', current: p.current, total: typeof p.total === 'number' ? p.total : undefined, source: 'progress.json' }]);
      if (typeof p.status === 'string') this.ingest.onStatus?.(p.status);
    } catch {
      /* being written: the next change is read */
    }
  }

  private sampleResources(now: number): void {
    const s = this.sampler!;
    s.at = now;
    const u = s.s.sample();
    if (!u) return;
    const metrics: Record<string, number> = { 'system/memory_mb': Math.round(u.rssBytes / 1048576), 'system/processes': u.pids.length };
    if (u.cpuPercent !== null) metrics['system/cpu_percent'] = Math.round(u.cpuPercent * 10) / 10;
    this.logSystem(metrics);
  }

  /** System metrics go on the run's current step and never advance it. */
  logSystem(metrics: Record<string, number>): void {
    try {
      this.o.tracker.logAtCurrentStep(this.o.runId, metrics);
    } catch (e) {
      this.log(`could not record system metrics: ${(e as Error).message}`);
    }
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.stopWatching();
    for (const t of this.o.tailers ?? []) {
      try {
        const events = await t.poll();
        this.o.tracker.batch(() => this.handleEvents(events));
      } catch {
        /* reported as malformed events */
      }
      await t.stop();
    }
    this.readNew();
    this.checkProgressFile();
    for (const s of this.streams) {
      this.echo(s, s.echo?.flush());
      this.o.tracker.batch(() => this.consume(s, s.splitter.flush()));
      const last = s.collapser.flush();
      if (last) {
        fs.appendFileSync(this.files.log, last + '\n');
        this.tail.push(last);
      }
      s.tail.close();
    }
    // What the parsers still hold at the end of the output (a Lightning step's last draw, dicts waiting for their step).
    this.o.tracker.batch(() => this.handleEvents(this.lines.flush()));
    this.ingest.flushCounters();
    this.reportDropped();
    // Output that looked like trainer logs but gave no metric: said in the job's log, not left silent.
    const unreadable = this.ingest.unreadableNote();
    if (unreadable) {
      fs.appendFileSync(this.files.log, `[tunestudio] ${unreadable}\n`);
      this.log(unreadable);
    }
    // Nothing of the job's group may outlive it (dataloader workers, grandchildren).
    if (!this.o.remote && this.pid && groupAlive(this.pid)) {
      try {
        killProcessGroup(this.pid, 'SIGKILL');
      } catch (e) {
        this.log(`cannot signal job group ${this.pid}: ${(e as Error).message}`);
      }
    }
    this.resolveDone(this.decide(this.readExit()));
  }

  private stopWatching(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watcher?.close();
  }

  private readExit(): { code: number | null; signal: string | null; error?: string } {
    try {
      const e = JSON.parse(fs.readFileSync(this.files.exit, 'utf8')) as { code: number | null; signal: string | null; error?: string };
      return { code: e.code ?? null, signal: e.signal ?? null, error: e.error };
    } catch {
      // No record: the launcher itself was killed (SIGKILL) or vanished.
      if (this.childExit) return { code: this.childExit.code, signal: this.childExit.signal };
      return { code: null, signal: null, error: 'the process ended without recording its exit (killed with SIGKILL, or the machine restarted)' };
    }
  }

  private decide(exit: { code: number | null; signal: string | null; error?: string }): JobOutcome {
    const t = this.termination.requested;
    const base = { exitCode: exit.code, signal: exit.signal };
    if (t?.kind === 'cancel') return { ...base, state: 'cancelled', reason: t.reason, errorSummary: null };
    if (t?.kind === 'stop') return { ...base, state: 'stopped', reason: `stopped: ${t.reason}`, errorSummary: null };
    if (t?.kind === 'stall') return { ...base, state: 'failed', reason: t.reason, errorSummary: errorSummary(this.tail) };
    // The backend knows what the launcher cannot: a time limit, a node failure, a cancel outside Tune Studio.
    const r = this.o.remote?.outcome();
    if (r && r.state !== 'completed') {
      const code = exit.code ?? r.exitCode;
      return { exitCode: code, signal: exit.signal, state: r.state, reason: r.reason ?? (exit.error ? exit.error : exit.signal ? `killed by ${exit.signal}` : code !== null ? `exit code ${code}` : 'failed'), errorSummary: r.state === 'cancelled' ? null : errorSummary(this.tail) };
    }
    if (exit.code === 0 && !exit.signal) return { ...base, state: 'completed', reason: null, errorSummary: null };
    const reason = exit.error
      ? exit.error
      : exit.signal
        ? `killed by ${exit.signal}`
        : `exit code ${exit.code}`;
    return { ...base, state: 'failed', reason, errorSummary: errorSummary(this.tail) };
  }

  /** Stops watching without touching the process (runtime shutdown: the job goes on and is adopted later). */
  detach(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopWatching();
    for (const t of this.o.tailers ?? []) void t.stop();
    for (const s of this.streams) s.tail.close();
    this.child?.unref();
    (this.child?.stdin as { unref?: () => void } | undefined)?.unref?.();
  }
}
