// The words of the alert and job-end toasts (src/extension/notices.ts): what
// the watcher did and what is happening, only actions that still mean
// something, a job's end with its reason and no repeated state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertHeadline, alertToast, jobEndToast, reasonWithoutState } from '../../../src/extension/notices';
import type { Alert } from '../../../src/protocol/tracking';
import type { Job } from '../../../src/protocol/jobs';
import { runLabel } from '../../../src/extension/views/runLabel';

const nan: Alert = {
  id: 1, run_id: 'r1', run_name: 'demo', project: 'p', level: 'error', reason: 'nan', metric: 'train/loss', step: 60,
  title: 'train/loss is NaN', text: '', data: { stop: true }, created_at: '', updated_at: '', acknowledged: false,
};

function job(over: Partial<Job>): Job {
  return {
    id: 'j1', state: 'completed', name: 'demo', project: 'p', spec: { command: ['node', 'x.js'] }, spec_file: null, priority: 0, attempt: 1, pid: null,
    exit_code: 0, signal: null, reason: null, error_summary: null, run_id: 'r1', created_at: '2026-01-01T00:00:00.000Z',
    started_at: '2026-01-01T00:00:00.000Z', ended_at: '2026-01-01T00:00:12.000Z', log_path: '/x/log', progress: null, status_text: null, ...over,
  } as Job;
}

test('the headline says the metric and step once', () => {
  assert.equal(alertHeadline(nan), 'train/loss is NaN at step 60');
  assert.equal(alertHeadline({ ...nan, title: 'loss spiked' }), 'loss spiked (train/loss) at step 60');
  assert.equal(alertHeadline({ ...nan, title: 'no progress at step 60', metric: null }), 'no progress at step 60');
});

test('a watcher stop under way: says so, with the grace period, and offers no Stop Run or Ignore', () => {
  const t = alertToast([nan], { status: 'running', stop_request: { source: 'watcher', reason: 'train/loss is NaN' } }, 10);
  assert.equal(t.message, "Tune Studio: run 'demo': train/loss is NaN at step 60 — the watcher is stopping the run: asked the trainer, SIGTERM in 10 s.");
  assert.deepEqual(t.actions, ['Open Dashboard', 'Show Log']);
  const unsupervised = alertToast([nan], { status: 'running', stop_request: { source: 'watcher', reason: 'x' } }, null);
  assert.match(unsupervised.message, /the watcher is stopping the run: asked the trainer to stop\.$/);
  assert.ok(!unsupervised.actions.includes('Stop Run') && !unsupervised.actions.includes('Acknowledge'));
});

test('the same alert from two watchers reads once', () => {
  const t = alertToast([nan, { ...nan, id: 2 }], { status: 'stopped', stop_request: { source: 'watcher', reason: 'x' } }, 10);
  assert.equal(t.message, "Tune Studio: run 'demo': train/loss is NaN at step 60 — the watcher stopped the run.");
});

test('a dead run gets no Stop Run; a running one with no stop does', () => {
  const dead = alertToast([nan], { status: 'failed', stop_request: null }, 10);
  assert.match(dead.message, /— the run has ended \(failed\)\.$/);
  assert.ok(!dead.actions.includes('Stop Run'));
  const stoppedByWatcher = alertToast([nan], { status: 'stopped', stop_request: { source: 'watcher', reason: 'train/loss is NaN' } }, 10);
  assert.equal(stoppedByWatcher.message, "Tune Studio: run 'demo': train/loss is NaN at step 60 — the watcher stopped the run.");
  assert.ok(!stoppedByWatcher.actions.includes('Stop Run'));
  const live = alertToast([{ ...nan, level: 'warn', title: 'spike' }], { status: 'running', stop_request: null }, 10);
  assert.deepEqual(live.actions, ['Open Dashboard', 'Stop Run', 'Acknowledge']);
});

test('job end: the outcome, the reason without the repeated state, only the outcomes asked for', () => {
  assert.equal(reasonWithoutState('stopped', 'stopped: stopped: train/loss is NaN'), 'train/loss is NaN');
  const failed = jobEndToast(job({ state: 'failed', exit_code: 1, reason: 'failed: exit code 1', error_summary: 'Traceback\nValueError: bad lr' }), ['failed']);
  assert.equal(failed?.level, 'error');
  assert.equal(failed?.message, "Tune Studio: job 'demo' failed after 12s: exit code 1 — ValueError: bad lr.");
  const noReason = jobEndToast(job({ state: 'failed', exit_code: 2, reason: null, error_summary: 'Traceback\nValueError: bad lr' }), ['failed']);
  assert.equal(noReason?.message, "Tune Studio: job 'demo' failed after 12s: ValueError: bad lr.");
  assert.deepEqual(noReason?.actions, ['Show Log', 'Open Dashboard']);
  const stopped = jobEndToast(job({ state: 'stopped', reason: 'stopped: train/loss is NaN' }), ['stopped']);
  assert.equal(stopped?.message, "Tune Studio: job 'demo' stopped after 12s: train/loss is NaN.");
  assert.equal(jobEndToast(job({ state: 'completed' }), ['failed']), null, 'completed is not asked for');
  assert.equal(jobEndToast(job({ state: 'completed' }), ['completed'])?.message, "Tune Studio: job 'demo' finished after 12s.", 'the word runs use');
});

test('same-named runs are told apart by start time, then by id', () => {
  const now = new Date('2026-12-04T20:00:00Z');
  const a = { id: 'aaaa0001xyzw', name: 'demo', created_at: '2026-12-04T19:42:05Z' };
  const b = { id: 'aaaa0002qrst', name: 'demo', created_at: '2026-12-04T19:50:10Z' };
  const c = { id: 'aaaa0003mnop', name: 'demo', created_at: '2026-12-04T19:50:10Z' };
  const other = { id: 'x', name: 'other', created_at: '2026-12-04T19:00:00Z' };
  assert.equal(runLabel(other, [a, b, other], now), 'other', 'a unique name stays as it is');
  const la = runLabel(a, [a, b], now);
  const lb = runLabel(b, [a, b], now);
  assert.notEqual(la, lb);
  assert.match(la, /^demo · \d\d:\d\d:\d\d$/);
  assert.notEqual(runLabel(b, [a, b, c], now), runLabel(c, [a, b, c], now), 'same second: the id tells them apart');
  assert.match(runLabel(a, [a, b], new Date('2026-12-10T00:00:00Z')), /^demo · \S+ \d+ \d\d:\d\d:\d\d$|^demo · \d+ \S+ \d\d:\d\d:\d\d$/, 'another day: the date too');
});
