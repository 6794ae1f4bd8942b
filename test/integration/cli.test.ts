// The `tunestudio` CLI as a real process: JSON shapes, exit codes, human
// output width, and `run` supervising real commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, cliJson, cliSpawn, SDK } from '../helpers/cli';
import { tmpDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait';
import { startRuntime } from '../helpers/runtime';
import { RunDeleteRequest, RunStopRequest } from '../../src/protocol/tracking';
import { readProcStat } from '../../src/runtime/os/process';

function seed(store: string, dir: string): void {
  const file = path.join(dir, 'seed.js');
  fs.writeFileSync(
    file,
    `const { init } = require(${JSON.stringify(SDK)});
     const mk = (name, lr, losses, finish = true) => { const r = init({ project: 'proj', name, config: { lr, model: 'gpt2' } });
       r.watch('train/loss', { max_value: 5, stop: false }); losses.forEach((v, i) => r.log({ 'train/loss': v, 'eval/acc': 1 - v / 10 }, i)); if (finish) r.finish(); return r; };
     mk('alpha', 0.1, [3, 2, 1]);
     mk('beta', 0.01, [3, 6, 0.5]);
     mk('dup', 0.5, [1]);
     mk('dup', 0.6, [2]);
     mk('a-very-long-run-name-that-goes-on-and-on-and-on-forever-and-ever', 1, [9]);
     init({ project: 'proj', name: 'empty' }).finish();`,
  );
  const r = require('node:child_process').spawnSync(process.execPath, [file], { env: { ...process.env, TUNESTUDIO_DIR: store }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test('runs/show/best/compare/summary/alerts --json have the documented shapes', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  seed(store, dir);
  type R = { id: string; name: string; project: string; status: string; exit_code: number | null; reason: string | null; created_at: string; ended_at: string | null };
  const runs = cliJson<R[]>(['runs'], { dir: store });
  assert.equal(runs.length, 6);
  for (const r of runs) for (const k of ['id', 'name', 'project', 'status', 'exit_code', 'reason', 'created_at', 'ended_at']) assert.ok(k in r, `runs[].${k}`);
  assert.ok(runs.some((r) => r.name === 'empty'), 'a run without metrics is listed');
  const show = cliJson<{ config: { lr: number }; summary: Record<string, { last: number; min: number; max: number; count: number }> }>(['show', 'beta'], { dir: store });
  assert.equal(show.config.lr, 0.01);
  assert.deepEqual(
    { last: show.summary['train/loss'].last, min: show.summary['train/loss'].min, max: show.summary['train/loss'].max, count: show.summary['train/loss'].count },
    { last: 0.5, min: 0.5, max: 6, count: 3 },
  );
  const best = cliJson<{ run: { name: string }; value: number }>(['best', '--metric', 'train/loss'], { dir: store });
  assert.equal(best.run.name, 'beta');
  assert.equal(best.value, 0.5);
  const bestAcc = cliJson<{ run: { name: string }; direction: string }>(['best', '--metric', 'eval/acc'], { dir: store });
  assert.equal(bestAcc.direction, 'max');
  const alerts = cliJson<Array<{ id: number; run_id: string; level: string; reason: string; metric: string; step: number; title: string; data: { value: number; threshold: number } }>>(['alerts'], { dir: store });
  const above = alerts.filter((a) => a.reason === 'above_max');
  assert.equal(above.length, 2, 'beta at step 1 and the long-named run at step 0');
  assert.deepEqual(above.map((a) => [a.metric, a.step, a.data.threshold]), [['train/loss', 1, 5], ['train/loss', 0, 5]]);
  assert.equal(cliJson<unknown[]>(['alerts', '--after', String(above[0].id)], { dir: store }).length, alerts.filter((a) => a.id > above[0].id).length);
  const cmp = cliJson<{ runs: Array<{ name: string }>; values: Record<string, Record<string, { last: number }>>; config_diff: string[] }>(['compare', 'alpha', 'beta'], { dir: store });
  assert.deepEqual(cmp.runs.map((r) => r.name), ['alpha', 'beta']);
  assert.deepEqual(cmp.config_diff, ['lr']);
  const summary = cliJson<{ runs: { total: number; by_status: Record<string, number> }; alerts: { total: number } }>(['summary'], { dir: store });
  assert.deepEqual(summary.runs, { total: 6, by_status: { finished: 6 } });
});

test('exit codes: 0 ok, 1 error (on stderr, saying what to do), 2 usage', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  seed(store, dir);
  const amb = cli(['show', 'dup'], { dir: store });
  assert.equal(amb.code, 1);
  assert.match(amb.stderr, /ambiguous: 2 runs have it — use an id/);
  assert.equal(amb.stdout, '');
  const missing = cli(['show', 'nope'], { dir: store });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no run with id or name 'nope' \(list them with: tunestudio runs\)/);
  assert.equal(cli(['bogus-command'], { dir: store }).code, 2);
  assert.equal(cli(['best'], { dir: store }).code, 2, 'missing --metric');
  assert.equal(cli(['best', '--metric', 'x', '--mode', 'median'], { dir: store }).code, 2);
  const del = cli(['delete', 'alpha'], { dir: store });
  assert.equal(del.code, 2);
  assert.match(del.stderr, /add --yes/);
  assert.equal(cli(['delete', 'alpha', '--yes'], { dir: store }).code, 0);
  assert.equal(cli(['show', 'alpha'], { dir: store }).code, 1);
  const jsonErr = cli(['show', 'nope', '--json'], { dir: store });
  assert.equal(jsonErr.code, 1);
  assert.match(JSON.parse(jsonErr.stderr).error, /no run/);
  const empty = cli(['runs'], { dir: path.join(dir, 'elsewhere'), cwd: dir });
  assert.equal(empty.code, 0);
  assert.match(empty.stdout, /No runs yet/);
  assert.equal(fs.existsSync(path.join(dir, 'elsewhere')), false, 'listing does not create a store');
});

test('human output fits 100 columns and shortens long names', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  seed(store, dir);
  for (const args of [['runs'], ['show', 'beta'], ['alerts'], ['summary'], ['compare', 'alpha', 'beta'], ['--help'], ['run', '--help']]) {
    const r = cli(args, { dir: store });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    for (const line of r.stdout.split('\n')) assert.ok([...line].length <= 100, `${args.join(' ')}: line too wide (${[...line].length}): ${line}`);
  }
  assert.match(cli(['runs'], { dir: store }).stdout, /a-very-long-run-na[^ ]*…/);
});

