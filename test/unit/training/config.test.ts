// The *.tunetrain.json schema and checkTrainConfig's diagnostics: schema
// errors with JSON-pointer paths, model folder completeness, dataset
// presence, sane ranges, the memory estimate against the machine; and model
// resolution by Hugging Face id (local folders, HF cache layout, download
// from a local HTTP server with progress, the offline error).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import Ajv from 'ajv';
import schema from '../../../schemas/tunetrain.schema.json';
import { checkTrainConfig, estimateTrainingMemory, loadTrainConfig, resolveTrainConfig, TrainConfigError, type TrainConfigProblem } from '../../../src/runtime/training/config';
import { findCachedModel, looksLikeHubId, ModelNotAvailableError, resolveModel, type DownloadProgress } from '../../../src/runtime/training/hub';
import { tinyTrainConfig, writeTinyGpt2 } from '../../helpers/tinyGpt2';
import { tmpDir } from '../../helpers/tmp';

const GiB = 1024 ** 3;

function workspace(t: { after(fn: () => void): void }) {
  const dir = tmpDir(t);
  writeTinyGpt2(path.join(dir, 'model'));
  fs.writeFileSync(path.join(dir, 'a.txt'), 'hello world. '.repeat(20));
  return dir;
}

const errors = (ps: TrainConfigProblem[]) => ps.filter((p) => p.severity === 'error');
const at = (ps: TrainConfigProblem[], ptr: string) => ps.filter((p) => p.path === ptr);

test('the schema is valid draft-07 with a description on every property', () => {
  const ajv = new Ajv({ strict: false });
  assert.ok(ajv.validateSchema(schema), JSON.stringify(ajv.errors));
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  const walk = (node: Record<string, unknown>, where: string) => {
    const props = node.properties as Record<string, Record<string, unknown>> | undefined;
    for (const [k, v] of Object.entries(props ?? {})) {
      assert.ok(typeof v.description === 'string' && v.description.length > 5, `${where}/${k} has a description`);
      walk(v, `${where}/${k}`);
    }
  };
  walk(schema as unknown as Record<string, unknown>, '');
});

test('a complete config for a local model has no errors or warnings', (t) => {
  const dir = workspace(t);
  const cfg = tinyTrainConfig('model', ['a.txt'], 'out');
  assert.deepEqual(checkTrainConfig(cfg, dir, { totalMem: 16 * GiB }), []);
});

test('schema errors point at the value: unknown property, enum, range, missing field', (t) => {
  const dir = workspace(t);
  const cfg = { ...tinyTrainConfig('model', ['a.txt'], 'out'), lora: { r: 0, target_modules: ['q_proj'] }, backend: 'metal', stepz: 3 } as Record<string, unknown>;
  delete cfg.output;
  const ps = checkTrainConfig(cfg, dir);
  assert.ok(at(ps, '/stepz').some((p) => p.message === "Unknown property 'stepz'."));
  assert.ok(at(ps, '/backend').some((p) => /Must be one of "auto", "tfjs-node-gpu", "tfjs-node", "wasm", "cpu"/.test(p.message)));
  assert.ok(at(ps, '/lora/r').some((p) => /Must be >= 1/.test(p.message)));
  assert.ok(at(ps, '/lora/target_modules/0').length === 1);
  assert.ok(at(ps, '').some((p) => p.message === "Missing required property 'output'."));
  assert.ok(ps.every((p) => p.severity === 'error'));
});

test('model folder must be complete and a GPT-2; dataset must exist', (t) => {
  const dir = workspace(t);
  writeTinyGpt2(path.join(dir, 'partial'), { omit: ['tokenizer.json', 'model.safetensors'] });
  let ps = checkTrainConfig(tinyTrainConfig('partial', ['missing.txt', 'a.txt'], 'out'), dir);
  assert.match(at(ps, '/model')[0].message, /is missing model.safetensors, tokenizer.json/);
  assert.match(at(ps, '/dataset/0')[0].message, /Training data '.*missing.txt' does not exist/);
  assert.equal(at(ps, '/dataset/1').length, 0);
  ps = checkTrainConfig(tinyTrainConfig('./nowhere', 'a.txt', 'out'), dir);
  assert.match(at(ps, '/model')[0].message, /Model folder '.*nowhere' does not exist/);
  // a corrupt weights file is caught from its header alone
  fs.writeFileSync(path.join(dir, 'model', 'model.safetensors'), Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 0x5b, 0x5d, 0, 0, 0, 0, 0, 0]));
  ps = checkTrainConfig(tinyTrainConfig('model', 'a.txt', 'out'), dir);
  assert.match(at(ps, '/model')[0].message, /does not start with '\{'/);
});

