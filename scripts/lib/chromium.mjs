// Debian's Chromium, driven through playwright-core (its own browser downloads
// are unreachable here): the path, the flags for a headless container, launch.
import * as fs from 'node:fs';

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

/** Throws a message naming the fix when Debian's Chromium is not installed. */
export function requireChromium() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}. Run \`npm run setup\` (it installs the Debian package chromium).`);
}

/** Launches Debian's Chromium through playwright-core. */
export async function launchChromium({ headless = true, args = [] } = {}) {
  requireChromium();
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless, args: [...CHROMIUM_ARGS, ...args] });
}
