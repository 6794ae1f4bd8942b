import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from '../../../src/runtime/ingest/lines';
import { createRegexParser, LightningParser, namedGroups, RegexParser } from '../../../src/runtime/ingest/regex';
import type { IngestEvent, LineParser } from '../../../src/runtime/ingest/types';

type Metrics = Extract<IngestEvent, { type: 'metrics' }>;

function feed(parser: LineParser, text: string): { events: IngestEvent[]; unclaimed: string[] } {
  const s = new LineSplitter();
  const events: IngestEvent[] = [];
  const unclaimed: string[] = [];
  for (const p of [...s.push(Buffer.from(text)), ...s.flush()]) {
    const r = parser.parse(p.text, p.final);
    if (r === null) unclaimed.push(p.text);
    else events.push(...r);
  }
  if (parser.flush) events.push(...parser.flush());
  return { events, unclaimed };
}
const metrics = (events: IngestEvent[]) => events.filter((e): e is Metrics => e.type === 'metrics');

function lbar(desc: string, n: number, total: number | null, postfix = ''): string {
  if (total === null) return `${desc}: |          | ${n}/? [00:00<00:00, 20.00it/s${postfix}]`;
  const pct = Math.round((100 * n) / total);
  const f = Math.floor((10 * n) / total);
  return `${desc}: ${String(pct).padStart(3)}%|${'█'.repeat(f)}${' '.repeat(10 - f)}| ${n}/${total} [00:0${n % 10}<00:01,  7.4${n % 10}it/s${postfix}]`;
}

/** PyTorch Lightning 2.x with TQDMProgressBar: 2 epochs × 10 batches, validation after each epoch. */
function lightningOutput(): string {
  let out =
    'GPU available: True (cuda), used: True\nTPU available: False, using: 0 TPU cores\nLOCAL_RANK: 0 - CUDA_VISIBLE_DEVICES: [0]\n\n' +
    '  | Name    | Type       | Params | Mode \n-----------------------------------------------\n0 | encoder | Sequential | 100 K  | train\n' +
    '201 K     Trainable params\n0.806     Total estimated model params size (MB)\n';
  out += `\r${lbar('Sanity Checking', 0, null)}`;
  out += `\n\r${lbar('Sanity Checking DataLoader 0', 0, 2)}\u001b[A\n\r${lbar('Sanity Checking DataLoader 0', 2, 2)}\u001b[A`;
  for (let epoch = 0; epoch < 2; epoch++) {
    out += `\r${lbar(`Epoch ${epoch}`, 0, 10, epoch ? ', v_num=0, train_loss=1.910, val_loss=1.880' : '')}`;
    for (let n = 1; n <= 10; n++) {
      const loss = (2.31 - 0.04 * (epoch * 10 + n)).toFixed(3);
      out += `\r${lbar(`Epoch ${epoch}`, n, 10, epoch ? `, v_num=0, train_loss=${loss}, val_loss=1.880` : `, v_num=0, train_loss=${loss}`)}`;
    }
    out += `\n\r${lbar('Validation', 0, null)}\u001b[A`;
    out += `\n\r${lbar('Validation DataLoader 0', 1, 2)}\u001b[A\n\r${lbar('Validation DataLoader 0', 2, 2)}\u001b[A`;
    const loss = (2.31 - 0.04 * (epoch * 10 + 10)).toFixed(3);
    out += `\r${lbar(`Epoch ${epoch}`, 10, 10, `, v_num=0, train_loss=${loss}, val_loss=${(1.88 - epoch / 10).toFixed(3)}`)}`;
  }
  out += '\n`Trainer.fit` stopped: `max_epochs=2` reached.\n';
  return out;
}

test('Lightning preset: metrics from the bar postfix, step = epoch × total + n, validation bars claimed quietly', () => {
  const { events, unclaimed } = feed(new LightningParser(), lightningOutput());
  const m = metrics(events);
  // Epoch 0: 10 steps with a new train_loss; step 10 is redrawn after validation with val_loss: one point.
  // Epoch 1: frame 0 repeats step 10's values (skipped), then 10 steps, step 20 again redrawn with the new val_loss.
  assert.deepEqual(
    m.map((e) => e.step),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
  );
  assert.deepEqual(m[0].metrics, { train_loss: 2.27 });
  assert.deepEqual(m[9].metrics, { train_loss: 1.91, val_loss: 1.88 });
  assert.deepEqual(m[10].metrics, { train_loss: 1.87, val_loss: 1.88 });
  assert.deepEqual(m.at(-1)!.metrics, { train_loss: 1.51, val_loss: 1.78 });
  assert.ok(m.every((e) => e.source === 'lightning' && !('v_num' in e.metrics)));
  assert.deepEqual(events.filter((e) => e.type === 'progress').at(-1), { type: 'progress', current: 10, total: 10, source: 'lightning' });
  assert.equal(events.filter((e) => e.type === 'malformed').length, 0);
  assert.ok(unclaimed.some((l) => l.includes('Trainable params')));
  assert.ok(!unclaimed.some((l) => l.includes('Validation') || l.includes('Sanity')));
});

