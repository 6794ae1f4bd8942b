import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HfParser, metricName } from '../../../src/runtime/ingest/hf';
import { LineSplitter } from '../../../src/runtime/ingest/lines';
import { parsePyDict } from '../../../src/runtime/ingest/pyliteral';
import type { IngestEvent } from '../../../src/runtime/ingest/types';

const CLEAR = '\r' + ' '.repeat(70) + '\r';

function bar(n: number, total: number, desc = ''): string {
  const pct = Math.round((100 * n) / total);
  const filled = Math.floor((10 * n) / total);
  const b = '█'.repeat(filled) + (filled < 10 ? ' '.repeat(10 - filled) : '');
  const rate = n === 0 ? '?it/s' : `${(4.9 + n / 100).toFixed(2)}it/s`;
  return `${desc}${String(pct).padStart(3)}%|${b}| ${n}/${total} [00:${String(n).padStart(2, '0')}<00:${String(total - n).padStart(2, '0')}, ${rate}]`;
}

/**
 * What Hugging Face Trainer writes to a file (stdout and stderr together,
 * PYTHONUNBUFFERED) for max_steps=40, logging_steps=10, eval_steps=20 and 5
 * eval batches: tqdm redraws with \r, tqdm.write clears the bars around each
 * log dict and redraws them after, and the eval bar at position 1 moves down
 * with \n and back up with ESC[A.
 */
function trainerOutput(): string {
  let out = '';
  out += '[INFO|trainer.py:2314] 2024-05-01 12:00:00,000 >> ***** Running training *****\n';
  out += '[INFO|trainer.py:2315] 2024-05-01 12:00:00,000 >>   Num examples = 320\n';
  out += '[INFO|trainer.py:2319] 2024-05-01 12:00:00,000 >>   Total optimization steps = 40\n';
  out += `\r${bar(0, 40)}`;
  const dicts: string[] = [];
  for (let step = 1; step <= 40; step++) {
    out += `\r${bar(step, 40)}`;
    if (step % 10 === 0) {
      const d = `{'loss': ${(2 / step).toFixed(4)}, 'grad_norm': ${(1 + step / 100).toFixed(6)}, 'learning_rate': ${(5e-5 * (1 - step / 40)).toExponential(1).replace('e-5', 'e-05').replace('e+0', '')}, 'epoch': ${step / 40}}`;
      dicts.push(d);
      out += CLEAR + d + '\n' + `\r${bar(step, 40)}`;
    }
    if (step % 20 === 0) {
      out += `\n\r${bar(0, 5)}\u001b[A`;
      for (let j = 1; j <= 5; j++) out += `\n\r${bar(j, 5)}\u001b[A`;
      const e = `{'eval_loss': ${(3 / step).toFixed(4)}, 'eval_runtime': 0.5102, 'eval_samples_per_second': 78.4, 'eval_steps_per_second': 9.8, 'epoch': ${step / 40}}`;
      dicts.push(e);
      out += CLEAR + `\n${CLEAR}\u001b[A` + e + '\n' + `\r${bar(step, 40)}` + `\n\r${bar(5, 5)}\u001b[A`;
      out += `\n${CLEAR}\u001b[A`; // the eval bar closes (leave=False)
    }
  }
  const summary = "{'train_runtime': 8.1234, 'train_samples_per_second': 39.39, 'train_steps_per_second': 4.924, 'train_loss': 0.1234, 'epoch': 1.0}";
  out += CLEAR + summary + '\n' + `\r${bar(40, 40)}\n`;
  out += '[INFO|trainer.py:2590] 2024-05-01 12:00:09,000 >> \n\nTraining completed. Do not forget to share your model on huggingface.co/models =)\n';
  return out;
}

function run(text: string, chunk = 113): { events: IngestEvent[]; unclaimed: string[] } {
  const s = new LineSplitter();
  const p = new HfParser();
  const events: IngestEvent[] = [];
  const unclaimed: string[] = [];
  const bytes = Buffer.from(text);
  const feed = (ps: ReturnType<LineSplitter['push']>) => {
    for (const piece of ps) {
      const r = p.parse(piece.text, piece.final);
      if (r === null) unclaimed.push(piece.text);
      else events.push(...r);
    }
  };
  for (let i = 0; i < bytes.length; i += chunk) feed(s.push(bytes.subarray(i, i + chunk)));
  feed(s.flush());
  return { events, unclaimed };
}

const metricsOf = (events: IngestEvent[]) =>
  events.filter((e): e is Extract<IngestEvent, { type: 'metrics' }> => e.type === 'metrics').map((e) => ({ step: e.step, metrics: e.metrics }));

