// The dashboard's pure parts: TensorBoard's debiased EMA, the protocol's metric
// rules (direction, sections) and number formats, and the
// series arithmetic behind live appends, zoom merging and time axes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emaSmooth } from '../../../src/webviews/shared/smoothing';
import { metricDirection, sectionOf, sectionOrder, HEADLINE_METRICS } from '../../../src/protocol/metrics';
import { fmtDuration, fmtNum } from '../../../src/protocol/format';
import { hashString, runColors } from '../../../src/webviews/shared/colors';
import { appendAfter, merged, stepRangeFor, wallAtStep, type Series } from '../../../src/webviews/dashboard/data';

/** TensorBoard's resmoothDataset, written out independently for the comparison. */
function tensorboard(ys: number[], w: number): number[] {
  let last = ys.length > 0 ? 0 : NaN;
  let numAccum = 0;
  const constant = ys.every((v) => v === ys[0]);
  return ys.map((y) => {
    if (constant || !Number.isFinite(y)) return y;
    last = last * w + (1 - w) * y;
    numAccum++;
    const debias = w === 1 ? 1 : 1 - Math.pow(w, numAccum);
    return last / debias;
  });
}

test('smoothing equals TensorBoard’s debiased EMA', () => {
  const ys = Array.from({ length: 200 }, (_, i) => Math.exp(-i / 40) + 0.1 * Math.sin(i));
  for (const w of [0, 0.3, 0.6, 0.9, 0.99]) {
    const ours = emaSmooth(ys, w);
    const tb = tensorboard(ys, w);
    ours.forEach((v, i) => assert.ok(Math.abs((v as number) - tb[i]) < 1e-12, `w=${w} i=${i}`));
  }
  // The first smoothed value is the first value (debiased), not pulled towards 0.
  assert.equal(emaSmooth([5, 5.5], 0.6)[0], 5);
  // A constant series stays constant.
  assert.deepEqual(emaSmooth([2, 2, 2], 0.9), [2, 2, 2]);
});

test('smoothing passes gaps through and leaves them out of the average', () => {
  const s = emaSmooth([1, null, 3], 0.5);
  assert.equal(s[1], null);
  // After the gap: last = (0.5*0.5 + 0.5*3) / (1 - 0.25) with one point accumulated before it.
  assert.ok(Math.abs((s[2] as number) - (0.5 * 0.5 + 0.5 * 3) / (1 - 0.25)) < 1e-12);
});

test('metric direction (one rule, in the protocol, shared with the runtime) and the headline list', () => {
  const expected: Record<string, 'min' | 'max'> = { 'train/loss': 'min', 'eval/acc': 'max', 'eval/accuracy': 'max', reward: 'max', val_f1: 'max', 'system/gpu0/util': 'min', tokens_per_s: 'max', lr: 'min', 'eval/bleu': 'max', 'x/map': 'max' };
  for (const [m, d] of Object.entries(expected)) assert.equal(metricDirection(m), d, m);
  assert.deepEqual(HEADLINE_METRICS.slice(0, 2), ['train/loss', 'loss']);
});

test('sections by prefix: train, eval, …, other last', () => {
  assert.equal(sectionOf('train/loss'), 'train');
  assert.equal(sectionOf('system/gpu0/util'), 'system');
  assert.equal(sectionOf('loss'), 'other');
  assert.equal(sectionOf('/weird'), 'other');
  assert.deepEqual(['other', 'custom', 'system', 'eval', 'train'].sort(sectionOrder), ['train', 'eval', 'system', 'custom', 'other']);
});

test('number and duration formats', () => {
  assert.equal(fmtNum(0.123456), '0.1235');
  assert.equal(fmtNum('NaN'), 'NaN');
  assert.equal(fmtNum(Infinity), '+Inf');
  assert.equal(fmtNum(1e-5), '1.00e-5');
  assert.equal(fmtNum(12), '12');
  assert.equal(fmtDuration(59), '59s');
  assert.equal(fmtDuration(3599), '59m 59s');
  assert.equal(fmtDuration(7260), '2h 01m');
});

test('run colours: stable per id, distinct within a set when ids collide', () => {
  const palette = ['#ff0000', '#00ff00'];
  const a = runColors(['r1', 'r2', 'r3'], palette);
  const b = runColors(['r3', 'r2', 'r1'], palette);
  assert.deepEqual([...a.entries()].sort(), [...b.entries()].sort(), 'order of the runs does not matter');
  assert.equal(new Set(a.values()).size, 3, 'three different colours from a two-colour palette');
  assert.equal(hashString('abc'), hashString('abc'));
});

function series(steps: number[], values: Array<number | null> = steps.map((s) => s), wall = steps.map((s) => 1000 + s)): Series {
  return { runId: 'r', metric: 'm', steps, values, wall, nonFinite: [], total: steps.length, downsampled: false };
}

test('live appends take only the points after the last step held', () => {
  const s = series([1, 2, 3]);
  const n = appendAfter(s, { ...series([2, 3, 4, 5], [2, 3, null, 5]), nonFinite: [{ from: 4, to: 4, kind: 'nan', count: 1 }] });
  assert.equal(n, 2);
  assert.deepEqual(s.steps, [1, 2, 3, 4, 5]);
  assert.deepEqual(s.nonFinite, [{ from: 4, to: 4, kind: 'nan', count: 1 }]);
  assert.equal(s.version, 1);
  // A NaN stretch still open at the last point goes on in the next batch.
  appendAfter(s, { ...series([6], [null]), nonFinite: [{ from: 6, to: 6, kind: 'nan', count: 1 }] });
  appendAfter(s, { ...series([7], [null]), nonFinite: [{ from: 7, to: 7, kind: 'nan', count: 1 }] });
  assert.deepEqual(s.nonFinite, [
    { from: 4, to: 4, kind: 'nan', count: 1 },
    { from: 6, to: 7, kind: 'nan', count: 2 },
  ]);
});

test('a zoomed range replaces the overview inside it', () => {
  const overview = series([0, 10, 20, 30, 40]);
  const zoom = series([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  const m = merged(overview, zoom, { from: 10, to: 20, series: new Map() })!;
  assert.deepEqual(m.steps, [0, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 30, 40]);
});

test('time axes: wall time at a step, and the step range of a time range', () => {
  const s = series([0, 10, 20], [1, 2, 3], [100, 110, 130]);
  assert.equal(wallAtStep(s, 15), 120);
  assert.equal(wallAtStep(s, 99), 130);
  assert.deepEqual(stepRangeFor('relative', 5, 12, [{ s, t0: 100 }]), { from: 0, to: 20 });
  assert.deepEqual(stepRangeFor('step', 3.2, 7.9, []), { from: 3, to: 8 });
  assert.equal(stepRangeFor('wall', 0, 1, [{ s, t0: 100 }]), null);
});

test('relative time labels carry the precision their span needs', async () => {
  const { fmtSeconds } = await import('../../../src/protocol/format');
  assert.equal(fmtSeconds(725, 3600), '12:05');
  assert.equal(fmtSeconds(4.5, 20), '4.5s');
  assert.equal(fmtSeconds(0.301, 0.004), '301.0ms');
  assert.equal(fmtSeconds(0.301, 0.02), '301ms');
  assert.equal(fmtSeconds(0.3, 0.2), '300ms');
});
