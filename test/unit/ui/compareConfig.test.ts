// The compare page's config table (src/webviews/compare/configTable.ts) and the
// runtime's differing-keys rule (configDiff): keys the runtime adds (job.*,
// command, sweep, trial) never differ and are hidden unless asked; a built-in
// trainer run's config comes grouped by its sections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { configSections, RUNTIME_SECTION } from '../../../src/webviews/compare/configTable';
import { configDiff } from '../../../src/runtime/tracking/compare';
import { flattenConfig, isInternalConfigKey } from '../../../src/protocol/config';
import { resolveTrainConfig, type TrainConfigFile } from '../../../src/runtime/training/config';

const demo = path.join(__dirname, '../../../demo/tiny-lora.tunetrain.json');

/** A run's config as the scheduler stores it: the user's config plus `job`. */
function jobConfig(config: Record<string, unknown>, id: string, command: string[]): Record<string, unknown> {
  return { ...config, job: { id, attempt: 1, command, cwd: '/w' } };
}

test('internal keys are recognised by their root only', () => {
  for (const k of ['job.id', 'job.command', 'command', 'sweep', 'trial', 'job']) assert.ok(isInternalConfigKey(k), k);
  for (const k of ['jobs', 'job_name', 'lora.job', 'trials', 'commander.x', 'sweeper']) assert.ok(!isInternalConfigKey(k), k);
});

test('the runtime never counts internal keys as differing', () => {
  const a = { lr: 1e-3, command: ['python', 'a.py'], sweep: 's1', trial: 0, job: { id: 'j1', command: ['python', 'a.py'] } };
  const b = { lr: 2e-3, command: ['python', 'b.py'], sweep: 's1', trial: 1, job: { id: 'j2', command: ['python', 'b.py'] } };
  assert.deepEqual(configDiff([a, b]), ['lr']);
});

test('a built-in trainer run beside a script run: grouped by section, internal keys hidden until asked', () => {
  const raw = JSON.parse(fs.readFileSync(demo, 'utf8')) as TrainConfigFile;
  const builtin = jobConfig(JSON.parse(JSON.stringify(resolveTrainConfig(raw, path.dirname(demo), demo))) as Record<string, unknown>, 'j1', ['tunestudio', 'train', demo]);
  const script = jobConfig({ lr: 3e-4, batch_size: 8 }, 'j2', ['python', 'train.py']);
  const configs = [builtin, script];
  const flat = configs.map((c) => flattenConfig(c));
  const diff = configDiff(configs);
  assert.ok(!diff.some(isInternalConfigKey), 'no internal key differs');
  assert.ok(diff.length > 20, `a built-in run has many keys the script run lacks (${diff.length})`);

  const secs = configSections(flat, diff, { showSame: false, showInternal: false });
  const names = secs.map((s) => s.name);
  for (const n of ['lora', 'optimizer', 'schedule', 'sample']) assert.ok(names.includes(n), `section ${n} in ${names.join(', ')}`);
  assert.equal(names[0], '', 'top-level keys come first');
  assert.ok(!names.includes(RUNTIME_SECTION) && !names.includes('job'), 'internal keys hidden by default');
  const lora = secs.find((s) => s.name === 'lora')!;
  assert.ok(lora.keys.every((k) => k.key.startsWith('lora.') && k.label === k.key.slice(5) && k.differs));
  assert.equal(
    secs.reduce((n, s) => n + s.keys.length, 0),
    diff.length,
    'every differing key is shown exactly once',
  );

  const all = configSections(flat, diff, { showSame: false, showInternal: true });
  const runtime = all.at(-1)!;
  assert.equal(runtime.name, RUNTIME_SECTION, 'the runtime section comes last');
  assert.deepEqual(runtime.keys.map((k) => k.key).sort(), ['job.attempt', 'job.command', 'job.cwd', 'job.id']);
  assert.ok(runtime.keys.every((k) => !k.differs && k.internal), 'shown, never marked as differing');
  assert.equal(runtime.differing, 0);
});

test('identical keys appear only on request, after the differing ones of their section', () => {
  const a = flattenConfig({ lr: 1, model: 'm', optimizer: { beta1: 0.9, eps: 1e-8 } });
  const b = flattenConfig({ lr: 2, model: 'm', optimizer: { beta1: 0.8, eps: 1e-8 } });
  const diff = configDiff([a, b]);
  assert.deepEqual(diff, ['lr', 'optimizer.beta1']);
  const hidden = configSections([a, b], diff, { showSame: false, showInternal: false });
  assert.deepEqual(hidden.map((s) => [s.name, s.keys.map((k) => k.key)]), [['', ['lr']], ['optimizer', ['optimizer.beta1']]]);
  const shown = configSections([a, b], diff, { showSame: true, showInternal: false });
  assert.deepEqual(shown.map((s) => [s.name, s.differing, s.keys.map((k) => k.key)]), [['', 1, ['lr', 'model']], ['optimizer', 1, ['optimizer.beta1', 'optimizer.eps']]]);
});

test('an internal key in an older runtime\'s diff is still not marked', () => {
  const secs = configSections([{ 'job.id': 'a', lr: 1 }, { 'job.id': 'b', lr: 2 }], ['job.id', 'lr'], { showSame: false, showInternal: true });
  assert.deepEqual(secs.flatMap((s) => s.keys.filter((k) => k.differs).map((k) => k.key)), ['lr']);
});
