// Messages between webview panels and their hosts in the extension. Each
// panel's page posts `ready` first; the host sends nothing before it.
// Browser-safe: no node or vscode imports.
import type { RuntimeStatus } from './runtime';

export interface ReadyMessage {
  type: 'ready';
}

/** Runtime Status panel. */
export type StatusToHost = ReadyMessage | { type: 'refresh' } | { type: 'restartRuntime' } | { type: 'openStoreFolder' };
export type StatusToWebview =
  | { type: 'status'; state: 'running'; status: RuntimeStatus; client: ClientInfo }
  | { type: 'status'; state: 'starting' | 'stopped' | 'failed'; error?: string; client: ClientInfo };

export interface ClientInfo {
  extensionVersion: string;
  vscodeVersion: string;
  nodeSource?: string;
  restarts: number;
}

export interface StatusState {
  lastStatus?: StatusToWebview;
}
