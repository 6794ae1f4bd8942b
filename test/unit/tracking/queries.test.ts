import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../../src/runtime/store/db';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { metricDirection as guessDirection } from '../../../src/protocol/metrics';
import { configDiff, Queries } from '../../../src/runtime/tracking/queries';
import { tmpDir } from '../../helpers/tmp';

function setup(t: Parameters<typeof tmpDir>[0]) {
  const db = openDatabase(tmpDir(t));
  const tracker = new Tracker(db, { flushIntervalMs: 10_000 });
  t.after(() => {
    tracker.close();
    db.close();
  });
  return { db, tracker, q: new Queries(db) };
}

test('history downsampling keeps every spike, the first and last points, and NaN stretches', (t) => {
  const { tracker, q } = setup(t);
  const run = tracker.createRun();
  const spikes = new Set([1234, 55555, 99998]);
  for (let s = 0; s < 100_000; s++) {
    const v = spikes.has(s) ? 1000 + s : s >= 70_000 && s < 70_500 ? NaN : Math.sin(s / 100);
    tracker.log(run.id, { loss: v }, s);
  }
  tracker.flush();
  const h = q.history(run.id, 'loss', { maxPoints: 400 });
  assert.equal(h.total, 100_000);
  assert.equal(h.downsampled, true);
  assert.ok(h.steps.length <= 400, `${h.steps.length} points`);
  for (const s of spikes) {
    const i = h.steps.indexOf(s);
    assert.ok(i >= 0, `spike at ${s} kept`);
    assert.equal(h.values[i], 1000 + s);
  }
  assert.equal(h.steps[0], 0);
  assert.equal(h.steps[h.steps.length - 1], 99_999);
  const nan = h.non_finite.filter((r) => r.kind === 'nan');
  assert.equal(nan.reduce((n, r) => n + r.count, 0), 500);
  assert.equal(Math.min(...nan.map((r) => r.from)), 70_000);
  assert.equal(Math.max(...nan.map((r) => r.to)), 70_499);
  // steps are sorted and a zoomed range is re-queried at full resolution
  assert.deepEqual([...h.steps].sort((a, b) => a - b), h.steps);
  const zoom = q.history(run.id, 'loss', { from: 1200, to: 1299, maxPoints: 400 });
  assert.equal(zoom.downsampled, false);
  assert.equal(zoom.steps.length, 100);
});

test('best: direction, modes, finished only unless include-all, NaN last never wins', (t) => {
  const { tracker, q } = setup(t);
  const mk = (name: string, values: number[], status: 'finished' | 'failed' | null) => {
    const r = tracker.createRun({ project: 'p', name });
    values.forEach((v, i) => tracker.log(r.id, { loss: v, acc: 1 - v }, i));
    if (status) tracker.finishRun(r.id, status);
    return r;
  };
  mk('a', [3, 2, 1.5], 'finished');
  const b = mk('b', [3, 0.5, 1.2], 'finished');
  const c = mk('c', [3, 0.1, NaN], 'finished');
  const d = mk('d', [0.01], 'failed');
  mk('e', [0.001], null);
  tracker.flush();
  const last = q.best({ metric: 'loss' })!;
  assert.equal(last.run.id, b.id, 'b has the lowest finite last value; c ends in NaN');
  assert.equal(last.value, 1.2);
  assert.equal(last.candidates, 2);
  assert.equal(q.best({ metric: 'loss', mode: 'min' })!.run.id, c.id);
  assert.equal(q.best({ metric: 'loss', mode: 'min' })!.step, 1);
  assert.equal(q.best({ metric: 'loss', includeAll: true })!.run.name, 'e');
  assert.equal(q.best({ metric: 'loss', direction: 'max', mode: 'max' })!.value, 3);
  assert.equal(q.best({ metric: 'acc' })!.direction, 'max');
  assert.equal(q.best({ metric: 'acc' })!.run.id, b.id);
  assert.equal(q.best({ metric: 'nope' }), null);
  assert.ok(d);
});

test('compare: runs × metrics in one result, config differences; summary counts', (t) => {
  const { tracker, q } = setup(t);
  const a = tracker.createRun({ project: 'p', name: 'a', config: { lr: 0.1, model: { r: 8 }, seed: 1 } });
  const b = tracker.createRun({ project: 'p', name: 'b', config: { lr: 0.01, model: { r: 8 }, seed: 1 } });
  tracker.watch(a.id, 'loss', { max_value: 1 });
  tracker.log(a.id, { loss: 2, acc: 0.5 }, 0);
  tracker.log(b.id, { loss: 0.3 }, 0);
  tracker.finishRun(a.id, 'failed');
  tracker.finishRun(b.id, 'finished');
  const cmp = q.compare([a.id, 'b'], ['loss', 'acc']);
  assert.deepEqual(cmp.metrics, ['acc', 'loss']);
  assert.equal(cmp.values[a.id].loss.last, 2);
  assert.equal(cmp.values[b.id].loss.last, 0.3);
  assert.equal(cmp.values[b.id].acc, undefined);
  assert.deepEqual(cmp.config_diff, ['lr']);
  const s = q.summary({ project: 'p' });
  assert.deepEqual(s.runs, { total: 2, by_status: { failed: 1, finished: 1 } });
  assert.equal(s.alerts.total, 1);
  assert.deepEqual(s.alerts.by_reason, { above_max: 1 });
  const loss = s.metrics.find((m) => m.metric === 'loss')!;
  assert.equal(loss.best!.run_name, 'b');
  assert.equal(s.metrics.find((m) => m.metric === 'acc')!.best, null, 'acc only in a failed run');
});

test('direction guess and config diff helpers', () => {
  assert.equal(guessDirection('train/loss'), 'min');
  assert.equal(guessDirection('eval/accuracy'), 'max');
  assert.equal(guessDirection('eval/perplexity'), 'min');
  assert.equal(guessDirection('reward'), 'max');
  assert.deepEqual(configDiff([{ a: 1, b: { c: 2 } }, { a: 1, b: { c: 3 }, d: 1 }]), ['b.c', 'd']);
});

test('issue 13: read queries are prepared once per connection, whatever the number of calls', (t) => {
  const { db, tracker } = setup(t);
  for (const name of ['a', 'b']) {
    const r = tracker.createRun({ project: 'p', name });
    for (let s = 0; s < 3000; s++) tracker.log(r.id, { loss: 1 / (s + 1), acc: s / 3000 }, s);
    tracker.alert(r.id, { title: 'x' });
    tracker.finishRun(r.id, 'finished');
  }
  tracker.flush();
  let prepared = 0;
  const prepare = db.prepare.bind(db);
  (db as { prepare: typeof db.prepare }).prepare = ((sql: string) => {
    prepared++;
    return prepare(sql);
  }) as typeof db.prepare;
  const q = new Queries(db);
  const round = () => {
    q.listRuns({ project: 'p' });
    q.showRun('a');
    q.history(q.resolveRun('a').id, 'loss', { maxPoints: 100 });
    q.history(q.resolveRun('b').id, 'loss');
    q.best({ metric: 'loss' });
    q.compare(['a', 'b']);
    q.summary();
    q.alerts({ since: '2026-01-01T00:00:00' });
    q.requireMetric('loss', { project: 'p' });
  };
  round();
  const once = prepared;
  assert.ok(once > 0);
  for (let i = 0; i < 20; i++) round();
  assert.equal(prepared, once, 'no statement compiled again');
  // A statement reused after a caller plucked it gives rows again, not single values.
  assert.equal(typeof q.showRun('a').summary.loss.count, 'number');
  assert.equal(q.metricNames().length, 2);
});
