// Real trainer output end to end: `tunestudio run -- cat FILE` (a real child
// process, the supervisor, the default parsers, the store) stores what the
// parsers give on the same bytes (test/helpers/replay.ts), no more, no less;
// a run whose output looked like Trainer logs but gave nothing says so; and
// `tunestudio import tensorboard` turns the real event-file fixtures into runs.
// Needs the built CLI (node scripts/build.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, cliJson } from '../helpers/cli';
import { tmpDir } from '../helpers/tmp';
import { replay } from '../helpers/replay';

const FIXTURES = path.resolve(__dirname, '../fixtures/real-logs');

interface Row {
  step: number;
  metric: string;
  value: number | string | null;
  wall_time: number;
}

function exported(store: string, run: string): Row[] {
  const r = cli(['export', run, '--format', 'jsonl'], { dir: store });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
}

const key = (p: { metric: string; step: number; value: unknown }) => `${p.metric}@${p.step}=${p.value}`;

for (const f of ['hf/01_colab_indot5_strings.log', 'raw/02_hf_trl_sft_nohup_glued.raw', 'raw/04_lightning_ddp_sigterm.raw']) {
  test(`tunestudio run -- cat ${f}: the run stores exactly what the parsers read, progress from the training bar`, (t) => {
    const dir = tmpDir(t);
    const store = path.join(dir, '.tunestudio');
    fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, 'out.log'));
    const r = cli(['run', '--name', 'real', '--', 'cat', 'out.log'], { dir: store, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const expected = replay(fs.readFileSync(path.join(dir, 'out.log')));
    const stored = exported(store, 'real').filter((p) => !p.metric.startsWith('system/'));
    assert.deepEqual(stored.map(key).sort(), expected.points.map(key).sort());
    const show = cliJson<{ malformed_lines: number; progress: { current: number; total: number } | null }>(['show', 'real'], { dir: store });
    assert.equal(show.malformed_lines, 0);
    assert.deepEqual(show.progress, { current: expected.progress.at(-1)!.current, total: expected.progress.at(-1)!.total });
  });
}

test('a run whose output looked like Trainer logs but gave no metric says so: show, and the job log', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  // Dicts a Trainer-like script printed cut off (a crash mid-write; a repr we cannot read).
  fs.writeFileSync(path.join(dir, 'out.log'), "{'loss': 0.5, 'epoch': \n{'loss': tensor(0.4, }\n{'loss': 1e, 'epoch': 0.2}\n");
  const r = cli(['run', '--name', 'unreadable', '--', 'cat', 'out.log'], { dir: store, cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /3 lines looked like Trainer logs but none could be read: hf: /);
  const show = cli(['show', 'unreadable'], { dir: store });
  assert.match(show.stdout, /^note {7}3 lines looked like Trainer logs but none could be read: hf: looks like a Trainer log dict but is not a complete Python dict/m);
  const jobs = fs.readdirSync(path.join(store, 'jobs'));
  const log = fs.readFileSync(path.join(store, 'jobs', jobs[0], 'log.txt'), 'utf8');
  assert.match(log, /\[tunestudio\] 3 lines looked like Trainer logs but none could be read/);

  // A run that read its metrics has no such note.
  fs.writeFileSync(path.join(dir, 'good.log'), "{'loss': 0.5, 'epoch': 0.1}\n{'loss': 0.5, 'epoch': \n");
  assert.equal(cli(['run', '--name', 'readable', '--', 'cat', 'good.log'], { dir: store, cwd: dir }).code, 0);
  assert.doesNotMatch(cli(['show', 'readable'], { dir: store }).stdout, /none could be read/);
});

test('tunestudio import tensorboard: one run per folder of event files, names without the dated folder, steps and wall times as written', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const tb = path.join(FIXTURES, 'tfevents');
  const runs = cliJson<Array<{ name: string; project: string; folder: string; scalars: number; malformed: number; warnings: string[] }>>(['import', 'tensorboard', path.join(tb, 'pt_reducer')], { dir: store, cwd: dir });
  assert.deepEqual(
    runs.map((r) => [r.project, r.name, r.scalars]),
    [
      ['pt_reducer', 'duplicate_steps/run_1', 420],
      ['pt_reducer', 'lax/run_1', 330],
      ['pt_reducer', 'strict/run_1', 100],
    ],
  );
  const sac = cliJson<Array<{ name: string; scalars: number; malformed: number; warnings: string[] }>>(['import', 'tensorboard', path.join(tb, 'tbx_sac'), '--project', 'rl'], { dir: store, cwd: dir });
  assert.equal(sac.length, 1);
  assert.equal(sac[0].name, 'SAC_HalfCheetahBulletEnv-v0_Gaussian');
  assert.equal(sac[0].scalars, 607);
  // The writer was stopped mid-record: said, not silently dropped.
  assert.equal(sac[0].malformed, 1);
  assert.match(sac[0].warnings[0], /last 12 bytes are a record cut off/);
  const points = exported(store, 'SAC_HalfCheetahBulletEnv-v0_Gaussian');
  assert.deepEqual([...new Set(points.map((p) => p.metric))].sort(), ['entropy_temprature/alpha', 'loss/critic_1', 'loss/critic_2', 'loss/entropy_loss', 'loss/policy']);
  const first = points.find((p) => p.metric === 'loss/critic_1' && p.step === 0)!;
  assert.ok(Math.abs(first.wall_time - 1591382861.4338527) < 1e-3, `wall time kept: ${first.wall_time}`);
  const tf2 = cliJson<Array<{ name: string; scalars: number }>>(['import', 'tensorboard', path.join(tb, 'tf2_tensor_go')], { dir: store, cwd: dir });
  assert.deepEqual(tf2.map((r) => [r.name, r.scalars]), [['tf2_tensor_go', 100]]);
  assert.deepEqual(
    exported(store, 'tf2_tensor_go').map((p) => p.step),
    Array.from({ length: 100 }, (_, i) => i),
  );
  const missing = cli(['import', 'tensorboard', path.join(dir, 'nope')], { dir: store, cwd: dir });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /TensorBoard folder '.*nope' does not exist/);
});
