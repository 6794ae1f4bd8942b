// The HTTP client of the team server (`tunestudio server`), used by the CLI
// and the Node SDK when TUNESTUDIO_SERVER (or --server) names one: every call
// goes to the server with the token in the Authorization header, and a
// refused or failed call is an error naming the server, the route and the
// server's own message — never a silent fall-back to a local store.
import { API_PREFIX, type ApiErrorBody } from '../../protocol/api';

export class RemoteError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

export interface RemoteOptions {
  /** The server's base URL, e.g. http://127.0.0.1:7777 (the /api/v1 prefix is added). */
  url: string;
  token: string;
  /** Per-request limit (default 30 s). */
  timeoutMs?: number;
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export class RemoteClient {
  readonly base: string;

  constructor(private readonly o: RemoteOptions) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      throw new RemoteError(`TUNESTUDIO_SERVER '${o.url}' is not a URL: use e.g. http://127.0.0.1:7777`, 0, 'bad_url');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RemoteError(`TUNESTUDIO_SERVER '${o.url}' must start with http:// or https://`, 0, 'bad_url');
    if (!o.token) throw new RemoteError(`no token for the server ${o.url}: set TUNESTUDIO_TOKEN (an admin makes one with tunestudio server token create NAME --role write)`, 401, 'unauthorized');
    this.base = u.origin + u.pathname.replace(/\/+$/, '') + API_PREFIX;
  }

  /** Calls one route; `path` is under /api/v1, with `{run}` already filled in (encoded by runPath). */
  async call<T = unknown>(method: string, path: string, o: { query?: Query; body?: unknown } = {}): Promise<T> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(o.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const x of v) url.searchParams.append(k, String(x));
      else url.searchParams.set(k, String(v));
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.o.token}`, ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new RemoteError(
        `the server ${this.o.url} cannot be reached (${cause?.code ?? cause?.message ?? (e as Error).message}): is tunestudio server running there? Check TUNESTUDIO_SERVER`,
        0,
        'unreachable',
      );
    }
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: reported below */
    }
    if (!res.ok) {
      const err = body as ApiErrorBody | null;
      throw new RemoteError(`${err?.error ?? `HTTP ${res.status} ${text.slice(0, 200)}`} (server ${this.o.url}, ${method} ${API_PREFIX}${path})`, res.status, err?.code ?? 'http');
    }
    return body as T;
  }
}

/**
 * `/runs/{run}…` with the run reference encoded (names may hold '/', quotes,
 * unicode). A reference that is exactly '.' or '..' cannot be a URL path
 * segment (URLs fold it away, encoded or not): use the run's id for those.
 */
export function runPath(ref: string, tail = ''): string {
  if (ref === '.' || ref === '..') throw new RemoteError(`run '${ref}' cannot be named in a URL: use its id (tunestudio runs --json lists ids)`, 0, 'bad_ref');
  return `/runs/${encodeURIComponent(ref)}${tail}`;
}
