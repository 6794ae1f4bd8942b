// The tqdm frame scanner: frames with or without |bar|, with or without a
// total, anywhere in a line, several per line, torn, and with text glued
// before and after; and what is not a frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findTqdmFrames, parseTqdmFrame } from '../../../src/runtime/ingest/tqdm';

const brief = (line: string) => findTqdmFrames(line).map((f) => [f.desc, f.n, f.total ?? null, f.exact, f.postfix.map((p) => p.join('=')).join(','), f.rate, f.closed]);

test('frames as tqdm prints them, with and without the |bar|', () => {
  assert.deepEqual(brief('  5%|▌         | 50/1000 [00:10<03:10,  5.00it/s]'), [['', 50, 1000, true, '', '5.00it/s', true]]);
  assert.deepEqual(brief('  4% 100/2238 [1:49:59<42:08:58, 70.97s/it]'), [['', 100, 2238, true, '', '70.97s/it', true]]);
  assert.deepEqual(brief('Epoch 0:  34% 1020/3000 [01:04<02:05, 15.73it/s, loss=1.2, v_num=1024]'), [['Epoch 0', 1020, 3000, true, 'loss=1.2,v_num=1024', '15.73it/s', true]]);
  assert.deepEqual(brief('Epoch 2: |          | 45/? [00:05<00:00, 8.50it/s, loss=0.5]'), [['Epoch 2', 45, null, true, 'loss=0.5', '8.50it/s', true]]);
  assert.deepEqual(brief('Epoch 3: 19it [00:05, 3.40it/s, loss=0.5]'), [['Epoch 3', 19, null, true, 'loss=0.5', '3.40it/s', true]]);
  assert.deepEqual(brief('Training: 0it [00:00, ?it/s]'), [['Training', 0, null, true, '', '?it/s', true]]);
  assert.deepEqual(brief('Map: 120 examples [00:01, 99.50 examples/s]'), [['Map', 120, null, true, '', '99.50 examples/s', true]]);
  assert.deepEqual(brief(' 12%|█▏        | 1.2k/10.0k [00:02<00:16, 540it/s]'), [['', 1200, 10000, false, '', '540it/s', true]]);
  assert.deepEqual(brief('steps:  20%|██▊       | 196/1000 [05:34<22:51,  1.71s/it, avr_loss=0.434]'), [['steps', 196, 1000, true, 'avr_loss=0.434', '1.71s/it', true]]);
  assert.deepEqual(brief('Epoch 0:  50%|█████     | 5/10 [00:01<00:01, 5.00it/s, v_num=0, loss=0.5]      '), [['Epoch 0', 5, 10, true, 'v_num=0,loss=0.5', '5.00it/s', true]], 'trailing padding');
});

test('frames after a prefix, several in a line, torn, and with text glued after them', () => {
  assert.deepEqual(brief('0: Epoch 0:  34%|███▍      | 1020/3000 [01:04<02:05, 15.73it/s, loss=1.2]'), [['0: Epoch 0', 1020, 3000, true, 'loss=1.2', '15.73it/s', true]]);
  assert.deepEqual(
    brief('[stderr]  20%|██        | 10/50 [03:39<14:42, 22.06s/it]                                                20%|██        | 10/50 [03:39<14:42, 22.06s/it]'),
    [
      ['', 10, 50, true, '', '22.06s/it', true],
      ['', 10, 50, true, '', '22.06s/it', true],
    ],
  );
  assert.deepEqual(brief(' 82%|████████▍       | 43 82%|███████▏     | 438/536 [02:03<00:24,  3.97it/s]'), [['', 438, 536, true, '', '3.97it/s', true]]);
  assert.deepEqual(brief('### n_samples  204█████████| 3/3 [00:01<00:00,  2.62it/s]'), [['', 3, 3, true, '', '2.62it/s', true]], 'a bar torn at its left end');
  // A warning written into the bar before its `]`: the counts are still read.
  assert.deepEqual(brief(' 50%|████     | 268/536 [01:10<01:00,  4.45it/s/cluster/venvs/lib/python3.10/site-packages/seqeval/metrics/v1.py:57: UndefinedMetricWarning: Precision'), [['', 268, 536, true, '', '4.45it/s', false]]);
  assert.deepEqual(brief('[stderr]  12%|█▏        | 6/50 [02:10<16:03, 21.89s/it][INFO|2025-12-14 10:52:48] llamafactory.data.sampler:143 >> '), [['', 6, 50, true, '', '21.89s/it', true]]);
  assert.deepEqual(brief('Epoch 1:  98%|█████| 1225/3999 [10:00<20:00,  2.04it/s, v_num=0, train_total_loss=0.375][rank: 2] Received SIGTERM: 15'), [['Epoch 1', 1225, 3999, true, 'v_num=0,train_total_loss=0.375', '2.04it/s', true]]);
  const f = findTqdmFrames("  4% 100/2238 [1:49:59<42:08:58, 70.97s/it]{'loss': 2.6446}")[0];
  assert.deepEqual([f.start, f.end], [2, 43]);
  assert.equal(parseTqdmFrame('a [00:01<00:02, 1it/s] 1/2 [00:01<00:02, 3.00it/s]')?.n, 1, 'the last frame of a line');
});

test('not frames', () => {
  for (const line of [
    '[INFO|2025-12-14 10:52:48] llamafactory.data.sampler:143 >> ',
    '2026-02-06 09:51:18.564 | INFO | x:start_training:585 - [1m 32s] Step 70: Epoch 3/1000, Step 70, Loss: 0.7975',
    'time [12:00] done',
    'ratio 3/4 [see note]',
    'x'.repeat(70_000) + ' 1/2 [00:01<00:02, 3.00it/s]',
    '',
  ]) {
    assert.deepEqual(findTqdmFrames(line), [], line.slice(0, 60));
  }
});
