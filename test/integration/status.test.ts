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

test('with nvidia-smi present, Runtime Status shows the utilisation and memory of each GPU now', async (t) => {
  const dir = tmpDir(t);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  // A stand-in nvidia-smi (no GPU here): answers the exact query Tune Studio makes.
  const fake = path.join(bin, 'nvidia-smi');
  fs.writeFileSync(fake, `#!/bin/sh\nif [ "$1" = "--query-gpu=index,name,utilization.gpu,memory.used,memory.total" ]; then echo "0, NVIDIA H100 80GB HBM3, 37, 10240, 81559"; echo "1, NVIDIA H100 80GB HBM3, [N/A], 0, 81559"; else echo "NVIDIA H100, 81559 MiB"; fi\n`);
  fs.chmodSync(fake, 0o755);
  const rt = await startRuntime({ storeDir: path.join(dir, '.tunestudio'), env: { PATH: `${bin}${path.delimiter}${process.env.PATH}` } });
  t.after(() => rt.stop());
  const s = await rt.request(RuntimeStatusRequest.type, undefined);
  const gpus = s.backends.filter((b) => /^gpu\d$/.test(b.name)).map((b) => [b.name, b.detail]);
  assert.deepEqual(gpus, [
    ['gpu0', 'NVIDIA H100 80GB HBM3: 37% busy, 10,240 / 81,559 MiB used'],
    ['gpu1', 'NVIDIA H100 80GB HBM3: utilisation n/a, 0 / 81,559 MiB used'],
  ]);
  assert.equal(s.backends.find((b) => b.name === 'nvidia-smi')?.available, true);
});
