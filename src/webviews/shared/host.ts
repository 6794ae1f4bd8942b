// The page's side of the host connection: a typed postMessage, typed incoming
// messages, typed requests with a promise and a timeout (ipc.ts; answers are
// routed to them, not to onMessage), and persisted state (survives reloads
// with the panel serializer). Every page (Dashboard, Compare, Status) uses it.
import type { IpcRequest } from '../../protocol/webview';
import { createRequester } from './ipc';

interface VsCodeApi<S> {
  postMessage(msg: unknown): void;
  getState(): S | undefined;
  setState(state: S): void;
}
declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

export interface Host<ToHost, ToPage, S> {
  post(msg: ToHost): void;
  /** A request to the host; rejects with the host's error or after the timeout. */
  sendRequest<P, R>(type: IpcRequest<P, R>, params: P): Promise<R>;
  onMessage(fn: (msg: ToPage) => void): void;
  getState(): S | undefined;
  setState(s: S): void;
}

export function connectHost<ToHost, ToPage, S>(): Host<ToHost, ToPage, S> {
  const api = acquireVsCodeApi<S>();
  const ipc = createRequester((m) => api.postMessage(m));
  return {
    post: (m) => api.postMessage(m),
    sendRequest: (type, params) => ipc.sendRequest(type, params),
    onMessage: (fn) =>
      window.addEventListener('message', (e: MessageEvent) => {
        if (!ipc.handle(e.data)) fn(e.data as ToPage);
      }),
    getState: () => api.getState(),
    setState: (s) => api.setState(s),
  };
}

type Child = Node | string | null | undefined | false;

/** Small element builder: text always goes in as text nodes, never as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}
