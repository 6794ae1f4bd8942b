import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { NotificationType, ResponseError } from 'vscode-jsonrpc/node';
import {
  CancelCaptionRequest,
  CaptionProgressNotification,
  CaptionRequest,
  CreateDatasetRequest,
  ImportAudioRequest,
  ListDatasetsRequest,
  ListSamplesRequest,
  SampleInfoRequest,
  ValidateDatasetRequest,
  type CaptionProgress,
} from '../../src/protocol/datasets';
import { DataChangedNotification } from '../../src/protocol/runtime';
import { makeAudio, makeSample } from '../helpers/audioFixtures';
import { startRuntime } from '../helpers/runtime';
import { writeTinyClap } from '../helpers/tinyClap';
import { tmpDir } from '../helpers/tmp';

interface PublishParams {
  uri: string;
  diagnostics: Array<{ message: string; severity: number; code: string }>;
}
const PublishDiagnostics = new NotificationType<PublishParams>('textDocument/publishDiagnostics');

async function setup(t: { after(fn: () => void | Promise<void>): void }) {
  const root = tmpDir(t);
  const ws = path.join(root, 'ws');
  fs.mkdirSync(ws);
  const model = writeTinyClap(path.join(root, 'model'));
  const rt = await startRuntime({
    storeDir: path.join(ws, '.tunestudio'),
    workspaceFolders: [ws],
    settings: { captioningModelPath: model, captioningOffline: true },
    env: { TUNESTUDIO_MODEL_CACHE: path.join(root, 'cache') },
  });
  t.after(() => rt.stop());
  const diagnostics = new Map<string, PublishParams['diagnostics']>();
  rt.onNotification(PublishDiagnostics, (p) => diagnostics.set(p.uri, p.diagnostics));
  const progress: CaptionProgress[] = [];
  rt.onNotification(CaptionProgressNotification.type, (p) => progress.push(p));
  return { rt, ws, root, diagnostics, progress };
}

test('runtime: create, import, list, validate with diagnostics published, caption with progress, diagnostics cleared', async (t) => {
  const { rt, ws, root, diagnostics, progress } = await setup(t);
  const created = await rt.request(CreateDatasetRequest.type, { parent: ws, name: 'Beats', triggerWord: 'bt' });
  const dir = created.dir;
  const src = path.join(root, 'src');
  makeAudio(path.join(src, 'kick loop.mp3'), { seconds: 3, freq: 80 });
  makeAudio(path.join(src, 'hat.wav'), { seconds: 3, kind: 'noise' });
  fs.writeFileSync(path.join(src, 'hat_lyrics.txt'), '[instrumental]');
  const imported = await rt.request(ImportAudioRequest.type, { dir, files: [{ source: path.join(src, 'kick loop.mp3') }, { source: path.join(src, 'hat.wav') }] });
  assert.deepEqual(imported.imported.map((i) => path.basename(i.audio)), ['kick_loop.mp3', 'hat.wav']);
  fs.writeFileSync(path.join(dir, 'kick_loop_lyrics.txt'), '[instrumental]');

  const list = await rt.request(ListDatasetsRequest.type, undefined);
  assert.deepEqual(list.map((d) => [d.name, d.sampleCount, d.triggerWord]), [['Beats', 2, 'bt']]);

  const kickUri = pathToFileURL(path.join(dir, 'kick_loop.mp3')).href;
  // (A re-validation started by the import may publish first, before the lyrics existed.)
  const published = rt.waitFor(PublishDiagnostics, (p) => p.uri === kickUri && p.diagnostics.length === 1 && p.diagnostics[0].code === 'missing-prompt');
  const report = await rt.request(ValidateDatasetRequest.type, { dir });
  assert.equal(report.ok, false);
  assert.deepEqual(report.problems.filter((p) => p.severity === 'error').map((p) => p.code), ['missing-prompt', 'missing-prompt']);
  const d = await published;
  assert.equal(d.diagnostics[0].code, 'missing-prompt');
  assert.equal(d.diagnostics[0].severity, 1);

  const samples = await rt.request(ListSamplesRequest.type, { dir });
  assert.deepEqual(samples.map((s) => [s.stem, s.promptState, s.lyricsState, s.captionState]), [
    ['hat', 'missing', 'ok', 'none'],
    ['kick_loop', 'missing', 'ok', 'none'],
  ]);
  assert.ok(samples.every((s) => s.duration !== null && Math.abs(s.duration - 3) < 0.1), 'durations known after validation');

  const cleared = rt.waitFor(PublishDiagnostics, (p) => p.uri === kickUri && p.diagnostics.length === 0, 60_000);
  const changed = rt.waitFor(DataChangedNotification.type, (p) => p.kinds.includes('datasets'), 60_000);
  const r = await rt.request(CaptionRequest.type, { dir, batchId: 'int-1' });
  assert.equal(r.status, 'done', r.message);
  assert.deepEqual(r.captioned.map((c) => c.tags[0]), ['bt', 'bt']);
  await cleared;
  await changed;
  assert.equal(diagnostics.get(kickUri)?.length ?? 0, 0);
  const phases = progress.filter((p) => p.batchId === 'int-1').map((p) => p.phase);
  assert.deepEqual([phases[0], phases.at(-1)], ['model', 'done']);
  assert.equal(phases.filter((p) => p === 'captioning').length, 2);

  // An open dataset.json is checked as it is typed (unsaved text wins over the disk).
  const manifestUri = pathToFileURL(path.join(dir, 'dataset.json')).href;
  const live = rt.waitFor(PublishDiagnostics, (p) => p.uri === manifestUri && p.diagnostics.some((x) => /"duration.min" \(9\) is greater/.test(x.message)));
  await rt.conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri: manifestUri, languageId: 'json', version: 1, text: '{ "name": "Beats", "triggerWord": "bt", "duration": { "min": 9, "max": 2 } }' },
  });
  assert.equal((await live).diagnostics[0].code, 'manifest-invalid');

  const info = await rt.request(SampleInfoRequest.type, { dir, stem: 'kick_loop' });
  assert.equal(info.captionState, 'captioned');
  assert.deepEqual(info.tags, r.captioned.find((c) => c.stem === 'kick_loop')!.tags);
  assert.equal(info.lyricsText, '[instrumental]');
  assert.equal(info.codec, 'mp3');
});

