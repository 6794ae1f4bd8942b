// A real VS Code without downloads from outside the npm registry and Debian:
// installs code-server (pinned; the newest that runs on Node 20) from npm into
// the git-ignored .cache/code-server/ with its install scripts off (they fetch
// prebuilt binaries), builds its native modules here with npm's node-gyp
// against this Node's headers, and puts Debian's ripgrep where it expects its
// own. A stamp records version and Node ABI, so a second run returns at once.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireChromium } from './chromium.mjs';
import { CACHE_DIR, ROOT, defaultLog } from './paths.mjs';
import { npmBin, runSync } from './processes.mjs';

export const CODE_SERVER_VERSION = '4.100.3';
export const CODE_SERVER_DIR = path.join(CACHE_DIR, 'code-server');
export const CODE_SERVER_PKG = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server');
export const VSCODE_DIR = path.join(CODE_SERVER_PKG, 'lib', 'vscode');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_PKG, 'out', 'node', 'entry.js');
export const VSCODE_SERVER_MAIN = path.join(VSCODE_DIR, 'out', 'server-main.js');
/** Native modules of VS Code's server, rebuilt here for this Node (their prebuilt downloads are unreachable). */
const VSCODE_NATIVE_MODULES = ['kerberos', '@parcel/watcher', '@vscode/deviceid', '@vscode/spdlog', 'native-watchdog', 'node-pty'];
const STAMP = path.join(CODE_SERVER_DIR, '.installed.json');

/** npm's own node-gyp, which builds against the installed Node headers without downloading them. */
export function npmNodeGyp() {
  const candidates = [
    path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`npm's node-gyp was not found (looked in ${candidates.join(', ')}). Reinstall npm, which ships it.`);
  return found;
}

/** The folder whose include/node/node.h matches this Node, so node-gyp needs no download. */
export function nodeHeadersDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) return prefix;
  throw new Error(
    `Node headers were not found under ${prefix}/include/node; native modules cannot be built. ` +
      'Install the Node package that ships its headers (Debian: nodejs with its include files, or the NodeSource package).',
  );
}

function readStamp() {
  try {
    return JSON.parse(fs.readFileSync(STAMP, 'utf8'));
  } catch {
    return null;
  }
}

/** True when code-server is installed for this version and this Node ABI (native modules match). */
export function codeServerInstalled() {
  const s = readStamp();
  return (
    !!s &&
    s.version === CODE_SERVER_VERSION &&
    s.modules === process.versions.modules &&
    fs.existsSync(CODE_SERVER_ENTRY) &&
    fs.existsSync(VSCODE_SERVER_MAIN)
  );
}

/**
 * Installs code-server into .cache/code-server. Idempotent: a stamp file
 * records the version and Node ABI, so a second run returns at once.
 * Returns { installed: boolean, seconds, dir }.
 */
