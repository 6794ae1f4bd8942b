// The one-way live path, runtime side, with the real TrackingService on a real
// store (only the JSON-RPC connection is a recorder): a subscribed dashboard
// gets each own flush's points in one MetricsAppended notification, built from
// the flush (no read-back), capped with a gap marker; other processes' writes
// arrive without points (the page pulls); DataChanged carries run ids. The
// page's side: pushed points appended in place, gaps pulled in one request;
// and the page's typed requests (promise, response matching, timeout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeNotifier, type RuntimeContext } from '../../../src/runtime/context';
import { Logger, silentSink } from '../../../src/runtime/log';
import { openDatabase } from '../../../src/runtime/store/db';
import { Store } from '../../../src/runtime/store/store';
import { LivePublisher, toHistory } from '../../../src/runtime/tracking/live';
import { TrackingService } from '../../../src/runtime/tracking/service';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import type { AppendedMetric } from '../../../src/protocol/live';
import type { History, HistoryParams, HistoryResult } from '../../../src/protocol/tracking';
import { Loader } from '../../../src/webviews/dashboard/loader';
import { DashboardModel } from '../../../src/webviews/dashboard/model';
import type { DataChangedParams } from '../../../src/protocol/runtime';
import { IpcRequest } from '../../../src/protocol/webview';
import { createRequester } from '../../../src/webviews/shared/ipc';
import { tmpDir } from '../../helpers/tmp';
import { waitFor } from '../../helpers/wait';

function service(t: Parameters<typeof tmpDir>[0]) {
  const dir = tmpDir(t);
  const store = new Store(dir);
  const handlers = new Map<string, (p: unknown) => unknown>();
  const appended: AppendedMetric[][] = [];
  const changed: DataChangedParams[] = [];
  const connection = {
    onRequest: (type: { method: string }, fn: (p: unknown) => unknown) => handlers.set(type.method, fn),
    sendNotification: (type: { method: string }, p: unknown) => {
      if (type.method === 'tunestudio/metricsAppended') appended.push((p as { appended: AppendedMetric[] }).appended);
    },
  };
  const notifier = new ChangeNotifier((p) => changed.push(p), 0);
  const shutdown: Array<() => void> = [];
  const ctx = {
    connection,
    store,
    log: new Logger(silentSink, 'error'),
    notifyChanged: (p: DataChangedParams) => notifier.notify(p),
    onShutdown: (fn: () => void) => shutdown.push(fn),
  } as unknown as RuntimeContext;
  const svc = new TrackingService(ctx);
  svc.register();
  t.after(() => {
    for (const fn of shutdown) fn();
    store.close();
  });
  const request = (method: string, p: unknown) => handlers.get(method)!(p);
  return { dir, svc, appended, changed, request, flushChanges: () => notifier.flush() };
}

test('own flush: one notification with the points of subscribed runs only, no read-back of the metrics table', (t) => {
  const { svc, appended, changed, request, flushChanges } = service(t);
  const tracker = svc.tracker;
  const a = tracker.createRun({ project: 'p', name: 'shown' });
  const b = tracker.createRun({ project: 'p', name: 'not-shown' });
  tracker.log(a.id, { 'train/loss': 2 }, 0);
  tracker.flush();
  assert.deepEqual(request('tunestudio/metrics/subscribe', { key: 'd1', runIds: [a.id] }), { subscribed: [a.id] });
  appended.length = 0;
  changed.length = 0;
  // Count the statements that read the metrics table during the next flush: none may (only the watermark's max(rowid)).
  const db = svc.db;
  const prepare = db.prepare.bind(db);
  const reads: string[] = [];
  db.prepare = ((sql: string) => {
    if (/FROM\s+metrics\b/i.test(sql) && !/max\(rowid\)/i.test(sql)) reads.push(sql);
    return prepare(sql);
  }) as typeof db.prepare;
  t.after(() => (db.prepare = prepare));
  tracker.log(a.id, { 'train/loss': 1.5, 'train/lr': 1e-4 }, 1);
  tracker.log(a.id, { 'train/loss': NaN }, 2);
  tracker.log(a.id, { 'train/loss': Infinity }, 3);
  tracker.log(b.id, { 'train/loss': 9 }, 1);
  tracker.flush();
  assert.deepEqual(reads, []);
  assert.equal(appended.length, 1, 'one notification for the flush');
  const byKey = new Map(appended[0].map((e) => [`${e.runId} ${e.metric}`, e]));
  const loss = byKey.get(`${a.id} train/loss`)!;
  assert.equal(loss.prevStep, 0);
  assert.equal(loss.lastStep, 3);
  assert.deepEqual(loss.points?.steps, [1, 2, 3]);
  assert.deepEqual(loss.points?.values, [1.5, null, null]);
  assert.deepEqual(loss.points?.non_finite, [{ from: 2, to: 3, kind: 'mixed', count: 2 }]);
  assert.deepEqual(byKey.get(`${a.id} train/lr`)?.points?.values, [1e-4]);
  assert.equal(byKey.get(`${a.id} train/lr`)?.prevStep, -1, 'a metric new since the subscription');
  const other = byKey.get(`${b.id} train/loss`)!;
  assert.equal(other.points, undefined, 'no points for a run nobody shows');
  assert.equal(other.lastStep, 1);
  flushChanges();
  assert.deepEqual(changed, [{ kinds: ['metrics'], runIds: [a.id, b.id] }]);
  // Unsubscribed: points stop.
  request('tunestudio/metrics/subscribe', { key: 'd1', runIds: [] });
  tracker.log(a.id, { 'train/loss': 1 }, 4);
  tracker.flush();
  assert.equal(appended.at(-1)![0].points, undefined);
});

