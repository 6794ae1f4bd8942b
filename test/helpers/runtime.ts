// Starts the real runtime bundle (dist/runtime.js) as a child process and
// talks JSON-RPC to it over stdio, the way the extension's client does.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
  type NotificationType,
  type RequestType,
} from 'vscode-jsonrpc/node';
import type { RuntimeInitOptions } from '../../src/protocol/runtime';
import { killStrays } from '../../scripts/codeServer.mjs';

export const ROOT = path.resolve(__dirname, '..', '..');
export const RUNTIME_JS = path.join(ROOT, 'dist', 'runtime.js');

export interface RuntimeHandle {
  proc: ChildProcess;
  conn: MessageConnection;
  logs: string[];
  request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
  onNotification<P>(type: NotificationType<P>, fn: (p: P) => void): void;
  /** Resolves with the first notification of `type` that matches. */
  waitFor<P>(type: NotificationType<P>, pred?: (p: P) => boolean, timeoutMs?: number): Promise<P>;
  stop(): Promise<void>;
}

export async function startRuntime(
  opts: Partial<RuntimeInitOptions> & { storeDir: string; env?: NodeJS.ProcessEnv },
): Promise<RuntimeHandle> {
  const proc = spawn(process.execPath, [RUNTIME_JS, '--stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  const logs: string[] = [];
  const waiters: Array<{ method: string; pred: (p: unknown) => boolean; resolve: (p: unknown) => void }> = [];
  const handlers = new Map<string, Array<(p: unknown) => void>>();
  proc.stderr!.on('data', (d) => logs.push(String(d)));
  conn.onNotification((method: string, params: unknown) => {
    if (method === 'window/logMessage') logs.push((params as { message: string }).message);
    for (const fn of handlers.get(method) ?? []) fn(params);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w.method === method && w.pred(params)) {
        waiters.splice(i, 1);
        w.resolve(params);
      }
    }
  });
  conn.onRequest((method: string) => {
    // The runtime may ask the client for things (e.g. workspace/configuration); answer emptily.
    if (method === 'workspace/configuration') return [];
    return null;
  });
  conn.listen();
  const init: RuntimeInitOptions = {
    storeDir: opts.storeDir,
    workspaceFolders: opts.workspaceFolders ?? [],
    logLevel: opts.logLevel ?? 'debug',
    trusted: opts.trusted ?? true,
    extensionPath: opts.extensionPath ?? ROOT,
    settings: opts.settings ?? {},
  };
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: {},
    workspaceFolders: null,
    initializationOptions: init,
  });
  await conn.sendNotification('initialized', {});
  let exited = false;
  proc.on('exit', () => (exited = true));
  return {
    proc,
    conn,
    logs,
    request: (type, params) => conn.sendRequest(type, params),
    onNotification: (type, fn) => {
      const list = handlers.get(type.method) ?? [];
      list.push(fn as (p: unknown) => void);
      handlers.set(type.method, list);
    },
    waitFor: (type, pred = () => true, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${type.method}; runtime logs:\n${logs.join('\n')}`)), timeoutMs);
        waiters.push({
          method: type.method,
          pred: pred as (p: unknown) => boolean,
          resolve: (p) => {
            clearTimeout(t);
            resolve(p as never);
          },
        });
      }),
    async stop() {
      if (exited) {
        killStrays(opts.storeDir);
        return;
      }
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      try {
        await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]);
        await conn.sendNotification('exit');
      } catch {
        /* already gone */
      }
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
      conn.dispose();
      // Jobs outlive their runtime by design (own process groups): a test ends its own.
      killStrays(opts.storeDir);
    },
  };
}
