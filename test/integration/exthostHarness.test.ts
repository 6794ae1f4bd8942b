// Proof that the extension-host stage can fail: scripts/exthost.mjs runs a
// real VS Code extension host and must exit non-zero when the suite fails,
// when the extension cannot activate, and when a suite never finishes — and
// exit 0 for a suite that passes (so the failures are not the harness's own).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/runtime';
import { tmpDir } from '../helpers/tmp';

const HARNESS = path.join(ROOT, 'scripts', 'exthost.mjs');
const REAL_SUITE = path.join(ROOT, 'out', 'test', 'suite.js');

interface HarnessResult {
  code: number | null;
  output: string;
}

function runHarness(args: string[]): Promise<HarnessResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [HARNESS, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, output }));
  });
}

function harnessReady(): void {
  const stamp = path.join(ROOT, '.cache', 'code-server', '.installed.json');
  assert.ok(fs.existsSync(stamp), 'code-server is not installed in .cache/code-server: run `npm run setup` first');
  assert.ok(fs.existsSync(REAL_SUITE), 'out/test/suite.js is missing: run `node scripts/build.mjs`');
}

/** A suite module for VS Code's test runner: `run()` is the given body. */
function writeSuite(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `exports.run = async function run() {\n${body}\n};\n`);
  return file;
}

test('the harness exits 0 for a passing suite and prints its log lines', async (t) => {
  harnessReady();
  const suite = writeSuite(tmpDir(t), 'passing.js', "console.log('passing-suite-marker 42');");
  const r = await runHarness(['--suite', suite, '--timeout', '300']);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /passing-suite-marker 42/);
});

test('the harness exits 1 when the suite fails', async (t) => {
  harnessReady();
  const suite = writeSuite(tmpDir(t), 'failing.js', "throw new Error('deliberate suite failure');");
  const r = await runHarness(['--suite', suite, '--timeout', '300']);
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, /deliberate suite failure/);
});

test('the real suite fails (exit 1) against an extension that cannot activate', async (t) => {
  harnessReady();
  // Same manifest (same id, commands, views), but an entry point that throws.
  const ext = tmpDir(t, 'tunestudio-broken-ext-');
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(ext, 'package.json'));
  fs.mkdirSync(path.join(ext, 'dist'));
  fs.writeFileSync(
    path.join(ext, 'dist', 'extension.js'),
    "exports.activate = function () { throw new Error('deliberately broken activation'); };\n",
  );
  const r = await runHarness(['--suite', REAL_SUITE, '--extension', ext, '--timeout', '300']);
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, /deliberately broken activation/);
  assert.match(r.output, /failing/, 'mocha reports failing tests');
});

test('the harness stops a suite that never finishes, with a clear message', async (t) => {
  harnessReady();
  const suite = writeSuite(tmpDir(t), 'hanging.js', "console.log('hanging-suite-started'); await new Promise(() => {});");
  const r = await runHarness(['--suite', suite, '--timeout', '20']);
  assert.equal(r.code, 124, r.output);
  assert.match(r.output, /did not finish within 20s \(hard timeout\)/);
});
