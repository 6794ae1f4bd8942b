// The dashboard's first paint without a request: the host prefetches the
// first charts' overview while the page loads (which charts, at which
// resolution, within a point budget), the page takes it for every chart it
// fits (no request), asks for the others itself, and the live points flushed
// while the page opened are held and handed over after the init. The
// overview is the real runtime's answer on a real store, read for the whole
// history from the level-of-detail summaries alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../../src/runtime/store/store';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { Queries } from '../../../src/runtime/tracking/queries';
import { HistoryQueries } from '../../../src/runtime/tracking/history';
import { statementCache } from '../../../src/runtime/tracking/statements';
import type { HistoryParams, HistoryResult } from '../../../src/protocol/tracking';
import type { DashboardOverview } from '../../../src/protocol/webview';
import { DEFAULT_OVERVIEW_POINTS, EarlyPoints, PREFETCH_CHARTS, firstOverviewParams, noteOverviewRequest, pageOrder } from '../../../src/extension/panels/host/dashboardPrefetch';
import { Loader, maxPointsFor } from '../../../src/webviews/dashboard/loader';
import { DashboardModel } from '../../../src/webviews/dashboard/model';
import { tmpDir } from '../../helpers/tmp';
import { waitFor } from '../../helpers/wait';

test('prefetch: the first charts in page order, collapsed sections skipped, within the point budget, at the last resolution asked', () => {
  const names = ['train/loss', 'eval/loss', 'system/gpu', 'loss', 'eval/acc', 'train/lr', 'custom/x'];
  // Sections in the page's order (train, eval, …, system, other prefixes, no prefix last), list order inside each.
  assert.deepEqual(pageOrder(names), ['train/loss', 'train/lr', 'eval/loss', 'eval/acc', 'system/gpu', 'custom/x', 'loss']);
  const one = firstOverviewParams(['r1'], names, { maxPoints: 740 })!;
  assert.deepEqual(one.metrics, pageOrder(names).slice(0, PREFETCH_CHARTS));
  assert.equal(one.maxPoints, 740);
  assert.deepEqual(firstOverviewParams(['r1'], names, { collapsed: ['train', 'eval'], maxPoints: 740 })!.metrics, ['system/gpu', 'custom/x', 'loss']);
  // 20 runs × 740 points a chart: four charts fit the budget; at 8000 points a series, one still does.
  const runs = Array.from({ length: 20 }, (_, i) => `r${i}`);
  assert.equal(firstOverviewParams(runs, names, { maxPoints: 740 })!.metrics!.length, 4);
  assert.equal(firstOverviewParams(runs, names, { maxPoints: 8000 })!.metrics!.length, 1);
  assert.equal(firstOverviewParams([], names), undefined);
  assert.equal(firstOverviewParams(['r1'], []), undefined);
  // The resolution follows the page's last overview request; range pulls and metric-list requests do not count.
  try {
    assert.equal(firstOverviewParams(['r1'], names)!.maxPoints, DEFAULT_OVERVIEW_POINTS);
    noteOverviewRequest({ runIds: ['r1'], metrics: ['train/loss'], maxPoints: 1234 });
    noteOverviewRequest({ runIds: ['r1'], metrics: ['train/loss'], from: 5, maxPoints: 99 });
    noteOverviewRequest({ runIds: ['r1'], metrics: [], maxPoints: 4 });
    assert.equal(firstOverviewParams(['r1'], names)!.maxPoints, 1234);
  } finally {
    noteOverviewRequest({ runIds: ['r1'], metrics: ['x'], maxPoints: DEFAULT_OVERVIEW_POINTS });
  }
});

