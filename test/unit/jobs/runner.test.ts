// The pieces of one supervised job: Termination (the cancel/stop/stall state
// machine, on an explicit clock), LogTail (the file follower), and JobRunner
// (one job → one run) with a real child process, a real launcher and a real
// SQLite store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { processStartToken } from '../../../src/runtime/os/process';
import { createParsers } from '../../../src/runtime/ingest/spec';
import { JobRunner, createJobRun, type CommittedPositions } from '../../../src/runtime/jobs/jobRunner';
import { LogTail } from '../../../src/runtime/jobs/logTail';
import { launcherPath } from '../../../src/runtime/jobs/paths';
import { Termination } from '../../../src/runtime/jobs/termination';
import { openDatabase } from '../../../src/runtime/store/db';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { tmpDir } from '../../helpers/tmp';

function recorder(): { log: string[]; t: (grace: number) => Termination } {
  const log: string[] = [];
  return { log, t: (grace) => new Termination(grace, { askToStop: (r) => log.push(`ask: ${r}`), signal: (s) => log.push(s) }) };
}

test('Termination: a cancel asks first, then SIGTERM after the grace period, then SIGKILL after another; nothing twice', () => {
  const { log, t } = recorder();
  const term = t(1000);
  assert.equal(term.requested, null);
  assert.equal(term.begin('cancel', 'cancelled by the user', 0), true);
  assert.deepEqual(log, ['ask: cancelled by the user']);
  term.tick(999);
  assert.deepEqual(log, ['ask: cancelled by the user']);
  term.tick(1000);
  term.tick(1500);
  assert.deepEqual(log, ['ask: cancelled by the user', 'SIGTERM']);
  term.tick(2000);
  term.tick(9000);
  assert.deepEqual(log, ['ask: cancelled by the user', 'SIGTERM', 'SIGKILL']);
  // The first reason wins.
  assert.equal(term.begin('stop', 'loss is NaN', 9000), false);
  assert.deepEqual(term.requested, { kind: 'cancel', reason: 'cancelled by the user' });
});

test('Termination: a stall signals at once (a stalled trainer reads no control file) and kills after the grace period', () => {
  const { log, t } = recorder();
  const term = t(500);
  term.begin('stall', 'stalled: no progress for 1 s', 100);
  assert.deepEqual(log, ['SIGTERM']);
  term.tick(599);
  assert.deepEqual(log, ['SIGTERM']);
  term.tick(600);
  assert.deepEqual(log, ['SIGTERM', 'SIGKILL']);
});

test('LogTail: reads what was appended, resumes at an offset without reading anything twice, starts over after a truncation', (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'output.log');
  const chunks = (tail: LogTail) => {
    const got: string[] = [];
    tail.read((c) => got.push(c.toString()));
    return got.join('');
  };
  const tail = new LogTail(file);
  assert.equal(chunks(tail), '', 'a file not written yet is not an error');
  fs.writeFileSync(file, 'one\ntw');
  assert.equal(chunks(tail), 'one\ntw');
  fs.appendFileSync(file, 'o\n');
  assert.equal(chunks(tail), 'o\n');
  assert.equal(chunks(tail), '');
  const next = new LogTail(file, { offset: 4 });
  assert.equal(chunks(next), 'two\n');
  fs.writeFileSync(file, 'new\n');
  assert.equal(chunks(next), 'new\n');
  fs.appendFileSync(file, Buffer.alloc(3 << 20, 'x'));
  assert.equal(chunks(next).length, 3 << 20, 'large appends arrive whole, in bounded chunks');
  tail.close();
  next.close();
});

