// The shared watcher vectors (test/fixtures/watcher-vectors.json) through the
// real Tracker and watchers.ts on a real SQLite store. The Python client's
// tests run the same file through a Python run and the runtime
// (test/python/test_vectors.py), so both languages agree on every rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDatabase } from '../../../src/runtime/store/db';
import { Queries } from '../../../src/runtime/tracking/queries';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { tmpDir } from '../../helpers/tmp';

interface Vector {
  name: string;
  watch: Record<string, unknown>;
  values: Array<number | 'NaN' | 'Infinity' | '-Infinity'>;
  alerts: Array<{ reason: string; step: number; count: number; ended: boolean }>;
  stops: boolean;
}

const FILE = path.resolve(__dirname, '..', '..', 'fixtures', 'watcher-vectors.json');
const { vectors } = JSON.parse(fs.readFileSync(FILE, 'utf8')) as { vectors: Vector[] };
const num = (v: Vector['values'][number]) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);

test('the shared vectors file holds cases', () => assert.ok(vectors.length >= 10));

for (const v of vectors) {
  test(`watcher vector: ${v.name}`, (t) => {
    const db = openDatabase(tmpDir(t));
    const tracker = new Tracker(db, { flushIntervalMs: 60_000 });
    t.after(() => {
      tracker.close();
      db.close();
    });
    const run = tracker.createRun({ project: 'vectors' });
    tracker.watch(run.id, 'm', { ...v.watch });
    v.values.forEach((x, step) => tracker.log(run.id, { m: num(x) }, step));
    tracker.flush();
    const alerts = new Queries(db).alerts({ run: run.id });
    assert.deepEqual(
      alerts.map((a) => ({ reason: a.reason, step: a.step, count: Number(a.data.count ?? 1), ended: a.data.ended === true })),
      v.alerts,
    );
    assert.equal(!!tracker.stopRequested(run.id), v.stops, v.stops ? 'asked to stop' : 'not asked to stop');
  });
}
