// The team server's HTTP API (`tunestudio server`, /api/v1/…) as data: one
// route table whose JSON schemas both validate requests (the server compiles
// them with ajv) and generate the OpenAPI document (openApiDocument below), so
// the document cannot drift from what is checked. Every route names the role
// it needs; the server refuses to start a route without one, and a test walks
// this table so no route skips the token check.

export type ApiRole = 'read' | 'write' | 'admin';
export const API_ROLES: readonly ApiRole[] = ['read', 'write', 'admin'];
export const API_PREFIX = '/api/v1';

/** Limits a client can read from /api/v1/openapi.json (info.x-limits) and from 413/422 errors. */
export const API_LIMITS = {
  /** Largest request body, bytes. */
  maxBodyBytes: 16 * 1024 * 1024,
  /** Most points (metric values) in one metrics batch. */
  maxBatchPoints: 100_000,
} as const;

type Schema = Record<string, unknown>;

export interface ApiRoute {
  /** Stable operation id (OpenAPI operationId, client method name). */
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path under API_PREFIX; `{run}` is a path parameter. */
  path: string;
  role: ApiRole;
  summary: string;
  /** Query parameters (all strings on the wire; the schema says what they must look like). */
  query?: Record<string, Schema & { array?: boolean }>;
  body?: Schema;
  /** Server-sent events instead of a JSON reply. */
  stream?: boolean;
}

const str: Schema = { type: 'string', minLength: 1, maxLength: 20_000 };
const int: Schema = { type: 'string', pattern: '^-?[0-9]{1,15}$' };
const bool: Schema = { type: 'string', enum: ['true', 'false', '1', '0'] };
const status: Schema = { type: 'string', enum: ['running', 'finished', 'failed', 'stopped', 'crashed'] };
/** A metric value: a number, or NaN/±Infinity as the strings every `--json` shape uses. */
const metricValue: Schema = { anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }] };
const ids: Schema = { type: 'object', additionalProperties: false, required: ['ids'], properties: { ids: { type: 'array', maxItems: 100_000, items: { type: 'integer' } } } };

export const API_ROUTES: readonly ApiRoute[] = [
  { name: 'openapi', method: 'GET', path: '/openapi.json', role: 'read', summary: 'this document' },
  { name: 'whoami', method: 'GET', path: '/whoami', role: 'read', summary: "the token's name and role" },
  { name: 'projects', method: 'GET', path: '/projects', role: 'read', summary: 'project names' },
  {
    name: 'listRuns', method: 'GET', path: '/runs', role: 'read', summary: 'runs, newest first',
    query: { project: str, status: { ...status, array: true }, limit: int },
  },
  {
    name: 'createRun', method: 'POST', path: '/runs', role: 'write', summary: 'start a run (records the token that wrote it)',
    body: {
      type: 'object', additionalProperties: false,
      properties: { project: str, name: str, config: { type: 'object' }, id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, host: str },
    },
  },
  { name: 'showRun', method: 'GET', path: '/runs/{run}', role: 'read', summary: 'one run: status, config, summaries, alerts, watchers', query: { project: str } },
  { name: 'deleteRun', method: 'DELETE', path: '/runs/{run}', role: 'admin', summary: 'delete a run that is not running' },
  {
    name: 'setConfig', method: 'PATCH', path: '/runs/{run}/config', role: 'write', summary: "merge keys into the run's config",
    body: { type: 'object', additionalProperties: false, required: ['config'], properties: { config: { type: 'object' } } },
  },
  {
    name: 'finishRun', method: 'POST', path: '/runs/{run}/status', role: 'write', summary: 'end a run with a final status',
    body: {
      type: 'object', additionalProperties: false, required: ['status'],
      properties: {
        status: { type: 'string', enum: ['finished', 'failed', 'stopped', 'crashed'] },
        exit_code: { type: ['integer', 'null'] }, signal: { type: ['string', 'null'], maxLength: 64 }, reason: { type: ['string', 'null'], maxLength: 20_000 },
      },
    },
  },
  {
    name: 'logMetrics', method: 'POST', path: '/runs/{run}/metrics', role: 'write',
    summary: 'a batch of points; with client and seq it is applied once however often it is replayed',
    body: {
      type: 'object', additionalProperties: false, required: ['points'],
      properties: {
        client: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
        seq: { type: 'integer', minimum: 1 },
        points: {
          type: 'array',
          items: {
            type: 'object', additionalProperties: false, required: ['metrics'],
            properties: {
              step: { type: 'integer', minimum: 0 },
              wall_time: { type: 'number' },
              metrics: { type: 'object', additionalProperties: metricValue },
            },
          },
        },
      },
    },
  },
  {
    name: 'raiseAlert', method: 'POST', path: '/runs/{run}/alerts', role: 'write', summary: 'raise an alert; data is kept whole (NaN as "NaN")',
    body: {
      type: 'object', additionalProperties: false, required: ['title'],
      properties: {
        title: str, text: { type: 'string', maxLength: 100_000 }, level: { type: 'string', enum: ['info', 'warn', 'error'] },
        reason: { type: 'string', maxLength: 64 }, metric: { type: ['string', 'null'], maxLength: 20_000 }, step: { type: ['integer', 'null'] }, data: { type: 'object' },
      },
    },
  },
  {
    name: 'addWatcher', method: 'POST', path: '/runs/{run}/watchers', role: 'write', summary: 'register a watcher on a metric',
    body: { type: 'object', additionalProperties: false, required: ['metric'], properties: { metric: str, options: { type: 'object' } } },
  },
  {
    name: 'requestStop', method: 'POST', path: '/runs/{run}/stop', role: 'write', summary: 'ask a running run to stop',
    body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: str, source: { type: 'string', maxLength: 200 } } },
  },
  { name: 'stopRequest', method: 'GET', path: '/runs/{run}/stop', role: 'read', summary: "the run's stop request, or null (what should_stop() asks)" },
  {
    name: 'history', method: 'GET', path: '/runs/{run}/history', role: 'read', summary: "one metric's history, downsampled with min/max buckets",
    query: { metric: str, from: int, to: int, max_points: int },
  },
  {
    name: 'best', method: 'GET', path: '/best', role: 'read', summary: 'the best run for a metric (null when none qualifies)',
    query: {
      metric: str, direction: { type: 'string', enum: ['min', 'max'] }, mode: { type: 'string', enum: ['last', 'min', 'max'] },
      status: { ...status, array: true }, include_all: bool, project: str,
    },
  },
  { name: 'compare', method: 'GET', path: '/compare', role: 'read', summary: 'runs × metrics summaries and differing config', query: { run: { ...str, array: true }, metric: { ...str, array: true } } },
  { name: 'summary', method: 'GET', path: '/summary', role: 'read', summary: 'per-metric summary over runs', query: { project: str, status: { ...status, array: true }, include_all: bool } },
  {
    name: 'listAlerts', method: 'GET', path: '/alerts', role: 'read', summary: 'alerts, filtered',
    query: {
      since: str, after: int, level: { type: 'string', enum: ['info', 'warn', 'error'] }, min_level: { type: 'string', enum: ['info', 'warn', 'error'] },
      run: str, project: str, limit: int, unacknowledged: bool,
    },
  },
  { name: 'acknowledgeAlerts', method: 'POST', path: '/alerts/acknowledge', role: 'write', summary: 'mark alerts seen', body: ids },
  { name: 'clearAlerts', method: 'POST', path: '/alerts/clear', role: 'write', summary: 'delete alerts', body: ids },
  { name: 'events', method: 'GET', path: '/events', role: 'read', summary: 'server-sent events: points, runs and alerts as they are committed', stream: true },
];

