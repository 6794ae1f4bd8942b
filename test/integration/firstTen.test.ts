// The first ten minutes against the built runtime (issue 14): the "Demo
// trainer" preset runs and a NaN makes its watcher stop the run; a preset
// checked as New Job… checks it names a bad program at once; Clear Finished
// Jobs forgets ended jobs and keeps running ones and every run; a run's
// headline is never a system metric; a caption job that fails for want of
// its model leaves no zero counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fieldNamed } from '../../src/extension/commands/fieldOwner';
import { JobFromPresetRequest, JobGetRequest, JobPresetsRequest, JobsClearFinishedRequest, JobsListRequest, JobSubmitRequest, JobCancelRequest, type Job } from '../../src/protocol/jobs';
import { RunShowRequest, RunsListRequest } from '../../src/protocol/tracking';
import { makeSample } from '../helpers/audioFixtures';
import { makeDataset } from '../helpers/datasets';
import { ROOT, startRuntime, type RuntimeHandle } from '../helpers/runtime';
import { tmpDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait';

async function runtime(t: Parameters<typeof tmpDir>[0]): Promise<{ rt: RuntimeHandle; dir: string }> {
  const dir = tmpDir(t);
  const rt = await startRuntime({ storeDir: path.join(dir, '.tunestudio'), workspaceFolders: [dir], trusted: true });
  t.after(() => rt.stop());
  return { rt, dir };
}

function until(rt: RuntimeHandle, id: string, states: string[]): Promise<Job> {
  return waitFor(async () => {
    const j = await rt.request(JobGetRequest.type, { id });
    return states.includes(j.state) ? j : null;
  }, `job ${id} to reach ${states.join('/')}`, 60_000);
}

test('the Demo trainer preset: a NaN at step 8 makes the watcher stop the run; the trainer is asked and exits cleanly', async (t) => {
  const { rt } = await runtime(t);
  const spec = await rt.request(JobFromPresetRequest.type, { preset: 'demo', values: { steps: 100000, nan_at: 8 }, check: true });
  const job = await rt.request(JobSubmitRequest.type, { spec });
  const done = await until(rt, job.id, ['stopped', 'failed', 'completed', 'cancelled']);
  assert.equal(done.state, 'stopped', JSON.stringify(done));
  assert.match(done.reason ?? '', /train\/loss/);
  assert.equal(done.exit_code, 0, 'the demo trainer read the stop on stdin and exited 0 before any SIGTERM');
  const run = await rt.request(RunShowRequest.type, { run: done.run_id! });
  assert.equal(run.status, 'stopped');
  assert.equal(run.stop_request?.source, 'watcher');
  assert.ok(run.summary['train/loss'].nan_count >= 1);
});

test('a preset checked as New Job… checks it rejects a program that is not on PATH, naming it', async (t) => {
  const { rt } = await runtime(t);
  await assert.rejects(
    rt.request(JobFromPresetRequest.type, { preset: 'custom', values: { command: 'pyhton-no-such-program train.py' }, check: true }),
    /'pyhton-no-such-program' is not on PATH/,
  );
  // Without check the spec is only built (the old behaviour of the request).
  const spec = await rt.request(JobFromPresetRequest.type, { preset: 'custom', values: { command: 'pyhton-no-such-program train.py' } });
  assert.deepEqual(spec.command, ['pyhton-no-such-program', 'train.py']);

  // The wizard maps each real problem to the field where it was typed.
  const presets = await rt.request(JobPresetsRequest.type, undefined);
  const fieldsOf = (id: string) => presets.find((p) => p.id === id)!.fields;
  const problem = async (preset: string, values: Record<string, string | number>) =>
    rt.request(JobFromPresetRequest.type, { preset, values, check: true }).then(
      () => assert.fail(`${preset} ${JSON.stringify(values)} was accepted`),
      (e: Error) => e.message,
    );
  const hf = fieldsOf('hf-trainer');
  const at = (key: string) => hf.findIndex((f) => f.key === key);
  const badPython = { python: 'pyhton-nope', script: 'train.py' };
  assert.equal(fieldNamed(hf, badPython, await problem('hf-trainer', badPython), at('script')), at('python'), 'a bad Python is the Python field\'s problem');
  const missingScript = { python: process.execPath, script: 'missing_train.py' };
  assert.equal(fieldNamed(hf, missingScript, await problem('hf-trainer', missingScript), at('script')), at('script'), 'a missing script is the Script field\'s');
  const custom = fieldsOf('custom');
  const badCommand = { command: 'nope-prog --lr 1' };
  assert.equal(fieldNamed(custom, badCommand, await problem('custom', badCommand), 0), 0);
  const demo = fieldsOf('demo');
  const badNan = { steps: 10, nan_at: 20 };
  assert.equal(fieldNamed(demo, badNan, await problem('demo', badNan), 1), 1, '"NaN at step must be at most 10" is the NaN field\'s');
});

test('Clear Finished Jobs removes ended jobs only; their runs stay', async (t) => {
  const { rt, dir } = await runtime(t);
  const ok = await rt.request(JobSubmitRequest.type, { spec: { name: 'ok', command: [process.execPath, '-e', 'console.log("@tunestudio {\\"step\\":1,\\"metrics\\":{\\"loss\\":1}}")'], cwd: dir } });
  const bad = await rt.request(JobSubmitRequest.type, { spec: { name: 'bad', command: [process.execPath, '-e', 'process.exit(3)'], cwd: dir } });
  const okDone = await until(rt, ok.id, ['completed']);
  await until(rt, bad.id, ['failed']);
  const slow = await rt.request(JobSubmitRequest.type, { spec: { name: 'slow', command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], cwd: dir } });
  await until(rt, slow.id, ['running']);
  assert.deepEqual(await rt.request(JobsClearFinishedRequest.type, undefined), { removed: 2 });
  const left = await rt.request(JobsListRequest.type, {});
  assert.deepEqual(left.map((j) => j.name), ['slow']);
  assert.ok((await rt.request(RunsListRequest.type, {})).some((r) => r.id === okDone.run_id), 'the cleared job\'s run stays');
  await rt.request(JobCancelRequest.type, { id: slow.id });
  await until(rt, slow.id, ['cancelled']);
  assert.deepEqual(await rt.request(JobsClearFinishedRequest.type, undefined), { removed: 1 });
  assert.deepEqual(await rt.request(JobsListRequest.type, {}), []);
});

