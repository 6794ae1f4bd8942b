// Types of scripts/codeServer.mjs (the editor harness for TypeScript: test/e2e,
// test/helpers, bench). Each module's types sit beside it in scripts/lib/*.d.mts.
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
export { killStrays, type ServerHandle } from './lib/processes.mjs';
export { folderUrl, startCodeServer } from './lib/startCodeServer.mjs';
export { startVscodeServer } from './lib/startVscodeServer.mjs';
export { installVsix, writeUserSettings } from './lib/userSettings.mjs';
