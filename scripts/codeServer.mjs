// A real VS Code for tests and the demo, without downloads from outside the
// npm registry and Debian: checks the Debian packages, installs code-server
// (pinned; the newest that runs on Node 20) into the git-ignored
// `.cache/code-server/` with its install scripts off and its native modules
// built here, and starts code-server, the VS Code server it bundles (for tests
// inside the extension host) and Debian's Chromium through playwright-core.
// The recipe is /work/shared/notes/environment.md, steps 1–12.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CODE_SERVER_VERSION = '4.100.3';
export const CACHE_DIR = path.join(ROOT, '.cache');
export const CODE_SERVER_DIR = path.join(CACHE_DIR, 'code-server');
export const CODE_SERVER_PKG = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server');
export const VSCODE_DIR = path.join(CODE_SERVER_PKG, 'lib', 'vscode');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_PKG, 'out', 'node', 'entry.js');
export const VSCODE_SERVER_MAIN = path.join(VSCODE_DIR, 'out', 'server-main.js');
export const CHROMIUM = '/usr/bin/chromium';
/** Flags that keep a headless Chromium in a container quiet and self-contained. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** chromium (e2e browser), libkrb5-dev + pkg-config (code-server's kerberos module), ripgrep (search), ffmpeg + sox (audio). */
export const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'pkg-config', 'ripgrep', 'ffmpeg', 'sox'];
/** Native modules of VS Code's server, rebuilt here for this Node (their prebuilt downloads are unreachable). */
const VSCODE_NATIVE_MODULES = ['kerberos', '@parcel/watcher', '@vscode/deviceid', '@vscode/spdlog', 'native-watchdog', 'node-pty'];
const STAMP = path.join(CODE_SERVER_DIR, '.installed.json');

const defaultLog = (line) => console.log(line);

// ---------------------------------------------------------------- processes

/** Runs a command (argument array, no shell) with inherited output; throws with the command line on failure. */
function run(cmd, args, opts = {}) {
  const { log = defaultLog, quiet = false, ...spawnOpts } = opts;
  log(`$ ${[cmd, ...args].join(' ')}${spawnOpts.cwd ? `   (in ${path.relative(ROOT, spawnOpts.cwd) || '.'})` : ''}`);
  const r = spawnSync(cmd, args, {
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...spawnOpts,
  });
  if (r.error) {
    const why = r.error.code === 'ETIMEDOUT' ? `it did not finish within ${Math.round(spawnOpts.timeout / 1000)}s` : r.error.message;
    throw new Error(`'${[cmd, ...args].join(' ')}' failed: ${why}`);
  }
  if (r.status !== 0) {
    const tail = quiet ? `\n${String(r.stdout ?? '').slice(-4000)}${String(r.stderr ?? '').slice(-4000)}` : '';
    throw new Error(`'${[cmd, ...args].join(' ')}' failed (exit ${r.status ?? r.signal})${tail}`);
  }
  return r;
}

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

function npmBin() {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

// ---------------------------------------------------------------- apt packages

/** Debian packages from APT_PACKAGES that are not installed. */
export function missingAptPackages(pkgs = APT_PACKAGES) {
  return pkgs.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !String(r.stdout).includes('install ok installed');
  });
}

/**
 * Installs missing Debian packages (apt-get update once, then install).
 * Returns the packages it installed. Not root: throws a message naming what to install.
 */
export function ensureAptPackages({ log = defaultLog, pkgs = APT_PACKAGES } = {}) {
  if (process.platform !== 'linux' || spawnSync('dpkg-query', ['--version']).status !== 0) {
    const missing = pkgs.filter((p) => !['chromium', 'ripgrep', 'ffmpeg', 'sox'].includes(p) || !onPath(binaryOf(p)));
    if (missing.some((p) => ['chromium', 'ripgrep'].includes(p))) {
      throw new Error(
        `This is not a Debian system, so Tune Studio's setup cannot install ${missing.join(', ')}. ` +
          'Install them with your package manager (chromium at /usr/bin/chromium), then run `npm run setup` again.',
      );
    }
    return [];
  }
  const missing = missingAptPackages(pkgs);
  if (missing.length === 0) return [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(
      `Tune Studio's setup needs these Debian packages, which are missing: ${missing.join(' ')}. ` +
        `Install them as root: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')} — then run \`npm run setup\` again.`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], { log, env });
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { log, env });
  const still = missingAptPackages(missing);
  if (still.length) throw new Error(`apt-get install finished but these packages are still missing: ${still.join(' ')}`);
  return missing;
}