test('a whole Trainer run: train, eval and summary dicts get the training step, progress comes from the bar', () => {
  const { events, unclaimed } = run(trainerOutput());
  const m = metricsOf(events);
  assert.deepEqual(
    m.map((x) => [x.step, Object.keys(x.metrics)[0]]),
    [
      [10, 'train/loss'],
      [20, 'train/loss'],
      [20, 'eval/loss'],
      [30, 'train/loss'],
      [40, 'train/loss'],
      [40, 'eval/loss'],
      [40, 'train/train_runtime'],
    ],
  );
  assert.deepEqual(m[0].metrics, { 'train/loss': 0.2, 'train/grad_norm': 1.1, 'train/learning_rate': 3.8e-5, 'train/epoch': 0.25 });
  assert.deepEqual(m[2].metrics, { 'eval/loss': 0.15, 'eval/runtime': 0.5102, 'eval/samples_per_second': 78.4, 'eval/steps_per_second': 9.8, 'eval/epoch': 0.5 });
  // The summary lands at the last training dict's step: its epoch would be a second train/epoch there.
  assert.deepEqual(m[6].metrics, {
    'train/train_runtime': 8.1234,
    'train/train_samples_per_second': 39.39,
    'train/train_steps_per_second': 4.924,
    'train/train_loss': 0.1234,
  });
  const progress = events.filter((e) => e.type === 'progress');
  assert.ok(progress.length > 40);
  assert.deepEqual(progress.at(-1), { type: 'progress', current: 40, total: 40, source: 'hf' });
  assert.equal(events.filter((e) => e.type === 'malformed').length, 0);
  // Logger lines and cleared bars are not the parser's.
  assert.ok(unclaimed.some((l) => l.includes('Running training')));
  assert.ok(unclaimed.every((l) => !l.includes("'loss'")));
});

test('after an evaluation the last frame is the finished eval bar: a training dict still takes the training bar', () => {
  const p = new HfParser();
  p.parse(bar(20, 40), false);
  assert.equal(metricsOf(p.parse("{'loss': 0.5, 'epoch': 0.5}", true)!)[0].step, 20);
  p.parse(bar(5, 5), false); // eval bar
  assert.equal(metricsOf(p.parse("{'eval_loss': 0.7, 'epoch': 0.5}", true)!)[0].step, 20);
  p.parse(bar(30, 40), false);
  p.parse(bar(5, 5), false); // the eval bar redrawn last (tqdm.write redraws every open bar)
  assert.equal(metricsOf(p.parse("{'loss': 0.3, 'epoch': 0.75}", true)!)[0].step, 30);
  // No progress from the eval bar.
  assert.deepEqual(p.parse(bar(3, 5), false), []);
});

test('a stale bar (frames lost in a pasted log) or a late dict: the epoch × steps-per-epoch places it', () => {
  const p = new HfParser();
  p.parse(bar(20, 80), false);
  assert.equal(metricsOf(p.parse("{'loss': 0.5, 'epoch': 0.5}", true)!)[0].step, 20); // learns 40 steps per epoch
  // The bar was not redrawn since (a rendered paste keeps only some frames): the epochs say where.
  assert.equal(metricsOf(p.parse("{'loss': 0.4, 'epoch': 0.75}", true)!)[0].step, 30);
  assert.equal(metricsOf(p.parse("{'loss': 0.3, 'epoch': 1.0}", true)!)[0].step, 40);
  // Within the printed precision of the epoch the bar's count wins.
  p.parse(bar(51, 80), false);
  assert.equal(metricsOf(p.parse("{'loss': 0.2, 'epoch': 1.25}", true)!)[0].step, 51);
  // A dict that only repeats an epoch index (a custom loop) never goes back before the previous step.
  p.parse(bar(60, 80), false);
  assert.equal(metricsOf(p.parse("{'loss': 0.1, 'epoch': 1}", true)!)[0].step, 60);
});

test('buffered stdout: dicts arriving in a burst take the log positions tqdm.write left (cleared and redrawn bars), in order', () => {
  let out = '';
  for (let step = 1; step <= 30; step++) {
    out += `\r${bar(step, 30)}`;
    if (step % 10 === 0) out += CLEAR + `\r${bar(step, 30)}`; // the dict went to the stdout buffer
  }
  out += '\n' + [10, 20, 30].map((s) => `{'loss': ${s / 100}, 'epoch': ${s / 30}}`).join('\n') + '\n';
  const m = metricsOf(run(out).events);
  assert.deepEqual(
    m.map((x) => [x.step, x.metrics['train/loss']]),
    [
      [10, 0.1],
      [20, 0.2],
      [30, 0.3],
    ],
  );
});

