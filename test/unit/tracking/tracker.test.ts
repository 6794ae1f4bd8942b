import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDatabase } from '../../../src/runtime/store/db';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { AmbiguousRunError, Queries, RunNotFoundError } from '../../../src/runtime/tracking/queries';
import { tmpDir } from '../../helpers/tmp';
import { waitFor } from '../../helpers/wait';

function setup(t: Parameters<typeof tmpDir>[0]) {
  const db = openDatabase(tmpDir(t));
  const tracker = new Tracker(db, { flushIntervalMs: 10_000 });
  const q = new Queries(db);
  t.after(() => {
    tracker.close();
    db.close();
  });
  return { db, tracker, q };
}

test('metrics are narrow rows; NaN and ±Infinity are kept as themselves; summary kept current', (t) => {
  const { db, tracker, q } = setup(t);
  const run = tracker.createRun({ project: 'p', name: 'r' });
  tracker.log(run.id, { 'train/loss': 1.5, acc: 0.1 }, 0);
  tracker.log(run.id, { 'train/loss': NaN }, 1);
  tracker.log(run.id, { 'train/loss': Infinity }, 2);
  tracker.log(run.id, { 'train/loss': 0.5 }, 3);
  tracker.log(run.id, { 'train/loss': -Infinity }, 4);
  tracker.flush();
  assert.equal(db.prepare(`SELECT count(*) FROM metrics`).pluck().get(), 6);
  const h = q.history(run.id, 'train/loss');
  assert.deepEqual(h.steps, [0, 1, 2, 3, 4]);
  assert.deepEqual(h.values, [1.5, null, null, 0.5, null]);
  assert.deepEqual(h.non_finite, [
    { from: 1, to: 2, kind: 'mixed', count: 2 },
    { from: 4, to: 4, kind: 'inf', count: 1 },
  ]);
  const s = q.showRun(run.id).summary['train/loss'];
  assert.equal(s.count, 5);
  assert.equal(s.nan_count, 1);
  assert.equal(s.inf_count, 2);
  assert.equal(s.last, '-Infinity');
  assert.equal(s.last_step, 4);
  assert.equal(s.min, 0.5);
  assert.equal(s.min_step, 3);
  assert.equal(s.max, 1.5);
  assert.equal(s.last_finite, 0.5);
  assert.equal(s.last_finite_step, 3);
});

test('the summary equals a recomputation from history after random out-of-order writes in many batches', (t) => {
  const { db, tracker, q } = setup(t);
  const run = tracker.createRun({ project: 'p' });
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const points: Array<[number, number]> = [];
  for (let i = 0; i < 3000; i++) {
    const step = Math.floor(rnd() * 500);
    const r = rnd();
    const v = r < 0.05 ? NaN : r < 0.08 ? Infinity : r < 0.1 ? -Infinity : (rnd() - 0.5) * 100;
    points.push([step, v]);
    tracker.log(run.id, { m: v }, step);
    if (i % 137 === 0) tracker.flush();
  }
  tracker.flush();
  const s = q.showRun(run.id).summary.m;
  const finite = points.filter(([, v]) => Number.isFinite(v));
  const min = Math.min(...finite.map(([, v]) => v));
  const max = Math.max(...finite.map(([, v]) => v));
  const maxStep = Math.max(...points.map(([s]) => s));
  const lastAtMax = points.filter(([s]) => s === maxStep).pop()![1];
  assert.equal(s.count, 3000);
  assert.equal(s.min, min);
  assert.equal(s.max, max);
  assert.equal(s.nan_count, points.filter(([, v]) => Number.isNaN(v)).length);
  assert.equal(s.inf_count, points.filter(([, v]) => !Number.isNaN(v) && !Number.isFinite(v)).length);
  assert.equal(s.last_step, maxStep);
  assert.equal(s.last, Number.isNaN(lastAtMax) ? 'NaN' : lastAtMax === Infinity ? 'Infinity' : lastAtMax === -Infinity ? '-Infinity' : lastAtMax);
  assert.equal(db.prepare(`SELECT count(*) FROM metrics`).pluck().get(), 3000);
});

