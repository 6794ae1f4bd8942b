// Types of scripts/lib/startCodeServer.mjs for the TypeScript that uses it. Keep in step with the module.
import type { ServerHandle } from './processes.mjs';

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