test('evaluation before training: the eval dict takes the training bar shown before the eval bar', () => {
  const p = new HfParser();
  p.parse(bar(0, 100), false);
  p.parse(bar(3, 8), false);
  p.parse(bar(8, 8), false);
  assert.equal(metricsOf(p.parse("{'eval_loss': 2.5, 'eval_runtime': 1.0}", true)!)[0].step, 0);
});

test('without any progress bar: one past the previous training dict, an eval dict at the step it follows; an explicit step/global_step key wins', () => {
  const p = new HfParser();
  // Dicts printed before any bar wait (a bar or steps-per-epoch may still come); the end of the output releases them.
  assert.deepEqual(p.parse("{'loss': 0.5, 'epoch': 0.1}", true), []);
  assert.deepEqual(p.parse("{'loss': 0.4, 'epoch': 0.2}", true), []);
  assert.deepEqual(metricsOf(p.flush()).map((x) => x.step), [1, 2]);
  assert.equal(metricsOf(p.parse("{'loss': 0.3}", true)!)[0].step, 3);
  assert.equal(metricsOf(p.parse("{'eval_loss': 0.3}", true)!)[0].step, 3);
  const [m] = metricsOf(p.parse("{'step': 120, 'loss': 0.5}", true)!);
  assert.equal(m.step, 120);
  assert.deepEqual(m.metrics, { 'train/loss': 0.5 });
  assert.equal(metricsOf(p.parse('{"global_step": 7, "loss": 1e-3}', true)!)[0].step, 7);
});

test('dicts held before any bar are placed by epoch × steps-per-epoch once a dict after a fresh frame gives it', () => {
  const p = new HfParser();
  assert.deepEqual(p.parse("{'loss': '19.85', 'epoch': '0.2941'}", true), []);
  assert.deepEqual(p.parse("{'loss': '19.84', 'epoch': '0.8824'}", true), []);
  p.parse(' 17% 34/204 [01:03<05:30,  1.94s/it]', true); // Colab: no |bar|
  const m = metricsOf(p.parse("{'eval_loss': '9.86', 'epoch': '1'}", true)!);
  assert.deepEqual(
    m.map((x) => [x.step, Object.keys(x.metrics)[0]]),
    [
      [10, 'train/loss'],
      [30, 'train/loss'],
      [34, 'eval/loss'],
    ],
  );
});

test('Python literals: quotes, exponents, nan/inf, True/None, tensor() and np.float64() wrappers, nested values', () => {
  const p = new HfParser();
  const line =
    "{'loss': tensor(0.5000, device='cuda:0', grad_fn=<MeanBackward0>), \"grad_norm\": np.float32(1.25), 'learning_rate': 5e-05, " +
    "'eval_acc': np.float64(0.875), 'epoch': 1.5e+00, 'a': nan, 'b': inf, 'c': -inf, 'd': True, 'e': None, 'f': 'text', " +
    "'g': [1, 2, {'h': (3, 4)}], 'i': {1, 2}, 'j': float('nan'), 'k': -3, 'l': tensor([0.1, 0.2]), 'm': b'raw', 'n': 1_000,}";
  const [ev] = p.parse(line, true)!;
  assert.equal(ev.type, 'metrics');
  const mm = (ev as Extract<IngestEvent, { type: 'metrics' }>).metrics;
  // 'eval_acc' makes this an eval dict: the other keys go under eval/.
  assert.deepEqual(Object.keys(mm), ['eval/loss', 'eval/grad_norm', 'eval/learning_rate', 'eval/acc', 'eval/epoch', 'eval/a', 'eval/b', 'eval/c', 'eval/j', 'eval/k', 'eval/n']);
  assert.equal(mm['eval/loss'], 0.5);
  assert.equal(mm['eval/grad_norm'], 1.25);
  assert.equal(mm['eval/learning_rate'], 5e-5);
  assert.equal(mm['eval/acc'], 0.875);
  assert.equal(mm['eval/epoch'], 1.5);
  assert.ok(Number.isNaN(mm['eval/a']));
  assert.equal(mm['eval/b'], Infinity);
  assert.equal(mm['eval/c'], -Infinity);
  assert.ok(Number.isNaN(mm['eval/j']));
  assert.equal(mm['eval/k'], -3);
  assert.equal(mm['eval/n'], 1000);
});