test('writes by another process on the same store arrive without points, with the run ids', async (t) => {
  const { dir, svc, appended, changed, request } = service(t);
  const run = svc.tracker.createRun({ project: 'p', name: 'sdk' });
  svc.tracker.log(run.id, { loss: 1 }, 0);
  svc.tracker.flush();
  request('tunestudio/metrics/subscribe', { key: 'd', runIds: [run.id] });
  // Another process (an SDK script): its own connection and tracker.
  const db2 = openDatabase(dir);
  const other = new Tracker(db2, { flushIntervalMs: 60_000 });
  t.after(() => {
    other.close();
    db2.close();
  });
  other.log(run.id, { loss: 0.5 }, 1);
  other.flush();
  appended.length = 0;
  // Then our own flush: its prevStep shows the page that step 1 (not pushed) comes before.
  const entry = await waitFor(() => appended.flat().find((e) => e.metric === 'loss'), 'the other writer to be noticed');
  assert.equal(entry.points, undefined);
  assert.equal(entry.gap, true);
  assert.equal(entry.lastStep, 1);
  assert.ok(changed.some((c) => c.kinds.includes('metrics')));
  svc.tracker.log(run.id, { loss: 0.25 }, 2);
  svc.tracker.flush();
  const own = appended.at(-1)!.find((e) => e.metric === 'loss')!;
  assert.equal(own.prevStep, 1);
  assert.deepEqual(own.points?.steps, [2]);
});

test('past the caps a flush sends a gap marker instead of the points', () => {
  const live = new LivePublisher(() => ({ m: 10 }), { perSeries: 3, perFlush: 5 });
  live.subscribe('k', ['r']);
  const pts = (metric: string, n: number) => Array.from({ length: n }, (_, i) => ({ run: 'r', metric, step: 11 + i, value: i, wall: 1 }));
  const written = [...pts('m', 4), ...pts('a', 3), ...pts('b', 3)];
  const out = live.fromFlush({
    written,
    appended: [
      { runId: 'r', metric: 'm', lastStep: 14 },
      { runId: 'r', metric: 'a', lastStep: 13 },
      { runId: 'r', metric: 'b', lastStep: 13 },
    ],
  });
  assert.deepEqual(
    out.map((e) => [e.metric, e.prevStep, e.gap ?? false, e.points?.steps.length ?? 0]),
    [
      ['m', 10, true, 0], // over the per-series cap
      ['a', -1, false, 3],
      ['b', -1, true, 0], // over what is left of the per-flush cap
    ],
  );
});

test('pushed points come sorted by step, equal steps in write order', () => {
  const h = toHistory('r', 'm', [
    { run: 'r', metric: 'm', step: 5, value: 1, wall: 1 },
    { run: 'r', metric: 'm', step: 3, value: 2, wall: 2 },
    { run: 'r', metric: 'm', step: 5, value: 3, wall: 3 },
  ]);
  assert.deepEqual(h.steps, [3, 5, 5]);
  assert.deepEqual(h.values, [2, 1, 3]);
});

