// Types of scripts/codeServer.mjs for the TypeScript that uses it (test/e2e,
// bench). Keep in step with the module.
import type { ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';

export const ROOT: string;
export const CODE_SERVER_VERSION: string;
export const CACHE_DIR: string;
export const CODE_SERVER_DIR: string;
export const CODE_SERVER_ENTRY: string;
export const VSCODE_SERVER_MAIN: string;
export const CHROMIUM: string;
export const CHROMIUM_ARGS: string[];
export const APT_PACKAGES: string[];

type Log = (line: string) => void;

export function missingAptPackages(pkgs?: string[]): string[];
export function ensureAptPackages(opts?: { log?: Log; pkgs?: string[] }): string[];
export function codeServerInstalled(): boolean;
export function ensureCodeServer(opts?: { log?: Log; force?: boolean }): { installed: boolean; seconds: number; dir: string };
export function requireCodeServer(): void;
export function npmNodeGyp(): string;
export function nodeHeadersDir(): string;

export function freePort(host?: string): Promise<number>;
export function portInUse(port: number, host?: string): Promise<boolean>;
export function waitFor<T>(
  pred: () => T | Promise<T>,
  opts?: { timeoutMs?: number; intervalMs?: number; message?: string },
): Promise<NonNullable<T>>;

export function writeUserSettings(userDataDir: string, extra?: Record<string, unknown>): string;
export function installVsix(opts: { vsix: string; extensionsDir: string; userDataDir: string; log?: Log }): string;

export interface ServerHandle {
  url: string;
  port: number;
  proc: ChildProcess;
  /** The server's recent output lines. */
  logs: string[];
  stop(): Promise<void>;
}

export function startCodeServer(opts: {
  workspace?: string;
  extensionsDir: string;
  userDataDir: string;
  port?: number;
  host?: string;
  settings?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  inheritOutput?: boolean;
}): Promise<ServerHandle & { host: string }>;

export function folderUrl(baseUrl: string, folder: string): string;

export function startVscodeServer(opts: {
  extensionsDir: string;
  userDataDir: string;
  serverDataDir: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  onLine?: Log;
}): Promise<ServerHandle>;

export function launchChromium(opts?: { headless?: boolean; args?: string[] }): Promise<Browser>;
export function killStrays(dir: string): number;
