// Tens of thousands of generated lines — valid, malformed and garbage — through
// the splitter and every line parser at once: nothing throws, and the counts
// of metrics, protocol messages and malformed lines are exactly what was put in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from '../../../src/runtime/ingest/lines';
import { createParsers, LineIngest } from '../../../src/runtime/ingest/spec';
import type { IngestEvent, ParserSpec } from '../../../src/runtime/ingest/types';
import { int, pick, rng } from '../../helpers/random';

const SPECS: ParserSpec[] = [
  'protocol',
  { regex: 'ace-step' },
  'hf',
  { regex: { pattern: '^custom step=(?<step>\\d+) score=(?<score>\\S+)$', step: 'step', metrics: { 'custom/score': 'score' } } },
];

interface Expected {
  lines: number;
  protocol: number;
  malformed: number;
  metricEvents: number;
  metricValues: number;
  progress: number;
}

const GARBAGE_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t{}[]()\'"%|=:@,.;/\\-+*_#<>!?~`^&$éü€日本😀\u0000\u001b\u007f';
const GARBAGE = [...GARBAGE_ALPHABET];

function generate(seed: number, n: number): { lines: string[]; expected: Expected } {
  const r = rng(seed);
  const e: Expected = { lines: 0, protocol: 0, malformed: 0, metricEvents: 0, metricValues: 0, progress: 0 };
  const lines: string[] = [];
  let barStep = 0;
  const num = () => pick(r, [() => (r() * 10).toFixed(int(r, 0, 6)), () => (r() * 1e-3).toExponential(2), () => String(int(r, -50, 50)), () => 'nan', () => 'inf', () => '-inf'])();
  const pyNum = () => pick(r, [num, () => `tensor(${(r() * 5).toFixed(4)}, device='cuda:0')`, () => `np.float64(${(r() * 5).toFixed(3)})`])();
  // A training dict or an evaluation dict (Trainer never mixes them: 'loss' and 'eval_loss' would both be eval/loss).
  const hfDict = (): [string, number, number] => {
    const keys =
      r() < 0.7
        ? ['loss', ...['grad_norm', 'learning_rate', 'epoch', 'train_loss', 'custom_metric'].filter(() => r() < 0.5)]
        : ['eval_loss', ...['eval_runtime', 'eval_samples_per_second', 'epoch', 'eval_custom'].filter(() => r() < 0.5)];
    const q = r() < 0.8 ? "'" : '"';
    return [`{${keys.map((k) => `${q}${k}${q}: ${pyNum()}`).join(', ')}}`, keys.length, keys[0].length + 4];
  };
  for (let i = 0; i < n; i++) {
    const kind = int(r, 0, 10);
    switch (kind) {
      case 0: {
        const k = int(r, 1, 4);
        const metrics: Record<string, number> = {};
        for (let j = 0; j < k; j++) metrics[`m${j}/x`] = r();
        lines.push(`@tunestudio ${JSON.stringify({ step: int(r, 0, 1e6), metrics })}`);
        e.protocol++;
        break;
      }
      case 1: {
        const body = JSON.stringify({ step: int(r, 0, 1e6), metrics: { loss: r() } });
        lines.push(
          pick(r, [
            () => `@tunestudio ${body.slice(0, int(r, 1, body.length - 1))}`,
            () => `@tunestudio ${pick(r, ['', 'null', '[1,2]', '"str"', '42', 'step=3'])}`,
            () => '@tunestudio {"nokey": 1}',
            () => `@tunestudio {"step": ${pick(r, ['-1', '1.5', '"3"'])}, "metrics": {}}`,
            () => `@tunestudio {"metrics": ${pick(r, ['[1]', '3', 'null'])}}`,
          ])(),
        );
        e.malformed++;
        break;
      }
      case 2: {
        const [d, k] = hfDict();
        lines.push(d);
        e.metricEvents++;
        e.metricValues += k;
        break;
      }
      case 3: {
        const [d, , firstKeyEnd] = hfDict();
        lines.push(d.slice(0, int(r, firstKeyEnd, d.length - 1))); // still shows its first key, so it is a log dict
        e.malformed++;
        break;
      }
      case 4: {
        lines.push(`Epoch ${int(r, 0, 9)}, step ${int(r, 0, 99999)}: loss=${num()}, denoising_loss=${num()}, lr=${(r() * 1e-4).toExponential(1)}`);
        e.metricEvents++;
        e.metricValues += 3;
        break;
      }
      case 5: {
        barStep++;
        // Epoch 0 with a total of 1e6: every frame is a new step, so none is a repeat.
        lines.push(`Epoch 0:   0%|          | ${barStep}/1000000 [00:01<99:99, 9.99it/s, v_num=0, train/loss=${(r() * 3).toFixed(3)}]`);
        e.metricEvents++;
        e.metricValues += 1;
        e.progress++;
        break;
      }
      case 6: {
        if (r() < 0.5) {
          lines.push(`custom step=${int(r, 0, 1000)} score=${num()}`);
          e.metricEvents++;
          e.metricValues++;
        } else {
          lines.push(`custom step=${int(r, 0, 1000)} score=${pick(r, ['abc', '1.2.3', '--', '0x1g'])}`);
          e.malformed++;
        }
        break;
      }
      default: {
        let s = '';
        const len = int(r, 0, 200);
        for (let j = 0; j < len; j++) s += pick(r, GARBAGE);
        lines.push(s);
      }
    }
    e.lines++;
  }
  return { lines, expected: e };
}

