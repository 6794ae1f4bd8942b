// The Slurm backend's pure half (slurmScript.ts) on outputs captured from a
// real slurm-wlm 22.05.8 one-node cluster, the batch script run for real by
// bash with hostile argv, and the poller's one-call-per-interval rule
// counted through squeue/sacct shims on PATH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createParsers } from '../../../src/runtime/ingest/spec';
import { JobRunner, createJobRun } from '../../../src/runtime/jobs/jobRunner';
import { slurmOverrides } from '../../../src/cli/jobs';
import { JobsService } from '../../../src/runtime/jobs/jobsService';
import { launcherPath } from '../../../src/runtime/jobs/paths';
import { checkJobSpec } from '../../../src/runtime/jobs/spec';
import { openDatabase } from '../../../src/runtime/store/db';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { SlurmPoller } from '../../../src/runtime/jobs/slurm';
import { ARGV_FILE, ATTEMPTS_FILE, batchScript, mapSlurmState, parseSacct, parseSbatch, parseSqueue, sbatchArgs, shellQuote } from '../../../src/runtime/jobs/slurmScript';
import { tmpDir } from '../../helpers/tmp';
import { waitFor } from '../../helpers/wait';

// Captured 2026-12-04 from `squeue -h -t all --me -o '%i|%T|%r|%P|%N'` on the test cluster.
const SQUEUE = `2|COMPLETED|None|low|localhost
1|FAILED|NonZeroExitCode|low|localhost
3|PENDING|Resources|low|
4|RUNNING|None|high|localhost
5|TIMEOUT|TimeLimit|low|localhost
`;

test('squeue lines parse into state, reason, partition and node; None and empty are null', () => {
  const m = parseSqueue(SQUEUE);
  assert.equal(m.size, 5);
  assert.deepEqual(m.get('3'), { id: '3', state: 'PENDING', reason: 'Resources', partition: 'low', node: null, exitCode: null, exitSignal: null });
  assert.equal(m.get('2')!.reason, null);
  assert.equal(m.get('4')!.node, 'localhost');
  assert.equal(parseSqueue('slurm_load_jobs error: Invalid job id specified\n').size, 0);
});

test('sacct -P lines give the exit code from code:signal and skip steps; CANCELLED by N keeps its state word', () => {
  const m = parseSacct('7|FAILED|7:0|None\n7.batch|FAILED|7:0|\n8|CANCELLED by 0|0:15|None\n9|OUT_OF_MEMORY|0:125|OutOfMemory\n');
  assert.equal(m.size, 3);
  assert.equal(m.get('7')!.exitCode, 7);
  assert.equal(m.get('8')!.state, 'CANCELLED');
  assert.equal(m.get('8')!.exitSignal, 15);
  assert.equal(m.get('9')!.reason, 'OutOfMemory');
});

test('Slurm states map to ours with the reason', () => {
  const st = (state: string, o: { reason?: string; exitCode?: number; node?: string } = {}) =>
    mapSlurmState({ id: '1', state, reason: o.reason ?? null, partition: null, node: o.node ?? null, exitCode: o.exitCode ?? null, exitSignal: null });
  assert.deepEqual(st('PENDING', { reason: 'Priority' }), { phase: 'queued', reason: 'Slurm: Priority' });
  assert.deepEqual(st('RUNNING'), { phase: 'running' });
  assert.deepEqual(st('COMPLETED'), { phase: 'ended', outcome: 'completed', reason: null, exitCode: 0 });
  assert.deepEqual(st('FAILED', { exitCode: 7 }), { phase: 'ended', outcome: 'failed', reason: 'exit code 7', exitCode: 7 });
  assert.equal((st('CANCELLED') as { outcome: string }).outcome, 'cancelled');
  assert.match((st('TIMEOUT') as { reason: string }).reason, /^time limit/);
  assert.match((st('NODE_FAIL', { node: 'gpu3' }) as { reason: string }).reason, /node failure on gpu3/);
  assert.match((st('PREEMPTED') as { reason: string }).reason, /preempted/);
  assert.match((st('OUT_OF_MEMORY') as { reason: string }).reason, /out of memory: raise "mem"/);
  assert.equal(st('REQUEUED').phase, 'queued');
});

test('sbatch --parsable output: id or id;cluster; anything else is a clear error', () => {
  assert.deepEqual(parseSbatch('42\n'), { id: '42', cluster: null });
  assert.deepEqual(parseSbatch('42;ci\n'), { id: '42', cluster: 'ci' });
  assert.throws(() => parseSbatch('sbatch: error: nope'), /printed no job id/);
});

