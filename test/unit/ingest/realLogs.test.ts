// Every real log in test/fixtures/real-logs (copied from public repositories and
// issue threads; each names its source on its first line or in *.source.txt)
// through the default parsers, as `tunestudio run` reads a job's output: the
// values a user expects, at the right steps, under the right names, exactly
// once. Counts are checked against an independent count made here (a plain
// scan of the text, not the parsers). The raw terminal files are also replayed
// in seeded random chunks and one write at a time: same points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { duplicates, replay, type Point, type Replay } from '../../helpers/replay';
import { int, rng } from '../../helpers/random';
import type { ParserSpec } from '../../../src/runtime/ingest/types';

const DIR = path.resolve(__dirname, '../../fixtures/real-logs');
const read = (f: string) => fs.readFileSync(path.join(DIR, f));
/** The text files start with a `# SOURCE:` line: not trainer output. */
const body = (f: string) => {
  const b = read(f);
  return b.subarray(b.indexOf(0x0a) + 1);
};

const at = (r: Replay, metric: string) => r.points.filter((p) => p.metric === metric).map((p) => [p.step, p.value]);
const names = (r: Replay) => [...new Set(r.points.map((p) => p.metric))].sort();
const steps = (r: Replay, metric: string) => r.points.filter((p) => p.metric === metric).map((p) => p.step);

/**
 * Independent count of the numeric values in the Trainer dicts a text prints:
 * every `{'…': …}` not inside a list that has a Trainer key, its `'key': number` and `'key': 'number'`
 * pairs (step keys excluded).
 */
