// The team server (`tunestudio server`): node:http over the same tracking
// services the CLI and the runtime use (RunsService, AlertsService, Tracker
// over the TrackingStore): every tracking rule lives there, this file only
// maps HTTP to them. Routes, their schemas and roles come from
// protocol/api.ts; a request is authenticated (Bearer token, constant-time
// hash compare), authorized by role, size-limited and schema-validated
// before any handler runs, in that order, for every route.
import Ajv, { type ValidateFunction } from 'ajv';
import type Database from 'better-sqlite3';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { API_LIMITS, API_PREFIX, API_ROUTES, REQUIRED_QUERY, openApiDocument, type ApiRole, type ApiRoute } from '../protocol/api';
import { RUN_STATUSES, type RunStatus } from '../protocol/tracking';
import { openDatabase } from '../runtime/store/db';
import { AlertsService } from '../runtime/tracking/alerts';
import { AmbiguousRunError, MetricNotFoundError, ProjectNotFoundError, Queries, RunNotFoundError } from '../runtime/tracking/queries';
import { RunRuleError, RunsService } from '../runtime/tracking/runs';
import { Tracker, TrackingError, type FlushInfo } from '../runtime/tracking/tracker';
import { WatchError } from '../runtime/tracking/watchers';
import { roleAllows, TokenStore } from './tokens';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Call {
  route: ApiRoute;
  who: { name: string; role: ApiRole };
  run?: string;
  query: Record<string, string | string[]>;
  body: Record<string, unknown>;
}

type Handler = (c: Call) => unknown;

export interface ServerOptions {
  /** The store folder (holds studio.db), as `--store sqlite:PATH` names it. */
  storeDir: string;
  version?: string;
  tls?: { cert: Buffer; key: Buffer };
}

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

function compiledRoute(r: ApiRoute, ajv: Ajv): { route: ApiRoute; pattern: RegExp; body?: ValidateFunction; query?: ValidateFunction } {
  const pattern = new RegExp('^' + (API_PREFIX + r.path).replace(/[.]/g, '\\.').replace('{run}', '([^/]+)') + '$');
  const query = r.query
    ? ajv.compile({
        type: 'object',
        additionalProperties: false,
        required: REQUIRED_QUERY[r.name] ?? [],
        properties: Object.fromEntries(Object.entries(r.query).map(([k, { array, ...s }]) => [k, array ? { type: 'array', maxItems: 1000, items: s } : s])),
      })
    : undefined;
  return { route: r, pattern, body: r.body ? ajv.compile(r.body) : undefined, query };
}

export class TeamServer {
  readonly db: Database.Database;
  readonly tokens: TokenStore;
  private readonly tracker: Tracker;
  private readonly queries: Queries;
  private readonly runs: RunsService;
  private readonly alerts: AlertsService;
  private readonly routes: ReturnType<typeof compiledRoute>[];
  private readonly handlers: Record<string, Handler>;
  private readonly streams = new Set<http.ServerResponse>();
  private server: http.Server | null = null;

  constructor(private readonly o: ServerOptions) {
    this.db = openDatabase(o.storeDir);
    this.tokens = new TokenStore(this.db);
    this.tracker = new Tracker(this.db, { flushIntervalMs: 50, flushPoints: 1_000_000, onFlush: (i) => this.publish(i) });
    this.queries = new Queries(this.db);
    this.runs = new RunsService({ queries: () => this.queries, tracker: () => this.tracker, store: () => this.tracker.store, onDeleted: (id) => this.tracker.forget(id) });
    this.alerts = new AlertsService({ queries: () => this.queries, store: () => this.tracker.store });
    const ajv = new Ajv({ allErrors: false, strict: false });
    this.routes = API_ROUTES.map((r) => compiledRoute(r, ajv));
    this.handlers = this.makeHandlers();
    for (const r of API_ROUTES) if (!this.handlers[r.name]) throw new Error(`route ${r.method} ${r.path} (${r.name}) has no handler`);
  }

