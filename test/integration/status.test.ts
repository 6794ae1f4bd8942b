import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RuntimeStatusRequest } from '../../src/protocol/runtime';
import { LATEST_SCHEMA_VERSION } from '../../src/runtime/store/migrations';
import { startRuntime } from '../helpers/runtime';
import { tmpDir } from '../helpers/tmp';

test('runtime answers Runtime Status over JSON-RPC without creating the store', async (t) => {
  const storeDir = path.join(tmpDir(t), '.tunestudio');
  const rt = await startRuntime({ storeDir });
  t.after(() => rt.stop());
  const s = await rt.request(RuntimeStatusRequest.type, undefined);
  assert.equal(s.pid, rt.proc.pid);
  assert.equal(s.nodeVersion, process.version);
  assert.equal(s.storeDir, storeDir);
  assert.equal(s.schemaVersion, null, 'status must not create the store');
  assert.equal(fs.existsSync(storeDir), false);
  assert.equal(s.latestSchemaVersion, LATEST_SCHEMA_VERSION);
  const names = s.backends.map((b) => b.name);
  for (const n of ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu', 'onnxruntime-node', 'ffmpeg', 'nvidia-smi', 'training']) assert.ok(names.includes(n), n);
  const training = s.backends.find((b) => b.name === 'training')!;
  assert.equal(training.available, true);
  assert.match(training.detail, /built-in trainer: wasm .*Faster backends not used: tfjs-node-gpu: .*not installed/);
  for (const b of s.backends) assert.ok(b.detail.length > 0, `${b.name} says why`);
});
