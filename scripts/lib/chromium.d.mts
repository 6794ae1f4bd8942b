// Types of scripts/lib/chromium.mjs for the TypeScript that uses it. Keep in step with the module.
import type { Browser } from 'playwright-core';

export const CHROMIUM: string;
export const CHROMIUM_ARGS: string[];
export function requireChromium(): void;
export function launchChromium(opts?: { headless?: boolean; args?: string[] }): Promise<Browser>;
