// The Node SDK in real processes on a real store: every way a run can end,
// stop requests across processes, and many writers at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDatabase } from '../../src/runtime/store/db';
import { Queries } from '../../src/runtime/tracking/queries';
import { reapCrashedRuns } from '../../src/runtime/tracking/reaper';
import { cli, SDK } from '../helpers/cli';
import { tmpDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait';

function script(dir: string, body: string): string {
  const file = path.join(dir, `s${Math.random().toString(36).slice(2)}.js`);
  fs.writeFileSync(file, `const { init } = require(${JSON.stringify(SDK)});\n${body}\n`);
  return file;
}

function runNode(file: string, store: string, extraEnv: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [file], { env: { ...process.env, TUNESTUDIO_DIR: store, ...extraEnv }, encoding: 'utf8' });
}

function runs(store: string) {
  const db = openDatabase(store);
  try {
    return new Queries(db).listRuns();
  } finally {
    db.close();
  }
}

test('finish() → finished; exit without finish() → failed; exception → failed; exit(3) → failed with code; all silent', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const cases: Array<[string, string, string, number | null, RegExp | null]> = [
    ['ok', `const r = init({ project: 'p', name: 'ok' }); r.log({ loss: 1 }); r.finish();`, 'finished', null, null],
    ['no-finish', `const r = init({ project: 'p', name: 'no-finish' }); r.log({ loss: 1 });`, 'failed', 0, /exited without finish\(\)/],
    ['throws', `const r = init({ project: 'p', name: 'throws' }); r.log({ loss: 1 }); setTimeout(() => { throw new Error('boom in training'); });`, 'failed', 1, /uncaught exception: boom in training/],
    ['exit3', `const r = init({ project: 'p', name: 'exit3' }); process.exit(3);`, 'failed', 3, /exited with code 3/],
  ];
  for (const [name, body, status, code, reason] of cases) {
    const r = runNode(script(dir, body), store);
    if (name === 'throws') assert.match(r.stderr, /boom in training/, 'the program\'s own error still prints');
    else assert.equal(r.stderr + r.stdout, '', `${name}: the SDK prints nothing`);
    const run = runs(store).find((x) => x.name === name)!;
    assert.equal(run.status, status, name);
    assert.equal(run.exit_code, code, name);
    if (reason) assert.match(run.reason ?? '', reason, name);
    assert.ok(run.ended_at, `${name} has an end time`);
  }
});

test('SIGTERM → failed with the signal; SIGKILL → crashed once the reaper sees the pid gone', async (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const body = (name: string) => `const r = init({ name: '${name}' }); let i = 0; setInterval(() => r.log({ loss: i++ }), 5); process.stdout.write('ready\\n');`;
  for (const [name, sig] of [['termed', 'SIGTERM'], ['killed', 'SIGKILL']] as const) {
    const p = spawn(process.execPath, [script(dir, body(name))], { env: { ...process.env, TUNESTUDIO_DIR: store } });
    await new Promise<void>((resolve) => p.stdout.once('data', () => resolve()));
    const exited = new Promise((r) => p.on('exit', r));
    p.kill(sig);
    await exited;
  }
  let list = runs(store);
  const termed = list.find((r) => r.name === 'termed')!;
  assert.equal(termed.status, 'failed');
  assert.equal(termed.signal, 'SIGTERM');
  assert.match(termed.reason ?? '', /interrupted by SIGTERM/);
  assert.equal(list.find((r) => r.name === 'killed')!.status, 'running', 'nothing could record a SIGKILL');
  const db = openDatabase(store);
  t.after(() => db.close());
  const reaped = reapCrashedRuns(db, { timeoutS: 0, now: Date.now() / 1000 + 1 });
  assert.equal(reaped.crashed.length, 1);
  list = runs(store);
  const killed = list.find((r) => r.name === 'killed')!;
  assert.equal(killed.status, 'crashed');
  assert.match(killed.reason ?? '', /process \d+ is gone/);
  const alerts = new Queries(db).alerts({ run: killed.id });
  assert.equal(alerts[0].reason, 'crashed');
});

test('a live process is not reaped even with an old heartbeat; a recycled pid is not mistaken for it', async (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const p = spawn(process.execPath, [script(dir, `const r = init({ name: 'alive' }); process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`)], {
    env: { ...process.env, TUNESTUDIO_DIR: store },
  });
  t.after(() => p.kill('SIGKILL'));
  await new Promise<void>((resolve) => p.stdout.once('data', () => resolve()));
  const db = openDatabase(store);
  t.after(() => db.close());
  assert.deepEqual(reapCrashedRuns(db, { timeoutS: 0, now: Date.now() / 1000 + 100 }).crashed, []);
  // Same pid, different start time: the original process is gone.
  db.prepare(`UPDATE runs SET pid_start = 'different' WHERE name = 'alive'`).run();
  assert.equal(reapCrashedRuns(db, { timeoutS: 0, now: Date.now() / 1000 + 100 }).crashed.length, 1);
});

