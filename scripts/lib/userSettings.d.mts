// Types of scripts/lib/userSettings.mjs for the TypeScript that uses it. Keep in step with the module.
import type { Log } from './paths.mjs';

export function writeUserSettings(userDataDir: string, extra?: Record<string, unknown>): string;
export function installVsix(opts: { vsix: string; extensionsDir: string; userDataDir: string; log?: Log }): string;
