// The editor harness in one import, for the tests and benches that drive a
// real VS Code (test/e2e/harness.ts, test/helpers/runtime.ts): re-exports the
// modules in scripts/lib/, one job each — apt.mjs (Debian packages),
// codeServerInstall.mjs (code-server from npm, native modules built here),
// processes.mjs (commands, process groups, strays), ports.mjs (free ports,
// waits), userSettings.mjs (settings.json, .vsix install), startCodeServer.mjs,
// startVscodeServer.mjs (extension-host tests) and chromium.mjs (Debian's
// Chromium through playwright-core). Scripts import the modules themselves.
export { APT_PACKAGES, ensureAptPackages, missingAptPackages } from './lib/apt.mjs';
export { CHROMIUM, CHROMIUM_ARGS, launchChromium, requireChromium } from './lib/chromium.mjs';
export {
  CODE_SERVER_DIR,
  CODE_SERVER_ENTRY,
  CODE_SERVER_PKG,
  CODE_SERVER_VERSION,
  VSCODE_DIR,
  VSCODE_SERVER_MAIN,
  codeServerInstalled,
  ensureCodeServer,
  nodeHeadersDir,
  npmNodeGyp,
  requireCodeServer,
} from './lib/codeServerInstall.mjs';
export { CACHE_DIR, ROOT } from './lib/paths.mjs';
export { freePort, portInUse, waitFor } from './lib/ports.mjs';
export { killStrays } from './lib/processes.mjs';
export { folderUrl, startCodeServer } from './lib/startCodeServer.mjs';
export { startVscodeServer } from './lib/startVscodeServer.mjs';
export { installVsix, writeUserSettings } from './lib/userSettings.mjs';
