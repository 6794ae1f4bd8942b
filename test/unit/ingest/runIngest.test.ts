// What RunIngest does with events beyond metrics, on a real store: a notice
// (event files older than the job, skipped) becomes an info alert on the run;
// lines that looked like Trainer logs but gave no metric give the
// "none could be read" note, which a run that read metrics does not get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../../src/runtime/store/db';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { RunIngest } from '../../../src/runtime/tracking/ingest';
import { trainerMetricCount, unreadableNote } from '../../../src/protocol/unreadable';
import { tmpDir } from '../../helpers/tmp';

test('a notice becomes an info alert on the run, naming what was skipped', (t) => {
  const db = openDatabase(tmpDir(t));
  const tracker = new Tracker(db);
  t.after(() => tracker.close());
  const run = tracker.createRun({ name: 'r' });
  const ingest = new RunIngest(tracker, run.id);
  ingest.handle({ type: 'notice', text: 'runs/events.out.tfevents.1.host was last written before this job started: its 83 bytes were skipped', source: 'tfevents' });
  tracker.flush();
  const alerts = db.prepare('SELECT title, text, level, reason FROM alerts WHERE run_id = ?').all(run.id) as Array<{ title: string; text: string; level: string; reason: string }>;
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].level, 'info');
  assert.equal(alerts[0].title, 'Some TensorBoard events were skipped');
  assert.match(alerts[0].text, /its 83 bytes were skipped/);
  assert.equal(ingest.counters.malformed, 0, 'a notice is not a malformed line');
});

test('"N lines looked like Trainer logs but none could be read": only when no metric was read', (t) => {
  const db = openDatabase(tmpDir(t));
  const tracker = new Tracker(db);
  t.after(() => tracker.close());
  const bad = new RunIngest(tracker, tracker.createRun({ name: 'bad' }).id);
  for (let i = 0; i < 27; i++) bad.handle({ type: 'malformed', line: "{'loss': 0.5, 'epoch': ", error: 'looks like a Trainer log dict but is not a complete Python dict: expected a value at column 23', source: 'hf' });
  assert.equal(bad.unreadableNote(), "27 lines looked like Trainer logs but none could be read: hf: looks like a Trainer log dict but is not a complete Python dict: expected a value at column 23 — {'loss': 0.5, 'epoch': ");
  const good = new RunIngest(tracker, tracker.createRun({ name: 'good' }).id);
  good.handle({ type: 'malformed', line: '{', error: 'x', source: 'hf' });
  good.handle({ type: 'metrics', metrics: { 'train/loss': 1 }, step: 1, source: 'hf' });
  assert.equal(good.unreadableNote(), null);
  assert.equal(unreadableNote({ malformed_lines: 1, last_warning: null }, 0), '1 line looked like Trainer logs but none could be read');
  assert.equal(unreadableNote({ malformed_lines: 0, last_warning: null }, 0), null);
  assert.equal(trainerMetricCount(['system/cpu_percent', 'system/memory_mb']), 0);
  assert.equal(trainerMetricCount(['system/cpu_percent', 'train/loss']), 1);
});
