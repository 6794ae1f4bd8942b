// Debian packages: which are missing (dpkg-query) and installing them as root
// (apt-get update once, then install without recommends). Which packages each
// test stage needs is the table in stages.mjs.
import { spawnSync } from 'node:child_process';
import { defaultLog } from './paths.mjs';
import { onPath, runSync } from './processes.mjs';

/** chromium (e2e browser), libkrb5-dev + pkg-config (code-server's kerberos module), ripgrep (search), ffmpeg + sox (audio). */
export const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'pkg-config', 'ripgrep', 'ffmpeg', 'sox'];

/** Packages whose presence can be checked by a program on PATH where there is no dpkg. */
const BINARY_OF = { chromium: 'chromium', ripgrep: 'rg', ffmpeg: 'ffmpeg', sox: 'sox' };
/** Without these nothing editor-based runs, so a system without dpkg must have them. */
const REQUIRED_WITHOUT_DPKG = ['chromium', 'ripgrep'];

/** Debian packages from `pkgs` that are not installed. */
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
  if (pkgs.length === 0) return [];
  if (process.platform !== 'linux' || spawnSync('dpkg-query', ['--version']).status !== 0) {
    const missing = pkgs.filter((p) => !BINARY_OF[p] || !onPath(BINARY_OF[p]));
    if (missing.some((p) => REQUIRED_WITHOUT_DPKG.includes(p))) {
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
  // Another setup (a second checkout, a parallel `npm test`) may hold dpkg's lock: wait for it instead of failing.
  const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
  runSync('apt-get', [...lockWait, 'update'], { log, env });
  runSync('apt-get', [...lockWait, 'install', '-y', '--no-install-recommends', ...missing], { log, env });
  const still = missingAptPackages(missing);
  if (still.length) throw new Error(`apt-get install finished but these packages are still missing: ${still.join(' ')}`);
  return missing;
}
