// Types of scripts/lib/codeServerInstall.mjs for the TypeScript that uses it. Keep in step with the module.
import type { Log } from './paths.mjs';

export const CODE_SERVER_VERSION: string;
export const CODE_SERVER_DIR: string;
export const CODE_SERVER_PKG: string;
export const VSCODE_DIR: string;
export const CODE_SERVER_ENTRY: string;
export const VSCODE_SERVER_MAIN: string;
export function npmNodeGyp(): string;
export function nodeHeadersDir(): string;
export function codeServerInstalled(): boolean;
export function ensureCodeServer(opts?: { log?: Log; force?: boolean }): { installed: boolean; seconds: number; dir: string };
export function requireCodeServer(): void;
