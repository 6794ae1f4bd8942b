// The HTTP client of the team server (`tunestudio server`), used by the CLI
// and the Node SDK when TUNESTUDIO_SERVER (or --server) names one: every call
// goes to the server with the token in the Authorization header, and a
// refused or failed call is an error naming the server, the route and the
// server's own message — never a silent fall-back to a local store.
import { API_PREFIX, type ApiErrorBody } from '../../protocol/api';
import type { Alert, BestResult, CompareResult, History, RunDetail, RunListItem, SummaryResult } from '../../protocol/tracking';

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
    const send = () =>
      fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.o.token}`, ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    let res: Response;
    try {
      try {
        res = await send();
      } catch (e) {
        // A kept-alive socket the server closed while this process was busy fails at once; a read is safe to send again.
        if (method !== 'GET' || (e as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw e;
        res = await send();
      }
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

/**
 * The CLI's tracking reads and requests against a team server, in the same
 * shapes the local services return (the server replies with exactly those),
 * so a command prints a remote answer the way it prints a local one.
 */
export class RemoteTracking {
  constructor(readonly api: RemoteClient) {}

  listRuns(o: { project?: string; status?: readonly string[]; limit?: number }) {
    return this.api.call<RunListItem[]>('GET', '/runs', { query: { project: o.project, status: o.status, limit: o.limit } });
  }

  showRun(ref: string, project?: string) {
    return this.api.call<RunDetail & { written_by: string | null }>('GET', runPath(ref), { query: { project } });
  }

  async history(ref: string, metric: string, range: { from?: number; to?: number; maxPoints?: number }) {
    const r = await this.api.call<{ run: { id: string; name: string } } & History>('GET', runPath(ref, '/history'), {
      query: { metric, from: range.from, to: range.to, max_points: range.maxPoints },
    });
    const { run, ...history } = r;
    return { run, history: history as History };
  }

  best(o: { metric: string; direction?: string; mode?: string; statuses?: readonly string[]; includeAll?: boolean; project?: string }) {
    return this.api.call<BestResult | null>('GET', '/best', {
      query: { metric: o.metric, direction: o.direction, mode: o.mode, status: o.statuses, include_all: o.includeAll ? 'true' : undefined, project: o.project },
    });
  }

  compare(refs: readonly string[], metrics?: readonly string[]) {
    return this.api.call<CompareResult & { alerts: Record<string, number> }>('GET', '/compare', { query: { run: refs, metric: metrics } });
  }

  summary(o: { project?: string; statuses?: readonly string[]; includeAll?: boolean }) {
    return this.api.call<SummaryResult>('GET', '/summary', { query: { project: o.project, status: o.statuses, include_all: o.includeAll ? 'true' : undefined } });
  }

  alerts(o: { since?: string; after?: number; level?: string; run?: string; project?: string }) {
    return this.api.call<Alert[]>('GET', '/alerts', { query: { since: o.since, after: o.after, level: o.level, run: o.run, project: o.project } });
  }

  async stop(ref: string, reason: string): Promise<{ id: string; name: string }> {
    const run = await this.showRun(ref);
    await this.api.call('POST', runPath(run.id, '/stop'), { body: { reason } });
    return { id: run.id, name: run.name };
  }

  async resolve(ref: string): Promise<{ id: string; name: string }> {
    const run = await this.showRun(ref);
    return { id: run.id, name: run.name };
  }

  async delete(id: string): Promise<void> {
    await this.api.call('DELETE', runPath(id));
  }
}
