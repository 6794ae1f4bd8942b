import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { checkJobSpec, resolveJobSpec, splitArgs, JobSpecError } from '../../../src/runtime/jobs/spec';
import { listPresets, specFromPreset } from '../../../src/runtime/jobs/presets';
import { tmpDir } from '../../helpers/tmp';

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../schemas/tunejob.schema.json'), 'utf8'));
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

test('splitArgs splits like a shell without running one', () => {
  assert.deepEqual(splitArgs(`python train.py --name "my run" --x 'a b' c\\ d ""`), ['python', 'train.py', '--name', 'my run', '--x', 'a b', 'c d', '']);
  assert.deepEqual(splitArgs('echo $HOME; rm -rf / | cat'), ['echo', '$HOME;', 'rm', '-rf', '/', '|', 'cat']);
  assert.throws(() => splitArgs('a "b'), /unclosed double quote/);
});

test('checkJobSpec: missing command, missing script, cwd, parsers, watchers, numbers', (t) => {
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'train.py'), 'print(1)\n');
  const ok = checkJobSpec({ command: ['python3', 'train.py'] }, { baseDir: dir });
  assert.deepEqual(ok.filter((p) => p.severity === 'error'), []);
  const paths = (spec: unknown) => checkJobSpec(spec, { baseDir: dir }).filter((p) => p.severity === 'error').map((p) => p.path);
  assert.deepEqual(paths({}), ['command']);
  assert.deepEqual(paths({ command: ['python3', 'nope.py'] }), ['command[1]']);
  assert.deepEqual(paths({ command: ['/no/such/program'] }), ['command[0]']);
  assert.deepEqual(paths({ command: ['python3', 'train.py'], cwd: 'missing' }), ['cwd', 'command[1]']);
  assert.deepEqual(paths({ command: ['python3', '-m', 'mypkg.train'] }), []);
  assert.deepEqual(paths({ command: ['python3', 'train.py'], parsers: ['protocol', 'bogus'] }), ['parsers[1]']);
  assert.deepEqual(paths({ command: ['python3', 'train.py'], watchers: [{ metric: 'loss', spike_factor: 0.5 }] }), ['watchers[0]']);
  assert.deepEqual(paths({ command: ['python3', 'train.py'], stall_timeout_s: 0, grace_s: 'x', priority: 1.5 }), ['stall_timeout_s', 'grace_s', 'priority']);
  const warn = checkJobSpec({ command: ['python train.py'], bogus: 1 }, { baseDir: dir, checkFiles: false });
  assert.ok(warn.some((p) => p.path === 'bogus' && p.severity === 'warning'));
  assert.ok(warn.some((p) => /contains spaces/.test(p.message)));
  assert.throws(() => resolveJobSpec({ command: [] }, { baseDir: dir }), JobSpecError);
  const r = resolveJobSpec({ command: ['python3', 'train.py'], cwd: '.' }, { baseDir: dir });
  assert.equal(r.cwd, dir);
  assert.equal(r.name, 'train');
});

