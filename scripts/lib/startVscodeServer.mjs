// Starting the VS Code server that code-server bundles, for tests inside a
// real extension host (scripts/exthost.mjs): the smoke-test driver on, a port
// the OS picks, ready when it prints "Web UI available at …".
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VSCODE_SERVER_MAIN, requireCodeServer } from './codeServerInstall.mjs';
import { ROOT } from './paths.mjs';
import { waitFor } from './ports.mjs';
import { collectLines, stopProcessGroup, trackGroup } from './processes.mjs';
import { writeUserSettings } from './userSettings.mjs';

/**
 * Starts the VS Code server with the smoke-test driver on, on a port the OS
 * picks. Resolves when it prints "Web UI available at …".
 * Returns { url, port, proc, logs, stop() }.
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
  trackGroup(proc);
  const logs = [];
  let url = null;
  collectLines(proc, logs, (line) => {
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
    await stopProcessGroup(proc);
    throw e;
  }
  const port = Number(new URL(url).port);
  return { url, port, proc, logs, stop: () => stopProcessGroup(proc) };
}
