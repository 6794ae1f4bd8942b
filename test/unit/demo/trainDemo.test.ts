// The demo trainer of `npm run studio` speaks the Tune Studio line protocol:
// every `@tunestudio` line it prints parses, steps count up, the loss falls,
// and --nan-at makes exactly that step's loss NaN; the "Demo trainer" preset
// comes first in New Job… and runs it; a stop on stdin ends it cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { isProtocolLine, parseProtocolLine, type ProtocolMessage } from '../../../src/protocol/lines';
import { listPresets, specFromPreset } from '../../../src/runtime/jobs/presets';
import { ROOT } from '../../helpers/runtime';

function runDemo(args: string[]): { messages: ProtocolMessage[]; other: string[] } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'demo', 'train_demo.js'), ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const messages: ProtocolMessage[] = [];
  const other: string[] = [];
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    if (!isProtocolLine(line)) {
      other.push(line);
      continue;
    }
    const parsed = parseProtocolLine(line);
    assert.ok(parsed.ok, `${line}: ${parsed.ok ? '' : parsed.error}`);
    messages.push(parsed.message);
  }
  return { messages, other };
}

test('the demo trainer prints parseable protocol lines with a falling loss', () => {
  const { messages, other } = runDemo(['--steps', '60', '--interval-ms', '0']);
  assert.ok(messages[0].config, 'config first');
  const steps = messages.filter((m) => m.metrics);
  assert.deepEqual(steps.map((m) => m.step), Array.from({ length: 60 }, (_, i) => i + 1));
  const loss = steps.map((m) => m.metrics!['train/loss'] as number);
  assert.ok(loss.every(Number.isFinite));
  assert.ok(loss[59] < loss[0] / 2, `loss falls: ${loss[0]} → ${loss[59]}`);
  assert.ok(steps.some((m) => 'eval/loss' in m.metrics!), 'eval loss every 25 steps');
  assert.ok(messages.some((m) => m.checkpoint?.step === 60), 'final checkpoint');
  assert.ok(other.some((l) => l.includes('done')), 'ordinary log lines pass through');
});

test('--nan-at makes that step NaN, and the same seed gives the same curve', () => {
  const a = runDemo(['--steps', '10', '--interval-ms', '0', '--nan-at', '4']).messages.filter((m) => m.metrics);
  const nan = a.filter((m) => Number.isNaN(m.metrics!['train/loss']));
  assert.deepEqual(nan.map((m) => m.step), [4]);
  const b = runDemo(['--steps', '10', '--interval-ms', '0', '--nan-at', '4']).messages.filter((m) => m.metrics);
  assert.deepEqual(JSON.stringify(a), JSON.stringify(b));
});

test('"Demo trainer" is the first New Job preset and its spec runs the shipped trainer with the runtime\'s Node', () => {
  assert.equal(listPresets()[0].id, 'demo');
  assert.equal(listPresets()[0].label, 'Demo trainer');
  const spec = specFromPreset('demo', { steps: 12, nan_at: 5, seed: 3 });
  assert.equal(spec.command![0], process.execPath);
  assert.equal(spec.command![1], path.join(ROOT, 'demo', 'train_demo.js'));
  assert.equal(spec.watchers, undefined, 'the trainer declares its own NaN watch');
  const r = spawnSync(spec.command![0], [...spec.command!.slice(1), '--interval-ms', '0'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const nanSteps = r.stdout.split('\n').filter(isProtocolLine).map((l) => parseProtocolLine(l)).flatMap((p) => (p.ok && p.message.metrics && Number.isNaN(p.message.metrics['train/loss']) ? [p.message.step] : []));
  assert.deepEqual(nanSteps, [5]);
  assert.throws(() => specFromPreset('demo', { steps: 10, nan_at: 11 }), /NaN at step must be at most 10/);
  assert.equal(specFromPreset('demo', { steps: 10 }).command!.includes('--nan-at'), false, 'no NaN unless asked');
});

test('under a job, a stop command on stdin ends the demo trainer at the next step with exit 0', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'demo', 'train_demo.js'), '--steps', '100000', '--interval-ms', '1'], {
    encoding: 'utf8',
    input: '{"seq":1,"cmd":"stop","reason":"train/loss is NaN"}\n',
    env: { ...process.env, TUNESTUDIO_SUPERVISED: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /demo trainer: stopping at step \d+ \(train\/loss is NaN\)/);
});
