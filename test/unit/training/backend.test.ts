// Backend selection: auto falls through tfjs-node-gpu → tfjs-node → wasm →
// cpu, recording why each faster backend was not used (not installed, or
// failed to load with its error); a forced backend is used or refused, never
// silently replaced; the wasm files are found from source and from a bundle.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { BackendError, backendConfigFields, findWasmDir, selectTrainingBackend, wasmThreadsWanted } from '../../../src/runtime/training/backend';
import { tmpDir } from '../../helpers/tmp';

function notFound(pkg: string): never {
  const e = new Error(`Cannot find module '${pkg}'`) as NodeJS.ErrnoException;
  e.code = 'MODULE_NOT_FOUND';
  throw e;
}

function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

test('auto where the native packages are absent (our machines): wasm, with the reasons recorded', async (t) => {
  if (installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu')) {
    // a machine where libtensorflow installed: auto must pick the native backend
    const sel = await selectTrainingBackend({ prefer: 'auto' });
    assert.equal(sel.tfBackend, 'tensorflow');
    await selectTrainingBackend({ prefer: 'wasm' });
    t.skip('tfjs-node is installed here; the wasm fallback is covered by the injected-loader test');
    return;
  }
  const sel = await selectTrainingBackend({ prefer: 'auto' });
  assert.equal(sel.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(sel.forced, false);
  const by = Object.fromEntries(sel.attempts.map((a) => [a.name, a]));
  assert.equal(by['tfjs-node-gpu'].outcome, 'not-installed');
  assert.match(by['tfjs-node-gpu'].reason, /@tensorflow\/tfjs-node-gpu is not installed \(an optional dependency/);
  assert.equal(by['tfjs-node'].outcome, 'not-installed');
  assert.equal(by.wasm.outcome, 'chosen');
  assert.equal(by.cpu.outcome, 'skipped');
  // tfjs runs no WebAssembly threads under Node by itself; ours starts one per CPU (at most 8)
  const cpus = require('node:os').cpus().length as number;
  assert.ok(sel.wasm && sel.wasm.simd === true);
  assert.equal(sel.wasm.threads, process.env.TUNESTUDIO_WASM_THREADS ? sel.wasm.threads : Math.min(8, cpus));
  if (sel.wasm.threads > 1) assert.match(by.wasm.reason, new RegExp(`${sel.wasm.threads} threads`));
  assert.match(sel.summary, /^wasm \(auto\).*Faster backends not used: tfjs-node-gpu: .*; tfjs-node: /);
  const fields = backendConfigFields(sel);
  assert.equal(fields.backend, 'wasm');
  assert.match(String((fields.backend_attempts as Record<string, string>)['tfjs-node']), /^not-installed: /);
});

test('a native package that is present but fails to load is reported with its error', async () => {
  const sel = await selectTrainingBackend({
    prefer: 'auto',
    load: (pkg) => {
      if (pkg === '@tensorflow/tfjs-node-gpu') throw new Error('libcudnn.so.8: cannot open shared object file: No such file or directory');
      if (pkg === '@tensorflow/tfjs-node') return {}; // "loads" but registers no TensorFlow backend
      return notFound(pkg);
    },
  });
  assert.equal(sel.name, 'wasm');
  const by = Object.fromEntries(sel.attempts.map((a) => [a.name, a]));
  assert.equal(by['tfjs-node-gpu'].outcome, 'failed');
  assert.match(by['tfjs-node-gpu'].reason, /failed to load: libcudnn.so.8: cannot open shared object file/);
  assert.equal(by['tfjs-node'].outcome, 'failed');
  assert.match(by['tfjs-node'].reason, /loaded but its TensorFlow backend did not start/);
});

test('a forced backend is used without trying others, or refused with the reason and the fix', async () => {
  const cpu = await selectTrainingBackend({ prefer: 'cpu' });
  assert.equal(cpu.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.ok(cpu.forced);
  assert.ok(cpu.attempts.filter((a) => a.name !== 'cpu').every((a) => a.outcome === 'skipped' && /forced to cpu/.test(a.reason)));
  await assert.rejects(
    selectTrainingBackend({ prefer: 'tfjs-node', load: notFound }),
    (e: unknown) =>
      e instanceof BackendError &&
      /Training backend 'tfjs-node' was requested \(config "backend" or setting tuneStudio.training.backend\) but cannot run: tfjs-node: @tensorflow\/tfjs-node is not installed/.test(e.message) &&
      /Set it to "auto" or install the backend/.test(e.message),
  );
  await assert.rejects(selectTrainingBackend({ prefer: 'metal' as never }), /Unknown training backend 'metal'/);
  // back to wasm for anything after
  assert.equal((await selectTrainingBackend({ prefer: 'wasm' })).name, 'wasm');
});

test('wasm thread count: option over TUNESTUDIO_WASM_THREADS over one per CPU, capped at 8', () => {
  const cpus = require('node:os').cpus().length as number;
  assert.equal(wasmThreadsWanted(undefined, {}), Math.min(8, cpus));
  assert.equal(wasmThreadsWanted(undefined, { TUNESTUDIO_WASM_THREADS: '3' }), 3);
  assert.equal(wasmThreadsWanted(1, { TUNESTUDIO_WASM_THREADS: '3' }), 1);
  assert.equal(wasmThreadsWanted(64, {}), 8);
  assert.equal(wasmThreadsWanted(undefined, { TUNESTUDIO_WASM_THREADS: 'zero' }), 1);
});

test('the wasm files are found: explicit folder, TUNESTUDIO_TFJS_WASM_DIR, else the installed package', (t) => {
  const pkgDist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  assert.equal(findWasmDir(), pkgDist);
  const dir = tmpDir(t);
  assert.equal(findWasmDir(dir), pkgDist, 'a folder without the files is skipped');
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) fs.copyFileSync(path.join(pkgDist, f), path.join(dir, f));
  assert.equal(findWasmDir(dir), dir);
  process.env.TUNESTUDIO_TFJS_WASM_DIR = dir;
  t.after(() => delete process.env.TUNESTUDIO_TFJS_WASM_DIR);
  assert.equal(findWasmDir(), dir);
});