test('metric names: train/, eval/, test/ prefixes; names with / kept', () => {
  assert.equal(metricName('loss', 'train'), 'train/loss');
  assert.equal(metricName('eval_loss', 'eval'), 'eval/loss');
  assert.equal(metricName('test_accuracy', 'test'), 'test/accuracy');
  assert.equal(metricName('epoch', 'test'), 'test/epoch');
  assert.equal(metricName('train/custom', 'train'), 'train/custom');
  assert.equal(metricName('eval_', 'eval'), 'eval/eval_');
});

test("dicts that are not Trainer logs are not claimed; a Trainer-looking dict that does not parse is malformed", () => {
  const p = new HfParser();
  assert.equal(p.parse("{'model': 'bert-base', 'lr': 0.1, 'batch_size': 8}", true), null);
  assert.equal(p.parse('{"level": "info", "msg": "hello"}', true), null);
  assert.equal(p.parse('plain text', true), null);
  // Trainer's log_history (a list of the dicts already printed) is not a new log.
  assert.equal(p.parse("[{'loss': 0.08, 'epoch': 1.0, 'step': 268}, {'eval_loss': 0.04, 'epoch': 1.0, 'step': 268}]", true), null);
  for (const bad of ["{'loss': 0.5, 'epoch': ", "{'loss': 0.5 'epoch': 1}", "[stderr] {'loss': 0.5, 'epoch': }", "{'loss': tensor(0.5, }", "{'loss': 1e}"]) {
    const r = p.parse(bad, true);
    assert.equal(r?.length, 1, bad);
    assert.equal(r![0].type, 'malformed', bad);
  }
  // A log dict with no numeric value is claimed but carries nothing.
  assert.deepEqual(p.parse("{'loss': None, 'epoch': None}", true), []);
  // ... but one whose Trainer values are text that is no number looked like a log and could not be read.
  const text = p.parse("{'loss': '1,25', 'epoch': 'one'}", true)!;
  assert.equal(text.length, 1);
  assert.equal(text[0].type, 'malformed');
  assert.match((text[0] as { error: string }).error, /without a number: 'loss' is "1,25"/);
});

test('a dict wherever it stands in a line, read whole; numeric strings are numbers', () => {
  for (const prefix of ['INFO ', '[stderr] ', 'pod-7f9c-xk2: ', '0: ', '[rank0]: ', ' 82%|████▍  | 43']) {
    const p = new HfParser();
    const r = metricsOf(p.parse(`${prefix}{'step': 5, 'loss': '19.85', 'grad_norm': '0.05444', 'learning_rate': '8.571e-05', 'epoch': '0.2941', 'x': 'nan', 'y': '-inf', 'z': 'abc'} trailing text`, true)!);
    assert.deepEqual(r, [{ step: 5, metrics: { 'train/loss': 19.85, 'train/grad_norm': 0.05444, 'train/learning_rate': 8.571e-5, 'train/epoch': 0.2941, 'train/x': NaN, 'train/y': -Infinity } }], prefix);
  }
  // Two dicts glued together (a buffer flushed without newlines) are both read.
  const p = new HfParser();
  const two = metricsOf(p.parse("{'step': 1, 'loss': 1.5}{'step': 2, 'loss': 1.25}", true)!);
  assert.deepEqual(two.map((x) => x.step), [1, 2]);
});

test('eval markers wherever HF puts them; TRL keys with / stay under train/', () => {
  assert.equal(metricName('mrpc_en_eval_loss', 'eval'), 'eval/mrpc_en_loss');
  assert.equal(metricName('mrpc_en_eval_loss', 'train'), 'eval/mrpc_en_loss');
  assert.equal(metricName('rewards/tsc_reward_fn/mean', 'train'), 'train/rewards/tsc_reward_fn/mean');
  assert.equal(metricName('eval_rewards/acc/mean', 'eval'), 'eval/rewards/acc/mean');
  assert.equal(metricName('predict_loss', 'predict'), 'predict/loss');
  const p = new HfParser();
  // The first dict has no plain eval_ key: still one eval dict, its epoch under eval/.
  const [m] = metricsOf(p.parse("{'mrpc_en_eval_loss': 4.2, 'mrpc_en_eval_f1': 0.0, 'epoch': 0.87}", true)!);
  assert.deepEqual(m.metrics, { 'eval/mrpc_en_loss': 4.2, 'eval/mrpc_en_f1': 0, 'eval/epoch': 0.87 });
});