function binaryOf(pkg) {
  return pkg === 'ripgrep' ? 'rg' : pkg;
}

function onPath(name) {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, name)));
}

// ---------------------------------------------------------------- code-server install

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
 * Installs code-server into .cache/code-server (recipe steps 2–8). Idempotent:
 * a stamp file records the version and Node ABI, so a second run returns at once.
 * Returns { installed: boolean, seconds }.
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
    JSON.stringify({ name: 'tune-studio-code-server', private: true, description: 'Tools for Tune Studio tests; made by scripts/codeServer.mjs' }, null, 2) + '\n',
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

  // 2. code-server itself, scripts off (its postinstall downloads prebuilt binaries).
  run(npmBin(), ['install', '--ignore-scripts', '--no-save', ...npmCommon, `code-server@${CODE_SERVER_VERSION}`], { cwd: CODE_SERVER_DIR, env, log });
  // 3. VS Code's own dependencies.
  run(npmBin(), ['install', '--unsafe-perm', '--omit=dev', '--ignore-scripts', ...npmCommon], { cwd: VSCODE_DIR, env, log });
  // 4. Its native modules, built with npm's node-gyp against this Node.
  for (const m of VSCODE_NATIVE_MODULES) {
    const dir = path.join(VSCODE_DIR, 'node_modules', m);
    if (!fs.existsSync(path.join(dir, 'binding.gyp'))) {
      log(`(skipping ${m}: no binding.gyp)`);
      continue;
    }
    run(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, `--jobs=${env.JOBS}`], { cwd: dir, env, log, quiet: true });
  }
  // 5. ripgrep from Debian instead of the download.
  const rgDir = path.join(VSCODE_DIR, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgDir, { recursive: true });
  const rg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => fs.existsSync(p));
  if (!rg) throw new Error('ripgrep (rg) is not installed: run `npm run setup`, which installs the Debian package ripgrep.');
  fs.copyFileSync(rg, path.join(rgDir, 'rg'));
  fs.chmodSync(path.join(rgDir, 'rg'), 0o755);
  // 6. The links code-server expects from a packaged build.
  symlink('node_modules', path.join(VSCODE_DIR, 'node_modules.asar'));
  symlink('code-linux.sh', path.join(VSCODE_DIR, 'bin', 'remote-cli', 'code-server'));
  symlink('browser-linux.sh', path.join(VSCODE_DIR, 'bin', 'helpers', 'browser.sh'));
  // 7. The built-in extensions' dependencies.
  run(npmBin(), ['install', '--unsafe-perm', '--omit=dev', '--ignore-scripts', ...npmCommon], { cwd: path.join(VSCODE_DIR, 'extensions'), env, log });
  // 8. argon2 (code-server's password hashing; needed to load even with --auth none).
  const argon2 = path.join(CODE_SERVER_DIR, 'node_modules', 'argon2');
  if (fs.existsSync(argon2)) {
    const preGyp = path.join(CODE_SERVER_DIR, 'node_modules', '@mapbox', 'node-pre-gyp', 'bin', 'node-pre-gyp');
    if (fs.existsSync(preGyp)) {
      run(process.execPath, [preGyp, 'install', '--fallback-to-build', `--nodedir=${nodedir}`], { cwd: argon2, env, log, quiet: true });
    } else {
      run(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`], { cwd: argon2, env, log, quiet: true });
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

/** Clear error when a caller needs code-server and setup has not run. */
export function requireCodeServer() {
  if (!codeServerInstalled()) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed in ${CODE_SERVER_DIR}. Run \`npm run setup\` first (it installs it once, in a few minutes).`);
  }
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}. Run \`npm run setup\` (it installs the Debian package chromium).`);
}

// ---------------------------------------------------------------- ports, readiness