test('steps: auto-increment, explicit, out of order kept; names may contain /', (t) => {
  const { tracker, q } = setup(t);
  const run = tracker.createRun();
  assert.equal(tracker.log(run.id, { 'a/b/c': 1 }).step, 0);
  assert.equal(tracker.log(run.id, { 'a/b/c': 2 }).step, 1);
  assert.equal(tracker.log(run.id, { 'a/b/c': 3 }, 10).step, 10);
  assert.equal(tracker.log(run.id, { 'a/b/c': 4 }, 5).step, 5);
  assert.equal(tracker.log(run.id, { 'a/b/c': 5 }).step, 11);
  tracker.flush();
  assert.deepEqual(q.history(run.id, 'a/b/c').steps, [0, 1, 5, 10, 11]);
  assert.throws(() => tracker.log(run.id, { x: 1 }, -1), /whole number ≥ 0/);
  assert.throws(() => tracker.log(run.id, { x: 1 }, 1.5), /whole number ≥ 0/);
});

test('non-numeric values are refused with a counted warning; bigint and Number objects count', (t) => {
  const { tracker, q } = setup(t);
  const run = tracker.createRun();
  const r = tracker.log(run.id, { a: 'abc', b: true, c: null, d: [1], e: 10n, f: new Number(2.5), '': 1, g: 1 });
  assert.equal(r.accepted, 3);
  assert.equal(r.rejected.length, 5);
  assert.match(r.rejected[0], /metric 'a' at step 0: "abc" \(a string\) is not a number/);
  tracker.flush();
  const d = q.showRun(run.id);
  assert.equal(d.rejected_values, 5);
  assert.match(d.last_warning ?? '', /not a number|empty/);
  assert.deepEqual(Object.keys(d.summary).sort(), ['e', 'f', 'g']);
  assert.equal(d.summary.e.last, 10);
});

test('watchers run on logged values from any source: one alert per episode, stop request written', (t) => {
  const { db, tracker, q } = setup(t);
  const run = tracker.createRun({ name: 'diverging' });
  tracker.watch(run.id, 'loss', { nan: true });
  for (let i = 0; i < 1000; i++) tracker.log(run.id, { loss: i < 10 ? 1 / (i + 1) : NaN });
  assert.deepEqual(tracker.stopRequested(run.id), { source: 'watcher', reason: 'loss is NaN' });
  tracker.flush();
  const alerts = q.alerts({ run: run.id });
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].reason, 'nan');
  assert.equal(alerts[0].level, 'error');
  assert.equal(alerts[0].step, 10);
  assert.equal(alerts[0].data.count, 990);
  assert.equal(alerts[0].data.last_step, 999);
  const stop = db.prepare(`SELECT source, reason, alert_id FROM stop_requests WHERE run_id = ?`).get(run.id) as { source: string; alert_id: number };
  assert.equal(stop.source, 'watcher');
  assert.equal(stop.alert_id, alerts[0].id);
});

test('watcher state survives a new tracker (restart): an open episode is extended, not duplicated', (t) => {
  const { db, tracker, q } = setup(t);
  const run = tracker.createRun();
  tracker.watch(run.id, 'loss', { max_value: 1 });
  tracker.log(run.id, { loss: 5 });
  tracker.close();
  const again = new Tracker(db);
  again.log(run.id, { loss: 6 });
  again.log(run.id, { loss: 0.5 });
  again.log(run.id, { loss: 7 });
  again.close();
  const alerts = q.alerts({ run: run.id });
  assert.equal(alerts.length, 2);
  assert.equal(alerts[0].data.count, 2);
  assert.equal(alerts[0].data.ended, true);
  assert.equal(alerts[1].step, 3);
});