test('JobRunner: one job into one run — stdout and stderr kept apart and both ingested, protocol lines not passed on, the process on the run, offsets committed with the points, the run settled', async (t) => {
  const dir = tmpDir(t);
  const db = openDatabase(path.join(dir, 'store'));
  const tracker = new Tracker(db);
  t.after(() => {
    tracker.close();
    db.close();
  });
  const script = path.join(dir, 'both.js');
  fs.writeFileSync(
    script,
    `for (let s = 0; s < 50; s++) {
       console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: { 'train/loss': 1 / (s + 1) } }));
       console.error('@tunestudio ' + JSON.stringify({ step: s, metrics: { 'eval/acc': s / 50 } }));
     }
     console.log('plain out'); process.stderr.write('50%|#####     |\\r'); console.error('plain err');`,
  );
  const run = createJobRun(tracker, { project: 'p', name: 'both', watchers: [{ metric: 'train/loss', opts: { nan: true } }] });
  const out: Record<string, string> = { stdout: '', stderr: '' };
  const saved: CommittedPositions[] = [];
  const runner = new JobRunner({
    tracker,
    runId: run.id,
    jobDir: path.join(dir, 'job'),
    command: { argv: [process.execPath, script], cwd: dir },
    parsers: createParsers(undefined, { cwd: dir }),
    launcher: launcherPath(),
    splitStderr: true,
    saveOffsets: (p) => saved.push(p),
    on: { onOutput: (stream, text) => (out[stream] += text) },
    resourceIntervalMs: 0,
    pollMs: 20,
  });
  const started = runner.start();
  const outcome = await runner.settled;
  assert.equal(outcome.state, 'completed');
  assert.deepEqual(out, { stdout: 'plain out\n', stderr: '50%|#####     |\rplain err\n' });
  const row = db.prepare(`SELECT status, pid, pid_start FROM runs WHERE id = ?`).get(run.id) as { status: string; pid: number; pid_start: string | null };
  assert.equal(row.status, 'finished');
  assert.equal(row.pid, started.pid);
  assert.equal(row.pid_start, started.startToken);
  const counts = Object.fromEntries(
    (db.prepare(`SELECT mn.name, ms.count FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id WHERE ms.run_id = ?`).all(run.id) as Array<{ name: string; count: number }>).map((r) => [r.name, r.count]),
  );
  assert.equal(counts['train/loss'], 50);
  assert.equal(counts['eval/acc'], 50);
  // The last committed offset is the end of output.log: a runner adopting this job would read nothing twice.
  assert.ok(saved.length > 0);
  assert.equal(saved[saved.length - 1].log, fs.statSync(path.join(dir, 'job', 'output.log')).size);
  assert.equal(fs.readFileSync(path.join(dir, 'job', 'stderr.log'), 'utf8').split('\n').filter((l) => l.startsWith('@tunestudio')).length, 50);
});

test('JobRunner follows a process it did not start: its own append-only file from the committed offset, nothing read twice, the run left to the caller', async (t) => {
  const dir = tmpDir(t);
  const db = openDatabase(path.join(dir, 'store'));
  const tracker = new Tracker(db);
  t.after(() => {
    tracker.close();
    db.close();
  });
  const file = path.join(dir, 'run.jsonl');
  // Lines an earlier follower already stored (offset committed) and lines it did not.
  const line = (s: number) => '@tunestudio ' + JSON.stringify({ step: s, metrics: { loss: s } }) + '\n';
  fs.writeFileSync(file, line(0) + line(1));
  const committed = fs.statSync(file).size;
  const run = createJobRun(tracker, { project: 'p', name: 'followed' });
  tracker.log(run.id, { loss: 0 }, 0);
  tracker.log(run.id, { loss: 1 }, 1);
  // A process of its own (not through the launcher): appends steps 2…39, then exits.
  const child = spawn(
    process.execPath,
    ['-e', `const fs = require('fs'); let s = 2; const t = setInterval(() => { fs.appendFileSync(${JSON.stringify(file)}, '@tunestudio ' + JSON.stringify({ step: s, metrics: { loss: s } }) + '\\n'); if (++s === 40) clearInterval(t); }, 5);`],
    { stdio: 'ignore' },
  );
  t.after(() => child.kill('SIGKILL'));
  await new Promise((r) => child.once('spawn', r));
  const saved: CommittedPositions[] = [];
  const runner = new JobRunner({
    tracker,
    runId: run.id,
    jobDir: path.join(dir, 'follow'),
    command: { argv: [], cwd: dir },
    parsers: createParsers(['protocol'], { cwd: dir }),
    output: { stdout: file },
    adopt: { pid: child.pid!, startToken: processStartToken(child.pid!), offset: committed },
    saveOffsets: (p) => saved.push(p),
    settleRun: false,
    resourceIntervalMs: 0,
    pollMs: 20,
  });
  runner.start();
  const outcome = await runner.settled;
  assert.equal(outcome.state, 'failed', 'no exit record: the caller decides');
  assert.match(outcome.reason ?? '', /without recording its exit/);
  const status = db.prepare(`SELECT status FROM runs WHERE id = ?`).pluck().get(run.id);
  assert.equal(status, 'running', 'settleRun: false leaves the run to the caller');
  tracker.flush();
  const steps = db.prepare(`SELECT step FROM metrics WHERE run_id = ? ORDER BY step`).pluck().all(run.id) as number[];
  assert.deepEqual(steps, Array.from({ length: 40 }, (_, i) => i), 'each step exactly once');
  assert.equal(saved[saved.length - 1].log, fs.statSync(file).size);
});