function countDictValues(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/(^|[^[,\s])\s*\{('[^{}]*)\}/gm)) {
    if (!/'(?:loss|epoch|\w*eval_\w+|train_\w+)':/.test(m[2])) continue; // a label map, a config: not a log
    for (const pair of m[2].matchAll(/'([^']+)': '?(-?(?:\d+\.?\d*(?:e[+-]?\d+)?|nan|inf))'?(?=[,}]|$)/g)) if (pair[1] !== 'step') n++;
  }
  return n;
}

function assertOnce(r: Replay): void {
  assert.deepEqual(duplicates(r.points), [], 'a (metric, step) stored twice');
  assert.deepEqual(r.malformed, []);
}

test('hf/01 Colab, transformers 5.x: string values are numbers, bars without |bar| give steps, eval at its train step', () => {
  const f = 'hf/01_colab_indot5_strings.log';
  const r = replay(body(f));
  assert.equal(r.points.length, 115);
  assert.equal(countDictValues(body(f).toString()), 115);
  assertOnce(r);
  // 204 steps over 6 epochs (34 per epoch), logging every 10 steps, evaluating each epoch.
  assert.deepEqual(steps(r, 'train/loss'), [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200]);
  assert.deepEqual(at(r, 'train/loss').slice(0, 3), [[10, 19.85], [20, 19.85], [30, 19.84]]);
  assert.deepEqual(at(r, 'train/learning_rate')[0], [10, 8.571e-5]);
  assert.deepEqual(at(r, 'eval/loss'), [[34, 9.86], [68, 9.623], [102, 9.295], [136, 9.094], [170, 8.985], [204, 8.942]]);
  assert.deepEqual(at(r, 'train/train_runtime'), [[204, 431.1]]);
  assert.deepEqual(at(r, 'train/epoch').at(-1), [204, 6], 'the summary epoch at 204; the last training dict was at 200');
  assert.ok(names(r).every((n) => n.startsWith('train/') || n.startsWith('eval/')));
  assert.deepEqual(r.progress.at(-1), { current: 204, total: 204 });
  assert.ok(r.progress.every((p) => p.total === 204), 'only the training bar gives progress (not eval, tokenizing or loading bars)');
});

test('hf/03 frames glued to dicts, FutureWarning, final summary', () => {
  const r = replay(body('hf/03_qwen3_lora_windows.log'));
  assert.equal(r.points.length, 29);
  assert.equal(countDictValues(body('hf/03_qwen3_lora_windows.log').toString()), 29);
  assertOnce(r);
  assert.deepEqual(at(r, 'train/loss'), [[10, 5.4448], [20, 3.7822], [30, 2.3764], [40, 1.654], [50, 1.0789], [60, 0.7682]]);
  assert.deepEqual(at(r, 'train/train_loss'), [[69, 2.271136608676634]]);
  assert.deepEqual(r.progress.at(-1), { current: 69, total: 69 });
});

test('hf/04 torn frames and warnings glued to dicts; the predict bar after training is not progress; log_history is not read again', () => {
  const f = 'hf/04_ner_norbert_glued_partial_frames.log';
  const r = replay(body(f));
  // 31 values printed; the summary's epoch (2.0) lands at step 536 where the last training dict already put train/epoch.
  assert.equal(countDictValues(body(f).toString()), 31);
  assert.equal(r.points.length, 30);
  assertOnce(r);
  assert.deepEqual(at(r, 'train/loss'), [[268, 0.08], [536, 0.0351]]);
  assert.deepEqual(at(r, 'train/epoch'), [[268, 1], [536, 2]]);
  assert.deepEqual(at(r, 'eval/f1'), [[268, 0.6629303442754203], [536, 0.664561957379637]]);
  assert.deepEqual(at(r, 'train/train_runtime'), [[536, 158.4339]]);
  assert.deepEqual(r.progress.at(-1), { current: 536, total: 536 });
});

test('hf/05 metric_key_prefix eval keys: each metric under one eval/ name', () => {
  const f = 'hf/05_transformers_issue11323_prefixed_eval.log';
  const r = replay(body(f));
  assert.equal(r.points.length, 15);
  assert.equal(countDictValues(body(f).toString()), 15);
  assertOnce(r);
  assert.deepEqual(names(r), ['eval/average_metrics', 'eval/epoch', 'eval/mrpc_en_accuracy', 'eval/mrpc_en_f1', 'eval/mrpc_en_gen_len', 'eval/mrpc_en_loss', 'eval/mrpc_en_runtime', 'eval/mrpc_en_samples_per_second']);
  assert.deepEqual(at(r, 'eval/mrpc_en_loss').map(([, v]) => v), [4.203643321990967, 4.203643321990967]);
});

test('hf/07 dicts without bars: one step per training dict, the eval dict at the train step it follows', () => {
  const f = 'hf/07_sentence_transformers_pr2449.log';
  const r = replay(body(f));
  assert.equal(r.points.length, 45);
  assert.equal(countDictValues(body(f).toString()), 45);
  assertOnce(r);
  assert.deepEqual(steps(r, 'train/loss'), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(at(r, 'eval/loss'), [[10, 1.2490781545639038]]);
});

test('lightning/02 each step drawn twice, first with the previous postfix: one point per step, the later value', () => {
  const r = replay(body('lightning/02_issue4225_understanding_bar.log'));
  assertOnce(r);
  // Independent: the last frame drawn at each step of each paste (the second paste starts over at "Training: 0it").
  const text = body('lightning/02_issue4225_understanding_bar.log').toString();
  const pastes = text.split('Training: 0it').map((t) => {
    const last = new Map<number, number>();
    for (const m of t.matchAll(/\| (\d+)\/18 \[[^\]]*loss=([\d.]+)/g)) last.set(Number(m[1]), Number(m[2]));
    return [...last.values()];
  });
  assert.deepEqual(pastes, [[9.947, 9.85], [10.473, 10.224, 10.047, 9.926, 9.847]]);
  assert.deepEqual(at(r, 'loss').map(([, v]) => v), pastes.flat());
  assert.deepEqual(at(r, 'loss').slice(0, 2), [[4, 9.947], [5, 9.85]]);
  const second = steps(r, 'loss').slice(2);
  assert.deepEqual(second, [second[0], second[0] + 1, second[0] + 2, second[0] + 3, second[0] + 4], 'the restarted bar continues after the first paste, never on top of it');
});

test('lightning/04 a Lightning bar without |bar| (Colab): its step and postfix; the validation bar is not progress', () => {
  const r = replay(body('lightning/04_caduceus_issue47_colab_style.log'));
  assert.deepEqual(r.points, [{ metric: 'loss', step: 1020, value: 1.2 }]);
  assert.deepEqual(r.progress, [{ current: 1020, total: 3000 }]);
});

test('acestep/01 ACE-Step 1.5 trainer lines: 3 per-step losses and 1 per-epoch loss, with the ace-step preset and with the defaults', () => {
  const f = 'acestep/01_ace15_issue216_gui_training.log';
  const preset: ParserSpec[] = ['protocol', { regex: 'ace-step' }, { regex: 'lightning' }];
  for (const specs of [preset, undefined]) {
    const r = replay(body(f), { specs });
    assertOnce(r);
    assert.deepEqual(r.points, [
      { metric: 'train/loss', step: 70, value: 0.7975 },
      { metric: 'train/loss', step: 80, value: 0.9445 },
      { metric: 'train/loss', step: 90, value: 0.8529 },
      { metric: 'train/epoch_loss', step: 96, value: 0.8581 },
    ]);
  }
  assert.equal((body(f).toString().match(/Loss: [\d.]+/g) ?? []).length, 4);
});

test("other/03 TRL GRPO: keys with '/' stay under train/", () => {
  const f = 'other/03_trl_grpo_sumo.log';
  const r = replay(body(f));
  assert.equal(r.points.length, 20);
  assert.equal(countDictValues(body(f).toString()), 20);
  assertOnce(r);
  assert.ok(r.points.every((p) => p.step === 15 && p.metric.startsWith('train/')));
  assert.deepEqual(at(r, 'train/rewards/tsc_reward_fn/mean'), [[15, -1.221204823255539]]);
  assert.deepEqual(at(r, 'train/completions/mean_length'), [[15, 20.2]]);
});

test('other/04 `[stderr] ` before the frames and the dict; text glued after frames', () => {
  const f = 'other/04_llamafactory_stderr_prefix.log';
  const r = replay(body(f));
  assert.equal(r.points.length, 4);
  assertOnce(r);
  assert.deepEqual(at(r, 'train/loss'), [[10, 0.4446]]);
  assert.deepEqual(r.progress.map((p) => p.current), [6, 7, 8, 9, 10, 10, 11, 12]);
});

test('probes: one line each', () => {
  const one = (f: string) => replay(read(`probes/${f}`));
  const a = one('colab_bar_dict.txt');
  assert.deepEqual(at(a, 'train/loss'), [[100, 2.6446]]);
  assert.deepEqual(a.progress, [{ current: 100, total: 2238 }]);
  assert.deepEqual(one('colab_lightning_bar.txt').points, [{ metric: 'loss', step: 1020, value: 1.2 }]);
  assert.deepEqual(at(one('stderr_prefixed_frame_dict.txt'), 'train/loss'), [[10, 0.4446]]);
  assert.deepEqual(
    one('string_valued_dict.txt').points.map((p) => [p.metric, p.value]),
    [['train/loss', 19.85], ['train/grad_norm', 0.05444], ['train/learning_rate', 8.571e-5], ['train/epoch', 0.2941]],
  );
});

/** Chunks as a terminal program writes them: each `\r` frame and each `\n` line its own write. */
function writes(data: Buffer): (i: number) => number {
  const cuts: number[] = [];
  let last = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x0d && i > last) (cuts.push(i - last), (last = i));
    else if (data[i] === 0x0a) (cuts.push(i + 1 - last), (last = i + 1));
  }
  cuts.push(Math.max(1, data.length - last));
  return (i) => cuts[i] ?? data.length;
}

function sameEverywhere(data: Buffer, seed: number): Point[] {
  const whole = replay(data);
  for (const s of [seed, seed + 1, seed + 2]) {
    const r = rng(s);
    const chunked = replay(data, { chunks: () => int(r, 1, 700) });
    assert.deepEqual(chunked.points, whole.points, `random chunks, seed ${s}`);
    assert.deepEqual(chunked.progress.at(-1), whole.progress.at(-1));
  }
  assert.deepEqual(replay(data, { chunks: writes(data) }).points, whole.points, 'one write at a time');
  return whole.points;
}

test('raw/02 TRL SFT under nohup: buffered dicts take the steps tqdm.write marked, progress from the training bar', () => {
  const data = read('raw/02_hf_trl_sft_nohup_glued.raw');
  const points = sameEverywhere(data, 11);
  const r = replay(data);
  assert.equal(points.length, 82);
  assert.equal(countDictValues(data.toString().replace(/\r/g, '\n')), 82);
  assertOnce(r);
  const loss = at(r, 'train/loss');
  assert.deepEqual(loss.map(([s]) => s), [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180]);
  // Each at its epoch × 181 (181 steps, one epoch), to the 2 decimals the epoch was printed with.
  const epochs = at(r, 'train/epoch');
  for (const [s, e] of epochs) assert.ok(Math.abs(s - e * 181) <= 0.005 * 181 + 0.5, `step ${s} for epoch ${e}`);
  assert.deepEqual(at(r, 'eval/loss'), [[100, 0.4172849953174591]]);
  assert.deepEqual(at(r, 'train/train_runtime'), [[181, 1810.426]]);
  assert.deepEqual(r.progress.at(-1), { current: 181, total: 181 });
});

test('raw/04 Lightning DDP killed by SIGTERM: one point per step, the last frame (glued to the signal message) kept', () => {
  const data = read('raw/04_lightning_ddp_sigterm.raw');
  const points = sameEverywhere(data, 21);
  const r = replay(data);
  assertOnce(r);
  // Independent: the last frame drawn at each step, from a plain scan of the \r-separated frames.
  const last = new Map<number, [number, number]>();
  for (const m of data.toString().matchAll(/(\d+)\/3999 \[[^\]]*train_intent_loss_step=(-?[\d.]+), train_total_loss=(-?[\d.]+)\]/g)) last.set(Number(m[1]), [Number(m[2]), Number(m[3])]);
  assert.equal(last.size, 1225);
  assert.equal(points.length, 2 * 1225);
  for (const [step, [intent, total]] of last) {
    assert.deepEqual(
      points.filter((p) => p.step === step).map((p) => [p.metric, p.value]),
      [['train_intent_loss_step', intent], ['train_total_loss', total]],
      `step ${step}`,
    );
  }
  assert.deepEqual(at(r, 'train_total_loss').at(-1), [1225, 0.375]);
  assert.deepEqual(r.progress.at(-1), { current: 1225, total: 3999 });
});

