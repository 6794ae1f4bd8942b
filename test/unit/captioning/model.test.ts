import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { DEFAULT_MODEL_ID, ensureModel, ModelUnavailableError, type DownloadProgress } from '../../../src/runtime/captioning/model';
import { BUILT_IN_LABELS, loadLabels, parseLabels } from '../../../src/runtime/captioning/labels';
import { makeSample } from '../../helpers/audioFixtures';
import { makeDataset, makeService } from '../../helpers/datasets';
import { writeTinyClap } from '../../helpers/tinyClap';
import { tmpDir } from '../../helpers/tmp';

/** A stand-in for the hub: serves a model folder at /<id>/resolve/main/<file>, counting requests. */
async function hub(t: { after(fn: () => void | Promise<void>): void }, modelDir: string, id: string) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const prefix = `/${id}/resolve/main/`;
    const rel = decodeURIComponent((req.url ?? '').slice(prefix.length));
    const file = path.join(modelDir, rel);
    if (!req.url?.startsWith(prefix) || rel.includes('..') || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

test('the default model is downloaded once into the cache with progress, then loads like a local folder', async (t) => {
  const source = writeTinyClap(path.join(tmpDir(t), 'served'), { variants: ['quantized'] });
  const { endpoint, requests } = await hub(t, source, DEFAULT_MODEL_ID);
  const cacheDir = path.join(tmpDir(t), 'cache');
  const progress: DownloadProgress[] = [];
  const m = await ensureModel({ cacheDir, endpoint }, (p) => progress.push(p));
  assert.equal(m.id, DEFAULT_MODEL_ID);
  assert.equal(m.downloaded, true);
  assert.equal(m.dir, path.join(cacheDir, 'Xenova', 'clap-htsat-unfused'));
  assert.equal(m.dtype, 'q8');
  for (const f of ['config.json', 'tokenizer.json', 'onnx/text_model_quantized.onnx', 'onnx/audio_model_quantized.onnx']) {
    assert.deepEqual(fs.readFileSync(path.join(m.dir, f)), fs.readFileSync(path.join(source, f)), f);
  }
  const last = progress.filter((p) => p.file === 'onnx/text_model_quantized.onnx').pop()!;
  assert.equal(last.loaded, fs.statSync(path.join(source, 'onnx/text_model_quantized.onnx')).size);
  assert.equal(last.loaded, last.total);
  assert.equal(fs.readdirSync(path.join(m.dir, 'onnx')).filter((f) => f.endsWith('.part')).length, 0);
  // Second use: nothing is fetched, even offline.
  const n = requests.length;
  const again = await ensureModel({ cacheDir, endpoint, offline: true });
  assert.equal(again.downloaded, false);
  assert.equal(requests.length, n);

  // And captioning through the service downloads into its cache and works.
  const ts = makeService(t, {}, { modelCacheDir: path.join(tmpDir(t), 'svc-cache'), modelEndpoint: endpoint });
  const dir = makeDataset(ts.workspace, 'dl');
  makeSample(dir, 'a', { seconds: 2, lyrics: 'x' });
  const r = await ts.service.caption({ dir });
  assert.equal(r.status, 'done', r.message);
  assert.equal(r.model, DEFAULT_MODEL_ID);
  assert.ok(ts.progress.some((p) => p.phase === 'model' && p.download && p.download.loaded > 0));
});

test('offline mode refuses to download and says which settings to change', async (t) => {
  const cacheDir = path.join(tmpDir(t), 'empty-cache');
  await assert.rejects(
    ensureModel({ cacheDir, offline: true }),
    (e: Error) => e instanceof ModelUnavailableError && /offline mode is on \(tuneStudio\.captioning\.offline\)/.test(e.message) && /tuneStudio\.captioning\.modelPath/.test(e.message),
  );
  assert.equal(fs.existsSync(cacheDir), false, 'nothing created');
});

test('an unreachable hub or a missing file is a clear error; no partial file is left', async (t) => {
  const source = writeTinyClap(path.join(tmpDir(t), 'served'), { variants: ['quantized'] });
  fs.rmSync(path.join(source, 'onnx', 'audio_model_quantized.onnx'));
  const { endpoint } = await hub(t, source, DEFAULT_MODEL_ID);
  const cacheDir = path.join(tmpDir(t), 'cache');
  await assert.rejects(ensureModel({ cacheDir, endpoint }), /HTTP 404.*audio_model_quantized\.onnx/);
  const onnx = path.join(cacheDir, 'Xenova', 'clap-htsat-unfused', 'onnx');
  assert.deepEqual(fs.readdirSync(onnx), ['text_model_quantized.onnx'], 'complete files kept, no .part');
  await assert.rejects(ensureModel({ cacheDir: path.join(tmpDir(t), 'c2'), endpoint: 'http://127.0.0.1:9' }), /Could not download 'config\.json'.*Check the network/s);
});

test('a local model folder: used as is (quantized preferred, fp32 accepted), incomplete folders explained', async (t) => {
  const both = writeTinyClap(path.join(tmpDir(t), 'both'));
  {
    const m = await ensureModel({ modelPath: both });
    assert.equal(m.dtype, 'q8');
    assert.equal(m.id, `local:${fs.realpathSync(both)}`);
    const fp32 = writeTinyClap(path.join(tmpDir(t), 'fp32'), { variants: ['fp32'] });
    assert.equal((await ensureModel({ modelPath: fp32 })).dtype, 'fp32');
    const ws = tmpDir(t);
    writeTinyClap(path.join(ws, 'models', 'clap'));
    assert.equal((await ensureModel({ modelPath: 'models/clap', workspaceFolders: [ws] })).dir, fs.realpathSync(path.join(ws, 'models', 'clap')));
    fs.rmSync(path.join(both, 'tokenizer.json'));
    await assert.rejects(ensureModel({ modelPath: both }), /is missing tokenizer\.json/);
    await assert.rejects(ensureModel({ modelPath: path.join(ws, 'nope') }), /tuneStudio\.captioning\.modelPath\) does not exist/);
    await assert.rejects(ensureModel({ modelId: '../../etc' }), /not a model id/);
  }
});

