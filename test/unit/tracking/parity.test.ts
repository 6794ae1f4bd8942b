// Issue 12: trackio parity. Each case was run from trackio PR #521's own tests
// (or its review) and failed here before the fix: defaults, custom watcher
// functions, non-finite alert data, refused watch lines, ranking of stopped
// runs, unknown names, naive --since times, reasons that repeat the status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../../src/runtime/store/db';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { RunIngest } from '../../../src/runtime/tracking/ingest';
import { MetricNotFoundError, ProjectNotFoundError, Queries, RunNotFoundError, parseSince } from '../../../src/runtime/tracking/queries';
import { evaluateWatcher, validateWatch, WatchError, type WatchEvent, type WatcherState } from '../../../src/runtime/tracking/watchers';
import { parseProtocolLine } from '../../../src/protocol/lines';
import { tmpDir } from '../../helpers/tmp';

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

function opens(options: Record<string, unknown>, values: number[]): Array<{ step: number; reason: string; stop: boolean }> {
  const spec = validateWatch('loss', options);
  const state: WatcherState = {};
  const out: Array<{ step: number; reason: string; stop: boolean }> = [];
  values.forEach((v, step) => {
    for (const e of evaluateWatcher(spec, state, v, step) as WatchEvent[]) if (e.type === 'open') out.push({ step, reason: e.alert.reason, stop: e.alert.stop });
  });
  return out;
}

test('nan is watched by default (trackio: nan=True): watch("loss", max_value=10) on [1, NaN, NaN, NaN] alerts once and stops', (t) => {
  assert.deepEqual(opens({ max_value: 10 }, [1, NaN, NaN, NaN]), [{ step: 1, reason: 'nan', stop: true }]);
  // a watch with no option at all is trackio's watch("loss"): the nan rule alone
  assert.deepEqual(validateWatch('loss', {}), { metric: 'loss', nan: true });
  assert.deepEqual(opens({ max_value: 10, nan: false }, [1, NaN, NaN, NaN]), [], 'nan: false turns it off');
  // through the tracker: should_stop() is true
  const { tracker } = setup(t);
  const run = tracker.createRun({ project: 'p' });
  tracker.watch(run.id, 'loss', { max_value: 10 });
  for (const [i, v] of [1, NaN, NaN, NaN].entries()) tracker.log(run.id, { loss: v }, i);
  assert.equal(tracker.stopRequested(run.id)?.source, 'watcher');
  // the same default through a {"watch": …} protocol line (Python loops, any language)
  const viaLine = tracker.createRun({ project: 'p' });
  const ingest = new RunIngest(tracker, viaLine.id);
  for (const line of ['@tunestudio {"watch": {"metric": "loss", "max_value": 10}}', '@tunestudio {"step": 0, "metrics": {"loss": 1}}', '@tunestudio {"step": 1, "metrics": {"loss": NaN}}']) {
    const m = parseProtocolLine(line);
    assert.ok(m.ok);
    ingest.apply(m.message);
  }
  assert.equal(tracker.stopRequested(viaLine.id)?.reason, 'loss is NaN');
});

test("the spike window defaults to trackio's 5 values", () => {
  // With 5 earlier values of 1 the sixth is compared; the old default (10) had no full window yet.
  assert.deepEqual(opens({ spike_factor: 3 }, [1, 1, 1, 1, 1, 10]), [{ step: 5, reason: 'spike', stop: false }]);
  assert.deepEqual(opens({ spike_factor: 3 }, [1, 1, 1, 1, 10]), [], 'four values are not a full window');
});

test('a custom watcher function of the wrong arity is refused at watch(), naming the metric and the fix', (t) => {
  const { tracker } = setup(t);
  const run = tracker.createRun({ project: 'p' });
  assert.throws(
    () => tracker.watch(run.id, 'loss', {}, ((metric: string, value: number, step: number) => (metric && value > step ? null : null)) as never),
    (e: Error) => e instanceof WatchError && /called as fn\(value, step\) — 2 arguments — but .* declares 3/.test(e.message) && /'loss'/.test(e.message),
  );
  assert.throws(() => tracker.watch(run.id, 'loss', {}, 'not a function' as never), /must be a function/);
  // fn(value) and fn(value, step) are fine
  tracker.watch(run.id, 'loss', {}, (v: number) => v > 1);
  tracker.watch(run.id, 'loss', {}, (v: number, s: number) => (v > s ? null : null));
});