  /** Starts listening; resolves with the bound address. */
  listen(host: string, port: number): Promise<AddressInfo> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    this.server = this.o.tls ? https.createServer({ cert: this.o.tls.cert, key: this.o.tls.key }, handler) : http.createServer(handler);
    // Longer than clients' idle gaps (a training step, a blocked event loop): a client that reuses a socket the server just closed gets a reset it cannot safely retry for a write.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    this.server.requestTimeout = 120_000;
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve(this.server!.address() as AddressInfo));
    });
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.end();
    this.streams.clear();
    if (this.server) {
      const closed = new Promise<void>((r) => this.server!.close(() => r()));
      this.server.closeAllConnections();
      await closed;
    }
    this.tracker.close();
    this.db.close();
  }

  // ------------------------------------------------------------ dispatch

  private reply(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(text);
  }

  private fail(res: http.ServerResponse, e: unknown): void {
    const err = toHttpError(e);
    if (err.status === 401) res.setHeader('www-authenticate', 'Bearer realm="tunestudio"');
    this.reply(res, err.status, { error: err.message, code: err.code });
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://server');
      // Authentication comes before routing: an unknown path tells a stranger nothing.
      const who = this.authenticate(req.headers.authorization);
      const method = req.method ?? 'GET';
      let match: { r: ReturnType<typeof compiledRoute>; run?: string } | null = null;
      let pathKnown = false;
      for (const r of this.routes) {
        const m = r.pattern.exec(url.pathname);
        if (!m) continue;
        pathKnown = true;
        if (r.route.method === method) {
          match = { r, run: m[1] === undefined ? undefined : decodeURIComponent(m[1]) };
          break;
        }
      }
      if (!match) {
        if (pathKnown) throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}; see ${API_PREFIX}/openapi.json`);
        throw new HttpError(404, 'not_found', `no API route ${method} ${url.pathname}; see ${API_PREFIX}/openapi.json for the routes`);
      }
      const { route } = match.r;
      if (!roleAllows(who.role, route.role)) {
        throw new HttpError(403, 'forbidden', `token '${who.name}' has role '${who.role}'; ${route.method} ${API_PREFIX}${route.path} needs '${route.role}'. Create a token with --role ${route.role} (tunestudio server token create NAME --role ${route.role})`);
      }
      const query: Record<string, string | string[]> = {};
      for (const k of new Set(url.searchParams.keys())) {
        const all = url.searchParams.getAll(k);
        query[k] = route.query?.[k]?.array ? all : all[all.length - 1];
      }
      if (match.r.query && !match.r.query(query)) throw new HttpError(400, 'bad_request', `bad query for ${route.name}: ${ajvMessage(match.r.query)}`);
      let body: Record<string, unknown> = {};
      if (match.r.body) {
        body = await readJson(req);
        if (!match.r.body(body)) throw new HttpError(422, 'invalid', `the body of ${route.method} ${API_PREFIX}${route.path} does not match its schema: ${ajvMessage(match.r.body)}; see ${API_PREFIX}/openapi.json`);
      } else {
        req.resume();
      }
      const call: Call = { route, who, run: match.run, query, body };
      if (route.stream) return this.stream(res);
      const result = this.handlers[route.name](call);
      this.reply(res, route.name === 'createRun' ? 201 : 200, result === undefined ? { ok: true } : result);
    } catch (e) {
      req.resume();
      this.fail(res, e);
    }
  }

  private authenticate(header: string | undefined): { name: string; role: ApiRole } {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) throw new HttpError(401, 'unauthorized', 'no token: send "Authorization: Bearer <token>" (tokens come from tunestudio server token create NAME --role read|write|admin; clients read TUNESTUDIO_TOKEN)');
    const who = this.tokens.check(m[1]);
    if (!who) throw new HttpError(401, 'unauthorized', 'this token is not known to the server (revoked, or made for another store): check TUNESTUDIO_TOKEN, or make one with tunestudio server token create');
    return who;
  }

  // ------------------------------------------------------------ live stream

  private stream(res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': tunestudio events\n\n');
    this.streams.add(res);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    beat.unref();
    // The response's close (the client went away), not the request's: that one fires once the (empty) body is read.
    res.on('close', () => {
      clearInterval(beat);
      this.streams.delete(res);
    });
  }

  private emit(event: string, data: unknown): void {
    if (!this.streams.size) return;
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const s of this.streams) s.write(text);
  }

  private publish(i: FlushInfo): void {
    if (i.points) this.emit('points', { runs: i.runIds, points: i.points, appended: i.appended });
    if (i.alerts) this.emit('alerts', { runs: i.runIds, count: i.alerts });
  }

  // ------------------------------------------------------------ handlers

  private runId(c: Call): string {
    return this.runs.resolve(c.run!).id;
  }

  private makeHandlers(): Record<string, Handler> {
    const t = this.tracker;
    const statuses = (v: unknown) => (Array.isArray(v) ? (v as RunStatus[]).filter((s) => RUN_STATUSES.includes(s)) : undefined);
    const num = (v: unknown) => (typeof v === 'string' ? Number(v) : undefined);
    const flag = (v: unknown) => v === 'true' || v === '1';
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      openapi: () => openApiDocument(this.o.version ?? '0.0.0-dev'),
      whoami: (c) => ({ name: c.who.name, role: c.who.role }),
      projects: () => this.queries.projectNames(),
      listRuns: (c) => this.runs.list({ project: str(c.query.project), status: statuses(c.query.status), limit: num(c.query.limit) }),
      createRun: (c) => {
        const b = c.body as { project?: string; name?: string; config?: Record<string, unknown>; id?: string; host?: string };
        if (b.id && t.runExists(b.id)) throw new HttpError(409, 'conflict', `a run with id '${b.id}' already exists; resume it by logging to it, or leave out "id" for a new one`);
        const run = t.store.write(() => {
          const r = t.createRun({ project: b.project, name: b.name, config: b.config, id: b.id, host: b.host ?? 'remote', pid: null });
          this.db.prepare(`INSERT INTO run_writers (run_id, token_name, created_at) VALUES (?, ?, ?)`).run(r.id, c.who.name, new Date().toISOString());
          return r;
        });
        this.emit('run', { id: run.id, status: 'running' });
        return run;
      },
      showRun: (c) => {
        const d = this.runs.show(c.run!, str(c.query.project));
        const w = this.db.prepare(`SELECT token_name FROM run_writers WHERE run_id = ?`).get(d.id) as { token_name: string } | undefined;
        return { ...d, written_by: w?.token_name ?? null };
      },
      deleteRun: (c) => {
        const r = this.runs.delete(c.run!);
        this.emit('run', { id: r.id, deleted: true });
        return { id: r.id, deleted: true };
      },
      setConfig: (c) => {
        const id = this.runId(c);
        t.setConfig(id, c.body.config as Record<string, unknown>);
        return { id };
      },
      finishRun: (c) => {
        const id = this.runId(c);
        const b = c.body as { status: 'finished' | 'failed' | 'stopped' | 'crashed'; exit_code?: number | null; signal?: string | null; reason?: string | null };
        const changed = t.finishRun(id, b.status, { exitCode: b.exit_code, signal: b.signal, reason: b.reason });
        const status = this.queries.resolveRun(id).status;
        this.emit('run', { id, status });
        return { id, status, changed };
      },
      logMetrics: (c) => this.logMetrics(c),
      raiseAlert: (c) => {
        const id = this.runId(c);
        t.alert(id, c.body as { title: string });
        t.flush();
        return { id };
      },
      addWatcher: (c) => {
        const id = this.runId(c);
        return { id, watcher: t.watch(id, c.body.metric as string, (c.body.options as Record<string, unknown>) ?? {}) };
      },
      requestStop: (c) => {
        const r = this.runs.stop(c.run!, { reason: c.body.reason as string, source: (c.body.source as string | undefined) ?? `user:${c.who.name}` });
        this.emit('run', { id: r.id, stop: true });
        return { id: r.id, stop_requested: true };
      },
      stopRequest: (c) => ({ stop: t.stopRequested(this.runId(c)) }),
      history: (c) => {
        const { run, history } = this.runs.history(c.run!, c.query.metric as string, { from: num(c.query.from), to: num(c.query.to), maxPoints: num(c.query.max_points) ?? 500 });
        return { run: { id: run.id, name: run.name }, ...history };
      },
      best: (c) =>
        this.runs.best({
          metric: c.query.metric as string,
          direction: str(c.query.direction) as 'min' | 'max' | undefined,
          mode: str(c.query.mode) as 'last' | 'min' | 'max' | undefined,
          statuses: statuses(c.query.status),
          includeAll: flag(c.query.include_all),
          project: str(c.query.project),
        }),
      compare: (c) => this.runs.compare(c.query.run as string[], Array.isArray(c.query.metric) && c.query.metric.length ? (c.query.metric as string[]) : undefined),
      summary: (c) => this.runs.summary({ project: str(c.query.project), statuses: statuses(c.query.status), includeAll: flag(c.query.include_all) }),
      listAlerts: (c) =>
        this.alerts.list({
          since: str(c.query.since),
          after: num(c.query.after),
          level: str(c.query.level) as never,
          minLevel: str(c.query.min_level) as never,
          run: str(c.query.run),
          project: str(c.query.project),
          limit: num(c.query.limit),
          unacknowledged: flag(c.query.unacknowledged),
        }),
      acknowledgeAlerts: (c) => ({ changed: this.alerts.acknowledge(c.body.ids as number[]) }),
      clearAlerts: (c) => ({ deleted: this.alerts.clear(c.body.ids as number[]) }),
      events: () => undefined,
    };
  }

  /**
   * A batch of points. With (client, seq) the batch is applied at most once:
   * the client's watermark for the run is written in the same transaction as
   * the points (a Tracker commit hook), so a replay after a lost reply finds
   * seq ≤ watermark and is acknowledged without writing again.
   */
  private logMetrics(c: Call): unknown {
    const id = this.runId(c);
    const b = c.body as { client?: string; seq?: number; points: Array<{ step?: number; wall_time?: number; metrics: Record<string, number | string> }> };
    let count = 0;
    for (const p of b.points) count += Object.keys(p.metrics).length;
    if (count > API_LIMITS.maxBatchPoints) {
      throw new HttpError(422, 'too_many_points', `this batch has ${count} points; the limit is ${API_LIMITS.maxBatchPoints} per request (maxBatchPoints): split it`);
    }
    if ((b.client === undefined) !== (b.seq === undefined)) throw new HttpError(422, 'invalid', 'send "client" and "seq" together (or neither)');
    const mark = b.client === undefined ? null : this.watermark(id, b.client);
    if (mark !== null && b.seq! <= mark) return { id, applied: false, duplicate: true, watermark: mark, accepted: 0, rejected: [] };
    const t = this.tracker;
    t.flush(); // anything buffered before (alerts, config) commits on its own, not inside this batch's hook
    const rejected: string[] = [];
    let accepted = 0;
    const off = b.client === undefined ? () => {} : t.onCommit(() => this.setWatermark(id, b.client!, b.seq!));
    try {
      t.batch(() => {
        for (const p of b.points) {
          const metrics: Record<string, number> = {};
          for (const [k, v] of Object.entries(p.metrics)) metrics[k] = typeof v === 'string' ? NON_FINITE[v] : v;
          const r = t.log(id, metrics, p.step, p.wall_time);
          accepted += r.accepted;
          rejected.push(...r.rejected);
        }
      });
      t.heartbeat(id);
      const info = t.flush();
      if (!info && b.client !== undefined) this.setWatermark(id, b.client, b.seq!);
    } finally {
      off();
    }
    return { id, applied: true, accepted, rejected, ...(b.client !== undefined ? { watermark: b.seq } : {}) };
  }

  private watermark(runId: string, client: string): number | null {
    const r = this.db.prepare(`SELECT seq FROM point_watermarks WHERE run_id = ? AND client = ?`).get(runId, client) as { seq: number } | undefined;
    return r?.seq ?? null;
  }

  private setWatermark(runId: string, client: string, seq: number): void {
    this.db
      .prepare(`INSERT INTO point_watermarks (run_id, client, seq) VALUES (?, ?, ?) ON CONFLICT (run_id, client) DO UPDATE SET seq = MAX(seq, excluded.seq)`)
      .run(runId, client, seq);
  }
}

function ajvMessage(v: ValidateFunction): string {
  const e = v.errors?.[0];
  if (!e) return 'invalid';
  const where = e.instancePath || '(top level)';
  const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : '';
  return `${where} ${e.message}${extra}`;
}

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const limit = API_LIMITS.maxBodyBytes;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new HttpError(413, 'too_large', `the body is ${declared} bytes; the limit is ${limit} bytes (maxBodyBytes): send smaller batches`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > limit) over = true;
      else chunks.push(d);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (over) return reject(new HttpError(413, 'too_large', `the body is over the limit of ${limit} bytes (maxBodyBytes): send smaller batches`));
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text.trim()) return reject(new HttpError(400, 'bad_request', 'this route needs a JSON body'));
      try {
        const v = JSON.parse(text) as unknown;
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return reject(new HttpError(422, 'invalid', 'the body must be a JSON object'));
        resolve(v as Record<string, unknown>);
      } catch (e) {
        reject(new HttpError(400, 'bad_request', `the body is not JSON: ${(e as Error).message}`));
      }
    });
  });
}

/** Maps the services' errors to HTTP; their messages already name the thing, the cause and the fix. */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (e instanceof RunNotFoundError || e instanceof ProjectNotFoundError || e instanceof MetricNotFoundError) return new HttpError(404, 'not_found', msg);
  if (e instanceof AmbiguousRunError || e instanceof RunRuleError) return new HttpError(409, 'conflict', msg);
  if (e instanceof TrackingError || e instanceof WatchError) return new HttpError(422, 'invalid', msg);
  return new HttpError(500, 'internal', `the server failed: ${msg}`);
}
