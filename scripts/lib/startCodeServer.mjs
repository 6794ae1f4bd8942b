// Starting code-server (the studio and the e2e tests): on 127.0.0.1, in its
// own process group, with its own user-data and extensions folders, ready when
// it answers /healthz.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { CODE_SERVER_ENTRY, requireCodeServer } from './codeServerInstall.mjs';
import { ROOT } from './paths.mjs';
import { freePort, httpStatus, waitFor } from './ports.mjs';
import { collectLines, stopProcessGroup, trackGroup } from './processes.mjs';
import { writeUserSettings } from './userSettings.mjs';

/**
 * Starts code-server on 127.0.0.1 (`port` or a free one) with its own user
 * data and extensions folders, and waits until it answers /healthz.
 * Returns { url, port, host, proc, logs, stop() }.
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
  trackGroup(proc);
  const logs = [];
  collectLines(proc, logs, inheritOutput ? (l) => console.log(`[code-server] ${l}`) : undefined);
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
    await stopProcessGroup(proc);
    throw e;
  }
  return { url, port, host, proc, logs, stop: () => stopProcessGroup(proc) };
}

/** The workbench URL that opens `folder`. */
export function folderUrl(baseUrl, folder) {
  return `${baseUrl.replace(/\/$/, '')}/?folder=${encodeURIComponent(folder)}`;
}
