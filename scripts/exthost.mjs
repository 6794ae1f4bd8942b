// The `exthost` stage of `npm test`: runs the extension-host test suite
// (out/test/suite.js, a mocha runner) inside a real VS Code extension host —
// the VS Code server bundled with code-server, started with the smoke-test
// driver, its web workbench opened in Debian's Chromium (recipe step 12).
// Prints the suite's log lines and exits with the suite's code.
//
//   node scripts/exthost.mjs [--suite FILE] [--extension DIR] [--timeout SECONDS] [--verbose]
//   env: TUNESTUDIO_EXTHOST_SUITE, TUNESTUDIO_EXTHOST_EXTENSION, TUNESTUDIO_EXTHOST_TIMEOUT_S
//
// Exit codes: the suite's own (0 passed, 1 failed); 2 when the harness itself
// could not run (missing setup, server did not start); 124 on the hard timeout.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { launchChromium } from './lib/chromium.mjs';
import { requireCodeServer } from './lib/codeServerInstall.mjs';
import { ROOT } from './lib/paths.mjs';
import { killStrays } from './lib/processes.mjs';
import { startVscodeServer } from './lib/startVscodeServer.mjs';

export const DEFAULT_SUITE = path.join(ROOT, 'out', 'test', 'suite.js');
export const EXIT_HARNESS = 2;
export const EXIT_TIMEOUT = 124;

class HarnessError extends Error {}

/** Workbench log lines that say nothing about the suite: no marketplace offline, no service worker. */
const BENIGN = [/ENOTFOUND open-vsx\.org/, /Failed to register a ServiceWorker/, /^(Resolving|Resolved) connection token/, /^Creating a socket/, /^Updating additional builtin extensions cache/, /^ChatSessionStore:/, /^Creation of workbench contribution/];

function parseArgs(argv) {
  const opts = {
    suite: process.env.TUNESTUDIO_EXTHOST_SUITE || DEFAULT_SUITE,
    extension: process.env.TUNESTUDIO_EXTHOST_EXTENSION || ROOT,
    timeoutS: Number(process.env.TUNESTUDIO_EXTHOST_TIMEOUT_S || 600),
    verbose: !!process.env.TUNESTUDIO_EXTHOST_VERBOSE,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new HarnessError(`${a} needs a value`);
      return v;
    };
    if (a === '--suite') opts.suite = value();
    else if (a === '--extension') opts.extension = value();
    else if (a === '--timeout') opts.timeoutS = Number(value());
    else if (a === '--verbose') opts.verbose = true;
    else throw new HarnessError(`unknown argument '${a}'; usage: node scripts/exthost.mjs [--suite FILE] [--extension DIR] [--timeout SECONDS] [--verbose]`);
  }
  opts.suite = path.resolve(opts.suite);
  opts.extension = path.resolve(opts.extension);
  if (!Number.isFinite(opts.timeoutS) || opts.timeoutS <= 0) throw new HarnessError(`--timeout must be a positive number of seconds`);
  return opts;
}

/**
 * Runs `suite` in a fresh extension host with `extension` as the extension
 * under development. Resolves with { code, timedOut, lines }.
 */
export async function runExtensionTests({ suite, extension, timeoutS = 600, verbose = false, log = (l) => console.log(l), env = {} }) {
  requireCodeServer();
  if (!fs.existsSync(suite)) throw new HarnessError(`The test suite ${suite} does not exist. Build it with \`node scripts/build.mjs\` (it bundles test/exthost/suite.ts).`);
  if (!fs.existsSync(path.join(extension, 'package.json'))) throw new HarnessError(`${extension} has no package.json, so it is not an extension folder.`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tunestudio-exthost-'));
  const dirs = {
    extensions: path.join(tmp, 'extensions'),
    user: path.join(tmp, 'user-data'),
    server: path.join(tmp, 'server-data'),
    workspace: path.join(tmp, 'workspace'),
  };
  fs.mkdirSync(dirs.workspace, { recursive: true });
  fs.writeFileSync(path.join(dirs.workspace, 'README.md'), '# Tune Studio extension-host test workspace\n');

  const lines = [];
  const print = (l) => {
    lines.push(l);
    log(l);
  };
  let server;
  let browser;
  let timer;
  try {
    server = await startVscodeServer({
      extensionsDir: dirs.extensions,
      userDataDir: dirs.user,
      serverDataDir: dirs.server,
      env,
      onLine: verbose ? (l) => print(`[server] ${l}`) : undefined,
    });
    // Bound to 127.0.0.1; the server prints "localhost", which may resolve elsewhere.
    const base = new URL(server.url);
    base.hostname = '127.0.0.1';
    const authority = base.host;
    const remote = (p) => `vscode-remote://${authority}${p.split(path.sep).join('/')}`;
    const payload = [
      ['extensionDevelopmentPath', remote(extension)],
      ['extensionTestsPath', remote(suite)],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    const url = `${base.origin}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    let quietStack = false;
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      // The arguments of a console call: a format string and its values.
      const text = Array.isArray(args) ? format(...args) : String(args);
      for (const l of text.split('\n')) {
        // Known, harmless workbench complaints of an offline server; shown with --verbose.
        if (!verbose && (BENIGN.some((re) => re.test(l)) || (quietStack && /^\s+at /.test(l)))) {
          quietStack = true;
          continue;
        }
        quietStack = false;
        print(type === 'error' ? `[error] ${l}` : l);
      }
    });
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
    if (verbose) {
      page.on('console', (m) => print(`[page ${m.type()}] ${m.text()}`));
      page.on('pageerror', (e) => print(`[page error] ${e.message}`));
    }
    const timedOut = new Promise((r) => {
      timer = setTimeout(() => r('timeout'), timeoutS * 1000);
    });
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    const result = await Promise.race([exited, timedOut]);
    if (result === 'timeout') {
      print(
        `\n✗ the extension-host suite did not finish within ${timeoutS}s (hard timeout). ` +
          `The workbench may not have loaded or a test hangs; run again with --verbose to see the server and page logs.`,
      );
      if (!verbose) for (const l of server.logs.slice(-30)) print(`[server] ${l}`);
      return { code: EXIT_TIMEOUT, timedOut: true, lines };
    }
    return { code: result, timedOut: false, lines };
  } finally {
    clearTimeout(timer);
    await browser?.close().catch(() => {});
    await server?.stop();
    // Jobs the suite started run in their own process groups: end them with the suite.
    killStrays(tmp);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Ctrl-C: exit, and the exit hook of lib/processes.mjs stops the server's process group.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
  let code;
  try {
    const opts = parseArgs(process.argv.slice(2));
    console.log(`extension-host tests: ${path.relative(ROOT, opts.suite) || opts.suite} with extension ${opts.extension}`);
    const t0 = Date.now();
    const r = await runExtensionTests(opts);
    code = r.code;
    console.log(`extension-host suite exited with ${code} after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  } catch (e) {
    console.error(`extension-host harness failed: ${e instanceof HarnessError ? e.message : e.stack ?? e}`);
    code = EXIT_HARNESS;
  }
  process.exit(code);
}