test('Lightning preset: unknown total (iterable dataset) gives a step only in epoch 0; other lines are not claimed', () => {
  const p = new LightningParser();
  assert.deepEqual(metrics(p.parse(lbar('Epoch 0', 45, null, ', v_num=3, loss=0.5'))!), [], 'a step is held until the bar moves on');
  const [first, later] = metrics(p.parse(lbar('Epoch 2', 45, null, ', v_num=3, loss=0.4'))!);
  assert.equal(first.step, 45);
  assert.equal(later.step, undefined);
  assert.deepEqual(later.metrics, { loss: 0.4 });
  assert.equal(p.parse('Epoch 0: starting'), null);
  assert.equal(p.parse("{'loss': 0.5}"), null);
  assert.equal(p.parse('Epoch 3, step 1200: loss=0.0451'), null, 'step lines are the ace-step preset');
});

/** ACE-Step's trainer.py: Lightning bar with its prog_bar metrics, loguru lines, and per-step summary lines. */
function aceStepOutput(): string {
  const post = (s: number) =>
    `, v_num=0, train/denoising_loss=0.${451 - s}, train/mert_loss=0.812, train/m-hubert_loss=0.634, train/loss=1.9${s % 10}, train/learning_rate=1.2e-5`;
  let out = '2025-05-08 12:00:00.123 | INFO     | __main__:preprocess:312 - [preprocess] start\n';
  out += 'Seed set to 42\n';
  out += `\r${lbar('Epoch 0', 0, 500)}`;
  for (let n = 1; n <= 3; n++) out += `\r${lbar('Epoch 0', n, 500, post(n))}`;
  out += '\n2025-05-08 12:00:01.000 | INFO     | __main__:training_step:455 - Epoch 0, step 3: loss=1.93, denoising_loss=0.448, lr=1.2e-05\n';
  out += 'Epoch 3, step 1200: loss=0.0451, denoising_loss=0.0440, lr=1.0e-04\n';
  out += 'Epoch 3, step 1201: loss=nan, train/denoising_loss=inf, lr=1.0e-04\n';
  out += 'Epoch 3, step 1202: loss=oops, lr=1.0e-04\n';
  out += 'Epoch 3, step 1203: nothing here\n';
  return out;
}

test('ACE-Step preset: the Lightning bar (metric names as logged) and "Epoch E, step S: k=v" lines (train/ prefix)', () => {
  const { events } = feed(createRegexParser('ace-step'), aceStepOutput());
  const m = metrics(events);
  assert.deepEqual(
    m.map((e) => [e.step, e.metrics['train/loss']]),
    [
      [1, 1.91],
      [2, 1.92],
      [3, 1.93], // the step line
      [1200, 0.0451],
      [1201, NaN],
      [1202, undefined],
      [3, 1.93], // the bar's last step, held until the output ends
    ],
  );
  assert.deepEqual(m[0].metrics, {
    'train/denoising_loss': 0.45,
    'train/mert_loss': 0.812,
    'train/m-hubert_loss': 0.634,
    'train/loss': 1.91,
    'train/learning_rate': 1.2e-5,
  });
  assert.deepEqual(m[3].metrics, { 'train/loss': 0.0451, 'train/denoising_loss': 0.044, 'train/lr': 1e-4 });
  assert.equal(m[4].metrics['train/denoising_loss'], Infinity);
  assert.deepEqual(m[5].metrics, { 'train/lr': 1e-4 });
  const bad = events.filter((e) => e.type === 'malformed');
  assert.equal(bad.length, 2);
  assert.match((bad[0] as { error: string }).error, /loss=oops is not a number/);
  assert.match((bad[1] as { error: string }).error, /without key=value pairs/);
});