test('shouldStop() becomes true across processes after `tunestudio stop`; the run ends stopped', async (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const p = spawn(
    process.execPath,
    [script(dir, `const r = init({ name: 'stoppable' }); let i = 0;
      const t = setInterval(() => { r.log({ loss: 1 / ++i }); if (r.shouldStop()) { clearInterval(t); r.finish(); } }, 5);`)],
    { env: { ...process.env, TUNESTUDIO_DIR: store } },
  );
  const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
  await waitFor(() => runs(store).find((r) => r.name === 'stoppable' && r.metric_count > 0), 'the run to log');
  const s = cli(['stop', 'stoppable', '--reason', 'enough'], { dir: store });
  assert.equal(s.code, 0, s.stderr);
  assert.equal(await exited, 0);
  const run = runs(store).find((r) => r.name === 'stoppable')!;
  assert.equal(run.status, 'stopped');
  assert.match(run.reason ?? '', /enough/);
});

test('a NaN watcher in the SDK stops the run in-process at once', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const r = runNode(
    script(dir, `const r = init({ name: 'nan' }); r.watch('loss', { nan: true }); let step = 0;
      for (; step < 100 && !r.shouldStop(); step++) r.log({ loss: step < 7 ? 1 : NaN }, step);
      console.log(step); r.finish();`),
    store,
  );
  assert.equal(r.stdout.trim(), '8', 'the loop ends right after the first NaN (step 7)');
  const run = runs(store).find((x) => x.name === 'nan')!;
  assert.equal(run.status, 'stopped');
  const db = openDatabase(store);
  t.after(() => db.close());
  const a = new Queries(db).alerts({ run: run.id });
  assert.equal(a.length, 1);
  assert.equal(a[0].step, 7);
});

test('custom watchers (SDK only) and bad watcher options fail at registration', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const r = runNode(
    script(dir, `const r = init({ name: 'custom' });
      try { r.watch('loss', { mode: 'MIN', patience: 2 }); } catch (e) { console.log('ERR ' + e.message); }
      r.watch('acc', function collapsed(v) { return v < 0.1 ? { title: 'accuracy collapsed', stop: true, data: { v } } : null; });
      for (let i = 0; i < 10 && !r.shouldStop(); i++) r.log({ acc: i < 5 ? 0.9 : 0.05 }, i);
      r.finish();`),
    store,
  );
  assert.match(r.stdout, /ERR 'mode' must be 'min' or 'max'/);
  const run = runs(store).find((x) => x.name === 'custom')!;
  assert.equal(run.status, 'stopped');
  const db = openDatabase(store);
  t.after(() => db.close());
  const a = new Queries(db).alerts({ run: run.id });
  assert.deepEqual(a.map((x) => [x.reason, x.title, x.step]), [['custom', 'accuracy collapsed', 5]]);
});

test('8 processes × 50,000 points at once: exact counts, no busy errors', async (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const body = `const r = init({ project: 'load', name: 'w' + process.argv[2] });
    for (let i = 0; i < 25000; i++) r.log({ a: i, b: -i }, i);
    r.finish();`;
  const file = script(dir, body);
  // create the store first so the eight do not race on the schema (they may: it is safe, but slower)
  runs(store);
  const procs = Array.from({ length: 8 }, (_, i) => {
    const p = spawn(process.execPath, [file, String(i)], { env: { ...process.env, TUNESTUDIO_DIR: store } });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    return new Promise<{ code: number | null; err: string }>((r) => p.on('exit', (code) => r({ code, err })));
  });
  const results = await Promise.all(procs);
  for (const r of results) {
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
  }
  const db = openDatabase(store);
  t.after(() => db.close());
  assert.equal(db.prepare(`SELECT count(*) FROM metrics`).pluck().get(), 8 * 50_000);
  const list = new Queries(db).listRuns({ project: 'load' });
  assert.equal(list.length, 8);
  for (const r of list) {
    assert.equal(r.status, 'finished');
    const d = new Queries(db).showRun(r.id);
    assert.equal(d.summary.a.count, 25_000);
    assert.equal(d.summary.b.min, -24_999);
  }
});

