// The setup module decides when a clone needs `npm ci` by what is installed,
// not by file times: node_modules missing, a package missing or at another
// version than package-lock.json → stale; optional packages skipped for this
// platform and a lock file rewritten with the same content → not stale (a
// false "stale" would wipe a working node_modules under everyone's feet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dependencyProblem, stagesFor } from '../../../scripts/setup.mjs';
import { tmpDir } from '../../helpers/tmp';

type Entry = { version: string; optional?: boolean; dev?: boolean };

function clone(t: Parameters<typeof tmpDir>[0], locked: Record<string, Entry>, installed: Record<string, Entry> | null): string {
  const root = tmpDir(t, 'tunestudio-setup-');
  const lock = { name: 'x', lockfileVersion: 3, requires: true, packages: { '': { name: 'x' }, ...locked } };
  fs.writeFileSync(path.join(root, 'package-lock.json'), JSON.stringify(lock));
  if (installed) {
    fs.mkdirSync(path.join(root, 'node_modules'));
    fs.writeFileSync(path.join(root, 'node_modules', '.package-lock.json'), JSON.stringify({ name: 'x', lockfileVersion: 3, packages: installed }));
  }
  return root;
}

const A = { 'node_modules/a': { version: '1.0.0' }, 'node_modules/a/node_modules/b': { version: '2.1.0', dev: true } };

test('node_modules that matches package-lock.json is up to date, whatever the file times', (t) => {
  const root = clone(t, A, A);
  // The lock file rewritten after the install (same packages): newer, yet nothing to do.
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(path.join(root, 'package-lock.json'), later, later);
  assert.equal(dependencyProblem(root), null);
});

test('a missing node_modules, a missing package or another version is stale, and the reason names it', (t) => {
  assert.match(dependencyProblem(clone(t, A, null)) ?? '', /node_modules is missing/);
  const noRecord = clone(t, A, null);
  fs.mkdirSync(path.join(noRecord, 'node_modules'));
  assert.match(dependencyProblem(noRecord) ?? '', /\.package-lock\.json/);
  assert.match(dependencyProblem(clone(t, A, { 'node_modules/a': A['node_modules/a'] })) ?? '', /^a\/node_modules\/b@2\.1\.0 is in package-lock\.json but not installed/);
  const older = { ...A, 'node_modules/a': { version: '0.9.0' } };
  assert.equal(dependencyProblem(clone(t, A, older)), 'a is 0.9.0 in node_modules but 1.0.0 in package-lock.json');
});

test('optional packages npm skipped (other platforms) do not make node_modules stale', (t) => {
  const locked = { ...A, 'node_modules/@esbuild/darwin-arm64': { version: '0.25.0', optional: true } };
  assert.equal(dependencyProblem(clone(t, locked, A)), null);
});

test('this checkout: node_modules matches package-lock.json (so `npm test` does not run npm ci here)', () => {
  assert.equal(dependencyProblem(), null);
});

test('`npm run setup` with no stage sets up every stage; `studio` and stage names set up only those', () => {
  assert.ok(stagesFor([]).length > 5);
  assert.deepEqual(stagesFor(['studio']).map((s) => s.name), ['studio']);
  assert.deepEqual(stagesFor(['unit']).map((s) => s.name), ['unit']);
  assert.deepEqual(stagesFor(['studio', 'e2e']).map((s) => s.name), ['studio', 'package', 'e2e']);
  assert.throws(() => stagesFor(['nope']), /unknown test stage 'nope'; stages are: typecheck, /);
});