test('other/05 Unsloth Studio: string values, train_runtime in every step dict (not the final summary), a frame glued to a warning', () => {
  const f = 'other/05_unsloth_studio_pr4547_strings.log';
  const r = replay(body(f));
  assert.equal(r.points.length, 14);
  assert.equal(countDictValues(body(f).toString()), 14);
  assertOnce(r);
  // logging_steps=1: the dict printed before the first frame takes epoch × steps-per-epoch, learned from the next one at 18.
  assert.deepEqual(at(r, 'train/loss'), [[17, 14.88], [18, 14.64]]);
  assert.deepEqual(at(r, 'train/epoch'), [[17, 0.00748], [18, 0.007895]]);
  assert.deepEqual(at(r, 'train/num_input_tokens_seen'), [[17, 286019], [18, 302403]]);
  assert.deepEqual(r.progress.at(-1), { current: 18, total: 30 });
});

test('hf/08 axolotl, a paste that starts mid-run after a short bar: the running bar is the training bar, the dict at its count', () => {
  const f = 'hf/08_axolotl_issue592_joined_midrun.log';
  const r = replay(body(f));
  assertOnce(r);
  assert.equal(countDictValues(body(f).toString()), 3);
  assert.deepEqual(r.points, [
    { metric: 'train/loss', step: 283, value: 0.8635 },
    { metric: 'train/learning_rate', step: 283, value: 0.0001369640787949015 },
    { metric: 'train/epoch', step: 283, value: 0.97 },
  ]);
  assert.deepEqual(r.progress.at(-1), { current: 284, total: 873 });
});

test('every text fixture gives the same points whole, in seeded random chunks and one write at a time', () => {
  const files = ['hf', 'lightning', 'acestep', 'other'].flatMap((d) => fs.readdirSync(path.join(DIR, d)).map((f) => `${d}/${f}`));
  assert.ok(files.length >= 12);
  for (const [i, f] of files.entries()) {
    const data = body(f);
    const whole = replay(data);
    assert.ok(whole.points.length > 0, f);
    const r = rng(100 + i);
    assert.deepEqual(replay(data, { chunks: () => int(r, 1, 300) }).points, whole.points, `${f}: random chunks`);
    assert.deepEqual(replay(data, { chunks: writes(data) }).points, whole.points, `${f}: one write at a time`);
  }
});
