// The README's worked watcher examples, one test each, plus the edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateWatcher, validateWatch, WatchError, type WatchEvent, type WatcherState } from '../../../src/runtime/tracking/watchers';

/** Feeds values at steps 0, 1, 2, … and returns the events per step. */
function feed(options: Record<string, unknown>, values: number[]): { events: Array<{ step: number; e: WatchEvent }>; state: WatcherState } {
  const spec = validateWatch('m', options);
  const state: WatcherState = {};
  const events: Array<{ step: number; e: WatchEvent }> = [];
  values.forEach((v, step) => {
    for (const e of evaluateWatcher(spec, state, v, step)) events.push({ step, e });
  });
  return { events, state };
}

const opens = (r: ReturnType<typeof feed>) => r.events.filter((x) => x.e.type === 'open').map((x) => ({ step: x.step, reason: x.e.type === 'open' ? x.e.alert.reason : '', stop: x.e.type === 'open' ? x.e.alert.stop : false }));

test('nan: [1, NaN, NaN, 0.9, Infinity] → one nan alert (count 2) at step 1, ended at 3, an inf alert at 4; stops by default', () => {
  const r = feed({ nan: true }, [1, NaN, NaN, 0.9, Infinity]);
  assert.deepEqual(opens(r), [
    { step: 1, reason: 'nan', stop: true },
    { step: 4, reason: 'inf', stop: true },
  ]);
  const ext = r.events.filter((x) => x.e.type === 'extend');
  assert.equal(ext.length, 1);
  assert.equal(ext[0].step, 2);
  assert.equal(ext[0].e.type === 'extend' && ext[0].e.count, 2);
  assert.deepEqual(r.events.filter((x) => x.e.type === 'close').map((x) => x.step), [3]);
});

test('nan: 1,000 NaN values in a row are one alert with count 1000', () => {
  const r = feed({ nan: true }, Array(1000).fill(NaN));
  assert.equal(opens(r).length, 1);
  const last = r.events[r.events.length - 1].e;
  assert.equal(last.type, 'extend');
  assert.equal(last.type === 'extend' && last.count, 1000);
});

test('max_value=10: [5, 12, 15, 8, 11] → alert at 1 (count 2), ended at 3, new alert at 4; stops by default', () => {
  const r = feed({ max_value: 10 }, [5, 12, 15, 8, 11]);
  assert.deepEqual(opens(r), [
    { step: 1, reason: 'above_max', stop: true },
    { step: 4, reason: 'above_max', stop: true },
  ]);
  assert.deepEqual(r.events.filter((x) => x.e.type === 'close').map((x) => x.step), [3]);
});

test('max_value: exactly the threshold does not fire; +Infinity is above; NaN is ignored', () => {
  // nan: false isolates the threshold rule (nan is on by default)
  assert.equal(opens(feed({ max_value: 10, nan: false }, [10, NaN, 9])).length, 0);
  assert.deepEqual(opens(feed({ max_value: 10, nan: false }, [1, Infinity])), [{ step: 1, reason: 'above_max', stop: true }]);
});

test('min_value=0.1: [0.5, 0.05, 0.2] → warn alert at step 1, does not stop by default', () => {
  const r = feed({ min_value: 0.1 }, [0.5, 0.05, 0.2]);
  assert.deepEqual(opens(r), [{ step: 1, reason: 'below_min', stop: false }]);
  const open = r.events.find((x) => x.e.type === 'open')!.e;
  assert.equal(open.type === 'open' && open.alert.level, 'warn');
});

test('spike_factor=3, window=3: [1, 1, 1, 4, 2.5, 3.5] fires at 4 only (|4−1| = 3 > 2)', () => {
  // After 4, the window is still [1, 1, 1]: the spike did not enter its own baseline,
  // so 2.5 is compared with mean 1 (allowed deviation 2) and is fine; it enters the window
  // ([1, 1, 2.5]: mean 1.5, mean |x| 1.5, allowed 3): 3.5 deviates 2 → fine too.
  const r = feed({ spike_factor: 3, window: 3 }, [1, 1, 1, 4, 2.5, 3.5]);
  assert.deepEqual(opens(r), [{ step: 3, reason: 'spike', stop: false }]);
  assert.deepEqual(r.state.window, [1, 2.5, 3.5]);
});

test('spike: exactly spike_factor × the mean does not fire ("deviates by more than")', () => {
  assert.equal(opens(feed({ spike_factor: 3, window: 3 }, [1, 1, 1, 3])).length, 0);
  assert.equal(opens(feed({ spike_factor: 3, window: 3 }, [1, 1, 1, 3.0001])).length, 1);
});

