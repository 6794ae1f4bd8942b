// An editor's user state: settings.json with the defaults every test and the
// studio want (no trust dialog, no welcome page, no telemetry or updates), and
// installing a .vsix into an extensions folder with code-server's CLI.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CODE_SERVER_ENTRY, requireCodeServer } from './codeServerInstall.mjs';
import { defaultLog } from './paths.mjs';
import { runSync } from './processes.mjs';

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
  const r = runSync(
    process.execPath,
    [CODE_SERVER_ENTRY, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--force', '--install-extension', vsix],
    { log, quiet: true, env: { ...process.env, VSCODE_PROXY_URI: '' }, timeout: 300_000 },
  );
  const out = `${r.stdout}${r.stderr}`;
  if (!/successfully installed/i.test(out)) throw new Error(`code-server did not confirm installing ${vsix}:\n${out}`);
  return out.trim();
}
