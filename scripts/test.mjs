// `npm test`: every stage, in order, failing on the first failure.
//   typecheck → lint → build → unit → integration → server → slurm → package → exthost → e2e
// `npm test -- unit integration` runs only the named stages (build is added
// when a stage needs bundles, package before e2e). A stage whose test folder
// has no test files yet (server, until the team-server issue lands) is
// skipped. Before the first stage, the setup module installs what the chosen
// stages need (lib/stages.mjs: npm ci on a fresh clone, their Debian packages,
// code-server for the editor stages). Set TUNESTUDIO_TEST_FILTER to a
// substring to run only matching test files in the node stages.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './lib/paths.mjs';
import { findTests, planStages, stageHasWork } from './lib/stages.mjs';
import { setup } from './setup.mjs';

const TSCONFIGS = ['tsconfig.protocol.json', 'tsconfig.runtime.json', 'tsconfig.extension.json', 'tsconfig.webviews.json', 'tsconfig.json'];

let stages;
try {
  stages = planStages(process.argv.slice(2).filter((a) => !a.startsWith('-')));
} catch (e) {
  console.error(e.message);
  process.exit(2);
}

/** Each stage's time, printed at the end (and when one fails). */
const times = [];

function printTimes() {
  if (times.length) console.log(`\nstage times: ${times.map(([l, s]) => `${l} ${s}s`).join(', ')}`);
}

function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}: ${cmd} ${args.length > 6 ? args.slice(0, 6).join(' ') + ' …' : args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  times.push([label, secs]);
  if (r.status !== 0) {
    console.error(`\n✗ ${label} failed (exit ${r.status ?? r.signal}) after ${secs}s`);
    printTimes();
    process.exit(1);
  }
  console.log(`✓ ${label} passed in ${secs}s`);
}

function nodeTests(label, dir, extra = []) {
  const files = findTests(dir);
  if (files.length === 0) {
    console.log(`\n=== ${label}: no test files in ${dir}${process.env.TUNESTUDIO_TEST_FILTER ? ` matching '${process.env.TUNESTUDIO_TEST_FILTER}'` : ''}`);
    return;
  }
  run(label, process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...extra, ...files]);
}

// A fresh clone: npm ci, then the Debian packages and code-server these stages need.
try {
  times.push(['setup', setup({ stages }).seconds.toFixed(1)]);
} catch (e) {
  console.error(`\nsetup failed: ${e.message}`);
  process.exit(1);
}

for (const { name } of stages) {
  switch (name) {
    case 'typecheck':
      // One tsconfig per target (protocol, runtime + CLI + SDK, extension, webviews), so a wrong
      // import is a compile error, then tsconfig.json for tests, bench and scripts over everything.
      // `tsc -b` checks them all in one process (lib files parsed once; .cache/tsc/ keeps what is unchanged).
      run('typecheck', process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', ...TSCONFIGS]);
      break;
    case 'lint':
      run('lint', process.execPath, [path.join(ROOT, 'node_modules/eslint/bin/eslint.js'), '--cache', '--cache-location', '.cache/eslint/', '.']);
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
    case 'server':
      nodeTests('team server tests (PostgreSQL)', 'test/server', ['--test-concurrency=1']);
      break;
    case 'slurm':
      nodeTests('Slurm tests', 'test/slurm', ['--test-concurrency=1']);
      break;
    case 'package':
      // The e2e tests read the webviews' test hooks: this package asks for them (`npm run package` leaves them out).
      run('package', process.execPath, ['scripts/package.mjs'], { TUNESTUDIO_TEST_HOOKS: '1' });
      break;
    case 'exthost':
      run('extension-host tests', process.execPath, ['scripts/exthost.mjs']);
      break;
    case 'e2e':
      nodeTests('e2e tests (code-server + Chromium)', 'test/e2e', ['--test-concurrency=1']);
      break;
    default:
      throw new Error(`scripts/test.mjs has no runner for the stage '${name}' listed in scripts/lib/stages.mjs`);
  }
}
printTimes();
const ran = stages.filter(stageHasWork).map((s) => s.name);
console.log(`\nall stages passed: ${ran.join(', ')}`);