test('page: the announced overview is waited for, not asked; it draws the charts it fits; a much wider chart is asked for once it came', async (t) => {
  const g = globalThis as { requestAnimationFrame?: (f: () => void) => number };
  const hadRaf = 'requestAnimationFrame' in g;
  g.requestAnimationFrame ??= (f) => Number(setTimeout(f, 0));
  const store = new Store(tmpDir(t));
  t.after(() => store.close());
  const tracker = new Tracker(store.db, { flushIntervalMs: 60_000, flushPoints: 1e9 });
  const ids: string[] = [];
  for (let r = 0; r < 2; r++) {
    const run = tracker.createRun({ project: 'p', name: `run-${r}` });
    ids.push(run.id);
    for (let s = 0; s < 5000; s++) tracker.log(run.id, { 'train/loss': 2 / (1 + s) + r, 'train/lr': s < 10 ? NaN : 1e-4, 'eval/loss': 1 + r }, s);
  }
  tracker.flush();
  const q = new Queries(store.db);
  // The runtime's answer, as the host gets it (TrackingService: one history per run and metric).
  const answer = (p: HistoryParams): HistoryResult => ({
    series: p.runIds.flatMap((id) => (p.metrics ?? []).map((m) => q.history(id, m, { from: p.from, to: p.to, maxPoints: p.maxPoints }))).filter((s) => s.total > 0),
    metrics: q.metricNames(p.runIds),
  });
  try {
    const names = q.metricNames(ids);
    const params = firstOverviewParams(ids, names, { maxPoints: 740 })!;
    const overview: DashboardOverview = { metrics: params.metrics!, maxPoints: params.maxPoints, result: answer(params) };
    const requests: HistoryParams[] = [];
    const widths: Record<string, number> = { 'train/loss': 369, 'train/lr': 2000, 'eval/loss': 369 };
    const model = new DashboardModel(() => {}, undefined);
    model.setRuns(ids.map((id, i) => ({ id, name: `run-${i}`, project: 'p', status: 'finished', reason: null, created_at: new Date().toISOString(), ended_at: null })));
    model.metrics = names;
    const changed: string[] = [];
    const loader = new Loader(
      model,
      async (p) => {
        requests.push(p);
        return answer(p);
      },
      { width: (m) => widths[m] ?? 0, changed: (m) => changed.push(m), error: (e) => assert.fail(String(e)) },
    );
    for (const m of names) loader.track(m);
    // Announced with the init: the charts wait for the host's overview instead of asking.
    loader.expect(overview.metrics);
    for (const m of names) loader.queue(m);
    await new Promise((r) => queueMicrotask(() => r(null)));
    const taken = loader.prefill(overview);
    loader.unexpect();
    // train/lr's chart is 2000 px wide: 740 points would be too coarse for it (the resize rule), so it is not taken.
    assert.deepEqual(taken.sort(), ['eval/loss', 'train/loss']);
    assert.equal(requests.length, 0, 'the charts it fits need no request');
    assert.ok(loader.isLoaded('train/loss') && loader.isLoaded('eval/loss') && !loader.isLoaded('train/lr'));
    assert.deepEqual(changed.sort(), ['eval/loss', 'train/loss']);
    // The page's series are the runtime's, min/max buckets included.
    for (const id of ids) {
      const want = q.history(id, 'train/loss', { maxPoints: 740 });
      const got = model.series('train/loss', id)!;
      assert.ok(want.downsampled && got.downsampled);
      assert.deepEqual(got.steps, want.steps);
      assert.deepEqual(got.values, want.values);
    }
    // The chart it did not take loads itself, at its own width.
    loader.queue('train/lr');
    await waitFor(() => loader.isLoaded('train/lr'), 'train/lr loaded by its own request');
    assert.deepEqual(
      requests.map((r) => ({ metrics: r.metrics, maxPoints: r.maxPoints })),
      [{ metrics: ['train/lr'], maxPoints: maxPointsFor(2000) }],
    );
    assert.deepEqual(model.series('train/lr', ids[0])!.nonFinite, [{ from: 0, to: 9, kind: 'nan', count: 10 }]);
    // An overview for other runs (the dashboard's runs changed meanwhile) is not taken.
    const other = new DashboardModel(() => {}, undefined);
    other.setRuns([{ id: ids[0], name: 'run-0', project: 'p', status: 'finished', reason: null, created_at: new Date().toISOString(), ended_at: null }]);
    const l2 = new Loader(other, async () => assert.fail('no request'), { width: () => 369, changed: () => {}, error: (e) => assert.fail(String(e)) });
    for (const m of names) l2.track(m);
    assert.deepEqual(l2.prefill(overview), []);
  } finally {
    if (!hadRaf) delete g.requestAnimationFrame;
  }
});

test('host: live points flushed while the page opens are handed over after the init; past the cap, each series’ last step as a gap', () => {
  const pts = (runId: string, metric: string, from: number, to: number) => ({ runId, metric, lastStep: to, prevStep: from - 1 });
  const e = new EarlyPoints(3);
  e.add([pts('a', 'loss', 1, 2), pts('b', 'loss', 1, 2)]);
  e.add([pts('a', 'loss', 3, 4)]);
  // As they came, for the runs still shown.
  assert.deepEqual(e.take(['a']), [pts('a', 'loss', 1, 2), pts('a', 'loss', 3, 4)]);
  e.add([pts('a', 'loss', 5, 9), pts('a', 'lr', 1, 9)]);
  assert.deepEqual(e.take(['a', 'b']), [
    { runId: 'a', metric: 'loss', lastStep: 9, gap: true },
    { runId: 'b', metric: 'loss', lastStep: 2, gap: true },
    { runId: 'a', metric: 'lr', lastStep: 9, gap: true },
  ]);
});

test('runtime: a whole-history overview reads only the summaries (no scan of the edge buckets), and equals the same range read with its edges from the points', (t) => {
  const store = new Store(tmpDir(t));
  t.after(() => store.close());
  const tracker = new Tracker(store.db, { flushIntervalMs: 60_000, flushPoints: 1e9 });
  const run = tracker.createRun({ project: 'p' });
  // Steps 7 … 20,006 (neither end on a bucket boundary), a NaN stretch in the first and in the last bucket, spikes.
  for (let s = 7; s < 20_007; s++) tracker.log(run.id, { m: s < 12 || s > 20_000 ? NaN : s % 997 === 0 ? 50 : Math.sin(s / 300) }, s);
  tracker.flush();
  let statements = 0;
  const cache = statementCache(store.db);
  const h = new HistoryQueries((text) => {
    statements++;
    return cache(text);
  });
  const whole = h.history(run.id, 'm', { maxPoints: 500 });
  // The metric's id, its summary, the summaries' buckets, the first and last points.
  assert.equal(statements, 4);
  const ranged = h.history(run.id, 'm', { from: 7, to: 20_006, maxPoints: 500 });
  assert.ok(whole.downsampled);
  assert.deepEqual(whole, ranged);
  assert.deepEqual(whole.non_finite, [
    { from: 7, to: 11, kind: 'nan', count: 5 },
    { from: 20_001, to: 20_006, kind: 'nan', count: 6 },
  ]);
  assert.equal(whole.steps[0], 7);
  assert.equal(whole.steps.at(-1), 20_006);
  assert.ok(whole.values.includes(50), 'a spike is kept');
});