test('runtime: refused requests come back as clear errors; two caption requests at once stay consistent; cancel works', async (t) => {
  const { rt, ws, root } = await setup(t);
  const { dir } = await rt.request(CreateDatasetRequest.type, { parent: ws, name: 'two' });
  for (let i = 0; i < 4; i++) makeSample(dir, `s${i}`, { seconds: 2, freq: 200 + 100 * i, lyrics: 'x' });
  const src = makeAudio(path.join(root, 'x.mp3'));
  await assert.rejects(
    rt.request(ImportAudioRequest.type, { dir, files: [{ source: src, name: '../../escape.mp3' }] }),
    (e: unknown) => e instanceof ResponseError && e.code === -32803 && /refused; nothing was copied/.test(e.message) && !/Request .* failed/.test(e.message),
  );
  assert.equal(fs.existsSync(path.join(ws, 'escape.mp3')), false);
  await assert.rejects(rt.request(ListSamplesRequest.type, { dir: root }), /outside the workspace folders/);

  const first = rt.request(CaptionRequest.type, { dir, batchId: 'one' });
  const second = rt.request(CaptionRequest.type, { dir, batchId: 'two' });
  const [a, b] = await Promise.allSettled([first, second]);
  assert.equal(a.status, 'fulfilled');
  assert.equal(b.status, 'rejected');
  assert.match((b as PromiseRejectedResult).reason.message, /Dataset 'two' (is being captioned|has a caption batch waiting) \(batch one/);
  const done = (a as PromiseFulfilledResult<Awaited<typeof first>>).value;
  assert.equal(done.captioned.length, 4);
  for (const c of done.captioned) assert.equal(fs.readFileSync(path.join(dir, `${c.stem}_prompt.txt`), 'utf8'), c.prompt + '\n');

  // Cancel sent right behind the request: the runtime handles requests in order, so the batch
  // exists when the cancel arrives, and it stops before its first new sample.
  for (let i = 0; i < 4; i++) makeSample(dir, `t${i}`, { seconds: 2, freq: 1200 + 100 * i, lyrics: 'x' });
  const third = rt.request(CaptionRequest.type, { dir, batchId: 'three', stems: ['t0', 't1', 't2', 't3'] });
  assert.deepEqual(await rt.request(CancelCaptionRequest.type, { batchId: 'three' }), { cancelled: true });
  const r3 = await third;
  assert.equal(r3.status, 'cancelled');
  assert.ok(r3.captioned.length < 4);
  assert.deepEqual(await rt.request(CancelCaptionRequest.type, { batchId: 'three' }), { cancelled: false });
});