test('spike: fires when the recent mean is 0 (mixed signs and all zeros)', () => {
  // window [-1, 1, -1, 1]: mean 0, mean |x| 1 → allowed deviation (3−1)×1 = 2
  assert.deepEqual(opens(feed({ spike_factor: 3, window: 4 }, [-1, 1, -1, 1, 2.5])), [{ step: 4, reason: 'spike', stop: false }]);
  assert.equal(opens(feed({ spike_factor: 3, window: 4 }, [-1, 1, -1, 1, 1.5])).length, 0);
  // all zeros: any non-zero value deviates by more than 0
  assert.deepEqual(opens(feed({ spike_factor: 3, window: 3 }, [0, 0, 0, 0.001])), [{ step: 3, reason: 'spike', stop: false }]);
});

test('spike: a drop counts too, for negative series as well', () => {
  assert.equal(opens(feed({ spike_factor: 2, window: 3 }, [-2, -2, -2, -5])).length, 1);
  assert.equal(opens(feed({ spike_factor: 2, window: 3 }, [10, 10, 10, -1])).length, 1);
});

test('spike: no alert until the window is full; NaN never enters the window', () => {
  assert.equal(opens(feed({ spike_factor: 2, window: 5 }, [1, 1, 1, 1, 100])).length, 0);
  const r = feed({ spike_factor: 2, window: 3, nan: false }, [1, NaN, 1, 1, 100]);
  assert.equal(opens(r).length, 1);
});

test('spike: after `window` spikes in a row the series has a new level (re-baseline)', () => {
  const r = feed({ spike_factor: 3, window: 3 }, [1, 1, 1, 5, 5, 5, 5]);
  assert.deepEqual(opens(r), [{ step: 3, reason: 'spike', stop: false }]);
  assert.deepEqual(r.events.filter((x) => x.e.type === 'close').map((x) => x.step), [5]);
  assert.deepEqual(r.state.window, [5, 5, 5]);
});

test('patience=3: [1.0, 0.9, 0.95, 0.95, 0.95, 0.8] fires at step 4 (3rd value in a row not below 0.9), ends at 5', () => {
  const r = feed({ patience: 3 }, [1.0, 0.9, 0.95, 0.95, 0.95, 0.8]);
  assert.deepEqual(opens(r), [{ step: 4, reason: 'stagnation', stop: true }]);
  assert.deepEqual(r.events.filter((x) => x.e.type === 'close').map((x) => x.step), [5]);
});

test('patience=2, min_delta=0.1: [1.0, 0.95, 0.92] fires at step 2 (neither is below 0.9)', () => {
  assert.deepEqual(opens(feed({ patience: 2, min_delta: 0.1 }, [1.0, 0.95, 0.92])), [{ step: 2, reason: 'stagnation', stop: true }]);
  assert.equal(opens(feed({ patience: 2, min_delta: 0.1 }, [1.0, 0.89, 0.85])).length, 0);
});

test('patience mode max: [0.5, 0.6, 0.6, 0.6] with patience 2 fires at step 3', () => {
  assert.deepEqual(opens(feed({ patience: 2, mode: 'max' }, [0.5, 0.6, 0.6, 0.6])), [{ step: 3, reason: 'stagnation', stop: true }]);
});

test('patience: NaN and Infinity never improve (they count)', () => {
  assert.deepEqual(opens(feed({ patience: 2, nan: false }, [1, NaN, -Infinity])), [{ step: 2, reason: 'stagnation', stop: true }]);
});

test('stop can be overridden per watch', () => {
  assert.deepEqual(opens(feed({ nan: true, stop: false }, [NaN])), [{ step: 0, reason: 'nan', stop: false }]);
  assert.deepEqual(opens(feed({ min_value: 0, stop: true }, [-1])), [{ step: 0, reason: 'below_min', stop: true }]);
});

test('several conditions in one watch fire independently', () => {
  const r = feed({ nan: true, max_value: 5, patience: 2 }, [1, 6, Infinity]);
  // step 2: Infinity opens the nan rule (reason inf), extends the open above_max episode, and is the
  // 2nd value in a row that does not improve on 1.
  assert.deepEqual(opens(r).map((o) => `${o.step}:${o.reason}`), ['1:above_max', '2:inf', '2:stagnation']);
});

test('validation errors are clear and eager', () => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ nan: false }, /no condition/],
    [{ mode: 'MIN', patience: 2 }, /'mode' must be 'min' or 'max'/],
    [{ spike_factor: 1 }, /greater than 1/],
    [{ window: 3 }, /only applies with 'spike_factor'/],
    [{ patience: 0 }, /whole number ≥ 1/],
    [{ patience: 1.5 }, /whole number ≥ 1/],
    [{ max_value: NaN }, /finite number/],
    [{ max_value: '10' }, /finite number/],
    [{ nan: 'yes' }, /true or false/],
    [{ nan: true, bogus: 1 }, /unknown watcher option 'bogus'/],
    [{ min_value: 5, max_value: 1 }, /above 'max_value'/],
  ];
  for (const [opts, re] of bad) assert.throws(() => validateWatch('loss', opts), (e: Error) => e instanceof WatchError && re.test(e.message), JSON.stringify(opts));
  assert.throws(() => validateWatch('', { nan: true }), /metric name/);
});