test('sbatch arguments: one option per value, output appended in the job folder, USR2 before the limit, no % in paths', () => {
  const a = sbatchArgs({ jobName: 'my\njob', jobDir: '/s/jobs/j1', outputFile: '/s/jobs/j1/output.log', script: '/s/jobs/j1/job.sbatch', slurm: { partition: 'gpu', cpus: 4, mem: '16G', time: '1:00:00', gres: 'gpu:1', extra_args: ['--exclusive'] } });
  assert.deepEqual(a.slice(0, 7), ['--parsable', '--job-name=my job', '--output=/s/jobs/j1/output.log', '--open-mode=append', '--chdir=/s/jobs/j1', '--requeue', '--signal=B:USR2@120']);
  assert.ok(a.includes('--partition=gpu') && a.includes('--cpus-per-task=4') && a.includes('--mem=16G') && a.includes('--time=1:00:00') && a.includes('--gres=gpu:1'));
  assert.deepEqual(a.slice(-2), ['--exclusive', '/s/jobs/j1/job.sbatch']);
  assert.throws(() => sbatchArgs({ jobName: 'x', jobDir: '/s/100%/j', outputFile: '/s/100%/j/output.log', script: 's', slurm: {} }), /contains '%'/);
});

test('the batch script holds only fixed text and quoted paths; run by bash, the launcher gets hostile argv exact, records an attempt token each start', (t) => {
  const dir = path.join(tmpDir(t), `it's $(odd) \`dir\``);
  fs.mkdirSync(dir, { recursive: true });
  const hostile = [`it's "quoted"`, '$(touch pwned)', '`touch pwned2`', 'line1\nline2', '; rm -rf "$HOME"', '$HOME', '\\'];
  const argv = [process.execPath, '-e', 'console.log("ARGV " + JSON.stringify(process.argv.slice(1)))', ...hostile];
  fs.writeFileSync(path.join(dir, ARGV_FILE), JSON.stringify({ argv, cwd: dir, env: { FROM_SPEC: 'yes' } }));
  const script = batchScript({ nodePath: process.execPath, launcher: launcherPath(), jobDir: dir });
  // (a lone backslash is in the quoting of the folder's own ' — the folder is ours, the argv is not)
  for (const h of hostile.slice(0, -1)) assert.ok(!script.includes(h), `the script must not contain ${JSON.stringify(h)}`);
  fs.writeFileSync(path.join(dir, 'job.sbatch'), script);
  for (const attempt of [1, 2]) {
    const r = spawnSync('bash', [path.join(dir, 'job.sbatch')], { cwd: dir, encoding: 'utf8', env: { ...process.env, SLURM_JOB_ID: '77', SLURM_RESTART_COUNT: String(attempt - 1) } });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes('ARGV ' + JSON.stringify(hostile)), r.stdout);
    assert.match(r.stdout, new RegExp(`attempt ${attempt} on .*Slurm job 77`));
  }
  assert.ok(!fs.existsSync(path.join(dir, 'pwned')) && !fs.existsSync(path.join(dir, 'pwned2')));
  const tokens = fs.readFileSync(path.join(dir, ATTEMPTS_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { token: string; restart_count: number });
  assert.equal(tokens.length, 2);
  assert.notEqual(tokens[0].token, tokens[1].token);
  assert.deepEqual(tokens.map((x) => x.restart_count), [0, 1]);
  const exit = JSON.parse(fs.readFileSync(path.join(dir, 'exit.json'), 'utf8')) as { code: number; attempt_token: string };
  assert.equal(exit.code, 0);
  assert.equal(exit.attempt_token, tokens[1].token);
  assert.equal(shellQuote("a'b"), `'a'\\''b'`);
});