test('export writes every point as CSV or JSON lines, NaN included', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  fs.writeFileSync(path.join(dir, 'e.js'), `const { init } = require(${JSON.stringify(SDK)}); const r = init({ name: 'exp' }); r.log({ 'a,b': 1, loss: NaN }, 0); r.log({ loss: 2 }, 1); r.finish();`);
  require('node:child_process').spawnSync(process.execPath, [path.join(dir, 'e.js')], { env: { ...process.env, TUNESTUDIO_DIR: store } });
  const csv = cli(['export', 'exp', '--format', 'csv'], { dir: store });
  assert.equal(csv.stdout, 'step,metric,value,wall_time\n' + csv.stdout.split('\n').slice(1).join('\n'));
  const rows = csv.stdout.trim().split('\n').slice(1).map((l) => l.split(/,(?=[^,]*,[^,]*$)|,(?=[^,]*$)/));
  assert.equal(rows.length, 3);
  assert.match(csv.stdout, /\n0,"a,b",1,/);
  assert.match(csv.stdout, /\n0,loss,NaN,/);
  const jsonl = cli(['export', 'exp', '--format', 'jsonl'], { dir: store }).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(jsonl.map((p) => [p.step, p.metric, p.value]), [[0, 'a,b', 1], [0, 'loss', 'NaN'], [1, 'loss', 2]]);
});

test('run: no shell, output passed through, exit code kept, protocol + HF lines ingested', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  fs.writeFileSync(
    path.join(dir, 'train.js'),
    `for (let s = 0; s < 3; s++) console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: { 'train/loss': 1 / (s + 1) } }));
     console.log("{'eval_loss': 0.25, 'eval_runtime': 1.5, 'epoch': 1.0}");
     console.log('plain line; $(echo not-a-shell)'); process.exit(7);`,
  );
  const r = cli(['run', '--name', 'exit7', '--', process.execPath, 'train.js', '$HOME'], { dir: store, cwd: dir });
  assert.equal(r.code, 7);
  assert.match(r.stdout, /plain line; \$\(echo not-a-shell\)/);
  const show = cliJson<{ status: string; exit_code: number; reason: string; summary: Record<string, { last: number }> }>(['show', 'exit7'], { dir: store });
  assert.equal(show.status, 'failed');
  assert.equal(show.exit_code, 7);
  assert.match(show.reason, /exit code 7/);
  assert.equal(show.summary['train/loss'].last, 1 / 3);
  assert.equal(show.summary['eval/loss'].last, 0.25);
});