test('labels: the built-in file has about ten dimensions; bad files are explained; dataset labels stay inside the dataset', (t) => {
  const builtIn = parseLabels(BUILT_IN_LABELS, 'built-in');
  assert.deepEqual(builtIn.dimensions.map((d) => d.name), ['genre', 'style', 'mood', 'instruments', 'vocals', 'tempo', 'energy', 'era', 'texture', 'key']);
  assert.ok(builtIn.dimensions.every((d) => d.labels.length >= 3));
  assert.equal(builtIn.dimensions.find((d) => d.name === 'vocals')!.labels.find((l) => l.tag === 'instrumental')!.text, 'This is a recording of instrumental music with no vocals.');
  assert.equal(builtIn.dimensions[0].labels[0].text, 'This is pop music.');
  // Overrides from dataset.json change the caption hash but not the embedded texts.
  const tuned = parseLabels(BUILT_IN_LABELS, 'built-in', { topK: 3, threshold: 0.5 });
  assert.equal(tuned.textsHash, builtIn.textsHash);
  assert.notEqual(tuned.hash, builtIn.hash);
  assert.ok(tuned.dimensions.every((d) => d.topK === 3 && d.threshold === 0.5));
  assert.throws(() => parseLabels({ dimensions: [{ name: 'x', labels: ['a'] }] }, 'f.json'), /labels file 'f\.json'.*at least 2 labels/);
  assert.throws(() => parseLabels({ dimensions: [{ name: 'x', labels: ['a, b', 'c'] }] }, 'f.json'), /contains a comma/);
  assert.throws(() => parseLabels({ dimensions: [{ name: 'x', template: 'no slot', labels: ['a', 'b'] }] }, 'f.json'), /has no \{label\}/);
  const ds = makeDataset(tmpDir(t), 'lab');
  fs.writeFileSync(path.join(ds, 'mine.json'), JSON.stringify({ dimensions: [{ name: 'mood', labels: ['happy', 'sad'] }] }));
  assert.deepEqual(loadLabels({ datasetDir: ds, settings: { labels: 'mine.json' } }).texts, ['happy', 'sad']);
  assert.throws(() => loadLabels({ datasetDir: ds, settings: { labels: '../../etc/passwd' } }), /outside the dataset folder/);
  const store = tmpDir(t);
  fs.writeFileSync(path.join(store, 'caption-labels.json'), JSON.stringify({ dimensions: [{ name: 'era', labels: ['old', 'new'] }] }));
  assert.deepEqual(loadLabels({ storeDir: store }).texts, ['old', 'new']);
  assert.equal(loadLabels({ storeDir: tmpDir(t) }).source, 'built-in');
});