/** A port the OS says is free right now (listen on port 0, then close). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts connections on host:port. */
export function portInUse(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, host, () => srv.close(() => resolve(false)));
  });
}

function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(5000, () => {
      req.destroy();
      resolve(0);
    });
  });
}

/** Waits until `pred()` is truthy, checking every `intervalMs`; rejects with `message` at the deadline. */
export async function waitFor(pred, { timeoutMs = 60_000, intervalMs = 200, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${message}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------- settings, extensions

/**
 * Writes <userDataDir>/User/settings.json: no trust dialog, no welcome page,
 * plus `extra`. Settings already in the file (a user's own, in the studio) win
 * over the defaults.
 */
export function writeUserSettings(userDataDir, extra = {}) {
  const dir = path.join(userDataDir, 'User');
  fs.mkdirSync(dir, { recursive: true });
  let existing = {};
  try {
    existing = JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8'));
  } catch {
    /* none yet, or not plain JSON: start from the defaults */
  }
  const settings = {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    // The demo and test workspaces may sit inside this repository: no "open the parent repository?" toast.
    'git.openRepositoryInParentFolders': 'never',
    ...existing,
    ...extra,
  };
  fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
  return path.join(dir, 'settings.json');
}

/** Installs a .vsix into `extensionsDir` with code-server's CLI. */
export function installVsix({ vsix, extensionsDir, userDataDir, log = defaultLog }) {
  requireCodeServer();
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist: run \`npm run package\` first.`);
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.mkdirSync(userDataDir, { recursive: true });
  const r = run(
    process.execPath,
    [CODE_SERVER_ENTRY, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--force', '--install-extension', vsix],
    { log, quiet: true, env: { ...process.env, VSCODE_PROXY_URI: '' }, timeout: 300_000 },
  );
  const out = `${r.stdout}${r.stderr}`;
  if (!/successfully installed/i.test(out)) throw new Error(`code-server did not confirm installing ${vsix}:\n${out}`);
  return out.trim();
}

// ---------------------------------------------------------------- code-server

function collect(proc, logs, onLine) {
  let buf = '';
  const take = (d) => {
    buf += String(d);
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      logs.push(line);
      if (logs.length > 2000) logs.shift();
      onLine?.(line);
    }
  };
  proc.stdout?.on('data', take);
  proc.stderr?.on('data', take);
}

/**
 * Servers run in their own process groups (so stopping one takes its
 * extension hosts and the runtime along). Those still running when this
 * process exits — a failed test, Ctrl-C — are killed then, so none is orphaned.
 */
const liveGroups = new Set();
function track(proc) {
  if (liveGroups.size === 0 && !track.hooked) {
    track.hooked = true;
    process.once('exit', () => {
      for (const pid of liveGroups) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    });
  }
  liveGroups.add(proc.pid);
}

/** Stops a process group started with detached: true: SIGTERM, then SIGKILL after `graceMs`. */
function stopProcess(proc, graceMs = 5000) {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      /* group already gone */
    }
    liveGroups.delete(proc.pid);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const kill = (sig) => {
      try {
        process.kill(-proc.pid, sig);
      } catch {
        try {
          proc.kill(sig);
        } catch {
          /* gone */
        }
      }
    };
    const t = setTimeout(() => kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(t);
      // Whatever the group left behind (extension hosts, the runtime) goes too.
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        /* group already gone */
      }
      liveGroups.delete(proc.pid);
      resolve();
    });
    kill('SIGTERM');
  });
}

/**
 * Starts code-server on 127.0.0.1 (`port` or a free one) with its own user
 * data and extensions folders, and waits until it answers /healthz.
 * Returns { url, port, proc, logs, stop() }.
 */
