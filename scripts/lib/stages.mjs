// The stages of `npm test`, in order, and what each needs before it runs: the
// one table that scripts/test.mjs runs and scripts/setup.mjs installs from.
// A stage's Debian packages (and code-server) are installed only when that
// stage runs and has work — `npm test -- unit` installs ffmpeg and sox, not
// PyTorch (integration), PostgreSQL (server) or Slurm (slurm). A new stage is one line here and one runner in
// test.mjs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './paths.mjs';

/** Audio decoding and probing (datasets, captioning). */
const AUDIO = ['ffmpeg', 'sox'];
/** A real VS Code: code-server's native modules build against libkrb5-dev (found through pkg-config), its search is ripgrep, Chromium drives it. */
const EDITOR = ['chromium', 'libkrb5-dev', 'pkg-config', 'ripgrep'];
/** The Python client's tests run Debian's /usr/bin/python3 with PyTorch (the pyenv `python3` on PATH has no torch). */
const PYTHON = ['python3-torch', 'python3-numpy'];
/** The team server's tests start their own PostgreSQL (initdb in a temp folder). */
const POSTGRES = ['postgresql'];
/** A single-node Slurm (slurmctld + slurmd on localhost) with munge, started by the Slurm tests. */
const SLURM = ['slurmctld', 'slurmd', 'slurm-client', 'munge'];

/**
 * name: the stage; tests: the folder whose *.test.ts files it runs (a stage
 * with a folder and no test files is skipped, and installs nothing);
 * apt: Debian packages; codeServer: needs code-server in .cache/; build /
 * package: needs the bundles / the .vsix first.
 */
export const STAGES = [
  { name: 'typecheck', apt: [] },
  { name: 'lint', apt: [] },
  { name: 'build', apt: [] },
  { name: 'unit', tests: 'test/unit', apt: AUDIO },
  // exthostHarness.test.ts runs the extension-host harness (code-server, Chromium);
  // python.test.ts runs the Python client's unittest modules (test/python/).
  { name: 'integration', tests: 'test/integration', apt: [...AUDIO, ...EDITOR, ...PYTHON], codeServer: true, build: true },
  { name: 'server', tests: 'test/server', apt: POSTGRES, build: true },
  { name: 'slurm', tests: 'test/slurm', apt: SLURM, build: true },
  { name: 'package', apt: [] },
  { name: 'exthost', apt: [...AUDIO, ...EDITOR], codeServer: true, build: true },
  // python.test.ts types `python3 train.py` into a VS Code terminal (no PyTorch needed).
  { name: 'e2e', tests: 'test/e2e', apt: [...AUDIO, ...EDITOR, 'python3'], codeServer: true, package: true },
];

/** What `npm run studio` needs: the editor (code-server) and the audio tools the demo's datasets use; Chromium as before, so a machine set up by the studio is ready for the e2e tests too. */
export const STUDIO = { name: 'studio', apt: [...EDITOR, ...AUDIO], codeServer: true };

export const STAGE_NAMES = STAGES.map((s) => s.name);

export function stageByName(name) {
  const s = STAGES.find((x) => x.name === name);
  if (!s) throw new Error(`unknown test stage '${name}'; stages are: ${STAGE_NAMES.join(', ')}`);
  return s;
}

/** The *.test.ts files under `dir` (relative to the root), sorted; only those containing `filter` when given. */
export function findTests(dir, { suffix = '.test.ts', filter = process.env.TUNESTUDIO_TEST_FILTER, root = ROOT } = {}) {
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
  return out.sort().filter((f) => !filter || f.includes(filter));
}

/** False for a stage that runs a test folder with no test files in it (nothing to run, nothing to install). */
export function stageHasWork(stage, { root = ROOT } = {}) {
  return !stage.tests || findTests(stage.tests, { filter: '', root }).length > 0;
}

/**
 * The stages to run for the names asked (all when none), in table order, with
 * the ones they depend on added: build before the stages that run bundles,
 * package before e2e.
 */
export function planStages(asked = []) {
  for (const n of asked) stageByName(n);
  const names = asked.length ? [...asked] : [...STAGE_NAMES];
  const chosen = names.map(stageByName);
  // Always the development build: the production one (in `package`) leaves out the extension-host suite.
  if (chosen.some((s) => s.build) && !names.includes('build')) names.push('build');
  if (chosen.some((s) => s.package) && !names.includes('package')) names.push('package');
  return STAGES.filter((s) => names.includes(s.name));
}

/** What setup must provide for these stages: the union of their packages (in first-seen order) and whether code-server is needed. */
export function needsOf(stages, { root = ROOT } = {}) {
  const apt = [];
  let codeServer = false;
  for (const s of stages) {
    if (!stageHasWork(s, { root })) continue;
    for (const p of s.apt ?? []) if (!apt.includes(p)) apt.push(p);
    codeServer ||= !!s.codeServer;
  }
  return { apt, codeServer };
}
