// Types of scripts/lib/startVscodeServer.mjs for the TypeScript that uses it. Keep in step with the module.
import type { Log } from './paths.mjs';
import type { ServerHandle } from './processes.mjs';

export function startVscodeServer(opts: {
  extensionsDir: string;
  userDataDir: string;
  serverDataDir: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  onLine?: Log;
}): Promise<ServerHandle>;
