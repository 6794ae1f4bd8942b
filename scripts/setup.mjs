// `npm run setup`: installs what the tests and `npm run studio` need beyond
// node_modules — the Debian packages (Chromium, ripgrep, ffmpeg, sox, and the
// headers code-server's native modules build against) and code-server into
// the git-ignored .cache/code-server/. Safe to run again: it skips what is there.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  APT_PACKAGES,
  CODE_SERVER_DIR,
  CODE_SERVER_VERSION,
  ROOT,
  ensureAptPackages,
  ensureCodeServer,
} from './codeServer.mjs';

/**
 * Runs `npm ci` when node_modules is missing or older than package-lock.json
 * (a fresh clone), so `npm run studio` and `npm test` work as the first
 * command after cloning.
 */
export function ensureDependencies({ log = (l) => console.log(l) } = {}) {
  const marker = path.join(ROOT, 'node_modules', '.package-lock.json');
  const lock = path.join(ROOT, 'package-lock.json');
  if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs) return false;
  log('setup: installing npm dependencies (npm ci; builds better-sqlite3, a minute or two)…');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm ci failed (exit ${r.status ?? r.signal}); run it yourself to see why`);
  return true;
}

export function setup({ log = (l) => console.log(l) } = {}) {
  const t0 = Date.now();
  ensureDependencies({ log });
  const installed = ensureAptPackages({ log });
  log(
    installed.length
      ? `setup: installed Debian packages ${installed.join(', ')}`
      : `setup: Debian packages present (${APT_PACKAGES.join(', ')})`,
  );
  const cs = ensureCodeServer({ log });
  const where = path.relative(ROOT, CODE_SERVER_DIR) + '/';
  log(cs.installed ? `setup: installed code-server ${CODE_SERVER_VERSION} in ${where} (${cs.seconds}s)` : `setup: code-server ${CODE_SERVER_VERSION} present in ${where}`);
  log(`setup: done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    setup();
  } catch (e) {
    console.error(`\nsetup failed: ${e.message}`);
    process.exit(1);
  }
}
