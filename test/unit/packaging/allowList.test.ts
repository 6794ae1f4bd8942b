// The .vsix allow-list (.vscodeignore, read the way vsce reads it) ships the
// bundles and every runtime module with its production dependencies, and
// leaves out sources, source maps, dev dependencies and other platforms'
// binaries. The packaged file itself is checked by `npm run package`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../../helpers/runtime';

interface PackageScript {
  runtimeModules(): Array<{ dir: string; name: string }>;
  runtimeAllowLines(modules?: Array<{ dir: string; name: string }>): string[];
  ignoreMatcher(text: string): (rel: string) => boolean;
  nodeExternals(): string[];
}

async function load(): Promise<PackageScript> {
  const url = pathToFileURL(path.join(ROOT, 'scripts', 'package.mjs')).href;
  return (await import(url)) as PackageScript;
}

/** The committed allow-list with its generated block as `npm run package` would write it now. */
async function currentMatcher(p: PackageScript): Promise<(rel: string) => boolean> {
  const text = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8');
  const begin = text.indexOf('# BEGIN runtime modules');
  const end = text.indexOf('# END runtime modules');
  assert.ok(begin >= 0 && end > begin, '.vscodeignore keeps its generated block');
  const lineEnd = text.indexOf('\n', begin);
  return p.ignoreMatcher(text.slice(0, lineEnd + 1) + p.runtimeAllowLines().join('\n') + '\n' + text.slice(end));
}

test('.vscodeignore is an allow-list: everything is left out first', () => {
  const lines = fs
    .readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], '**');
  assert.ok(lines.slice(1).every((l) => l.startsWith('!')), 'every other line allows something');
});

test('the runtime modules are the externals with all their production dependencies', async () => {
  const p = await load();
  const modules = p.runtimeModules();
  const names = new Set(modules.map((m) => m.name));
  for (const n of [
    'better-sqlite3',
    'bindings',
    'file-uri-to-path',
    '@huggingface/transformers',
    'onnxruntime-node',
    'onnxruntime-common',
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-backend-cpu',
  ]) {
    assert.ok(names.has(n), `${n} ships`);
  }
  assert.ok(!names.has('playwright-core') && !names.has('vscode'), 'test-only and editor-provided modules do not ship');
  const dirs = new Set(modules.map((m) => m.dir));
  for (const m of modules) {
    const pj = JSON.parse(fs.readFileSync(path.join(ROOT, m.dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pj.dependencies ?? {})) {
      // Node's resolution from the module's folder upward must land on a shipped folder.
      let dir = m.dir;
      let found: string | undefined;
      for (;;) {
        const candidate = `${dir}/node_modules/${dep}`;
        if (dirs.has(candidate)) {
          found = candidate;
          break;
        }
        if (dir === '' || !dir.includes('node_modules')) {
          if (dirs.has(`node_modules/${dep}`)) found = `node_modules/${dep}`;
          break;
        }
        dir = dir.slice(0, dir.lastIndexOf('/node_modules/'));
      }
      assert.ok(found, `${m.name} needs ${dep}, which ships`);
    }
  }
});

test('the allow-list ships bundles, assets and runtime modules, and nothing for development', async () => {
  const p = await load();
  const included = await currentMatcher(p);
  for (const f of [
    'package.json',
    'README.md',
    'LICENSE',
    'dist/extension.js',
    'dist/runtime.js',
    'dist/webviews/status.js',
    'dist/webviews/codicons/codicon.ttf',
    'media/tune-studio.svg',
    'bin/tunestudio.js',
    'node_modules/better-sqlite3/package.json',
    'node_modules/better-sqlite3/lib/index.js',
    'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    'node_modules/bindings/bindings.js',
    'node_modules/file-uri-to-path/index.js',
    `node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`,
  ]) {
    assert.equal(included(f), true, `${f} ships`);
  }
  for (const m of p.runtimeModules()) assert.equal(included(`${m.dir}/package.json`), true, `${m.dir}/package.json ships`);
  for (const f of [
    'dist/extension.js.map',
    'dist/webviews/status.js.map',
    'src/extension/extension.ts',
    'test/e2e/spine.test.ts',
    'scripts/build.mjs',
    'out/test/suite.js',
    'tsconfig.json',
    '.cache/code-server/package.json',
    'tune-studio-0.1.0.vsix',
    'node_modules/typescript/package.json',
    'node_modules/playwright-core/package.json',
    'node_modules/vscode-languageclient/package.json',
    'node_modules/better-sqlite3/deps/sqlite3/sqlite3.c',
    'node_modules/better-sqlite3/src/better_sqlite3.cpp',
    'node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime_binding.node',
    'node_modules/@tensorflow/tfjs/dist/tf.node.js.map',
    'node_modules/@tensorflow/tfjs-core/dist/index.d.ts',
  ]) {
    assert.equal(included(f), false, `${f} stays out`);
  }
});