test('run: ≥ 10k random and malformed protocol lines → no crash, exact counts', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  // Seeded generator: good lines, malformed protocol lines, and noise, in a fixed mix.
  fs.writeFileSync(
    path.join(dir, 'noise.js'),
    `let seed = 7; const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
     const bad = ['@tunestudio {', '@tunestudio []', '@tunestudio {"step": -1, "metrics": {}}', '@tunestudio {"metrics": 5}', '@tunestudio {"unknown": 1}', '@tunestudio {"step": "x", "metrics": {"a": 1}}', '@tunestudio NaN', '@tunestudio {"alert": {}}'];
     let good = 0, malformed = 0, out = [];
     for (let i = 0; i < 12000; i++) { const r = rnd();
       if (r < 0.4) { out.push('@tunestudio ' + JSON.stringify({ step: good, metrics: { m: rnd() } })); good++; }
       else if (r < 0.7) { out.push(bad[Math.floor(rnd() * bad.length)]); malformed++; }
       else out.push(Array.from({ length: Math.floor(rnd() * 40) }, () => String.fromCharCode(32 + Math.floor(rnd() * 95))).join('').replace(/^@tunestudio/, '')); }
     process.stdout.write(out.join('\\n') + '\\n'); process.stderr.write(JSON.stringify({ good, malformed }) + '\\n');`,
  );
  const r = cli(['run', '--name', 'noisy', '--parser', 'protocol', '--', process.execPath, 'noise.js'], { dir: store, cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const expected = JSON.parse(fs.readFileSync(path.join(store, 'jobs', fs.readdirSync(path.join(store, 'jobs'))[0], 'stderr.log'), 'utf8').trim().split('\n').pop()!);
  const show = cliJson<{ malformed_lines: number; summary: Record<string, { count: number }> }>(['show', 'noisy'], { dir: store });
  assert.equal(show.summary.m.count, expected.good);
  assert.equal(show.malformed_lines, expected.malformed);
  assert.ok(expected.good > 4000 && expected.malformed > 3000);
});

test('run: a stopping watcher asks through the control channel; a command that ignores it gets SIGTERM after the grace period', async (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  // Honours control.json: exits 0 when told to stop.
  fs.writeFileSync(
    path.join(dir, 'polite.js'),
    `const fs = require('fs'); let s = 0;
     setInterval(() => { console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: { loss: s < 5 ? 1 : null } }).replace('null', 'NaN')); s++;
       try { if (JSON.parse(fs.readFileSync(process.env.TUNESTUDIO_CONTROL, 'utf8')).commands.some(c => c.cmd === 'stop')) { console.log('saving and stopping'); process.exit(0); } } catch {} }, 20);`,
  );
  const polite = cli(['run', '--name', 'polite', '--watch', '{"metric":"loss","nan":true}', '--', process.execPath, 'polite.js'], { dir: store, cwd: dir });
  assert.equal(polite.code, 0, polite.stderr);
  assert.match(polite.stdout, /saving and stopping/);
  const p = cliJson<{ status: string; reason: string }>(['show', 'polite'], { dir: store });
  assert.equal(p.status, 'stopped');
  assert.match(p.reason, /^loss is NaN/, 'the reason does not repeat the status word');
  // Ignores everything but signals.
  fs.writeFileSync(path.join(dir, 'stubborn.js'), `let s = 0; setInterval(() => console.log('@tunestudio ' + JSON.stringify({ step: s++, metrics: { loss: 10 } })), 20);`);
  const stubborn = cliSpawn(['run', '--name', 'stubborn', '--grace', '0.5', '--watch', '{"metric":"loss","max_value":5}', '--', process.execPath, 'stubborn.js'], { dir: store, cwd: dir });
  const code = await stubborn.exited;
  assert.equal(code, 143, `SIGTERM → 128 + 15; stderr: ${stubborn.err()}`);
  const s = cliJson<{ status: string; signal: string }>(['show', 'stubborn'], { dir: store });
  assert.equal(s.status, 'stopped');
  assert.equal(s.signal, 'SIGTERM');
});

test('run: Ctrl-C cancels the job and no process of its group survives', async (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  fs.writeFileSync(
    path.join(dir, 'tree.js'),
    `const { spawn } = require('child_process');
     const kid = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
     console.log('grandchild ' + kid.pid); process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`,
  );
  const run = cliSpawn(['run', '--name', 'tree', '--grace', '0.3', '--', process.execPath, 'tree.js'], { dir: store, cwd: dir });
  const line = await waitFor(() => /grandchild (\d+)/.exec(run.out()), 'the grandchild to start');
  const grandchild = Number(line[1]);
  run.proc.kill('SIGINT');
  const code = await run.exited;
  assert.notEqual(code, 0);
  // Gone, or a zombie waiting for a reaper (this container's init does not reap): either way not running.
  const st = readProcStat(grandchild);
  assert.ok(st === null || st.state === 'Z', `the grandchild was killed too (state ${st?.state})`);
  const s = cliJson<{ status: string; reason: string }>(['show', 'tree'], { dir: store });
  assert.equal(s.status, 'cancelled');
  assert.match(s.reason, /Ctrl-C/);
});

test('unknown project, run or metric is an error (exit 1, {"error"} under --json) naming it and listing what exists', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  seed(store, dir);
  const cases: Array<[string[], RegExp]> = [
    [['best', '--project', 'nope', '--metric', 'train/loss'], /^no project 'nope'; projects: proj$/],
    [['summary', '--project', 'nope'], /^no project 'nope'; projects: proj$/],
    [['runs', '--project', 'nope'], /^no project 'nope'; projects: proj$/],
    [['alerts', '--project', 'nope'], /^no project 'nope'; projects: proj$/],
    [['show', 'alpha', '--project', 'nope'], /^no project 'nope'; projects: proj$/],
    [['best', '--metric', 'loss'], /^no metric 'loss' in any run; its metrics: eval\/acc, train\/loss$/],
    [['best', '--project', 'proj', '--metric', 'loss'], /^no metric 'loss' in project 'proj'; its metrics: eval\/acc, train\/loss$/],
    [['history', 'alpha', 'loss'], /^no metric 'loss' in run 'alpha' \(.+\); its metrics: eval\/acc, train\/loss$/],
    [['compare', 'alpha', 'beta', '--metric', 'loss'], /^no metric 'loss' in the runs alpha, beta; its metrics: eval\/acc, train\/loss$/],
    [['compare', 'alpha', 'nope'], /^no run with id or name 'nope' \(list them with: tunestudio runs\); recent runs: .*alpha/],
  ];
  for (const [args, re] of cases) {
    const human = cli(args, { dir: store });
    assert.equal(human.code, 1, `${args.join(' ')}: ${human.stdout}`);
    assert.equal(human.stdout, '', args.join(' '));
    assert.match(human.stderr.trim().replace(/^tunestudio: /, ''), re, args.join(' '));
    const json = cli([...args, '--json'], { dir: store });
    assert.equal(json.code, 1, `${args.join(' ')} --json`);
    assert.equal(json.stdout, '');
    assert.match(JSON.parse(json.stderr).error, re, `${args.join(' ')} --json`);
  }
  // A store that does not exist has no projects either.
  const none = cli(['summary', '--project', 'p', '--json'], { dir: path.join(dir, 'elsewhere'), cwd: dir });
  assert.equal(none.code, 1);
  assert.match(JSON.parse(none.stderr).error, /no project 'p'; there are no projects yet/);
});