test("a custom function returning trackio's shape (a list of alert dicts, or one dict) is read as such", (t) => {
  const { tracker, q } = setup(t);
  const run = tracker.createRun({ project: 'p' });
  tracker.watch(run.id, 'acc', {}, (v: number) =>
    v < 0.1 ? [{ title: 'accuracy collapsed', text: `acc=${v}`, level: 'error', stop: true, data: { floor: 0.1 } }] : [],
  );
  tracker.watch(run.id, 'lr', {}, (v: number) => (v > 1 ? { title: 'lr too high', level: 'warning' as never } : null));
  tracker.log(run.id, { acc: 0.5, lr: 0.1 }, 0);
  tracker.log(run.id, { acc: 0.05, lr: 2 }, 1);
  tracker.flush();
  const alerts = q.alerts({ run: run.id });
  const collapsed = alerts.find((a) => a.metric === 'acc')!;
  assert.equal(collapsed.title, 'accuracy collapsed');
  assert.equal(collapsed.text, 'acc=0.05');
  assert.equal(collapsed.level, 'error');
  assert.equal(collapsed.data.floor, 0.1);
  assert.equal(collapsed.data.stop, true);
  assert.equal(tracker.stopRequested(run.id)?.reason, 'accuracy collapsed', 'the dict said stop: true');
  const lr = alerts.find((a) => a.metric === 'lr')!;
  assert.equal(lr.title, 'lr too high');
  assert.equal(lr.level, 'warn', "trackio's 'warning' is warn");
  assert.equal(alerts.length, 2, 'an empty list is "fine"');
});

test('NaN/±Infinity inside a user alert\'s data are stored as "NaN"/"Infinity"/"-Infinity" (SDK and protocol line)', (t) => {
  const { tracker, q } = setup(t);
  const run = tracker.createRun({ project: 'p' });
  tracker.alert(run.id, { title: 'direct', data: { v: NaN, nested: { hi: Infinity }, list: [-Infinity, 1] } });
  const parsed = parseProtocolLine('@tunestudio {"alert": {"title": "line", "data": {"v": NaN, "nested": {"hi": Infinity}, "list": [-Infinity, 1]}}}');
  assert.ok(parsed.ok);
  new RunIngest(tracker, run.id).apply(parsed.message);
  tracker.flush();
  const alerts = q.alerts({ run: run.id });
  assert.equal(alerts.length, 2);
  for (const a of alerts) assert.deepEqual(a.data, { v: 'NaN', nested: { hi: 'Infinity' }, list: ['-Infinity', 1] }, a.title);
});

test('a bad {"watch": …} line raises a warn alert that names the problem, besides being counted', (t) => {
  const { tracker, q } = setup(t);
  const run = tracker.createRun({ project: 'p' });
  const ingest = new RunIngest(tracker, run.id);
  const bad = parseProtocolLine('@tunestudio {"watch": {"metric": "train/loss", "patience": 3, "mode": "MIN"}}');
  assert.ok(bad.ok);
  ingest.apply(bad.message);
  // a line the protocol parser itself refuses ("watch.metric" is not a string)
  const line = '@tunestudio {"watch": {"metric": 5, "nan": true}}';
  const refused = parseProtocolLine(line);
  assert.ok(!refused.ok);
  ingest.handle({ type: 'malformed', line, error: refused.error, source: 'protocol' });
  ingest.flushCounters();
  tracker.flush();
  const alerts = q.alerts({ run: run.id });
  assert.equal(alerts.length, 2);
  assert.deepEqual(alerts.map((a) => [a.level, a.reason, a.metric]), [['warn', 'invalid_watch', 'train/loss'], ['warn', 'invalid_watch', null]]);
  assert.match(alerts[0].title, /the watch on 'train\/loss' was refused: 'mode' must be 'min' or 'max'/);
  assert.match(alerts[0].text, /not protected/);
  assert.match(alerts[1].title, /"watch.metric" must be a string/);
  assert.equal(q.showRun(run.id).malformed_lines, 2, 'still counted as malformed');
  assert.equal(q.showRun(run.id).watchers.length, 0);
});

test('best and summary rank runs that ended on purpose (finished and stopped) by default; statuses choose', (t) => {
  const { tracker, q } = setup(t);
  const mk = (name: string, loss: number, status: 'finished' | 'stopped' | 'failed') => {
    const r = tracker.createRun({ project: 'p', name });
    tracker.log(r.id, { loss }, 0);
    tracker.finishRun(r.id, status, { reason: status === 'stopped' ? 'loss stopped improving' : null });
    return r;
  };
  mk('worse', 0.5, 'finished');
  mk('early-stopped', 0.2, 'stopped');
  mk('broken', 0.01, 'failed');
  assert.equal(q.best({ metric: 'loss' })!.run.name, 'early-stopped', 'a run stopped by its patience watcher is a result');
  assert.equal(q.best({ metric: 'loss' })!.candidates, 2);
  assert.equal(q.best({ metric: 'loss', statuses: ['finished'] })!.run.name, 'worse');
  assert.equal(q.best({ metric: 'loss', statuses: ['failed'] })!.run.name, 'broken');
  assert.equal(q.best({ metric: 'loss', includeAll: true })!.run.name, 'broken');
  assert.equal(q.summary().metrics[0].best?.run_name, 'early-stopped');
  assert.equal(q.summary({ statuses: ['finished'] }).metrics[0].best?.run_name, 'worse');
  assert.equal(q.summary({ includeAll: true }).metrics[0].best?.run_name, 'broken');
});

