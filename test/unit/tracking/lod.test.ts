import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { openDatabase } from '../../../src/runtime/store/db';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { Queries } from '../../../src/runtime/tracking/queries';
import { tmpDir } from '../../helpers/tmp';

function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

test('downsampled history from the summaries equals a brute-force reading of every point, for any range', (t) => {
  const db = openDatabase(tmpDir(t));
  t.after(() => db.close());
  const tracker = new Tracker(db, { flushPoints: 777, flushIntervalMs: 60_000 });
  const run = tracker.createRun();
  const r = rng(3);
  const raw: Array<[number, number]> = [];
  // out of order, duplicates, gaps, NaN/Inf stretches, big spikes
  for (let i = 0; i < 60_000; i++) {
    const step = i < 50_000 ? i * 3 : Math.floor(r() * 150_000);
    const x = r();
    const v = x < 0.01 ? NaN : x < 0.012 ? Infinity : x < 0.013 ? 1e6 * r() : Math.sin(step / 500) + r() * 0.1;
    raw.push([step, v]);
    tracker.log(run.id, { m: v }, step);
  }
  tracker.flush();
  const q = new Queries(db);
  for (const [from, to, maxPoints] of [
    [undefined, undefined, 1000],
    [undefined, undefined, 50],
    [1234, 98_765, 300],
    [64, 64 * 200 - 1, 100],
    [100_001, 149_999, 40],
  ] as Array<[number | undefined, number | undefined, number]>) {
    const h = q.history(run.id, 'm', { from, to, maxPoints });
    const inRange = raw.filter(([s]) => (from === undefined || s >= from) && (to === undefined || s <= to));
    const what = `range ${from}..${to} max ${maxPoints}`;
    assert.equal(h.total, inRange.length, what);
    assert.ok(h.downsampled, what);
    assert.ok(h.steps.length <= maxPoints, `${what}: ${h.steps.length} points`);
    // every returned point exists
    const byStep = new Map<number, number[]>();
    for (const [s, v] of inRange) byStep.set(s, [...(byStep.get(s) ?? []), v]);
    h.steps.forEach((s, i) => {
      const v = h.values[i];
      assert.ok(byStep.has(s), `${what}: step ${s} exists`);
      if (v !== null) assert.ok(byStep.get(s)!.includes(v), `${what}: value ${v} at ${s} exists`);
    });
    // the extremes of the range are never hidden
    const finite = inRange.filter(([, v]) => Number.isFinite(v)).map(([, v]) => v);
    const got = h.values.filter((v): v is number => v !== null);
    assert.equal(Math.max(...got), Math.max(...finite), `${what}: max kept`);
    assert.equal(Math.min(...got), Math.min(...finite), `${what}: min kept`);
    // every non-finite point is inside a reported stretch, and the counts add up
    const bad = inRange.filter(([, v]) => !Number.isFinite(v));
    assert.equal(h.non_finite.reduce((n, x) => n + x.count, 0), bad.length, `${what}: non-finite count`);
    for (const [s] of bad) assert.ok(h.non_finite.some((x) => s >= x.from && s <= x.to), `${what}: non-finite at ${s} covered`);
    assert.deepEqual([...h.steps].sort((a, b) => a - b), h.steps);
  }
});

test('the migration that adds the summaries builds them for points already stored', (t) => {
  const dir = tmpDir(t);
  const old = openDatabase(dir, { targetVersion: 3 });
  old.prepare(`INSERT INTO projects(name, created_at) VALUES ('p', 'x')`).run();
  old.prepare(`INSERT INTO runs(id, project_id, name, status, created_at, updated_at) VALUES ('r', 1, 'r', 'finished', 'x', 'x')`).run();
  old.prepare(`INSERT INTO metric_names(name) VALUES ('m')`).run();
  const ins = old.prepare(`INSERT INTO metrics(run_id, metric_id, step, value, wall_time) VALUES ('r', 1, ?, ?, ?)`);
  for (let s = 0; s < 5000; s++) ins.run(s, s === 4000 ? null : s % 97, s);
  old.prepare(`INSERT INTO metric_summary(run_id, metric_id, count, nan_count, inf_count, last, last_is_nan, last_step, last_wall, first_step, min, min_step, max, max_step) VALUES ('r', 1, 5000, 1, 0, 53, 0, 4999, 4999, 0, 0, 0, 96, 96)`).run();
  old.close();
  const db = openDatabase(dir);
  t.after(() => db.close());
  const fresh = openDatabase(path.join(dir, 'fresh'));
  t.after(() => fresh.close());
  const tr = new Tracker(fresh);
  const run = tr.createRun({ id: 'r' });
  for (let s = 0; s < 5000; s++) tr.log(run.id, { m: s === 4000 ? NaN : s % 97 }, s);
  tr.close();
  const dump = (d: typeof db) => d.prepare(`SELECT level, bucket, count, min, min_step, max, max_step, nonfinite, nan, nf_first, nf_last FROM metric_lod ORDER BY level, bucket`).all();
  assert.deepEqual(dump(db), dump(fresh));
  const h = new Queries(db).history('r', 'm', { maxPoints: 100 });
  assert.deepEqual(h.non_finite, [{ from: 4000, to: 4000, kind: 'nan', count: 1 }]);
});

