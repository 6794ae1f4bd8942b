// A tiny process that starts a job's command and records how it ended.
// The supervisor starts `node dist/launcher.js EXIT_FILE -- CMD ARGS...` as the
// leader of a new process group; the launcher starts CMD (no shell) in the
// same group with the same stdio (the job's log file), waits, and writes
// {code, signal} to EXIT_FILE. So the exit code is known even when the
// runtime was not there to see it (it died and re-adopted the job).
// Signals to the group reach CMD directly; the launcher itself ignores
// SIGINT/SIGTERM/SIGHUP so it lives to record the outcome (SIGKILL ends both).
//
// Slurm mode (`launcher --job JOB_DIR`, run by the generated batch script on
// the node): the command comes from JOB_DIR/argv.json (so no user string ever
// passes through a shell), every start appends an attempt token to
// JOB_DIR/attempts.jsonl (a job Slurm runs twice shows as attempt 2), and
// USR2 (time limit near, `--signal=B:USR2@LEAD`) or SIGTERM (preemption,
// scancel) becomes a control `save` then `stop` for the trainer, forwarded
// as SIGTERM to the command after the grace period.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { constants } from 'node:os';
import { writeFileAtomic } from '../os/fs';
import { appendControlCommand } from './control';
import { ATTEMPTS_FILE, ARGV_FILE, SIGNAL_FILE, type SlurmArgvFile } from './slurmScript';

function writeExit(file: string, data: Record<string, unknown>): void {
  writeFileAtomic(file, JSON.stringify({ ...data, ended_at: new Date().toISOString() }));
}

function describeStartError(cmd: string, e: NodeJS.ErrnoException): string {
  return e.code === 'ENOENT'
    ? `cannot start '${cmd}': command not found (is it installed and on PATH? the job's cwd is ${process.cwd()})`
    : e.code === 'EACCES'
      ? `cannot start '${cmd}': permission denied (is the file executable?)`
      : `cannot start '${cmd}': ${e.message}`;
}

/** `launcher --job JOB_DIR`: the Slurm side (see the header). */
function slurmMain(jobDirArg: string): void {
  const jobDir = path.resolve(jobDirArg);
  const spec = JSON.parse(fs.readFileSync(path.join(jobDir, ARGV_FILE), 'utf8')) as SlurmArgvFile;
  const exitFile = path.join(jobDir, 'exit.json');
  const control = path.join(jobDir, 'control.json');
  fs.rmSync(exitFile, { force: true });
  const token = {
    token: randomBytes(8).toString('hex'),
    slurm_job_id: process.env.SLURM_JOB_ID ?? null,
    restart_count: Number(process.env.SLURM_RESTART_COUNT ?? 0),
    host: os.hostname(),
    pid: process.pid,
    started_at: new Date().toISOString(),
  };
  let previous: string | null = null;
  try {
    previous = (JSON.parse(fs.readFileSync(path.join(jobDir, SIGNAL_FILE), 'utf8')) as { signal?: string }).signal ?? null;
  } catch {
    /* no signal so far */
  }
  fs.rmSync(path.join(jobDir, SIGNAL_FILE), { force: true });
  fs.appendFileSync(path.join(jobDir, ATTEMPTS_FILE), JSON.stringify(token) + '\n');
  const attempt = fs.readFileSync(path.join(jobDir, ATTEMPTS_FILE), 'utf8').split('\n').filter((l) => l.trim()).length;
  const why = previous ? `; previous attempt ended by ${previous === 'TERM' ? 'SIGTERM' : previous}` : '';
  process.stdout.write(`[tunestudio] attempt ${attempt} on ${token.host} (Slurm job ${token.slurm_job_id ?? '?'}, token ${token.token}${why})\n`);
  const child = spawn(spec.argv[0], spec.argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...spec.env }, cwd: spec.cwd });
  let ending = false;
  const endPolitely = (why: string) => {
    if (ending) return;
    ending = true;
    try {
      appendControlCommand(control, 'save', why);
      appendControlCommand(control, 'stop', why);
    } catch (e) {
      process.stderr.write(`tunestudio: cannot write ${control}: ${(e as Error).message}\n`);
    }
    const t = setTimeout(() => child.kill('SIGTERM'), Math.max(1, spec.grace_s ?? 10) * 1000);
    t.unref();
  };
  const noteSignal = (signal: string) => {
    try {
      writeFileAtomic(path.join(jobDir, SIGNAL_FILE), JSON.stringify({ signal, at: new Date().toISOString(), attempt_token: token.token }));
    } catch {
      /* the control commands still go out */
    }
  };
  process.on('SIGUSR2', () => {
    noteSignal('USR2');
    endPolitely('Slurm time limit near (USR2)');
  });
  process.on('SIGTERM', () => {
    noteSignal('TERM');
    endPolitely('Slurm asked the job to end (SIGTERM: cancel or preemption)');
  });
  for (const sig of ['SIGINT', 'SIGHUP'] as const) process.on(sig, () => undefined);
  child.on('error', (e: NodeJS.ErrnoException) => {
    const msg = describeStartError(spec.argv[0], e);
    process.stderr.write(`tunestudio: ${msg}\n`);
    writeExit(exitFile, { code: 127, signal: null, error: msg, attempt_token: token.token });
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    writeExit(exitFile, { code, signal, pid: child.pid, attempt_token: token.token });
    const signum = signal ? (constants.signals as Record<string, number>)[signal] ?? 0 : 0;
    process.exit(code ?? 128 + signum);
  });
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === '--job' && argv.length === 2) return slurmMain(argv[1]);
  const sep = argv.indexOf('--');
  if (sep !== 1 || argv.length < 3) {
    process.stderr.write('usage: launcher EXIT_FILE -- COMMAND [ARGS...]\n');
    process.exit(2);
  }
  const exitFile = path.resolve(argv[0]);
  const [cmd, ...args] = argv.slice(2);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => undefined);
  const child = spawn(cmd, args, { stdio: 'inherit', env: process.env, cwd: process.cwd() });
  child.on('error', (e: NodeJS.ErrnoException) => {
    const msg = describeStartError(cmd, e);
    process.stderr.write(`tunestudio: ${msg}\n`);
    writeExit(exitFile, { code: 127, signal: null, error: msg });
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    writeExit(exitFile, { code, signal, pid: child.pid });
    const signum = signal ? (constants.signals as Record<string, number>)[signal] ?? 0 : 0;
    process.exit(code ?? 128 + signum);
  });
}

main();
