// `npm run studio`: Tune Studio in a browser, from a fresh clone, in one
// command. Sets up what is missing (Debian packages, code-server), builds and
// packages the extension when the sources changed, installs the .vsix into a
// code-server kept under .cache/studio/, opens a copy of demo/ (in the
// git-ignored demo-workspace/, so the store never lands in git) and serves
// it on 127.0.0.1 until Ctrl-C.
//
//   npm run studio [-- --port 8080] [--fresh] [--rebuild]
//   env: TUNESTUDIO_PORT
//
//   --port N    port on 127.0.0.1 (default 8080; a free one when taken)
//   --fresh     start the demo workspace over (its runs and store are deleted)
//   --rebuild   build and package even when the .vsix looks up to date
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CACHE_DIR, ROOT } from './lib/paths.mjs';
import { freePort, portInUse } from './lib/ports.mjs';
import { STUDIO } from './lib/stages.mjs';
import { folderUrl, startCodeServer } from './lib/startCodeServer.mjs';
import { installVsix } from './lib/userSettings.mjs';
import { VSIX, packageExtension } from './package.mjs';
import { setup } from './setup.mjs';

const STUDIO_DIR = path.join(CACHE_DIR, 'studio');
const DEMO_SOURCE = path.join(ROOT, 'demo');
const DEMO_WORKSPACE = path.join(ROOT, 'demo-workspace');
const INSTALL_STAMP = path.join(STUDIO_DIR, 'installed.json');

function parseArgs(argv) {
  const opts = { port: Number(process.env.TUNESTUDIO_PORT || 8080), fresh: false, rebuild: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') opts.port = Number(argv[++i]);
    else if (a.startsWith('--port=')) opts.port = Number(a.slice('--port='.length));
    else if (a === '--fresh') opts.fresh = true;
    else if (a === '--rebuild') opts.rebuild = true;
    else throw new Error(`unknown argument '${a}'; usage: npm run studio [-- --port N] [--fresh] [--rebuild]`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw new Error(`--port must be a port number (1–65535), not '${opts.port}'`);
  return opts;
}

/** Newest modification time of the files a package is made from. */
function newestSource() {
  let newest = 0;
  const visit = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['src', 'media', 'schemas', 'bin', 'package.json', 'package-lock.json', '.vscodeignore', 'scripts/build.mjs', 'scripts/package.mjs']) {
    visit(path.join(ROOT, p));
  }
  return newest;
}

function vsixUpToDate() {
  try {
    return fs.statSync(VSIX).mtimeMs > newestSource();
  } catch {
    return false;
  }
}

/** Installs the .vsix unless this very file is installed already. */
function install(extensionsDir, userDataDir) {
  const st = fs.statSync(VSIX);
  const id = { vsix: VSIX, size: st.size, mtimeMs: st.mtimeMs };
  try {
    const prev = JSON.parse(fs.readFileSync(INSTALL_STAMP, 'utf8'));
    if (prev.size === id.size && prev.mtimeMs === id.mtimeMs && fs.existsSync(extensionsDir)) return false;
  } catch {
    /* not installed yet */
  }
  installVsix({ vsix: VSIX, extensionsDir, userDataDir });
  fs.writeFileSync(INSTALL_STAMP, JSON.stringify(id, null, 2) + '\n');
  return true;
}

function prepareWorkspace(fresh) {
  if (fresh) fs.rmSync(DEMO_WORKSPACE, { recursive: true, force: true });
  if (fs.existsSync(DEMO_WORKSPACE)) {
    // Keep the user's runs; bring the demo's own files up to date.
    fs.cpSync(DEMO_SOURCE, DEMO_WORKSPACE, { recursive: true, force: true });
    return false;
  }
  fs.cpSync(DEMO_SOURCE, DEMO_WORKSPACE, { recursive: true });
  return true;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  console.log('studio: checking setup');
  setup({ stages: [STUDIO] });

  if (opts.rebuild || !vsixUpToDate()) {
    console.log('studio: building and packaging the extension');
    packageExtension();
  } else {
    console.log(`studio: ${path.basename(VSIX)} is up to date with the sources`);
  }

  const extensionsDir = path.join(STUDIO_DIR, 'extensions');
  const userDataDir = path.join(STUDIO_DIR, 'user-data');
  fs.mkdirSync(STUDIO_DIR, { recursive: true });
  console.log(install(extensionsDir, userDataDir) ? `studio: installed ${path.basename(VSIX)} into ${path.relative(ROOT, extensionsDir)}/` : 'studio: extension already installed');
  console.log(prepareWorkspace(opts.fresh) ? `studio: created the demo workspace ${path.relative(ROOT, DEMO_WORKSPACE)}/ from demo/` : `studio: using the demo workspace ${path.relative(ROOT, DEMO_WORKSPACE)}/`);

  let port = opts.port;
  if (await portInUse(port)) {
    const free = await freePort();
    console.log(`studio: port ${port} is taken; using ${free} instead`);
    port = free;
  }
  const server = await startCodeServer({ workspace: DEMO_WORKSPACE, extensionsDir, userDataDir, port });
  const url = folderUrl(server.url, DEMO_WORKSPACE);

  let stopping = false;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nstudio: ${why}; stopping code-server`);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('Ctrl-C'));
  process.on('SIGTERM', () => void stop('terminated'));
  server.proc.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`studio: code-server exited unexpectedly (${code ?? signal}). Its last lines:\n${server.logs.slice(-30).join('\n')}`);
    process.exit(1);
  });

  console.log(`\nTune Studio is running (ready in ${((Date.now() - t0) / 1000).toFixed(0)}s). Open:\n\n    ${url}\n\nPress Ctrl-C to stop.`);
}

main().catch((e) => {
  console.error(`\nstudio failed: ${e.message}`);
  process.exit(1);
});