test('the JSON schema accepts what the checker accepts, and every preset builds a valid spec', (t) => {
  assert.equal(validate({ command: ['python', 'train.py'], parsers: ['protocol', 'hf', { regex: 'lightning' }, { tfevents: 'runs' }], watchers: [{ metric: 'loss', nan: true }] }), true, JSON.stringify(validate.errors));
  assert.equal(validate({ command: 'python train.py' }), false);
  assert.equal(validate({ kind: 'builtin', train_config: 'x.tunetrain.json' }), true);
  const dir = tmpDir(t);
  const values: Record<string, Record<string, string | number>> = {
    'ace-step-lora': { trainer: 'trainer.py', dataset: 'data', lora_config: 'lora.json' },
    'hf-trainer': { script: 'train.py', args: '--model_name_or_path gpt2 --num_train_epochs "3"' },
    custom: { command: 'python train.py --lr 3e-4' },
    'builtin-lora': { train_config: 'a.tunetrain.json' },
  };
  for (const p of listPresets()) {
    const spec = specFromPreset(p.id, values[p.id]);
    assert.equal(validate(spec), true, `${p.id}: ${JSON.stringify(validate.errors)}`);
    assert.deepEqual(checkJobSpec(spec, { baseDir: dir, checkFiles: false }).filter((x) => x.severity === 'error'), [], p.id);
  }
  assert.deepEqual(specFromPreset('hf-trainer', values['hf-trainer']).command, ['python', 'train.py', '--model_name_or_path', 'gpt2', '--num_train_epochs', '3', '--output_dir', './output']);
  assert.throws(() => specFromPreset('ace-step-lora', {}), /trainer.py is required/);
  assert.throws(() => specFromPreset('ace-step-lora', { trainer: 't', dataset: 'd', lora_config: 'l', max_steps: 'many' }), /Max steps must be a number/);
});

test('the job spec is validated from the schema: the checker reports a shape error exactly when ajv rejects the spec, in words that name the key and the fix', () => {
  const shapeErrors = (spec: unknown) => checkJobSpec(spec, { baseDir: '/', checkFiles: false }).filter((p) => p.severity === 'error');
  const cases: unknown[] = [
    { command: ['python', 'train.py'] },
    { command: ['python', 'train.py'], $schema: 5 },
    { command: ['python', 'train.py'], $schema: './tunejob.schema.json' },
    { command: [] },
    { command: 'python train.py' },
    { command: ['python', 3] },
    { kind: 'builtin' },
    { kind: 'builtin', train_config: 'a.tunetrain.json' },
    { kind: 'docker', command: ['x'] },
    { command: ['x'], env: { A: '1' } },
    { command: ['x'], env: { A: 1 } },
    { command: ['x'], env: ['A=1'] },
    { command: ['x'], config: [] },
    { command: ['x'], config: { lr: 1e-4 } },
    { command: ['x'], name: 7 },
    { command: ['x'], cwd: null },
    { command: ['x'], priority: -2 },
    { command: ['x'], priority: 0.5 },
    { command: ['x'], stall_timeout_s: 30 },
    { command: ['x'], stall_timeout_s: -1 },
    { command: ['x'], grace_s: '10' },
    { command: ['x'], parsers: 'protocol' },
    { command: ['x'], watchers: {} },
    [],
    'command',
    null,
  ];
  for (const c of cases) {
    const errors = shapeErrors(c);
    assert.equal(errors.length === 0, validate(c) === true, `${JSON.stringify(c)}: ajv ${JSON.stringify(validate.errors)}, checker ${JSON.stringify(errors)}`);
  }
  assert.deepEqual(shapeErrors({ command: ['x'], $schema: 5 }).map((p) => p.path), ['$schema']);
  assert.deepEqual(shapeErrors({ command: ['python', 3] }), [{ path: 'command[1]', message: 'every argument must be a string', severity: 'error' }]);
  assert.deepEqual(shapeErrors({ command: ['x'], env: { A: 1 } }), [{ path: 'env.A', message: 'environment values must be strings', severity: 'error' }]);
  assert.match(shapeErrors({ kind: 'builtin' })[0].message, /a builtin job needs "train_config"/);
  assert.match(shapeErrors({ command: 'python train.py' })[0].message, /no shell/);
  assert.match(shapeErrors(null)[0].message, /a job spec is a JSON object/);
  // Unknown keys are warnings that list the schema's keys.
  const unknown = checkJobSpec({ command: ['x'], comand: ['y'] }, { baseDir: '/', checkFiles: false });
  assert.deepEqual(unknown.map((p) => [p.path, p.severity]), [['comand', 'warning']]);
  for (const k of Object.keys(schema.properties).filter((k: string) => k !== '$schema')) assert.ok(unknown[0].message.includes(k), k);
});
