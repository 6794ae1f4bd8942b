// Batch captioning as a job: its own process, progress in the job, the
// prompts written, and a cross-process lock so two batches on one dataset
// never run at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptionJobRequest } from '../../src/protocol/datasets';
import { JobGetRequest, type Job } from '../../src/protocol/jobs';
import { makeSample } from '../helpers/audioFixtures';
import { makeDataset } from '../helpers/datasets';
import { acquireCaptionLock } from '../../src/runtime/datasets/lock';
import { startRuntime, type RuntimeHandle } from '../helpers/runtime';
import { writeTinyClap } from '../helpers/tinyClap';
import { tmpDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait';

async function settled(rt: RuntimeHandle, id: string): Promise<Job> {
  return waitFor(async () => {
    const j = await rt.request(JobGetRequest.type, { id });
    return ['completed', 'failed', 'cancelled', 'stopped'].includes(j.state) ? j : null;
  }, `job ${id} to end`, 120_000);
}

test('Caption All runs as a job: progress and prompts; a batch while another process captions the dataset is refused', async (t) => {
  const root = tmpDir(t);
  const ws = path.join(root, 'ws');
  fs.mkdirSync(ws);
  const model = writeTinyClap(path.join(root, 'model'));
  const rt = await startRuntime({
    storeDir: path.join(ws, '.tunestudio'),
    workspaceFolders: [ws],
    settings: { captioningModelPath: model, captioningOffline: true, jobsSlots: 2 },
    env: { TUNESTUDIO_MODEL_CACHE: path.join(root, 'cache') },
  });
  t.after(() => rt.stop());
  const dir = makeDataset(ws, 'beats', { triggerWord: 'bt' });
  for (const [i, stem] of ['a', 'b', 'c', 'd'].entries()) makeSample(dir, stem, { seconds: 2, freq: 200 + 150 * i, lyrics: '[instrumental]' });
  // Another process captions this dataset (this test process holds the lock): the job is refused, clearly.
  const release = acquireCaptionLock(path.join(ws, '.tunestudio'), fs.realpathSync(dir), 'beats');
  const refused = await settled(rt, (await rt.request(CaptionJobRequest.type, { dir })).id);
  assert.equal(refused.state, 'failed');
  assert.match(refused.error_summary ?? '', new RegExp(`Dataset 'beats' is already being captioned by process ${process.pid}`));
  assert.equal(fs.existsSync(path.join(dir, 'a_prompt.txt')), false, 'nothing written');
  release();
  const job = await rt.request(CaptionJobRequest.type, { dir });
  assert.equal(job.name, 'caption beats');
  const ok = await settled(rt, job.id);
  assert.equal(ok.state, 'completed', ok.error_summary ?? ok.reason ?? '');
  assert.deepEqual(ok.progress && [ok.progress.current, ok.progress.total], [4, 4]);
  assert.match(ok.status_text ?? '', /captioned 4, failed 0/);
  for (const stem of ['a', 'b', 'c', 'd']) assert.match(fs.readFileSync(path.join(dir, `${stem}_prompt.txt`), 'utf8'), /^bt, /);
  assert.deepEqual(fs.readdirSync(path.join(ws, '.tunestudio', 'locks')), [], 'the lock is released');
  await assert.rejects(rt.request(CaptionJobRequest.type, { dir: root }), /outside the workspace/);
});