function ingestText(text: string, seed: number): { ingest: LineIngest; events: IngestEvent[] } {
  const { lines } = createParsers(SPECS, { cwd: process.cwd() });
  const ingest = new LineIngest(lines);
  const s = new LineSplitter();
  const r = rng(seed);
  const buf = Buffer.from(text);
  const events: IngestEvent[] = [];
  const take = (ps: ReturnType<LineSplitter['push']>) => {
    for (const p of ps) events.push(...ingest.line(p.text, p.final));
  };
  for (let pos = 0; pos < buf.length; ) {
    const n = int(r, 1, 4096);
    take(s.push(buf.subarray(pos, pos + n)));
    pos += n;
  }
  take(s.flush());
  events.push(...ingest.flush()); // what parsers hold at the end (a Lightning step's last draw, dicts waiting for a step)
  return { ingest, events };
}

function checkWellFormed(events: IngestEvent[]): void {
  for (const ev of events) {
    if (ev.type === 'metrics') {
      assert.ok(Object.keys(ev.metrics).length > 0);
      for (const [k, v] of Object.entries(ev.metrics)) {
        assert.ok(k.length > 0);
        assert.equal(typeof v, 'number');
      }
      if (ev.step !== undefined) assert.ok(Number.isInteger(ev.step) && ev.step >= 0, `step ${ev.step}`);
    } else if (ev.type === 'malformed') {
      assert.ok(ev.error.length > 0 && ev.line.length <= 600);
    } else if (ev.type === 'progress') {
      assert.ok(Number.isFinite(ev.current));
    }
  }
}

for (const seed of [1, 2, 3]) {
  test(`12,000 generated lines (seed ${seed}): exact counts of protocol, metrics and malformed lines`, () => {
    const { lines, expected } = generate(seed, 12_000);
    // Frames (the Lightning bars) end with \r like a real bar; other lines with \n or \r\n.
    const text = lines.map((l) => l + (l.startsWith('Epoch 0:') ? '\r' : int(rng(l.length), 0, 1) ? '\n' : '\r\n')).join('');
    const { ingest, events } = ingestText(text, seed);
    checkWellFormed(events);
    const c = ingest.counts;
    assert.deepEqual(
      { lines: c.lines + c.frames, protocol: c.protocol, malformed: c.malformed, metricEvents: c.metricEvents, metricValues: c.metricValues, progress: c.progress },
      expected,
    );
  });
}

test('mutated valid lines and raw random bytes: no throw, every event well formed', () => {
  const r = rng(99);
  const { lines } = generate(5, 6000);
  const mutated = lines.map((l) => {
    let s = l;
    for (let k = int(r, 1, 4); k > 0; k--) {
      const at = int(r, 0, s.length);
      const op = int(r, 0, 2);
      const ch = pick(r, GARBAGE);
      s = op === 0 ? s.slice(0, at) + s.slice(at + 1) : op === 1 ? s.slice(0, at) + ch + s.slice(at) : s.slice(0, at) + ch + s.slice(at + 1);
    }
    return s;
  });
  const { events, ingest } = ingestText(mutated.join('\n'), 1);
  checkWellFormed(events);
  assert.equal(ingest.counts.lines, mutated.length);

  const bytes = Buffer.alloc(2 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
  const raw = ingestText(bytes.toString('latin1'), 2);
  checkWellFormed(raw.events);
  const s = new LineSplitter();
  let count = 0;
  for (let pos = 0; pos < bytes.length; pos += 777) count += s.push(bytes.subarray(pos, pos + 777)).length;
  count += s.flush().length;
  assert.ok(count > 1000);
});