test('under a supervisor the SDK prints protocol lines and never opens the store', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, 'nostore');
  const control = path.join(dir, 'control.json');
  fs.writeFileSync(control, JSON.stringify({ version: 1, commands: [{ seq: 1, cmd: 'stop', at: new Date().toISOString(), reason: 'watcher' }] }));
  const r = runNode(
    script(dir, `const r = init({ config: { lr: 0.1 } }); r.watch('loss', { nan: true }); r.log({ loss: NaN }, 3); r.alert({ title: 'hi', level: 'info' }); console.log('stop=' + r.shouldStop()); r.finish();`),
    store,
    { TUNESTUDIO_SUPERVISED: '1', TUNESTUDIO_RUN_ID: 'abc', TUNESTUDIO_CONTROL: control },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines, [
    '@tunestudio {"config":{"lr":0.1}}',
    '@tunestudio {"watch":{"metric":"loss","nan":true}}',
    '@tunestudio {"step":3,"metrics":{"loss":NaN}}',
    '@tunestudio {"alert":{"title":"hi","level":"info"}}',
    'stop=true',
  ]);
  assert.equal(fs.existsSync(store), false);
});

test("issue 12: a custom watcher of the wrong arity throws at watch() (direct and supervised); finish(status) takes trackio's names", (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const body = `const r = init({ name: 'arity' });
    try { r.watch('loss', (metric, value, step) => null); console.log('accepted'); } catch (e) { console.log('refused: ' + e.message); }
    try { r.finish('bogus'); } catch (e) { console.log('finish refused: ' + e.message); }
    r.finish('failed');`;
  for (const env of [{}, { TUNESTUDIO_SUPERVISED: '1', TUNESTUDIO_RUN_ID: 'abc' }]) {
    const r = runNode(script(dir, body), store, env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /refused: watch\('loss', fn\): a custom watcher is called as fn\(value, step\) — 2 arguments — but this function declares 3/, JSON.stringify(env));
    assert.match(r.stdout, /finish refused: finish\("bogus"\): the status must be one of finished, failed, stopped, cancelled/);
  }
  const run = runs(store).find((x) => x.name === 'arity')!;
  assert.equal(run.status, 'failed', "finish('failed')");
  assert.match(run.reason ?? '', /finish\('failed'\)/);
});

test('issue 12: NaN/±Infinity in an alert\'s data are "NaN"/"Infinity"/"-Infinity" whether the SDK writes the store or prints protocol lines', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const body = (name: string) => `const r = init({ name: '${name}' }); r.alert({ title: 't', data: { v: NaN, hi: Infinity, lo: [-Infinity] } }); r.finish();`;
  assert.equal(runNode(script(dir, body('direct')), store).status, 0);
  const sup = cli(['run', '--name', 'supervised', '--', process.execPath, script(dir, body('supervised'))], { dir: store, cwd: dir });
  assert.equal(sup.code, 0, sup.stderr);
  const alerts = JSON.parse(cli(['alerts', '--json'], { dir: store }).stdout) as Array<{ run_name: string; data: Record<string, unknown> }>;
  for (const name of ['direct', 'supervised']) assert.deepEqual(alerts.find((a) => a.run_name === name)?.data, { v: 'NaN', hi: 'Infinity', lo: ['-Infinity'] }, name);
});

test('issue 12: a bad {"watch": …} line under `tunestudio run` raises a warn alert naming the problem', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const file = path.join(dir, 'bad-watch.js');
  fs.writeFileSync(file, `console.log('@tunestudio ' + JSON.stringify({ watch: { metric: 'loss', patience: 3, mode: 'MIN' } })); console.log('@tunestudio {"step": 0, "metrics": {"loss": 1}}');`);
  const r = cli(['run', '--name', 'badwatch', '--', process.execPath, file], { dir: store, cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /the watch on 'loss' was refused: 'mode' must be 'min' or 'max'/, 'said on the terminal as it is raised');
  const alerts = JSON.parse(cli(['alerts', '--run', 'badwatch', '--json'], { dir: store }).stdout) as Array<{ level: string; reason: string; title: string }>;
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].level, 'warn');
  assert.equal(alerts[0].reason, 'invalid_watch');
  assert.match(alerts[0].title, /the watch on 'loss' was refused: 'mode' must be 'min' or 'max'/);
  const show = JSON.parse(cli(['show', 'badwatch', '--json'], { dir: store }).stdout) as { malformed_lines: number };
  assert.equal(show.malformed_lines, 1);
});