test('user regex: named groups, step group, metric names with /, optional groups, non-numbers reported', () => {
  const p = new RegexParser({
    pattern: '^iter (?<it>\\d+)\\s+loss (?<loss>\\S+)(?:\\s+acc (?<acc>\\S+))?',
    step: 'it',
    metrics: { 'train/loss': 'loss', 'train/acc': 'acc' },
    name: 'mine',
  });
  assert.deepEqual(p.parse('iter 10 loss 0.5 acc 0.9'), [{ type: 'metrics', metrics: { 'train/loss': 0.5, 'train/acc': 0.9 }, step: 10, source: 'mine' }]);
  assert.deepEqual(p.parse('iter 11 loss 4.5e-3'), [{ type: 'metrics', metrics: { 'train/loss': 0.0045 }, step: 11, source: 'mine' }]);
  assert.equal(p.parse('something else'), null);
  const r = p.parse('iter 12 loss abc acc 0.8')!;
  assert.deepEqual(r[0], { type: 'metrics', metrics: { 'train/acc': 0.8 }, step: 12, source: 'mine' });
  assert.equal(r[1].type, 'malformed');
  assert.match((r[1] as { error: string }).error, /group 'loss' captured "abc", not a number/);

  // Without a metrics map every named group but the step is a metric, with the prefix.
  const q = new RegexParser({ pattern: 'step=(?<s>\\d+) (?<loss>[\\d.]+) (?<lr>[\\d.e-]+)', step: 's', prefix: 'train/' });
  assert.deepEqual(q.parse('step=3 0.25 1e-4'), [{ type: 'metrics', metrics: { 'train/loss': 0.25, 'train/lr': 1e-4 }, step: 3, source: 'regex' }]);
  assert.equal(q.parse('step=-3 0.25 1e-4'), null);
  const frac = new RegexParser({ pattern: 'step=(?<s>\\S+) (?<loss>\\S+)', step: 's' }).parse('step=1.5 0.25')!;
  assert.deepEqual(frac[0], { type: 'metrics', metrics: { loss: 0.25 }, source: 'regex' });
  assert.match((frac[1] as { error: string }).error, /not a non-negative integer/);
});

test('namedGroups finds named groups, not lookbehinds, escapes or character classes', () => {
  assert.deepEqual(namedGroups('(?<a>x)(?<=y)(?<!z)\\(?<no>\\)[(?<no2>)](?<b_2>.)'), ['a', 'b_2']);
});

test('Lightning preset: a bar that runs past its declared total does not land on the next epoch', () => {
  const p = new LightningParser();
  const out: IngestEvent[] = [];
  // Past its total tqdm prints `136%|██████████| 19/14`.
  const draw = (desc: string, n: number, total: number, loss: string) =>
    out.push(...p.parse(`${desc}: ${Math.round((100 * n) / total)}%|${'█'.repeat(Math.min(10, Math.floor((10 * n) / total))).padEnd(10)}| ${n}/${total} [00:01<00:01,  7.40it/s, v_num=0, loss=${loss}]`)!);
  for (let n = 1; n <= 19; n++) draw('Epoch 0', n, 14, `0.${100 + n}`); // the length was wrong: 19 batches on a declared 14
  for (let n = 1; n <= 3; n++) draw('Epoch 1', n, 14, `0.${200 + n}`);
  out.push(...p.flush());
  const m = metrics(out);
  assert.deepEqual(m.map((e) => e.step), [...Array.from({ length: 19 }, (_, i) => i + 1), 20, 21, 22]);
  assert.equal(m[19].metrics.loss, 0.201);
});

test('kohya sd-scripts: the steps: bar gives the step and train/avr_loss, one point per step (each step drawn twice)', () => {
  // The shape sd-scripts' train_network.py prints (progress_bar.update, then set_postfix).
  const frame = (n: number, loss: string) => `steps:  ${String(n * 10).padStart(2)}%|█▏        | ${n}/10 [00:0${n}<00:0${10 - n},  1.00it/s, avr_loss=${loss}]`;
  let text = '';
  const losses = ['0.15', '0.142', '0.139', '0.139', '0.131'];
  text += `\r${frame(0, '0.15').replace(', avr_loss=0.15', '')}`;
  losses.forEach((l, i) => (text += `\r${frame(i + 1, i ? losses[i - 1] : '0.15')}\r${frame(i + 1, l)}`));
  text += '\nsaving checkpoint: out/last.safetensors\n';
  for (const parser of [new LightningParser(), createRegexParser('ace-step')]) {
    const { events } = feed(parser, text);
    assert.deepEqual(
      metrics(events).map((e) => [e.step, e.metrics['train/avr_loss']]),
      losses.map((l, i) => [i + 1, Number(l)]),
    );
  }
});

test('ACE-Step 1.5 lines: a value that is not a number is malformed, the rest is read', () => {
  const p = new LightningParser();
  const r = p.parse('[0m 05s] Step 4: Epoch 1/10, Step 4, Loss: oops, LR: 1e-4')!;
  assert.deepEqual(metrics(r), [{ type: 'metrics', metrics: { 'train/lr': 1e-4 }, step: 4, source: 'lightning' }]);
  assert.match((r.find((e) => e.type === 'malformed') as { error: string }).error, /Loss: oops is not a number/);
  assert.equal(p.parse('Step 4 of the recipe: mix'), null);
});