test('unknown project, run or metric is an error that names it and lists what exists', (t) => {
  const { tracker, q } = setup(t);
  const a = tracker.createRun({ project: 'alpha', name: 'a1' });
  tracker.log(a.id, { 'train/loss': 1, 'eval/acc': 0.5 }, 0);
  tracker.createRun({ project: 'beta', name: 'b1' });
  tracker.flush();
  assert.throws(() => q.requireProject('nope'), (e: Error) => e instanceof ProjectNotFoundError && e.message === "no project 'nope'; projects: alpha, beta");
  q.requireProject('alpha');
  q.requireProject(undefined);
  assert.throws(
    () => q.requireMetric('loss', { project: 'alpha' }),
    (e: Error) => e instanceof MetricNotFoundError && e.message === "no metric 'loss' in project 'alpha'; its metrics: eval/acc, train/loss",
  );
  assert.throws(() => q.requireMetric('train/loss', { project: 'beta' }), /no metric 'train\/loss' in project 'beta'; nothing has been logged there yet/);
  q.requireMetric('train/loss', { runIds: [a.id] });
  assert.throws(
    () => q.resolveRun('nope'),
    (e: Error) =>
      e instanceof RunNotFoundError &&
      /^no run with id or name 'nope' \(list them with: tunestudio runs\); recent runs: .+$/.test(e.message) &&
      e.message.includes(`a1 (${a.id})`) &&
      /b1 \(/.test(e.message),
  );
  assert.throws(() => q.resolveRun('a1', 'beta'), /no run with id or name 'a1' in project 'beta' .*recent runs in project 'beta': b1/);
});

test('a --since time without an offset is UTC (stored times are UTC), whatever the local zone', () => {
  assert.equal(parseSince('2026-12-04T10:00:00'), '2026-12-04T10:00:00.000Z');
  assert.equal(parseSince('2026-12-04 10:00'), '2026-12-04T10:00:00.000Z');
  assert.equal(parseSince('2026-12-04T10:00:00.250'), '2026-12-04T10:00:00.250Z');
  assert.equal(parseSince('2026-12-04T10:00:00-05:00'), '2026-12-04T15:00:00.000Z', 'an explicit offset is kept');
  assert.equal(parseSince('2026-12-04T10:00:00Z'), '2026-12-04T10:00:00.000Z');
  assert.equal(parseSince('2026-12-04'), '2026-12-04T00:00:00.000Z');
  assert.throws(() => parseSince('yesterday'), /without an offset it is read as UTC/);
});

test("a run's reason never repeats its status word (\"stopped: stopped: enough\")", (t) => {
  const { tracker, q } = setup(t);
  const r = tracker.createRun({ project: 'p' });
  tracker.finishRun(r.id, 'stopped', { reason: 'stopped: enough' });
  assert.equal(q.resolveRun(r.id).reason, 'enough');
  const f = tracker.createRun({ project: 'p' });
  tracker.finishRun(f.id, 'failed', { reason: 'stopped: by the user, then failed' });
  assert.equal(q.resolveRun(f.id).reason, 'stopped: by the user, then failed', 'only its own status word is dropped');
});

test('setProcess records the process that writes a run', (t) => {
  const { tracker, db } = setup(t);
  const r = tracker.createRun({ project: 'p', pid: null });
  tracker.setProcess(r.id, 4242, 'tok');
  assert.deepEqual(db.prepare(`SELECT pid, pid_start FROM runs WHERE id = ?`).get(r.id), { pid: 4242, pid_start: 'tok' });
});

test('resumeRun: the same run goes on in a new process (running again, end and stop request cleared)', (t) => {
  const { tracker, q } = setup(t);
  const r = tracker.createRun({ project: 'p', name: 'again' });
  tracker.log(r.id, { loss: 1 }, 0);
  tracker.requestStop(r.id, 'user', 'enough');
  tracker.finishRun(r.id, 'stopped', { reason: 'enough' });
  assert.equal(tracker.runExists(r.id), true);
  assert.equal(tracker.runExists('nope'), false);
  tracker.resumeRun(r.id, { pid: 4242, pidStart: 'tok', host: 'h' });
  const run = q.showRun(r.id);
  assert.deepEqual([run.status, run.reason, run.ended_at, run.pid, run.host, run.stop_request], ['running', null, null, 4242, 'h', null]);
  assert.equal(tracker.stopRequested(r.id), null, 'the cached stop is forgotten too');
  tracker.log(r.id, { loss: 0.5 });
  tracker.flush();
  assert.equal(q.showRun(r.id).summary.loss.last_step, 1, 'steps go on after the last one');
});
