// The demo trainer of `npm run studio` speaks the Tune Studio line protocol:
// every `@tunestudio` line it prints parses, steps count up, the loss falls,
// and --nan-at makes exactly that step's loss NaN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { isProtocolLine, parseProtocolLine, type ProtocolMessage } from '../../../src/protocol/lines';
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
