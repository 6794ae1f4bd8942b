// The one setup module. Both README commands go through it — `npm run studio`
// (scripts/studio.mjs) and `npm test` (scripts/test.mjs) — and so does
// `npm run setup`: on a fresh clone it runs `npm ci` when node_modules is
// missing or does not match package-lock.json, installs the Debian packages
// the chosen test stages need (the table in lib/stages.mjs: heavy ones such as
// PyTorch, PostgreSQL and Slurm only for the stages that use them), and
// installs code-server into the git-ignored .cache/code-server/ when a stage
// drives a real VS Code. Safe to run again: it skips what is there.
//
//   npm run setup [-- STAGE…]    (no stage: what every stage with tests needs)
//   npm run setup -- studio      (what `npm run studio` needs)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureAptPackages, missingAptPackages } from './lib/apt.mjs';
import { CODE_SERVER_DIR, CODE_SERVER_VERSION, codeServerInstalled, ensureCodeServer } from './lib/codeServerInstall.mjs';
import { withLock } from './lib/lock.mjs';
import { CACHE_DIR, ROOT, defaultLog } from './lib/paths.mjs';
import { npmBin } from './lib/processes.mjs';
import { STAGES, STUDIO, needsOf, planStages } from './lib/stages.mjs';

/**
 * Why node_modules does not match package-lock.json, or null when it does.
 * Compares versions with npm's own record of what it installed
 * (node_modules/.package-lock.json); optional packages that were skipped (other
 * platforms' binaries) do not count. Content, not modification times: a lock
 * file rewritten with the same packages must not wipe a working node_modules.
 */
export function dependencyProblem(root = ROOT) {
  const lockFile = path.join(root, 'package-lock.json');
  const installedFile = path.join(root, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(path.join(root, 'node_modules'))) return 'node_modules is missing';
  let installed;
  try {
    installed = JSON.parse(fs.readFileSync(installedFile, 'utf8')).packages ?? {};
  } catch {
    return `${path.relative(root, installedFile)} (npm's record of what it installed) is missing or unreadable`;
  }
  let locked;
  try {
    locked = JSON.parse(fs.readFileSync(lockFile, 'utf8')).packages;
  } catch (e) {
    throw new Error(`package-lock.json cannot be read (${e.message}); restore it from git, then run setup again.`, { cause: e });
  }
  if (!locked) throw new Error('package-lock.json has no "packages" section (lockfileVersion 1?); regenerate it with npm 7 or later.');
  for (const [key, want] of Object.entries(locked)) {
    if (key === '' || want.link) continue;
    const have = installed[key];
    if (!have) {
      if (want.optional) continue;
      return `${key.replace(/^node_modules\//, '')}@${want.version} is in package-lock.json but not installed`;
    }
    if (want.version && have.version !== want.version) {
      return `${key.replace(/^node_modules\//, '')} is ${have.version} in node_modules but ${want.version} in package-lock.json`;
    }
  }
  return null;
}

/**
 * Runs `npm ci` when node_modules is missing or stale (a fresh clone, a pull
 * that changed package-lock.json), so `npm run studio` and `npm test` work as
 * the first command after cloning. Returns true when it ran npm ci.
 */
export function ensureDependencies({ log = defaultLog } = {}) {
  const problem = dependencyProblem();
  if (!problem) return false;
  log(`setup: installing npm dependencies (npm ci: ${problem}; builds better-sqlite3, a minute or two)…`);
  const r = spawnSync(npmBin(), ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm ci failed (exit ${r.status ?? r.signal}); run \`npm ci\` yourself to see why, then run setup again.`);
  return true;
}

/** Held while a setup installs anything, so parallel runs in one checkout never install into the same folder at once. */
export const SETUP_LOCK = path.join(CACHE_DIR, 'setup.lock');

/**
 * Sets up what `stages` need (stage objects from lib/stages.mjs; all of them
 * when omitted): npm dependencies, their Debian packages, code-server. When
 * something is missing it works under SETUP_LOCK (waiting for another setup
 * that holds it, then finding what that one installed). Returns what it
 * installed.
 */
export function setup({ stages = STAGES, log = defaultLog } = {}) {
  const t0 = Date.now();
  const needs = needsOf(stages);
  const steps = () => {
    const npm = ensureDependencies({ log });
    const installed = ensureAptPackages({ log, pkgs: needs.apt });
    if (needs.apt.length) {
      log(
        installed.length
          ? `setup: installed Debian packages ${installed.join(', ')}`
          : `setup: Debian packages present (${needs.apt.join(', ')})`,
      );
    }
    let codeServer = false;
    if (needs.codeServer) {
      const cs = ensureCodeServer({ log });
      codeServer = cs.installed;
      const where = path.relative(ROOT, CODE_SERVER_DIR) + '/';
      log(cs.installed ? `setup: installed code-server ${CODE_SERVER_VERSION} in ${where} (${cs.seconds}s)` : `setup: code-server ${CODE_SERVER_VERSION} present in ${where}`);
    }
    return { npm, apt: installed, codeServer };
  };
  const somethingMissing =
    dependencyProblem() !== null || missingAptPackages(needs.apt).length > 0 || (needs.codeServer && !codeServerInstalled());
  const done = somethingMissing
    ? withLock(SETUP_LOCK, steps, { onWait: (pid) => log(`setup: waiting for another setup (process ${pid}) to finish…`) })
    : steps();
  const seconds = (Date.now() - t0) / 1000;
  log(`setup: done in ${seconds.toFixed(1)}s`);
  return { ...done, seconds };
}

/** The stages `npm run setup -- NAME…` means: `studio`, test stage names (with what they depend on), or every stage. */
export function stagesFor(names) {
  if (names.length === 0) return STAGES;
  const test = names.filter((n) => n !== STUDIO.name);
  return [...(names.includes(STUDIO.name) ? [STUDIO] : []), ...(test.length ? planStages(test) : [])];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    setup({ stages: stagesFor(process.argv.slice(2).filter((a) => !a.startsWith('-'))) });
  } catch (e) {
    console.error(`\nsetup failed: ${e.message}`);
    process.exit(1);
  }
}
