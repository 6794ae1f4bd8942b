// `tune-studio/api`, the Node read API: resolved through package.json's
// `exports` (a real child process requiring 'tune-studio/api', so the build
// entry and the exports line are what is tested) on a store the test writes
// with the real Tracker. Needs the build (node scripts/build.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { openDatabase } from '../../src/runtime/store/db';
import { Tracker } from '../../src/runtime/tracking/tracker';
import { cliJson, ROOT } from '../helpers/cli';
import { tmpDir } from '../helpers/tmp';
import * as api from '../../src/api';

function node(script: string, env: Record<string, string>): unknown {
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("tune-studio/api reads runs, status, final metrics, history and alerts by id — what the CLI reads", async (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const db = openDatabase(store);
  const tracker = new Tracker(db);
  const a = tracker.createRun({ project: 'sweep', name: 'lr-a', config: { lr: 0.01 } });
  const b = tracker.createRun({ project: 'sweep', name: 'lr-b', config: { lr: 1 }, pid: process.pid });
  for (let s = 1; s <= 500; s++) tracker.log(a.id, { 'train/loss': 1 / s }, s);
  tracker.log(b.id, { 'train/loss': Number.NaN }, 1);
  tracker.alert(b.id, { title: 'train/loss is NaN', metric: 'train/loss', step: 1, level: 'error', reason: 'nan' });
  tracker.alert(b.id, { title: 'second', metric: 'train/loss', step: 1 });
  tracker.finishRun(a.id, 'finished');
  tracker.flush();
  t.after(() => {
    tracker.close();
    db.close();
  });

  const out = node(
    `const api = require('tune-studio/api');
     const runs = api.runs({ project: 'sweep' });
     const a = runs.find((r) => r.name === 'lr-a');
     const h = a.history('train/loss', { maxPoints: 50 });
     const first = api.alerts({ limit: 1 });
     const rest = api.alerts({ after: first[0].id });
     console.log(JSON.stringify({
       names: runs.map((r) => r.name), statuses: runs.map((r) => r.status),
       final: runs.map((r) => r.finalMetrics()), config: a.config,
       history: { total: h.total, downsampled: h.downsampled, n: h.steps.length, last: h.values[h.values.length - 1] },
       alerts: [first.map((x) => x.title), rest.map((x) => x.title)],
     }, (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
     api.close();`,
    { TUNESTUDIO_DIR: store },
  ) as { names: string[]; statuses: string[]; final: Array<Record<string, number | string>>; config: Record<string, unknown>; history: { total: number; downsampled: boolean; n: number; last: number }; alerts: string[][] };

  const cli = cliJson<Array<{ name: string; status: string }>>(['runs', '--project', 'sweep'], { dir: store });
  assert.deepEqual(out.names, cli.map((r) => r.name), 'the same runs in the same order as `tunestudio runs`');
  assert.deepEqual(out.statuses, cli.map((r) => r.status));
  // Both runs are created in the same millisecond, so which is "newest" is a tie: compare by name.
  const byName = (xs: unknown[]) => Object.fromEntries(out.names.map((n, i) => [n, xs[i]]));
  assert.deepEqual(byName(out.statuses), { 'lr-a': 'finished', 'lr-b': 'running' });
  assert.deepEqual(byName(out.final), { 'lr-a': { 'train/loss': 1 / 500 }, 'lr-b': { 'train/loss': 'NaN' } });
  assert.deepEqual(out.config, { lr: 0.01 });
  assert.equal(out.history.total, 500);
  assert.equal(out.history.downsampled, true);
  assert.ok(out.history.n <= 50 && out.history.n > 10, `downsampled to ${out.history.n} points`);
  assert.equal(out.history.last, 1 / 500);
  assert.deepEqual(out.alerts, [['train/loss is NaN'], ['second']], 'alerts paged by id: each once');

  // Status is read when asked, not when the handle was made.
  const handle = api.run('lr-b', { dir: store });
  t.after(() => api.close());
  assert.equal(handle.status, 'running');
  tracker.finishRun(b.id, 'failed', { reason: 'diverged' });
  tracker.flush();
  assert.equal(handle.status, 'failed');
  assert.equal(handle.detail().reason, 'diverged');
});

test('tune-studio/api on a folder with no store says where it looked and how to point it elsewhere', (t) => {
  const dir = tmpDir(t);
  const r = spawnSync(process.execPath, ['-e', `require('tune-studio/api').runs()`], { cwd: ROOT, env: { ...process.env, TUNESTUDIO_DIR: path.join(dir, 'nothing') }, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no Tune Studio store at .*nothing.*TUNESTUDIO_DIR/s);
});
