// RunsService.rename's rules on a real store: the name is trimmed; empty,
// multi-line and over-long names are refused with a message naming the run,
// the cause and the fix, and the stored name is unchanged; a running run can
// be renamed and keeps logging; names need not be unique.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../../src/runtime/store/db';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { Queries } from '../../../src/runtime/tracking/queries';
import { RunRuleError, RunsService, RUN_NAME_MAX } from '../../../src/runtime/tracking/runs';
import { tmpDir } from '../../helpers/tmp';

function setup(t: Parameters<typeof tmpDir>[0]) {
  const db = openDatabase(tmpDir(t));
  const tracker = new Tracker(db, { flushIntervalMs: 10_000 });
  const q = new Queries(db);
  t.after(() => {
    tracker.close();
    db.close();
  });
  return { tracker, q, runs: new RunsService({ queries: () => q, tracker: () => tracker, store: () => tracker.store }) };
}

test('a rename is trimmed, stored, and found by its new name', (t) => {
  const { tracker, runs } = setup(t);
  const r = tracker.createRun({ project: 'p', name: 'old' });
  const renamed = runs.rename('old', '  lr 3e-4, warmup 100  ');
  assert.equal(renamed.id, r.id);
  assert.equal(renamed.name, 'lr 3e-4, warmup 100');
  assert.equal(runs.resolve('lr 3e-4, warmup 100').id, r.id);
  assert.throws(() => runs.resolve('old', 'p'), /old/);
});

test('empty, multi-line and over-long names are refused and change nothing', (t) => {
  const { tracker, runs } = setup(t);
  const r = tracker.createRun({ project: 'p', name: 'keep' });
  const cases: Array<[string, RegExp]> = [
    ['', /cannot rename run 'keep' \(.+\): the new name is empty; give a name with at least one visible character/],
    ['   \t ', /the new name is empty/],
    ['two\nlines', /control character .*use one line of plain text/],
    ['x'.repeat(RUN_NAME_MAX + 1), new RegExp(`${RUN_NAME_MAX + 1} characters long; use at most ${RUN_NAME_MAX}`)],
  ];
  for (const [name, msg] of cases) {
    assert.throws(() => runs.rename(r.id, name), (e: unknown) => e instanceof RunRuleError && msg.test((e as Error).message), JSON.stringify(name));
    assert.equal(runs.resolve(r.id).name, 'keep');
  }
  assert.equal(runs.rename(r.id, 'y'.repeat(RUN_NAME_MAX)).name.length, RUN_NAME_MAX, 'the limit itself is accepted');
});

test('a running run can be renamed and keeps logging; same names are allowed', (t) => {
  const { tracker, runs, q } = setup(t);
  const a = tracker.createRun({ project: 'p', name: 'a' });
  const b = tracker.createRun({ project: 'p', name: 'b' });
  tracker.log(a.id, { 'train/loss': 1 }, 0);
  runs.rename(a.id, 'b');
  tracker.log(a.id, { 'train/loss': 0.5 }, 1);
  tracker.flush();
  assert.equal(runs.resolve(a.id).status, 'running');
  assert.equal(q.history(a.id, 'train/loss', {}).total, 2);
  assert.throws(() => runs.resolve('b'), /ambiguous|more than one|2 runs/i, 'the shared name now needs an id');
  assert.equal(runs.resolve(b.id).name, 'b');
});