/** Required query parameters: the ones a route cannot answer without. */
export const REQUIRED_QUERY: Readonly<Record<string, readonly string[]>> = { history: ['metric'], best: ['metric'], compare: ['run'] };

/** The OpenAPI 3.1 document, generated from API_ROUTES (JSON Schema 2020-12 is OpenAPI 3.1's schema dialect). */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of API_ROUTES) {
    const params: unknown[] = [];
    if (r.path.includes('{run}')) params.push({ name: 'run', in: 'path', required: true, schema: { type: 'string' }, description: 'run id, or exact run name' });
    for (const [name, { array, ...schema }] of Object.entries(r.query ?? {})) {
      params.push({ name, in: 'query', required: (REQUIRED_QUERY[r.name] ?? []).includes(name), schema: array ? { type: 'array', items: schema } : schema, ...(array ? { explode: true } : {}) });
    }
    const op: Record<string, unknown> = {
      operationId: r.name,
      summary: r.summary,
      'x-role': r.role,
      security: [{ bearer: [] }],
      ...(params.length ? { parameters: params } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
      responses: {
        '200': r.stream ? { description: 'event stream', content: { 'text/event-stream': {} } } : { description: 'ok', content: { 'application/json': {} } },
        '400': { description: 'bad JSON or bad parameter' },
        '401': { description: 'no token, or a token the server does not know' },
        '403': { description: `the token's role is below '${r.role}'` },
        '404': { description: 'unknown project, run or metric (the error lists what exists)' },
        '409': { description: 'a rule refused the request (e.g. stopping a run that is not running)' },
        '413': { description: `body over ${API_LIMITS.maxBodyBytes} bytes` },
        '422': { description: `body does not match the schema, or a batch over ${API_LIMITS.maxBatchPoints} points` },
      },
    };
    (paths[API_PREFIX + r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Tune Studio team server', version, 'x-limits': API_LIMITS },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from `tunestudio server token create`' } } },
    security: [{ bearer: [] }],
    paths,
  };
}

/** Error body of every non-2xx reply. */
export interface ApiErrorBody {
  error: string;
  /** Machine-readable cause: unauthorized, forbidden, not_found, conflict, too_large, invalid, bad_request. */
  code: string;
}