test('"no run qualifies" keeps the full best shape with nulls; best and summary rank finished and stopped runs; --status chooses', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  // A patience watcher stops the better run (the normal way early stopping succeeds).
  fs.writeFileSync(
    path.join(dir, 'runs.js'),
    `const { init } = require(${JSON.stringify(SDK)});
     const a = init({ project: 'es', name: 'early' }); a.watch('loss', { patience: 2 });
     for (const [i, v] of [1, 0.1, 0.2, 0.3, 0.4].entries()) { if (a.shouldStop()) break; a.log({ loss: v }, i); } a.finish();
     const b = init({ project: 'es', name: 'full' }); [1, 0.5].forEach((v, i) => b.log({ loss: v }, i)); b.finish();
     const c = init({ project: 'es', name: 'broke' }); c.log({ loss: 0.01 }, 0); c.finish('failed');`,
  );
  const r = require('node:child_process').spawnSync(process.execPath, [path.join(dir, 'runs.js')], { env: { ...process.env, TUNESTUDIO_DIR: store }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const early = cliJson<{ status: string; reason: string }>(['show', 'early'], { dir: store });
  assert.equal(early.status, 'stopped');
  assert.match(early.reason, /^loss stopped improving/, 'no "stopped: " before the reason');
  assert.equal(cliJson<{ status: string }>(['show', 'broke'], { dir: store }).status, 'failed', "finish('failed')");
  const best = cliJson<{ run: { name: string }; candidates: number }>(['best', '--metric', 'loss'], { dir: store });
  assert.equal(best.run.name, 'early');
  assert.equal(best.candidates, 2);
  assert.equal(cliJson<{ run: { name: string } }>(['best', '--metric', 'loss', '--status', 'finished'], { dir: store }).run.name, 'full');
  assert.equal(cliJson<{ run: { name: string } }>(['best', '--metric', 'loss', '--include-all'], { dir: store }).run.name, 'broke');
  const summary = cliJson<{ metrics: Array<{ metric: string; best: { run_name: string } | null }> }>(['summary'], { dir: store });
  assert.equal(summary.metrics.find((m) => m.metric === 'loss')!.best!.run_name, 'early');
  assert.equal(cliJson<typeof summary>(['summary', '--status', 'finished'], { dir: store }).metrics[0].best!.run_name, 'full');
  // Nobody qualifies: an answer, exit 0, every key of the shape present.
  const none = cli(['best', '--metric', 'loss', '--status', 'cancelled', '--json'], { dir: store });
  assert.equal(none.code, 0, none.stderr);
  assert.deepEqual(JSON.parse(none.stdout), { run: null, metric: 'loss', value: null, step: null, mode: 'last', direction: 'min', candidates: 0 });
  const human = cli(['best', '--metric', 'loss', '--status', 'cancelled'], { dir: store });
  assert.equal(human.code, 1);
  assert.match(human.stderr, /no cancelled run has a finite last value of 'loss'/);
  assert.match(cli(['best', '--help'], { dir: store }).stdout, /finished stopped/);
});

test('alerts --since without an offset is read as UTC, also on a UTC−5 machine', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  seed(store, dir);
  const alerts = cliJson<Array<{ id: number; created_at: string }>>(['alerts'], { dir: store });
  assert.ok(alerts.length >= 1);
  const first = Date.parse(alerts[0].created_at);
  // One second before the first alert, written as Python's utcnow().isoformat() writes it: no offset.
  const naive = new Date(first - 1000).toISOString().replace(/Z$/, '');
  const env = { TZ: 'America/New_York' };
  // The child really runs at UTC−5: it parses a naive time 5 hours off UTC.
  const probe = require('node:child_process').spawnSync(process.execPath, ['-e', 'process.stdout.write(String(new Date("2026-12-04T10:00:00").getTimezoneOffset()))'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.equal(probe.stdout, '300');
  const r = cli(['alerts', '--since', naive, '--json'], { dir: store, env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).map((a: { id: number }) => a.id), alerts.map((a) => a.id), 'every alert since then, none missed');
  const later = new Date(Date.parse(alerts[alerts.length - 1].created_at) + 1000).toISOString().replace(/Z$/, '');
  assert.deepEqual(JSON.parse(cli(['alerts', '--since', later, '--json'], { dir: store, env }).stdout), []);
  assert.match(cli(['alerts', '--help'], { dir: store }).stdout.replace(/\s+/g, ' '), /a time without an offset is UTC/);
});

test('issue 13: a run rule is refused the same way through the CLI and through the runtime request (delete while running, stop when not running)', async (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  seed(store, dir);
  // A run whose process is alive (so no reaper marks it crashed) until the test ends.
  const live = require('node:child_process').spawn(
    process.execPath,
    ['-e', `const { init } = require(${JSON.stringify(SDK)}); const r = init({ project: 'proj', name: 'busy' }); r.log({ 'train/loss': 1 }, 0); console.log('ready'); setInterval(() => {}, 1000);`],
    { env: { ...process.env, TUNESTUDIO_DIR: store }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => live.kill('SIGKILL'));
  let out = '';
  live.stdout.on('data', (d: Buffer) => (out += d));
  await waitFor(() => out.includes('ready'), 'the running run to be created');
  const rt = await startRuntime({ storeDir: store });
  t.after(() => rt.stop());

  const viaCli = cli(['delete', 'busy', '--yes', '--json'], { dir: store });
  assert.equal(viaCli.code, 1);
  const cliMessage = JSON.parse(viaCli.stderr).error as string;
  assert.match(cliMessage, /^run 'busy' \(.+\) is still running; stop it first/);
  const viaRuntime = await rt.request(RunDeleteRequest.type, { run: 'busy' }).then(
    () => assert.fail('the runtime deleted a running run'),
    (e: Error) => e.message,
  );
  assert.equal(viaRuntime, cliMessage, 'one rule, one message, whichever face');
  assert.equal(cliJson<Array<{ name: string }>>(['runs'], { dir: store }).filter((r) => r.name === 'busy').length, 1, 'nothing deleted');

  const stopCli = cli(['stop', 'alpha', '--json'], { dir: store });
  assert.equal(stopCli.code, 1);
  const stopMessage = JSON.parse(stopCli.stderr).error as string;
  assert.match(stopMessage, /^run 'alpha' \(.+\) is finished, not running; nothing to stop$/);
  assert.deepEqual(await rt.request(RunStopRequest.type, { run: 'alpha' }), { stopRequested: false, message: stopMessage });
});