test('ranges that are legal but unwise are warnings; block_size beyond n_positions is an error', (t) => {
  const dir = workspace(t);
  const ps = checkTrainConfig(tinyTrainConfig('model', 'a.txt', 'out', { optimizer: { lr: 0.5 }, block_size: 128, schedule: { warmup_steps: 50 }, steps: 10, eval_every: 20 }), dir);
  assert.equal(at(ps, '/optimizer/lr')[0].severity, 'warning');
  assert.equal(at(ps, '/schedule/warmup_steps')[0].severity, 'warning');
  assert.equal(at(ps, '/eval_every')[0].severity, 'info');
  assert.equal(at(ps, '/block_size')[0].severity, 'error');
  assert.match(at(ps, '/block_size')[0].message, /exceeds the model's 64 positions/);
});

test('memory estimate: an error beyond the machine, a warning near it, and the wasm 4 GiB limit', (t) => {
  const dir = workspace(t);
  // GPT-2-small-sized config in the tiny folder (only config.json matters for the estimate)
  const cfgFile = path.join(dir, 'model', 'config.json');
  const small = { ...JSON.parse(fs.readFileSync(cfgFile, 'utf8')), n_embd: 768, n_head: 12, n_layer: 12, n_positions: 1024, vocab_size: 50257 };
  fs.writeFileSync(cfgFile, JSON.stringify(small));
  const est = estimateTrainingMemory({ ...small, n_inner: 3072 }, { batch_size: 8, block_size: 512, lora: { r: 8, target_modules: ['attn.c_attn'] } });
  assert.ok(est.weights > 0.45 * GiB && est.weights < 0.55 * GiB, `GPT-2 small weights ≈ 0.5 GiB, got ${est.weights / GiB}`);
  const cfg = tinyTrainConfig('model', 'a.txt', 'out', { batch_size: 8, block_size: 512, backend: 'tfjs-node' });
  let ps = checkTrainConfig(cfg, dir, { totalMem: 4 * GiB });
  assert.match(errors(at(ps, '/batch_size'))[0]?.message ?? '', /Training needs about .* GiB .* but this machine has 4.00 GiB/);
  ps = checkTrainConfig(cfg, dir, { totalMem: est.bytes / 0.7 });
  assert.equal(at(ps, '/batch_size')[0].severity, 'warning');
  ps = checkTrainConfig(cfg, dir, { totalMem: 1024 * GiB });
  assert.equal(at(ps, '/batch_size').length, 0);
  ps = checkTrainConfig({ ...cfg, backend: 'wasm', batch_size: 32 }, dir, { totalMem: 1024 * GiB });
  assert.match(errors(at(ps, '/batch_size'))[0].message, /more than the 4 GiB the WebAssembly backend can address/);
});

test('loadTrainConfig resolves defaults and paths, and throws listing every error', (t) => {
  const dir = workspace(t);
  const file = path.join(dir, 'my.tunetrain.json');
  fs.writeFileSync(file, JSON.stringify({ model: 'model', dataset: 'a.txt', output: 'out', block_size: 32, lora: { target_modules: ['c_proj'] } }));
  const { config } = loadTrainConfig(file);
  assert.equal(config.name, 'my');
  assert.equal(config.model, path.join(dir, 'model'));
  assert.deepEqual(config.dataset, [path.join(dir, 'a.txt')]);
  assert.equal(config.output, path.join(dir, 'out'));
  assert.deepEqual(config.lora, { r: 8, alpha: 16, dropout: 0.05, target_modules: ['attn.c_proj'], rslora: false });
  assert.equal(config.schedule.type, 'cosine');
  assert.equal(config.seed, 42);
  fs.writeFileSync(file, JSON.stringify({ model: 'model', dataset: 'nope.txt', output: 'out', block_size: 32, steps: 0 }));
  assert.throws(
    () => loadTrainConfig(file),
    (e: unknown) => e instanceof TrainConfigError && e.problems.length === 2 && /\/steps: Must be >= 1/.test(e.message) && /nope.txt' does not exist/.test(e.message),
  );
  fs.writeFileSync(file, '{ not json');
  assert.throws(() => loadTrainConfig(file), /cannot read the file as JSON/);
});

test('model ids resolve from local model folders and the Hugging Face cache layout', (t) => {
  const dir = tmpDir(t);
  assert.ok(looksLikeHubId('gpt2') && looksLikeHubId('openai-community/gpt2'));
  assert.ok(!looksLikeHubId('./gpt2') && !looksLikeHubId('/abs/x') && !looksLikeHubId('a/b/c') && !looksLikeHubId('../x'));
  const env = { HF_HUB_CACHE: path.join(dir, 'hf'), HOME: dir } as NodeJS.ProcessEnv;
  // local folder as <dir>/<org>/<name>
  writeTinyGpt2(path.join(dir, 'models', 'acme', 'tiny'));
  const local = findCachedModel('acme/tiny', { env, localDirs: [path.join(dir, 'models')], cacheDir: path.join(dir, 'cache') });
  assert.equal(local?.source, 'local-dir');
  // HF cache: models--org--name/refs/main → snapshots/<hash>
  const repo = path.join(dir, 'hf', 'models--acme--other');
  writeTinyGpt2(path.join(repo, 'snapshots', 'abc123'));
  fs.mkdirSync(path.join(repo, 'refs'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'refs', 'main'), 'abc123\n');
  const cached = findCachedModel('acme/other', { env, cacheDir: path.join(dir, 'cache') });
  assert.equal(cached?.folder, path.join(repo, 'snapshots', 'abc123'));
  assert.equal(cached?.source, 'hf-cache');
  // and a config naming it by id passes the checker without network
  fs.writeFileSync(path.join(dir, 'a.txt'), 'x');
  const ps = checkTrainConfig(tinyTrainConfig('acme/other', 'a.txt', 'out', { block_size: 16 }), dir, { hub: { env, cacheDir: path.join(dir, 'cache') } });
  assert.deepEqual(errors(ps), []);
});

test('offline mode: a model id that is not cached fails with a clear error, no network used', async (t) => {
  const dir = tmpDir(t);
  const env = { HF_HUB_CACHE: path.join(dir, 'hf'), HOME: dir } as NodeJS.ProcessEnv;
  let fetched = 0;
  const fetchImpl = (async () => {
    fetched++;
    throw new Error('no network in this test');
  }) as unknown as typeof fetch;
  await assert.rejects(
    resolveModel('openai-community/gpt2', dir, { env, offline: true, cacheDir: path.join(dir, 'cache'), fetchImpl }),
    (e: unknown) => e instanceof ModelNotAvailableError && /not available offline: offline mode is on/.test(e.message) && /Turn offline mode off/.test(e.message),
  );
  assert.equal(fetched, 0);
  // HF_HUB_OFFLINE=1 means the same; the checker says so too
  fs.writeFileSync(path.join(dir, 'a.txt'), 'x');
  const ps = checkTrainConfig(tinyTrainConfig('openai-community/gpt2', 'a.txt', 'out'), dir, { hub: { env: { ...env, HF_HUB_OFFLINE: '1' }, cacheDir: path.join(dir, 'cache') } });
  assert.match(errors(at(ps, '/model'))[0].message, /offline mode is on/);
  const online = checkTrainConfig(tinyTrainConfig('openai-community/gpt2', 'a.txt', 'out'), dir, { hub: { env, cacheDir: path.join(dir, 'cache') } });
  assert.equal(at(online, '/model')[0].severity, 'info');
});

test('download: files fetched with progress into the cache from a Hub-compatible server, then found offline', async (t) => {
  const dir = tmpDir(t);
  const src = writeTinyGpt2(path.join(dir, 'served')).dir;
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url!);
    const m = /^\/acme\/tiny\/resolve\/main\/([\w.]+)$/.exec(req.url!);
    const file = m && path.join(src, m[1]);
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env = { HF_HUB_CACHE: path.join(dir, 'hf'), HOME: dir } as NodeJS.ProcessEnv;
  const progress: DownloadProgress[] = [];
  const got = await resolveModel('acme/tiny', dir, { env, endpoint, cacheDir: path.join(dir, 'cache'), onProgress: (p) => progress.push(p) });
  assert.equal(got.source, 'download');
  assert.equal(got.folder, path.join(dir, 'cache', 'acme--tiny', 'main'));
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
    assert.ok(fs.readFileSync(path.join(got.folder, f)).equals(fs.readFileSync(path.join(src, f))), f);
  }
  assert.ok(!fs.readdirSync(got.folder).some((f) => f.endsWith('.part')));
  const last = progress.filter((p) => p.file === 'model.safetensors').at(-1)!;
  assert.equal(last.received, fs.statSync(path.join(src, 'model.safetensors')).size);
  assert.equal(last.total, last.received);
  // next time: found in the cache, offline, without a request
  const n = requests.length;
  const again = await resolveModel('acme/tiny', dir, { env, endpoint, offline: true, cacheDir: path.join(dir, 'cache') });
  assert.equal(again.source, 'cache');
  assert.equal(requests.length, n);
  // a repository without safetensors weights is refused by name
  await assert.rejects(resolveModel('acme/none', dir, { env, endpoint, cacheDir: path.join(dir, 'cache') }), /has no config.json|has no model.safetensors/);
});

test('resolveTrainConfig keeps a model id as an id and a folder as an absolute path', (t) => {
  const dir = workspace(t);
  const byId = resolveTrainConfig({ model: 'gpt2', dataset: 'a.txt', output: 'o' }, dir);
  assert.equal(byId.model, 'gpt2');
  const byFolder = resolveTrainConfig({ model: './model', dataset: ['a.txt'], output: 'o' }, dir);
  assert.equal(byFolder.model, path.join(dir, 'model'));
});
