import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import {
  descendants,
  groupMembers,
  isSameProcess,
  killProcessGroup,
  parseProcStat,
  processStartToken,
  ProcessTreeSampler,
  readProcStat,
  stopProcessGroup,
  waitForGroupExit,
} from '../../../src/runtime/os/process';

const linux = process.platform === 'linux';

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts `node -e code` in its own process group; resolves with the first stdout line. */
function startGroup(t: { after(fn: () => void): void }, code: string): Promise<{ child: ChildProcess; first: string }> {
  const child = spawn(process.execPath, ['-e', code], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, first: out.slice(0, nl) });
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => reject(new Error(`child exited early (${code ?? sig})`)));
  });
}

// The child starts a grandchild in the same group and reports its pid once
// the grandchild is running (and, with ignoreTerm, ignoring SIGTERM).
const groupScript = (ignoreTerm: boolean) => `
  const { spawn } = require('node:child_process');
  ${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''}
  const g = spawn(process.execPath, ['-e', ${JSON.stringify(`${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} console.log('up'); setInterval(() => {}, 1000);`)}], { stdio: ['ignore', 'pipe', 'inherit'] });
  g.stdout.once('data', () => console.log(JSON.stringify({ grandchild: g.pid })));
  setInterval(() => {}, 1000);
`;

test('parseProcStat finds fields after a command name with spaces and parentheses', () => {
  const tail = 'S 1 4321 4321 0 -1 4194560 100 0 0 0 700 300 11 22 20 0 1 0 987654 1000 50 18446744073709551615';
  const st = parseProcStat(`4321 (my (odd) proc) R ) ${tail}\n`)!;
  assert.equal(st.pid, 4321);
  assert.equal(st.comm, 'my (odd) proc) R ');
  assert.equal(st.state, 'S');
  assert.equal(st.ppid, 1);
  assert.equal(st.pgrp, 4321);
  assert.equal(st.utime, 700);
  assert.equal(st.stime, 300);
  assert.equal(st.cutime, 11);
  assert.equal(st.cstime, 22);
  assert.equal(st.starttime, 987654);
  assert.equal(parseProcStat('garbage'), null);
  assert.equal(parseProcStat('12 (x) S 1 2'), null);
});

test('start token: stable for a live process, null once it is gone; another process never matches', { skip: !linux }, async (t) => {
  const me = processStartToken(process.pid);
  assert.ok(me);
  assert.equal(processStartToken(process.pid), me);
  assert.equal(isSameProcess(process.pid, me), true);
  assert.equal(isSameProcess(process.pid, undefined), true, 'no token recorded: liveness only');

  const { child } = await startGroup(t, "console.log('up'); setInterval(() => {}, 1000);");
  const token = processStartToken(child.pid!)!;
  assert.ok(token && token !== me);
  assert.equal(isSameProcess(child.pid!, token), true);
  // A pid whose process has another start time is "recycled": not ours.
  assert.equal(isSameProcess(child.pid!, me), false);
  assert.equal(isSameProcess(process.pid, token), false);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  assert.equal(processStartToken(child.pid!), null);
  assert.equal(isSameProcess(child.pid!, token), false);
  assert.equal(isSameProcess(-1), false);
  assert.equal(isSameProcess(0), false);
});

test('a process group with a grandchild that ignores SIGTERM is killed completely', { skip: !linux }, async (t) => {
  const { child, first } = await startGroup(t, groupScript(true));
  const grandchild = (JSON.parse(first) as { grandchild: number }).grandchild;
  const pgid = child.pid!;
  const gToken = processStartToken(grandchild)!;
  assert.equal(readProcStat(grandchild)!.pgrp, pgid, 'the grandchild is in the job group');
  assert.deepEqual(new Set(groupMembers(pgid)), new Set([pgid, grandchild]));
  assert.deepEqual(descendants(pgid), [grandchild]);

  const result = await stopProcessGroup(pgid, { graceMs: 300, killWaitMs: 10_000 });
  assert.deepEqual(result, { signal: 'SIGKILL', emptied: true });
  assert.deepEqual(groupMembers(pgid), []);
  assert.equal(isSameProcess(grandchild, gToken), false, 'no member survives');
  assert.equal(killProcessGroup(pgid, 'SIGKILL') === false || groupMembers(pgid).length === 0, true);
});

test('a cooperative group ends on SIGTERM; an empty group is empty at once', { skip: !linux }, async (t) => {
  const { child, first } = await startGroup(t, groupScript(false));
  const grandchild = (JSON.parse(first) as { grandchild: number }).grandchild;
  const result = await stopProcessGroup(child.pid!, { graceMs: 10_000 });
  assert.deepEqual(result, { signal: 'SIGTERM', emptied: true });
  assert.deepEqual(groupMembers(child.pid!), []);
  assert.equal(isSameProcess(grandchild), false);
  assert.deepEqual(await stopProcessGroup(child.pid!, { graceMs: 10 }), { signal: null, emptied: true });
  assert.equal(await waitForGroupExit(child.pid!, { timeoutMs: 0 }), true);
});

test('killProcessGroup refuses group 0, 1, negative ids and the runtime’s own group', () => {
  for (const bad of [0, 1, -1, -5, 1.5]) assert.throws(() => killProcessGroup(bad, 0), /refusing to signal/);
  if (linux) assert.throws(() => killProcessGroup(readProcStat(process.pid)!.pgrp, 0), /runtime's own group/);
});

test('CPU and memory of a process tree: a busy grandchild under an idle child', { skip: !linux }, async (t) => {
  const busy = "const b = Buffer.alloc(96 * 1024 * 1024, 1); console.log('up'); let x = 0; for (;;) { x += b[x & 1023]; }";
  const code = `
    const { spawn } = require('node:child_process');
    const g = spawn(process.execPath, ['-e', ${JSON.stringify(busy)}], { stdio: ['ignore', 'pipe', 'inherit'] });
    g.stdout.once('data', () => console.log(JSON.stringify({ grandchild: g.pid })));
    setInterval(() => {}, 1000);
  `;
  const { child, first } = await startGroup(t, code);
  const grandchild = (JSON.parse(first) as { grandchild: number }).grandchild;
  const sampler = new ProcessTreeSampler(child.pid!);
  const s1 = sampler.sample()!;
  assert.equal(s1.cpuPercent, null, 'the first sample has no interval');
  assert.deepEqual(s1.pids, [child.pid, grandchild]);
  const ticks = () => {
    const st = readProcStat(grandchild)!;
    return st.utime + st.stime;
  };
  const start = ticks();
  await until('the grandchild to use 0.3 s of CPU', () => ticks() - start >= 30);
  const s2 = sampler.sample()!;
  assert.ok(s2.cpuPercent! > 10, `cpu ${s2.cpuPercent}%`);
  assert.ok(s2.cpuPercent! <= 100 * os.cpus().length * 1.25, `cpu ${s2.cpuPercent}%`);
  assert.ok(s2.rssBytes >= 96 * 1024 * 1024, `rss ${s2.rssBytes}`);
  assert.ok(s2.rssBytes < 2 * 1024 * 1024 * 1024, `rss ${s2.rssBytes}`);
  assert.ok(s2.cpuSeconds - s1.cpuSeconds >= 0.299, `cpu seconds ${s1.cpuSeconds} → ${s2.cpuSeconds}`);
  await stopProcessGroup(child.pid!, { graceMs: 5000 });
  assert.equal(sampler.sample(), null, 'a gone root gives no sample');
});