test('migration 4 (self-contained SQL) builds exactly the summaries the writer keeps: ±Infinity, NaN, ties, wall times', (t) => {
  const dir = tmpDir(t);
  const old = openDatabase(dir, { targetVersion: 3 });
  old.prepare(`INSERT INTO projects(name, created_at) VALUES ('p', 'x')`).run();
  for (const id of ['r1', 'r2']) old.prepare(`INSERT INTO runs(id, project_id, name, status, created_at, updated_at) VALUES (?, 1, ?, 'finished', 'x', 'x')`).run(id, id);
  old.prepare(`INSERT INTO metric_names(name) VALUES ('a'), ('b')`).run();
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const points: Array<[string, string, number, number, number]> = [];
  for (const run of ['r1', 'r2'])
    for (const m of ['a', 'b'])
      for (let s = 0; s < 3000; s++) {
        const r = rnd();
        const v = r < 0.03 ? NaN : r < 0.05 ? Infinity : r < 0.07 ? -Infinity : Math.floor(rnd() * 20) - 10; // many ties
        points.push([run, m, s, v, 1000 + s + rnd()]);
      }
  const ins = old.prepare(`INSERT INTO metrics(run_id, metric_id, step, value, wall_time) VALUES (?, ?, ?, ?, ?)`);
  for (const [run, m, s, v, w] of points) ins.run(run, m === 'a' ? 1 : 2, s, Number.isNaN(v) ? null : v, w);
  old.close();
  const db = openDatabase(dir);
  t.after(() => db.close());
  const fresh = openDatabase(path.join(dir, 'fresh'));
  t.after(() => fresh.close());
  const tr = new Tracker(fresh);
  for (const id of ['r1', 'r2']) tr.createRun({ id });
  for (const [run, m, s, v, w] of points) tr.log(run, { [m]: v }, s, w);
  tr.close();
  const dump = (d: typeof db) =>
    d.prepare(`SELECT l.run_id, mn.name, level, bucket, count, min, min_step, min_wall, max, max_step, max_wall, nonfinite, nan, nf_first, nf_last FROM metric_lod l JOIN metric_names mn ON mn.id = l.metric_id ORDER BY 1, 2, level, bucket`).all();
  const got = dump(db);
  assert.ok(got.length > 100);
  assert.deepEqual(got, dump(fresh));
});

test('migration 4 on a store of more than 50,000 points (the old backfill failed there: "connection is busy")', (t) => {
  const dir = tmpDir(t);
  const old = openDatabase(dir, { targetVersion: 3 });
  old.prepare(`INSERT INTO projects(name, created_at) VALUES ('p', 'x')`).run();
  old.prepare(`INSERT INTO runs(id, project_id, name, status, created_at, updated_at) VALUES ('r', 1, 'r', 'finished', 'x', 'x')`).run();
  old.prepare(`INSERT INTO metric_names(name) VALUES ('m')`).run();
  const ins = old.prepare(`INSERT INTO metrics(run_id, metric_id, step, value, wall_time) VALUES ('r', 1, ?, ?, ?)`);
  old.transaction(() => {
    for (let s = 0; s < 60_000; s++) ins.run(s, Math.sin(s / 50), s);
  })();
  old.close();
  const db = openDatabase(dir);
  t.after(() => db.close());
  const l6 = db.prepare(`SELECT count(*) AS n, sum(count) AS points FROM metric_lod WHERE level = 6`).get() as { n: number; points: number };
  assert.deepEqual(l6, { n: Math.ceil(60_000 / 64), points: 60_000 });
  const top = db.prepare(`SELECT count, min, max FROM metric_lod WHERE level = 30`).get() as { count: number; min: number; max: number };
  assert.equal(top.count, 60_000);
  assert.ok(top.min < -0.99 && top.max > 0.99);
});