export function ensureCodeServer({ log = defaultLog, force = false } = {}) {
  if (!force && codeServerInstalled()) return { installed: false, seconds: 0, dir: CODE_SERVER_DIR };
  const t0 = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${path.relative(ROOT, CODE_SERVER_DIR)}/ (a few minutes, once)`);
  fs.rmSync(STAMP, { force: true });
  fs.mkdirSync(CODE_SERVER_DIR, { recursive: true });
  // Its own package.json, so npm installs here and never walks up to the project's.
  fs.writeFileSync(
    path.join(CODE_SERVER_DIR, 'package.json'),
    JSON.stringify({ name: 'tune-studio-code-server', private: true, description: 'Tools for Tune Studio tests; made by scripts/lib/codeServerInstall.mjs' }, null, 2) + '\n',
  );
  const nodeGyp = npmNodeGyp();
  const nodedir = nodeHeadersDir();
  const env = {
    ...process.env,
    // node-pre-gyp and node-gyp: build against the local headers, never download them.
    npm_config_nodedir: nodedir,
    npm_config_node_gyp: nodeGyp,
    JOBS: String(Math.max(1, os.cpus().length)),
  };
  const npmCommon = ['--no-audit', '--no-fund', '--loglevel=error'];

  // code-server itself, scripts off (its postinstall downloads prebuilt binaries).
  runSync(npmBin(), ['install', '--ignore-scripts', '--no-save', ...npmCommon, `code-server@${CODE_SERVER_VERSION}`], { cwd: CODE_SERVER_DIR, env, log });
  // VS Code's own dependencies.
  runSync(npmBin(), ['install', '--unsafe-perm', '--omit=dev', '--ignore-scripts', ...npmCommon], { cwd: VSCODE_DIR, env, log });
  // Its native modules, built with npm's node-gyp against this Node.
  for (const m of VSCODE_NATIVE_MODULES) {
    const dir = path.join(VSCODE_DIR, 'node_modules', m);
    if (!fs.existsSync(path.join(dir, 'binding.gyp'))) {
      log(`(skipping ${m}: no binding.gyp)`);
      continue;
    }
    runSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, `--jobs=${env.JOBS}`], { cwd: dir, env, log, quiet: true });
  }
  // ripgrep from Debian instead of the download.
  const rgDir = path.join(VSCODE_DIR, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgDir, { recursive: true });
  const rg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => fs.existsSync(p));
  if (!rg) throw new Error('ripgrep (rg) is not installed: run `npm run setup`, which installs the Debian package ripgrep.');
  fs.copyFileSync(rg, path.join(rgDir, 'rg'));
  fs.chmodSync(path.join(rgDir, 'rg'), 0o755);
  // The links code-server expects from a packaged build.
  symlink('node_modules', path.join(VSCODE_DIR, 'node_modules.asar'));
  symlink('code-linux.sh', path.join(VSCODE_DIR, 'bin', 'remote-cli', 'code-server'));
  symlink('browser-linux.sh', path.join(VSCODE_DIR, 'bin', 'helpers', 'browser.sh'));
  // The built-in extensions' dependencies.
  runSync(npmBin(), ['install', '--unsafe-perm', '--omit=dev', '--ignore-scripts', ...npmCommon], { cwd: path.join(VSCODE_DIR, 'extensions'), env, log });
  // argon2 (code-server's password hashing; needed to load even with --auth none).
  const argon2 = path.join(CODE_SERVER_DIR, 'node_modules', 'argon2');
  if (fs.existsSync(argon2)) {
    const preGyp = path.join(CODE_SERVER_DIR, 'node_modules', '@mapbox', 'node-pre-gyp', 'bin', 'node-pre-gyp');
    if (fs.existsSync(preGyp)) {
      runSync(process.execPath, [preGyp, 'install', '--fallback-to-build', `--nodedir=${nodedir}`], { cwd: argon2, env, log, quiet: true });
    } else {
      runSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`], { cwd: argon2, env, log, quiet: true });
    }
  }
  for (const f of [CODE_SERVER_ENTRY, VSCODE_SERVER_MAIN]) {
    if (!fs.existsSync(f)) throw new Error(`code-server install is incomplete: ${f} is missing. Delete ${CODE_SERVER_DIR} and run \`npm run setup\` again.`);
  }
  const seconds = Math.round((Date.now() - t0) / 1000);
  fs.writeFileSync(
    STAMP,
    JSON.stringify({ version: CODE_SERVER_VERSION, node: process.version, modules: process.versions.modules, installedAt: new Date().toISOString(), seconds }, null, 2) + '\n',
  );
  log(`code-server ${CODE_SERVER_VERSION} installed in ${seconds}s`);
  return { installed: true, seconds, dir: CODE_SERVER_DIR };
}

function symlink(target, linkPath) {
  try {
    const cur = fs.readlinkSync(linkPath);
    if (cur === target) return;
    fs.rmSync(linkPath, { force: true });
  } catch {
    /* not a link yet */
  }
  fs.symlinkSync(target, linkPath);
}

/** Clear error when a caller needs code-server (and the Chromium that drives it) and setup has not run. */
export function requireCodeServer() {
  if (!codeServerInstalled()) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed in ${CODE_SERVER_DIR}. Run \`npm run setup\` first (it installs it once, in a few minutes).`);
  }
  requireChromium();
}
