// The page's side of typed requests to its host (GitLens's HostIpc idea):
// `sendRequest(type, params)` posts `{type:'request', id, method, params}` and
// returns a promise of the request type's answer, settled by the matching
// `{type:'response'}` or rejected after a timeout that names the request.
import type { IpcRequest, IpcResponseMessage } from '../../protocol/webview';

export interface Requester {
  sendRequest<P, R>(type: IpcRequest<P, R>, params: P): Promise<R>;
  /** Feed every incoming message here; true when it was a response (and is handled). */
  handle(msg: unknown): boolean;
  /** Requests still waiting for an answer. */
  readonly pending: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export function createRequester(post: (m: unknown) => void, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Requester {
  let nextId = 1;
  const waiting = new Map<number, { resolve(r: unknown): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();
  return {
    sendRequest<P, R>(type: IpcRequest<P, R>, params: P): Promise<R> {
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${type.method}: no answer from the extension within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}; reopen the panel (or restart the runtime from Runtime Status) if this keeps happening`));
        }, timeoutMs);
        waiting.set(id, { resolve: resolve as (r: unknown) => void, reject, timer });
        post({ type: 'request', id, method: type.method, params });
      });
    },
    handle(msg: unknown): boolean {
      const m = msg as Partial<IpcResponseMessage> | null;
      if (!m || m.type !== 'response' || typeof m.id !== 'number') return false;
      const w = waiting.get(m.id);
      if (!w) return true;
      waiting.delete(m.id);
      clearTimeout(w.timer);
      if (m.error !== undefined || !('result' in m)) w.reject(new Error(m.error ?? 'the extension answered without a result'));
      else w.resolve(m.result);
      return true;
    },
    get pending() {
      return waiting.size;
    },
  };
}
