// `npm test`: every stage, in order, failing on the first failure.
//   typecheck → build → unit → integration → package → exthost → e2e
// `npm test -- unit integration` runs only the named stages (build is added
// when a stage needs bundles). Set TUNESTUDIO_TEST_FILTER to a substring to
// run only matching test files in the node stages.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ALL = ['typecheck', 'build', 'unit', 'integration', 'package', 'exthost', 'e2e'];
const NEEDS_BUILD = new Set(['integration', 'exthost']);
const NEEDS_PACKAGE = new Set(['e2e']);

let stages = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (stages.length === 0) stages = ALL;
for (const s of stages) {
  if (!ALL.includes(s)) {
    console.error(`unknown test stage '${s}'; stages are: ${ALL.join(', ')}`);
    process.exit(2);
  }
}
if (stages.some((s) => NEEDS_BUILD.has(s)) && !stages.includes('build') && !stages.includes('package')) stages.unshift('build');
if (stages.some((s) => NEEDS_PACKAGE.has(s)) && !stages.includes('package')) stages.splice(stages.indexOf('e2e'), 0, 'package');
stages = ALL.filter((s) => stages.includes(s));

function findTests(dir, suffix = '.test.ts') {
  const out = [];
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(suffix)) out.push(path.relative(root, p));
    }
  };
  walk(path.join(root, dir));
  const filter = process.env.TUNESTUDIO_TEST_FILTER;
  return out.sort().filter((f) => !filter || f.includes(filter));
}

function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}: ${cmd} ${args.length > 6 ? args.slice(0, 6).join(' ') + ' …' : args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`\n✗ ${label} failed (exit ${r.status ?? r.signal}) after ${secs}s`);
    process.exit(1);
  }
  console.log(`✓ ${label} passed in ${secs}s`);
}

function nodeTests(label, dir, extra = []) {
  const files = findTests(dir);
  if (files.length === 0) {
    console.log(`\n=== ${label}: no test files in ${dir}`);
    return;
  }
  run(label, process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...extra, ...files]);
}

// A fresh clone: install dependencies first; the editor stages also need code-server and Chromium.
const { ensureDependencies, setup } = await import('./setup.mjs');
ensureDependencies();
if (stages.includes('exthost') || stages.includes('e2e')) setup();

for (const stage of stages) {
  switch (stage) {
    case 'typecheck':
      run('typecheck', process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);
      break;
    case 'build':
      run('build', process.execPath, ['scripts/build.mjs']);
      break;
    case 'unit':
      nodeTests('unit tests', 'test/unit');
      break;
    case 'integration':
      nodeTests('integration tests', 'test/integration', ['--test-concurrency=1']);
      break;
    case 'package':
      run('package', process.execPath, ['scripts/package.mjs']);
      break;
    case 'exthost':
      run('extension-host tests', process.execPath, ['scripts/exthost.mjs']);
      break;
    case 'e2e':
      nodeTests('e2e tests (code-server + Chromium)', 'test/e2e', ['--test-concurrency=1']);
      break;
  }
}
console.log(`\nall stages passed: ${stages.join(', ')}`);