test('100 watched Slurm jobs cost one squeue call per poll interval (counted through a shim on PATH)', async (t) => {
  const dir = tmpDir(t);
  const count = path.join(dir, 'calls.log');
  const lines = Array.from({ length: 100 }, (_, i) => `${1000 + i}|PENDING|Priority|low|`).join('\n');
  fs.writeFileSync(path.join(dir, 'squeue'), `#!/bin/sh\necho squeue >> '${count}'\ncat <<'EOF'\n${lines}\nEOF\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'sacct'), `#!/bin/sh\necho sacct >> '${count}'\n`, { mode: 0o755 });
  const oldPath = process.env.PATH;
  process.env.PATH = `${dir}${path.delimiter}${oldPath}`;
  t.after(() => {
    process.env.PATH = oldPath;
  });
  const poller = new SlurmPoller({ minIntervalMs: 60_000 });
  t.after(() => poller.stop());
  for (let i = 0; i < 100; i++) poller.watch(String(1000 + i));
  await waitFor(() => poller.state('1099').mapped, 'the first poll');
  for (let i = 0; i < 20; i++) await poller.poll();
  const calls = fs.readFileSync(count, 'utf8').trim().split('\n');
  assert.deepEqual(calls, ['squeue'], 'one squeue for 100 jobs, no sacct (squeue knew them all), nothing more within the interval');
  assert.deepEqual(poller.state('1000').mapped, { phase: 'queued', reason: 'Slurm: Priority' });
});

test('a second attempt of a remote job (requeue after preemption) is one "preempted" alert and no duplicate step; the launcher turns SIGTERM into save + stop', async (t) => {
  const dir = tmpDir(t);
  const jobDir = path.join(dir, 'job');
  fs.mkdirSync(jobDir);
  const db = openDatabase(path.join(dir, 'store'));
  t.after(() => db.close());
  const tracker = new Tracker(db);
  const run = createJobRun(tracker, { project: 'p', name: 'slurmish' });
  // Steps from `from` to 9: attempt 1 dies at step 5 (SIGTERM, as a preemption); attempt 2 reruns from step 3 (its last checkpoint).
  const trainer = path.join(dir, 'train.js');
  fs.writeFileSync(
    trainer,
    `const from = Number(process.argv[2]); const upto = Number(process.argv[3]);
     for (let s = from; s <= upto; s++) console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: { 'train/loss': 1 / (s + 1) } }));
     if (process.argv[4] === 'hang') setInterval(() => {}, 1000);`,
  );
  let phase: 'queued' | 'running' | 'ended' = 'running';
  const remote = { phase: () => phase, signal: () => undefined, outcome: () => null };
  const runner = new JobRunner({ tracker, runId: run.id, jobDir, command: { argv: [], cwd: dir }, parsers: createParsers(undefined, { cwd: dir }), remote, resourceIntervalMs: 0, pollMs: 20 });
  runner.start();
  const script = path.join(jobDir, 'job.sbatch');
  fs.writeFileSync(script, batchScript({ nodePath: process.execPath, launcher: launcherPath(), jobDir }));
  const out = fs.openSync(path.join(jobDir, 'output.log'), 'a');
  const attempt = (args: string[]) => {
    fs.writeFileSync(path.join(jobDir, ARGV_FILE), JSON.stringify({ argv: [process.execPath, trainer, ...args], cwd: dir, env: {}, grace_s: 1 }));
    return spawn('bash', [script], { stdio: ['ignore', out, out], env: { ...process.env, SLURM_JOB_ID: '5' } });
  };
  const first = attempt(['0', '5', 'hang']);
  await waitFor(() => tracker.nextStep(run.id) === 6 && fs.readFileSync(path.join(jobDir, 'output.log'), 'utf8').includes('"step":5'), 'attempt 1 to log steps 0–5');
  first.kill('SIGTERM'); // what Slurm's preemption does to the batch step
  await new Promise((r) => first.on('exit', r));
  assert.match(fs.readFileSync(path.join(jobDir, 'control.json'), 'utf8'), /"cmd": "save"[\s\S]*"cmd": "stop"/);
  const second = attempt(['3', '9']);
  await new Promise((r) => second.on('exit', r));
  fs.closeSync(out);
  await waitFor(() => fs.readFileSync(path.join(jobDir, 'output.log'), 'utf8').includes('"step":9') && tracker.nextStep(run.id) === 10, 'attempt 2 to be read');
  phase = 'ended';
  const outcome = await runner.settled;
  assert.equal(outcome.state, 'completed');
  const steps = (db.prepare(`SELECT m.step FROM metrics m JOIN metric_names n ON n.id = m.metric_id WHERE m.run_id = ? AND n.name = 'train/loss' ORDER BY m.step`).all(run.id) as Array<{ step: number }>).map((r) => r.step);
  assert.deepEqual(steps, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'each step once');
  const alerts = db.prepare(`SELECT reason, title FROM alerts WHERE run_id = ?`).all(run.id) as Array<{ reason: string; title: string }>;
  assert.deepEqual(alerts.map((a) => a.reason), ['preempted']);
  assert.match(alerts[0].title, /attempt 2/);
  assert.match(fs.readFileSync(path.join(jobDir, 'log.txt'), 'utf8'), /dropped 3 metric lines/);
});

test('`tunestudio submit --slurm …` options become the spec\'s backend and slurm options, adding to a file\'s; the schema refuses unknown Slurm keys', (t) => {
  assert.deepEqual(slurmOverrides({ sbatchArg: [] }), {});
  assert.deepEqual(slurmOverrides({ slurm: true, sbatchArg: [] }), { backend: 'slurm' });
  assert.deepEqual(slurmOverrides({ time: '30', cpus: '4', sbatchArg: ['--exclusive'] }), { backend: 'slurm', slurm: { time: '30', cpus: 4, extra_args: ['--exclusive'] } });
  assert.deepEqual(slurmOverrides({ local: true, sbatchArg: [] }), { backend: 'local' });
  assert.throws(() => slurmOverrides({ local: true, partition: 'gpu', sbatchArg: [] }), /--local/);
  assert.throws(() => slurmOverrides({ cpus: 'many', sbatchArg: [] }), /--cpus must be a whole number/);
  const dir = tmpDir(t);
  const db = openDatabase(path.join(dir, 'store'));
  t.after(() => db.close());
  const file = path.join(dir, 'train.tunejob.json');
  fs.writeFileSync(file, JSON.stringify({ command: [process.execPath, '-e', '0'], backend: 'slurm', slurm: { partition: 'gpu', time: '1:00:00' } }));
  const svc = new JobsService({ db, storeDir: path.join(dir, 'store'), trusted: () => true, baseDir: () => dir });
  const job = svc.submit({ specFile: file, overrides: slurmOverrides({ time: '30', sbatchArg: [] }) });
  assert.deepEqual(job.spec.slurm, { partition: 'gpu', time: '30' });
  assert.equal(job.spec.backend, 'slurm');
  const problems = checkJobSpec({ command: ['x'], backend: 'slurm', slurm: { partiton: 'gpu' } }, { baseDir: dir, checkFiles: false });
  assert.ok(problems.some((p) => p.severity === 'error' && p.path.startsWith('slurm')), JSON.stringify(problems));
});

test('Slurm running a job twice from the top (a controller crash: at-least-once) is one "attempt" alert and metrics once', async (t) => {
  const dir = tmpDir(t);
  const jobDir = path.join(dir, 'job');
  fs.mkdirSync(jobDir);
  const db = openDatabase(path.join(dir, 'store'));
  t.after(() => db.close());
  const tracker = new Tracker(db);
  const run = createJobRun(tracker, { project: 'p', name: 'twice' });
  const trainer = path.join(dir, 'train.js');
  fs.writeFileSync(trainer, `for (let s = 0; s < 10; s++) console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: { loss: s } }));`);
  let phase: 'queued' | 'running' | 'ended' = 'running';
  const runner = new JobRunner({ tracker, runId: run.id, jobDir, command: { argv: [], cwd: dir }, parsers: createParsers(undefined, { cwd: dir }), remote: { phase: () => phase, signal: () => undefined, outcome: () => null }, resourceIntervalMs: 0, pollMs: 20 });
  runner.start();
  const script = path.join(jobDir, 'job.sbatch');
  fs.writeFileSync(script, batchScript({ nodePath: process.execPath, launcher: launcherPath(), jobDir }));
  fs.writeFileSync(path.join(jobDir, ARGV_FILE), JSON.stringify({ argv: [process.execPath, trainer], cwd: dir, env: {} }));
  const out = fs.openSync(path.join(jobDir, 'output.log'), 'a');
  for (let i = 0; i < 2; i++) {
    const p = spawn('bash', [script], { stdio: ['ignore', out, out], env: { ...process.env, SLURM_JOB_ID: '9' } });
    await new Promise((r) => p.on('exit', r));
  }
  fs.closeSync(out);
  await waitFor(() => (fs.readFileSync(path.join(jobDir, 'output.log'), 'utf8').match(/"step":9/g) ?? []).length === 2 && fs.existsSync(path.join(jobDir, 'log.txt')) && (fs.readFileSync(path.join(jobDir, 'log.txt'), 'utf8').match(/"step":9/g) ?? []).length === 2, 'both attempts to be read');
  phase = 'ended';
  assert.equal((await runner.settled).state, 'completed');
  const rows = db.prepare(`SELECT m.step FROM metrics m JOIN metric_names n ON n.id = m.metric_id WHERE m.run_id = ? AND n.name = 'loss' ORDER BY m.step`).all(run.id) as Array<{ step: number }>;
  assert.deepEqual(rows.map((r) => r.step), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const alerts = db.prepare(`SELECT reason, title FROM alerts WHERE run_id = ?`).all(run.id) as Array<{ reason: string; title: string }>;
  assert.deepEqual(alerts.map((a) => [a.reason, a.title]), [['attempt', 'Attempt 2 started']]);
});
