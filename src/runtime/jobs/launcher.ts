// A tiny process that starts a job's command and records how it ended.
// The supervisor starts `node dist/launcher.js EXIT_FILE -- CMD ARGS...` as the
// leader of a new process group; the launcher starts CMD (no shell) in the
// same group with the same stdio (the job's log file), waits, and writes
// {code, signal} to EXIT_FILE. So the exit code is known even when the
// runtime was not there to see it (it died and re-adopted the job).
// Signals to the group reach CMD directly; the launcher itself ignores
// SIGINT/SIGTERM/SIGHUP so it lives to record the outcome (SIGKILL ends both).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { constants } from 'node:os';
import { writeFileAtomic } from '../os/fs';

function writeExit(file: string, data: Record<string, unknown>): void {
  writeFileAtomic(file, JSON.stringify({ ...data, ended_at: new Date().toISOString() }));
}

function main(): void {
  const argv = process.argv.slice(2);
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
    const msg =
      e.code === 'ENOENT'
        ? `cannot start '${cmd}': command not found (is it installed and on PATH? the job's cwd is ${process.cwd()})`
        : e.code === 'EACCES'
          ? `cannot start '${cmd}': permission denied (is the file executable?)`
          : `cannot start '${cmd}': ${e.message}`;
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
