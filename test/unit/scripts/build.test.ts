// scripts/build.mjs, run for real (esbuild) on a scratch copy of the tree's
// shape: a listed entry point that does not exist fails the build, naming
// the file and the fix, before anything is written (it used to be dropped
// silently); the production build leaves the extension-host test suite out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../../helpers/runtime';
import { tmpDir } from '../../helpers/tmp';

const SCRIPT = fs.readFileSync(path.join(ROOT, 'scripts', 'build.mjs'), 'utf8');
/** The node entry points the script lists, read from it so the test follows the list. */
const ENTRIES = [...SCRIPT.matchAll(/\['((?:src|test)\/[^']+\.ts)', '((?:dist|out)\/[^']+\.js)'\]/g)].map((m) => ({ src: m[1], out: m[2] }));

function scratchTree(t: Parameters<typeof tmpDir>[0], omit: string[] = []): string {
  const root = tmpDir(t, 'tunestudio-build-');
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.copyFileSync(path.join(ROOT, 'scripts', 'build.mjs'), path.join(root, 'scripts', 'build.mjs'));
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'scratch', version: '0.0.1' }));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(root, 'media'));
  fs.writeFileSync(path.join(root, 'media', 'webview.css'), 'body {}\n');
  fs.mkdirSync(path.join(root, 'src', 'webviews', 'page'), { recursive: true });
  fs.writeFileSync(path.join(root, 'src', 'webviews', 'page', 'main.ts'), 'document.body.textContent = "page";\n');
  for (const { src } of ENTRIES) {
    if (omit.includes(src)) continue;
    fs.mkdirSync(path.dirname(path.join(root, src)), { recursive: true });
    fs.writeFileSync(path.join(root, src), `export const entry: string = ${JSON.stringify(src)};\n`);
  }
  return root;
}

function build(root: string, args: string[] = []) {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

test('every entry point the build lists exists in this tree, the test suite among them, and no dead captioning entry', () => {
  assert.ok(ENTRIES.length >= 7, `read ${ENTRIES.length} entries from scripts/build.mjs`);
  for (const out of ['dist/extension.js', 'dist/runtime.js', 'dist/cli.js', 'out/test/suite.js']) assert.ok(ENTRIES.some((e) => e.out === out), out);
  assert.ok(!ENTRIES.some((e) => e.src.includes('captioning/job')), 'src/runtime/captioning/job.ts is gone');
  for (const { src } of ENTRIES) assert.ok(fs.existsSync(path.join(ROOT, src)), `${src} exists in this tree`);
});

test('a development build bundles every entry point and the test suite', (t) => {
  const root = scratchTree(t);
  const r = build(root);
  assert.equal(r.code, 0, r.output);
  for (const { out } of ENTRIES) assert.ok(fs.existsSync(path.join(root, out)), `${out} was built`);
  assert.ok(fs.existsSync(path.join(root, 'dist', 'webviews', 'page.js')));
});

test('a missing entry point fails the build with its name and the fix, and nothing is written', (t) => {
  const missing = ENTRIES.find((e) => e.out === 'dist/trainer.js')!;
  const root = scratchTree(t, [missing.src]);
  const r = build(root);
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, new RegExp(`build: ${missing.src.replace(/[./]/g, '\\$&')} \\(for dist/trainer\\.js\\) does not exist\\. Restore the file, or remove its line from nodeEntries in scripts/build\\.mjs`));
  assert.equal(fs.existsSync(path.join(root, 'dist')), false, 'no partial build');
});

test('the production build leaves the extension-host suite out (and does not need it)', (t) => {
  const root = scratchTree(t);
  const r = build(root, ['--production']);
  assert.equal(r.code, 0, r.output);
  assert.ok(fs.existsSync(path.join(root, 'dist', 'extension.js')));
  assert.equal(fs.existsSync(path.join(root, 'out')), false, 'no out/test/suite.js in a production build');
  const noSuite = scratchTree(t, ['test/exthost/suite.ts']);
  assert.equal(build(noSuite, ['--production']).code, 0);
});