test('the headline: system metrics never headline a run; otherwise the first metric the run logged, not the first by name', async (t) => {
  const { rt, dir } = await runtime(t);
  const line = (m: object) => `console.log('@tunestudio ' + JSON.stringify(${JSON.stringify(m)}));`;
  const sys = await rt.request(JobSubmitRequest.type, { spec: { name: 'sys', command: [process.execPath, '-e', `${line({ step: 1, metrics: { 'system/memory_mb': 18 } })} process.exit(1);`], cwd: dir } });
  const cap = await rt.request(JobSubmitRequest.type, {
    spec: { name: 'cap', command: [process.execPath, '-e', line({ step: 1, metrics: { 'caption/captioned': 3, 'caption/failed': 0, 'caption/cache_hits': 0 } })], cwd: dir },
  });
  const sysDone = await until(rt, sys.id, ['failed']);
  const capDone = await until(rt, cap.id, ['completed']);
  const runs = await rt.request(RunsListRequest.type, {});
  const sysRun = runs.find((r) => r.id === sysDone.run_id)!;
  assert.ok(sysRun.metric_count >= 1, 'the run has metrics');
  assert.equal(sysRun.headline, null, 'system/memory_mb does not headline a failed run');
  assert.equal(runs.find((r) => r.id === capDone.run_id)!.headline?.metric, 'caption/captioned');
});

test('a caption job that fails before its first sample (no model, offline) records no counts: its run holds the error, not caption/* 0', async (t) => {
  const { rt, dir } = await runtime(t);
  const ds = makeDataset(dir, 'songs', { triggerWord: 'sng' });
  makeSample(ds, 'one', { seconds: 1, freq: 220, lyrics: 'la' });
  const job = await rt.request(JobSubmitRequest.type, {
    spec: {
      name: 'caption songs',
      project: 'datasets',
      command: [process.execPath, path.join(ROOT, 'bin', 'tunestudio.js'), '--dir', path.join(dir, '.tunestudio'), 'dataset', 'caption', ds, '--offline'],
      env: { TUNESTUDIO_MODEL_CACHE: path.join(dir, 'empty-cache') },
      cwd: dir,
    },
  });
  const done = await until(rt, job.id, ['failed', 'completed']);
  assert.equal(done.state, 'failed');
  assert.match(done.error_summary ?? '', /offline mode is on/);
  const run = await rt.request(RunShowRequest.type, { run: done.run_id! });
  assert.deepEqual(Object.keys(run.summary).filter((m) => m.startsWith('caption/')), [], 'no caption counts');
  const row = (await rt.request(RunsListRequest.type, {})).find((r) => r.id === run.id)!;
  assert.equal(row.headline, null, 'nothing headlines it');
});