test('alerts raised directly carry level, reason constant, data', (t) => {
  const { tracker, q } = setup(t);
  const run = tracker.createRun();
  tracker.alert(run.id, { title: 'eval diverged', text: 'see logs', level: 'error', data: { value: 3, threshold: 2 }, reason: 'not-a-reason' });
  tracker.alert(run.id, { title: 'fyi', level: 'info', reason: 'stalled' });
  tracker.flush();
  const a = q.alerts({ run: run.id });
  assert.deepEqual(a.map((x) => [x.title, x.level, x.reason]), [['eval diverged', 'error', 'custom'], ['fyi', 'info', 'stalled']]);
  assert.deepEqual(a[0].data, { value: 3, threshold: 2 });
  assert.equal(q.alerts({ after: a[0].id }).length, 1);
  assert.equal(q.alerts({ level: 'error' }).length, 1);
  assert.equal(q.alerts({ minLevel: 'warn' }).length, 1);
});

test('run names need not be unique; an ambiguous name is an error listing ids and start times', (t) => {
  const { tracker, q } = setup(t);
  const a = tracker.createRun({ project: 'p', name: 'same' });
  const b = tracker.createRun({ project: 'p', name: 'same' });
  assert.notEqual(a.id, b.id);
  assert.throws(
    () => q.resolveRun('same'),
    (e: Error) => e instanceof AmbiguousRunError && e.message.includes(a.id) && e.message.includes(b.id) && /started 20\d\d-/.test(e.message),
  );
  assert.equal(q.resolveRun(a.id).id, a.id);
  assert.throws(() => q.resolveRun('nope'), RunNotFoundError);
});

test('runs without any metric are listed; finishing is truthful and final', (t) => {
  const { tracker, q } = setup(t);
  const empty = tracker.createRun({ project: 'p', name: 'no-metrics' });
  const other = tracker.createRun({ project: 'p', name: 'has' });
  tracker.log(other.id, { loss: 1 });
  tracker.flush();
  const list = q.listRuns({ project: 'p' });
  assert.deepEqual(list.map((r) => r.name).sort(), ['has', 'no-metrics']);
  assert.equal(list.find((r) => r.id === empty.id)!.headline, null);
  assert.equal(list.find((r) => r.id === other.id)!.headline!.metric, 'loss');
  assert.equal(tracker.finishRun(other.id, 'failed', { exitCode: 3, reason: 'exit code 3' }), true);
  assert.equal(tracker.finishRun(other.id, 'finished'), false, 'a final status is not overwritten');
  const d = q.showRun(other.id);
  assert.equal(d.status, 'failed');
  assert.equal(d.exit_code, 3);
  assert.ok(d.ended_at);
});

test('a full disk: the batch fails with SQLite\'s error, nothing is lost, and it is written once there is room', (t) => {
  const dir = tmpDir(t);
  const db = openDatabase(dir);
  t.after(() => db.close());
  const tracker = new Tracker(db, { flushIntervalMs: 10_000, flushPoints: 1e9 });
  const run = tracker.createRun();
  const pages = Number(db.pragma('page_count', { simple: true }));
  db.pragma(`max_page_count = ${pages + 2}`);
  for (let i = 0; i < 20000; i++) tracker.log(run.id, { loss: i, other_metric_with_a_long_name: i * 2 });
  const err = tracker.tryFlush();
  assert.ok(err, 'flush must fail when the store is full');
  assert.match(err!.message, /full/i);
  assert.equal(tracker.pending, 40000, 'points stay buffered');
  assert.equal(db.prepare(`SELECT count(*) FROM metrics`).pluck().get(), 0, 'the failed batch was rolled back');
  db.pragma('max_page_count = 1073741823');
  assert.equal(tracker.tryFlush(), null);
  assert.equal(db.prepare(`SELECT count(*) FROM metrics`).pluck().get(), 40000);
  assert.equal(new Queries(db).showRun(run.id).summary.loss.count, 20000);
  tracker.close();
  assert.ok(fs.existsSync(path.join(dir, 'studio.db')));
});

