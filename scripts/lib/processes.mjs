// Child processes for the scripts: a synchronous runner (argument arrays, never
// a shell) that throws with the command line, line collection from a server's
// output, process groups that are stopped with the script (SIGTERM, then
// SIGKILL), and killing stray processes a test left under its temp folder.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, defaultLog } from './paths.mjs';

/** Runs a command (argument array, no shell) with inherited output; throws with the command line on failure. */
export function runSync(cmd, args, opts = {}) {
  const { log = defaultLog, quiet = false, ...spawnOpts } = opts;
  log(`$ ${[cmd, ...args].join(' ')}${spawnOpts.cwd ? `   (in ${path.relative(ROOT, spawnOpts.cwd) || '.'})` : ''}`);
  const r = spawnSync(cmd, args, {
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...spawnOpts,
  });
  if (r.error) {
    const why = r.error.code === 'ETIMEDOUT' ? `it did not finish within ${Math.round(spawnOpts.timeout / 1000)}s` : r.error.message;
    throw new Error(`'${[cmd, ...args].join(' ')}' failed: ${why}`);
  }
  if (r.status !== 0) {
    const tail = quiet ? `\n${String(r.stdout ?? '').slice(-4000)}${String(r.stderr ?? '').slice(-4000)}` : '';
    throw new Error(`'${[cmd, ...args].join(' ')}' failed (exit ${r.status ?? r.signal})${tail}`);
  }
  return r;
}

export function npmBin() {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

/** True when `name` is an existing file in a folder of PATH. */
export function onPath(name) {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, name)));
}

/** Splits a child's stdout and stderr into lines, keeps the last 2000 in `logs`, and calls `onLine` for each. */
export function collectLines(proc, logs, onLine) {
  let buf = '';
  const take = (d) => {
    buf += String(d);
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      logs.push(line);
      if (logs.length > 2000) logs.shift();
      onLine?.(line);
    }
  };
  proc.stdout?.on('data', take);
  proc.stderr?.on('data', take);
}

/**
 * Servers run in their own process groups (so stopping one takes its
 * extension hosts and the runtime along). Those still running when this
 * process exits — a failed test, Ctrl-C — are killed then, so none is orphaned.
 */
const liveGroups = new Set();
let exitHooked = false;

/** Records a child started with `detached: true` so its group is killed when this process exits. */
export function trackGroup(proc) {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const pid of liveGroups) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    });
  }
  liveGroups.add(proc.pid);
}

/** Stops a process group started with detached: true: SIGTERM, then SIGKILL after `graceMs`. */
export function stopProcessGroup(proc, graceMs = 5000) {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      /* group already gone */
    }
    liveGroups.delete(proc.pid);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const kill = (sig) => {
      try {
        process.kill(-proc.pid, sig);
      } catch {
        try {
          proc.kill(sig);
        } catch {
          /* gone */
        }
      }
    };
    const t = setTimeout(() => kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(t);
      // Whatever the group left behind (extension hosts, the runtime) goes too.
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        /* group already gone */
      }
      liveGroups.delete(proc.pid);
      resolve();
    });
    kill('SIGTERM');
  });
}

/**
 * Kills every process (with its process group) whose command line mentions
 * `dir`: jobs a test's editor started under its temp folder. Jobs run in their
 * own process groups on purpose (they outlive a runtime that dies), so a test
 * that ends must end them itself. Linux only (/proc); elsewhere a no-op.
 */
export function killStrays(dir) {
  if (!dir || dir.length < 8 || !fs.existsSync('/proc')) return 0;
  const own = process.pid;
  const groupOf = (stat) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  const ownGroup = groupOf(fs.readFileSync('/proc/self/stat', 'utf8'));
  let n = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === own) continue;
    let cmd;
    let stat;
    try {
      cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes(dir)) continue;
    const pgrp = groupOf(stat);
    try {
      // Never our own group (a child started without its own group shares it).
      if (pgrp > 1 && pgrp !== ownGroup) process.kill(-pgrp, 'SIGKILL');
      else process.kill(Number(name), 'SIGKILL');
      n++;
    } catch {
      /* already gone */
    }
  }
  return n;
}
