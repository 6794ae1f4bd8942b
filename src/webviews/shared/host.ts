// The page's side of the host connection: a typed postMessage, typed incoming
// messages, and persisted state (survives reloads with the panel serializer).
interface VsCodeApi<S> {
  postMessage(msg: unknown): void;
  getState(): S | undefined;
  setState(state: S): void;
}
declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

export interface Host<ToHost, ToPage, S> {
  post(msg: ToHost): void;
  onMessage(fn: (msg: ToPage) => void): void;
  getState(): S | undefined;
  setState(s: S): void;
}

export function connectHost<ToHost, ToPage, S>(): Host<ToHost, ToPage, S> {
  const api = acquireVsCodeApi<S>();
  return {
    post: (m) => api.postMessage(m),
    onMessage: (fn) => window.addEventListener('message', (e: MessageEvent) => fn(e.data as ToPage)),
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