test('sendRequest: typed answer by id, errors, and a timeout that names the request', async () => {
  const posted: Array<{ id: number; method: string; params: unknown }> = [];
  const ipc = createRequester((m) => posted.push(m as (typeof posted)[number]), 50);
  const Req = new IpcRequest<{ x: number }, { y: number }>('test/double');
  const a = ipc.sendRequest(Req, { x: 2 });
  const b = ipc.sendRequest(Req, { x: 3 });
  assert.deepEqual(
    posted.map((p) => [p.method, p.params]),
    [
      ['test/double', { x: 2 }],
      ['test/double', { x: 3 }],
    ],
  );
  assert.equal(ipc.handle({ type: 'response', id: posted[1].id, result: { y: 6 } }), true);
  assert.equal(ipc.handle({ type: 'response', id: posted[0].id, error: 'no such run' }), true);
  assert.equal(ipc.handle({ type: 'init' }), false);
  assert.deepEqual(await b, { y: 6 });
  await assert.rejects(a, /no such run/);
  const c = ipc.sendRequest(Req, { x: 1 });
  await assert.rejects(c, /test\/double: no answer from the extension within 50 ms/);
  assert.equal(ipc.pending, 0);
});

// ---------------------------------------------------------------- the page's side (loader + model, no DOM)

test('page: pushed points are appended without a request; gaps are pulled once for all metrics, from the first missing step', async () => {
  const g = globalThis as { requestAnimationFrame?: (f: () => void) => number };
  const hadRaf = 'requestAnimationFrame' in g;
  g.requestAnimationFrame ??= (f) => Number(setTimeout(f, 0));
  try {
    const requests: HistoryParams[] = [];
    /** The last step of each metric in the "store". */
    const stored: Record<string, number> = { a: 20, b: 30 };
    const series = (metric: string, steps: number[]): History => ({ run_id: 'r', metric, total: steps.length, downsampled: false, steps, values: steps.map((s) => s / 10), wall: steps.map((s) => 1000 + s), non_finite: [] });
    const history = async (p: HistoryParams): Promise<HistoryResult> => {
      requests.push(p);
      const from = p.from ?? 0;
      return { series: (p.metrics ?? []).map((m) => series(m, Array.from({ length: Math.max(0, stored[m] - from + 1) }, (_, i) => from + i))), metrics: ['a', 'b'] };
    };
    const model = new DashboardModel(() => {}, undefined);
    model.setRuns([{ id: 'r', name: 'r', project: 'p', status: 'running', reason: null, created_at: new Date().toISOString(), ended_at: null }]);
    model.metrics = ['a', 'b'];
    const changed: string[] = [];
    const loader = new Loader(model, history, { width: () => 400, changed: (m) => changed.push(m), error: (e) => assert.fail(String(e)) });
    loader.track('a');
    loader.track('b');
    loader.queue('a');
    loader.queue('b');
    await waitFor(() => loader.isLoaded('a') && loader.isLoaded('b'), 'the first load');
    assert.equal(requests.length, 1, 'one request for both charts');
    requests.length = 0;
    const last = (m: string) => model.series(m, 'r')!.steps.at(-1);
    // A push that follows on: appended in place, no request.
    loader.appended([{ runId: 'r', metric: 'a', lastStep: 22, prevStep: 20, points: series('a', [21, 22]) }]);
    assert.equal(last('a'), 22);
    assert.equal(requests.length, 0);
    // A step discontinuity on a (the page missed 23–25) and a gap marker on b: one request for both.
    stored.a = 27;
    stored.b = 40;
    loader.appended([
      { runId: 'r', metric: 'a', lastStep: 27, prevStep: 25, points: series('a', [26, 27]) },
      { runId: 'r', metric: 'b', lastStep: 40, prevStep: 30, gap: true },
    ]);
    await waitFor(() => last('a') === 27 && last('b') === 40, 'the gap pull');
    assert.deepEqual(model.series('a', 'r')!.steps.slice(-7), [21, 22, 23, 24, 25, 26, 27]);
    assert.deepEqual(
      requests.map((r) => ({ metrics: r.metrics, from: r.from })),
      [{ metrics: ['a', 'b'], from: 23 }],
    );
    // A new metric: reported for layout, not fetched.
    assert.deepEqual(loader.appended([{ runId: 'r', metric: 'c', lastStep: 1, prevStep: -1, points: series('c', [1]) }]), ['c']);
  } finally {
    if (!hadRaf) delete g.requestAnimationFrame;
  }
});