export async function startCodeServer({
  workspace,
  extensionsDir,
  userDataDir,
  port,
  host = '127.0.0.1',
  settings = {},
  env = {},
  timeoutMs = 120_000,
  inheritOutput = false,
}) {
  requireCodeServer();
  fs.mkdirSync(extensionsDir, { recursive: true });
  writeUserSettings(userDataDir, settings);
  port ??= await freePort(host);
  const args = [
    CODE_SERVER_ENTRY,
    '--auth',
    'none',
    '--bind-addr',
    `${host}:${port}`,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    ...(workspace ? [workspace] : []),
  ];
  const proc = spawn(process.execPath, args, {
    cwd: workspace ?? ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  track(proc);
  const logs = [];
  collect(proc, logs, inheritOutput ? (l) => console.log(`[code-server] ${l}`) : undefined);
  let exited = null;
  proc.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `http://${host}:${port}/`;
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`code-server exited (${exited.code ?? exited.signal}) before answering:\n${logs.slice(-40).join('\n')}`);
        return (await httpStatus(`${url}healthz`)) === 200;
      },
      { timeoutMs, intervalMs: 250, message: `code-server at ${url}` },
    );
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
  return { url, port, host, proc, logs, stop: () => stopProcess(proc) };
}

/** The workbench URL that opens `folder`. */
export function folderUrl(baseUrl, folder) {
  return `${baseUrl.replace(/\/$/, '')}/?folder=${encodeURIComponent(folder)}`;
}

// ---------------------------------------------------------------- VS Code server (tests in the extension host)

/**
 * Starts the VS Code server that code-server bundles (recipe step 12), with
 * the smoke-test driver on, on a port the OS picks. Resolves when it prints
 * "Web UI available at …". Returns { url, port, proc, logs, stop() }.
 */
export async function startVscodeServer({ extensionsDir, userDataDir, serverDataDir, env = {}, timeoutMs = 120_000, onLine }) {
  requireCodeServer();
  for (const d of [extensionsDir, userDataDir, serverDataDir]) fs.mkdirSync(d, { recursive: true });
  writeUserSettings(userDataDir);
  // The server keeps its machine settings here; the same defaults stop the trust dialog.
  writeUserSettings(path.join(serverDataDir, 'data'));
  const args = [
    VSCODE_SERVER_MAIN,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--without-connection-token',
    '--accept-server-license-terms',
    '--enable-smoke-test-driver',
    '--disable-telemetry',
    '--disable-workspace-trust',
    '--extensions-dir',
    extensionsDir,
    '--user-data-dir',
    userDataDir,
    '--server-data-dir',
    serverDataDir,
  ];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  track(proc);
  const logs = [];
  let url = null;
  collect(proc, logs, (line) => {
    const m = /Web UI available at (http:\/\/\S+)/.exec(line);
    if (m && !url) url = m[1].replace(/\/$/, '');
    onLine?.(line);
  });
  let exited = null;
  proc.on('exit', (code, signal) => (exited = { code, signal }));
  try {
    await waitFor(
      () => {
        if (exited) throw new Error(`the VS Code server exited (${exited.code ?? exited.signal}) before it was ready:\n${logs.slice(-40).join('\n')}`);
        return url;
      },
      { timeoutMs, intervalMs: 100, message: 'the VS Code server to print "Web UI available at"' },
    );
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
  const port = Number(new URL(url).port);
  return { url, port, proc, logs, stop: () => stopProcess(proc) };
}

// ---------------------------------------------------------------- Chromium

/** Launches Debian's Chromium through playwright-core. */
export async function launchChromium({ headless = true, args = [] } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}. Run \`npm run setup\` (it installs the Debian package chromium).`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless, args: [...CHROMIUM_ARGS, ...args] });
}

/**
 * Kills every process (with its process group) whose command line mentions
 * `dir`: jobs a test's editor started under its temp folder. Jobs run in their
 * own process groups on purpose (they outlive a runtime that dies), so a test
 * that ends must end them itself. Linux only (/proc); elsewhere a no-op.
 */
export function killStrays(dir) {
  if (!dir || dir.length < 8 || !fs.existsSync('/proc')) return 0;
  const own = process.pid;
  const groupOf = (stat) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  const ownGroup = groupOf(fs.readFileSync('/proc/self/stat', 'utf8'));
  let n = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === own) continue;
    let cmd;
    let stat;
    try {
      cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes(dir)) continue;
    const pgrp = groupOf(stat);
    try {
      // Never our own group (a child started without its own group shares it).
      if (pgrp > 1 && pgrp !== ownGroup) process.kill(-pgrp, 'SIGKILL');
      else process.kill(Number(name), 'SIGKILL');
      n++;
    } catch {
      /* already gone */
    }
  }
  return n;
}