test('tqdm frames: progress with and without total, scaled counts give progress but no step', () => {
  const p = new HfParser();
  // Data, download and loading bars are claimed but give no progress and never become the training bar.
  assert.deepEqual(p.parse('Map: 120 examples [00:01, 99.50 examples/s]', false), []);
  assert.deepEqual(p.parse('Tokenizing domain dataset: 100% 272/272 [00:00<00:00, 356.99 examples/s]', true), []);
  assert.deepEqual(p.parse('Loading checkpoint shards:  25%|██▌       | 1/4 [00:04<00:14,  4.87s/it]', false), []);
  assert.deepEqual(p.parse('  5%|▌         | 50/1000 [00:10<03:10,  5.00it/s]', false), [{ type: 'progress', current: 50, total: 1000, source: 'hf' }]);
  assert.deepEqual(p.parse(' 12%|█▏        | 1.2k/10.0k [00:02<00:16, 540it/s]', false), []);
  // The scaled bar did not become the step source.
  assert.equal(metricsOf(p.parse("{'loss': 1.0}", true)!)[0].step, 50);
  // A dict glued to the frame before it (stdout written over a stderr bar): both are read.
  const q = new HfParser();
  const glued = q.parse(" 50%|█████     | 20/40 [00:04<00:04, 5.00it/s]{'loss': 0.5}", true)!;
  assert.deepEqual(glued, [
    { type: 'progress', current: 20, total: 40, source: 'hf' },
    { type: 'metrics', metrics: { 'train/loss': 0.5 }, step: 20, source: 'hf' },
  ]);
  // Without |bar| (Colab, containers), after a prefix, torn by glued text before and after.
  assert.deepEqual(q.parse('  4% 21/40 [1:49:59<42:08:58, 70.97s/it]', true), [{ type: 'progress', current: 21, total: 40, source: 'hf' }]);
  assert.deepEqual(q.parse('[stderr]  55%|█▌        | 22/40 [02:10<16:03, 21.89s/it][INFO|2025-12-14 10:52:48] llamafactory.data.sampler:143 >> ', true), [{ type: 'progress', current: 22, total: 40, source: 'hf' }]);
  assert.deepEqual(q.parse(' 57%|████████ | 23/40 [01:10<01:00,  4.45it/s/cluster/venvs/lib/python3.10/site-packages/seqeval/metrics/v1.py:57: UndefinedMetricWarning: ...', true), [{ type: 'progress', current: 23, total: 40, source: 'hf' }]);
  assert.deepEqual(q.parse(' 57%|████▍  | 2 60%|████▍  | 24/40 [02:03<00:24,  3.97it/s]', true), [{ type: 'progress', current: 24, total: 40, source: 'hf' }]);
});

test('the training bar gives progress; eval and predict bars after it do not', () => {
  const p = new HfParser();
  p.parse(bar(40, 40), false);
  assert.equal(metricsOf(p.parse("{'loss': 1.0, 'epoch': 1.0}", true)!)[0].step, 40);
  for (let i = 0; i <= 157; i += 50) assert.deepEqual(p.parse(bar(i, 157), false), [], 'a predict bar after training');
  assert.deepEqual(p.parse(bar(157, 157), true), []);
  // A second training phase (a new bar while the first is finished) takes over once a training dict follows it.
  p.parse(bar(5, 20), false);
  assert.equal(metricsOf(p.parse("{'loss': 0.9}", true)!)[0].step, 5);
  assert.deepEqual(p.parse(bar(6, 20), false), [{ type: 'progress', current: 6, total: 20, source: 'hf' }]);
});

test('parsePyDict reports where it failed', () => {
  const r = parsePyDict("{'a': 1, 'b': }");
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /expected a value at column 15/);
  assert.equal(parsePyDict('{' + '['.repeat(100) + ']'.repeat(100) + '}').ok, false);
  const deep = parsePyDict("{'a': " + '['.repeat(20) + ']'.repeat(20) + '}');
  assert.equal(deep.ok, true);
});

test('stdout and stderr read apart: a log position whose line came first is stale, and the epoch says so', () => {
  const p = new HfParser();
  const steps: Array<number | undefined> = [];
  const feed = (text: string, final: boolean) => steps.push(...metricsOf(p.parse(text, final) ?? []).map((m) => m.step));
  feed(bar(10, 40), false);
  feed("{'loss': 0.5, 'epoch': 0.25}", true); // the dict (stdout) read before its clear and redraw (stderr)
  feed(' '.repeat(40), false);
  feed(bar(10, 40), false);
  for (const n of [11, 15, 20]) feed(bar(n, 40), false);
  feed("{'loss': 0.4, 'epoch': 0.5}", true);
  assert.deepEqual(steps, [10, 20]);
});
