// Types of scripts/lib/apt.mjs for the TypeScript that uses it. Keep in step with the module.
import type { Log } from './paths.mjs';

export const APT_PACKAGES: string[];
export function missingAptPackages(pkgs?: string[]): string[];
export function ensureAptPackages(opts?: { log?: Log; pkgs?: string[] }): string[];
