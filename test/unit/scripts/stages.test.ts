// The stage table (scripts/lib/stages.mjs) decides what `npm test -- STAGE`
// sets up and runs: the heavy Debian packages (PyTorch, PostgreSQL, Slurm)
// only for the stages that use them and only once those stages have tests;
// build before the stages that run bundles, package before e2e.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STAGES, findTests, needsOf, planStages, stageByName, stageHasWork } from '../../../scripts/lib/stages.mjs';
import { tmpDir } from '../../helpers/tmp';

const HEAVY = ['python3-torch', 'python3-numpy', 'postgresql', 'slurmctld', 'slurmd', 'slurm-client', 'munge'];

test('`npm test -- unit` installs only the audio tools, and no code-server', () => {
  const needs = needsOf(planStages(['unit']));
  assert.deepEqual(needs, { apt: ['ffmpeg', 'sox'], codeServer: false });
});

test('the editor stages need code-server, Chromium and what its native modules build against', () => {
  for (const name of ['integration', 'exthost', 'e2e']) {
    const needs = needsOf([stageByName(name)]);
    assert.equal(needs.codeServer, true, name);
    for (const p of ['chromium', 'libkrb5-dev', 'pkg-config', 'ripgrep']) assert.ok(needs.apt.includes(p), `${name} needs ${p}`);
  }
});

test('each heavy package belongs to the stage that uses it: PyTorch to integration (python.test.ts), PostgreSQL to server, Slurm to slurm', () => {
  const owners: Record<string, string[]> = {
    integration: ['python3-torch', 'python3-numpy'],
    server: ['postgresql'],
    slurm: ['slurmctld', 'slurmd', 'slurm-client', 'munge'],
  };
  for (const stage of STAGES) {
    const heavy = (stage.apt ?? []).filter((p) => HEAVY.includes(p));
    assert.deepEqual(heavy, owners[stage.name] ?? [], `${stage.name} installs ${JSON.stringify(heavy)}`);
  }
});

test('a stage whose test folder has no test files installs nothing; one test file anywhere below it brings its packages', (t) => {
  const root = tmpDir(t, 'tunestudio-stages-');
  for (const [name, pkgs] of [['server', ['postgresql']], ['slurm', ['slurmctld', 'slurmd', 'slurm-client', 'munge']]] as const) {
    const stage = stageByName(name);
    assert.deepEqual(needsOf([stage], { root }).apt, [], `${name} without tests installs nothing`);
    assert.equal(stageHasWork(stage, { root }), false);
    fs.mkdirSync(path.join(root, stage.tests!), { recursive: true });
    fs.writeFileSync(path.join(root, stage.tests!, 'helper.ts'), '');
    assert.equal(stageHasWork(stage, { root }), false, 'a helper is not a test file');
    fs.mkdirSync(path.join(root, stage.tests!, 'deep'), { recursive: true });
    fs.writeFileSync(path.join(root, stage.tests!, 'deep', 'a.test.ts'), '');
    assert.deepEqual(needsOf([stage], { root }).apt, [...pkgs], `${name} with a test installs its packages`);
  }
});

test('stages run in table order with build before bundle users and package before e2e', () => {
  const names = (asked: string[]) => planStages(asked).map((s) => s.name);
  assert.deepEqual(names(['e2e', 'unit']), ['unit', 'package', 'e2e']);
  assert.deepEqual(names(['exthost']), ['build', 'exthost']);
  assert.deepEqual(names(['package', 'integration']), ['build', 'integration', 'package']);
  assert.deepEqual(names([]), STAGES.map((s) => s.name));
  assert.equal(names([]).indexOf('typecheck'), 0);
  assert.throws(() => planStages(['unit', 'bogus']), /unknown test stage 'bogus'/);
});

test('findTests lists *.test.ts files under a folder, sorted, relative to the root, and filters by substring', (t) => {
  const root = tmpDir(t, 'tunestudio-stages-');
  for (const f of ['t/b.test.ts', 't/a/z.test.ts', 't/a/helper.ts', 't/c.test.tsx']) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), '');
  }
  assert.deepEqual(findTests('t', { root, filter: '' }), ['t/a/z.test.ts', 't/b.test.ts']);
  assert.deepEqual(findTests('t', { root, filter: 'b.' }), ['t/b.test.ts']);
  assert.deepEqual(findTests('missing', { root, filter: '' }), []);
});