test('commit hooks write in the flush transaction (a failing hook keeps the points buffered); batch() defers size-triggered flushes', (t) => {
  const db = openDatabase(tmpDir(t));
  const tracker = new Tracker(db, { flushIntervalMs: 60_000, flushPoints: 10 });
  t.after(() => {
    tracker.close();
    db.close();
  });
  const run = tracker.createRun({ project: 'p', name: 'r' });
  db.exec(`CREATE TABLE side (v INTEGER)`);
  const count = () => db.prepare(`SELECT count(*) FROM metrics`).pluck().get() as number;
  let offset = 0;
  let fail = false;
  const unhook = tracker.onCommit(() => {
    if (fail) throw new Error('hook failed');
    db.prepare(`INSERT INTO side VALUES (?)`).run(offset);
  });
  // Inside a batch, 25 points stay buffered (threshold 10); at its end one flush writes them all.
  tracker.batch(() => {
    for (let s = 0; s < 25; s++) tracker.log(run.id, { loss: s }, s);
    assert.equal(count(), 0, 'no flush in the middle of a batch');
    offset = 25;
  });
  assert.equal(count(), 25);
  assert.deepEqual(db.prepare(`SELECT v FROM side`).pluck().all(), [25], 'the hook saw the state at the end of the batch');
  // A hook that throws rolls the points back with it: nothing half written.
  fail = true;
  tracker.log(run.id, { loss: 1 }, 25);
  assert.ok(tracker.tryFlush() instanceof Error);
  assert.equal(count(), 25);
  assert.equal(tracker.pending, 1, 'the point stays buffered');
  fail = false;
  unhook();
  tracker.flush();
  assert.equal(count(), 26);
  assert.deepEqual(db.prepare(`SELECT v FROM side`).pluck().all(), [25], 'a removed hook no longer runs');
  // Outside a batch the size threshold flushes at once.
  for (let s = 26; s < 36; s++) tracker.log(run.id, { loss: s }, s);
  assert.equal(count(), 36);
});

test('issue 13: heartbeats and progress join the batched flush: 1,000 progress frames are one write transaction, not 1,000', async (t) => {
  const dir = tmpDir(t);
  const db = openDatabase(dir);
  const tracker = new Tracker(db, { flushIntervalMs: 20 });
  const other = openDatabase(dir);
  t.after(() => {
    tracker.close();
    db.close();
    other.close();
  });
  const run = tracker.createRun({ project: 'p' });
  // Counts the writes of the run's heartbeat and progress (a trigger sees every connection's).
  other.exec(`CREATE TABLE beat_writes(n); CREATE TRIGGER count_beats AFTER UPDATE OF heartbeat_at, progress_current ON runs BEGIN INSERT INTO beat_writes VALUES (1); END;`);
  const writes = () => Number(other.prepare(`SELECT count(*) FROM beat_writes`).pluck().get());
  for (let i = 0; i < 1000; i++) tracker.heartbeat(run.id, { current: i, total: i === 0 ? 1000 : undefined });
  assert.equal(writes(), 0, 'nothing written per frame');
  tracker.log(run.id, { loss: 1 }, 0);
  tracker.flush();
  assert.ok(writes() >= 1 && writes() <= 2, `one heartbeat and one progress write for 1,000 frames, with the points (got ${writes()})`);
  const row = other.prepare(`SELECT progress_current, progress_total, heartbeat_at FROM runs WHERE id = ?`).get(run.id) as { progress_current: number; progress_total: number; heartbeat_at: number };
  assert.deepEqual([row.progress_current, row.progress_total], [999, 1000], 'the last frame, with the total given earlier');
  // A heartbeat alone is written by the next timed flush (no points needed).
  other.prepare(`UPDATE runs SET heartbeat_at = 0 WHERE id = ?`).run(run.id);
  tracker.heartbeat(run.id);
  await waitFor(() => (other.prepare(`SELECT heartbeat_at FROM runs WHERE id = ?`).pluck().get(run.id) as number) > 0, 'the heartbeat to be written');
});
