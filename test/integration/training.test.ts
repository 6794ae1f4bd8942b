// The built-in trainer as a tracked run and as a job, end to end with real
// tfjs (wasm) training of a tiny GPT-2 the test builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobControlRequest, JobGetRequest, JobSubmitRequest, JobCancelRequest, type Job } from '../../src/protocol/jobs';
import { RunShowRequest } from '../../src/protocol/tracking';
import { cli, cliJson } from '../helpers/cli';
import { startRuntime, type RuntimeHandle } from '../helpers/runtime';
import { tinyTrainConfig, writeTinyDataset, writeTinyGpt2 } from '../helpers/tinyGpt2';
import { tmpDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait';

function project(t: Parameters<typeof tmpDir>[0], over: Record<string, unknown>): { dir: string; store: string; config: string } {
  const dir = tmpDir(t);
  writeTinyGpt2(path.join(dir, 'model'));
  writeTinyDataset(path.join(dir, 'ds'), [
    { stem: 'one', prompt: 'lofi, piano', lyrics: 'soft rain on the window pane\n'.repeat(6) },
    { stem: 'two', prompt: 'rock, guitar', lyrics: 'turn it up and let it ring\n'.repeat(6) },
  ]);
  const config = path.join(dir, 'tiny.tunetrain.json');
  fs.writeFileSync(config, JSON.stringify(tinyTrainConfig('model', 'ds', 'out', over), null, 2));
  return { dir, store: path.join(dir, '.tunestudio'), config };
}

test('tunestudio train: a diverging run (huge learning rate) is stopped by the NaN watcher and leaves a checkpoint', (t) => {
  const p = project(t, { steps: 60, optimizer: { lr: 1e4, weight_decay: 0.1 }, schedule: { type: 'constant' }, eval_every: 0, checkpoint_every: 0 });
  const r = cli(['train', p.config], { dir: p.store, cwd: p.dir });
  assert.equal(r.code, 0, r.stderr);
  const run = cliJson<{ status: string; reason: string; config: Record<string, unknown>; summary: Record<string, { count: number; nan_count: number; inf_count: number }>; artifacts: Array<{ kind: string }> }>(['show', 'tiny'], { dir: p.store });
  assert.equal(run.status, 'stopped');
  assert.match(run.reason, /^train\/loss is (NaN|Infinity|-Infinity)/);
  assert.ok(run.summary['train/loss'].count < 60, `stopped early (${run.summary['train/loss'].count} steps)`);
  assert.ok(run.summary['train/loss'].nan_count + run.summary['train/loss'].inf_count >= 1);
  assert.equal(run.config.backend, 'wasm', 'the run config says which backend ran');
  assert.ok(typeof run.config.backend_reason === 'string' && (run.config.backend_reason as string).length > 0, 'and why');
  assert.ok(run.artifacts.some((a) => a.kind === 'checkpoint'), 'a stop leaves a checkpoint');
  const state = JSON.parse(fs.readFileSync(path.join(p.dir, 'out', 'trainer_state.json'), 'utf8'));
  assert.equal(state.status, 'stopped');
});

async function settled(rt: RuntimeHandle, id: string, states = ['completed', 'failed', 'cancelled', 'stopped']): Promise<Job> {
  return waitFor(async () => {
    const j = await rt.request(JobGetRequest.type, { id });
    return states.includes(j.state) ? j : null;
  }, `job ${id} to reach ${states.join('/')}`, 120_000);
}

test('a builtin job trains and logs every metric; Save Checkpoint Now works through the control channel; cancel leaves a PEFT checkpoint', async (t) => {
  const p = project(t, { steps: 400, eval_every: 20, sample_every: 100, checkpoint_every: 0, keep_best: 1 });
  const rt = await startRuntime({ storeDir: p.store, workspaceFolders: [p.dir], trusted: true });
  t.after(() => rt.stop());
  const job = await rt.request(JobSubmitRequest.type, { spec: { kind: 'builtin', train_config: p.config, name: 'tiny-job' } });
  await settled(rt, job.id, ['running']);
  const run0 = await waitFor(async () => {
    const j = await rt.request(JobGetRequest.type, { id: job.id });
    const r = j.run_id ? await rt.request(RunShowRequest.type, { run: j.run_id }) : null;
    return r && r.summary['train/loss']?.count >= 3 ? r : null;
  }, 'a few training steps');
  const sent = await rt.request(JobControlRequest.type, { id: job.id, command: 'save' });
  assert.equal(sent.sent, true, sent.message);
  await waitFor(async () => (await rt.request(RunShowRequest.type, { run: run0.id })).artifacts.some((a) => a.kind === 'checkpoint'), 'the checkpoint the control command asked for');
  await rt.request(JobCancelRequest.type, { id: job.id });
  const done = await settled(rt, job.id);
  assert.equal(done.state, 'cancelled');
  const run = await rt.request(RunShowRequest.type, { run: run0.id });
  for (const m of ['train/loss', 'train/lr', 'train/grad_norm', 'train/tokens_per_s', 'eval/loss', 'eval/perplexity']) assert.ok(run.summary[m], `${m} logged`);
  assert.equal(run.status, 'cancelled');
  assert.equal(run.config.backend, 'wasm');
  // keep_best prunes older checkpoints: the last one (written on cancel) is on disk.
  assert.ok(run.artifacts.filter((a) => a.kind === 'checkpoint').length >= 2, 'one on request, one on cancel');
  const ckpt = run.artifacts.filter((a) => a.kind === 'checkpoint').pop()!;
  assert.ok(fs.existsSync(path.resolve(p.dir, ckpt.path)), `checkpoint folder ${ckpt.path} exists`);
  const adapter = fs.readdirSync(path.resolve(p.dir, ckpt.path));
  assert.ok(adapter.includes('adapter_config.json') && adapter.includes('adapter_model.safetensors'), adapter.join(', '));
});
