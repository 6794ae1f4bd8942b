// Messages between webview panels and their hosts in the extension. Each
// panel's page posts `ready` first; the host sends nothing before it.
// Browser-safe: no node or vscode imports.
import type { AppendedMetric } from './live';
import type { RuntimeStatus } from './runtime';
import type { Alert, CompareResult, HistoryParams, HistoryResult, RunStatus } from './tracking';

export interface ReadyMessage {
  type: 'ready';
}

// ------------------------------------------------------------ typed IPC
// After GitLens's webview IPC: a request type knows its params and its
// answer, so the page's `sendRequest(type, params)` returns a typed promise
// (with a timeout) and the host's handler must return that type. On the wire
// a request is `{type:'request', id, method, params}` and its answer
// `{type:'response', id, result}` or `{type:'response', id, error}`.
// Notifications (host → page) and commands (page → host, no answer) keep
// the discriminated-union shape `{type: method, ...params}`.

/** A page → host request whose answer is `R`. */
export class IpcRequest<P, R> {
  /** Types only (never set): carry P and R to sendRequest and the host's handler. */
  declare readonly params: P;
  declare readonly result: R;
  constructor(readonly method: string) {}
}

/** A host → page message without an answer. */
export class IpcNotification<P> {
  declare readonly params: P;
  constructor(readonly method: string) {}
}

/** A page → host message without an answer. */
export class IpcCommand<P> {
  declare readonly params: P;
  constructor(readonly method: string) {}
}

export interface IpcRequestMessage<P = unknown> {
  type: 'request';
  id: number;
  method: string;
  params: P;
}

export interface IpcResponseMessage<R = unknown> {
  type: 'response';
  id: number;
  result?: R;
  error?: string;
}

export type IpcParams<T> = T extends IpcRequest<infer P, unknown> ? P : T extends IpcNotification<infer P> ? P : T extends IpcCommand<infer P> ? P : never;
export type IpcResult<T> = T extends IpcRequest<unknown, infer R> ? R : never;

/** The wire message of a notification or command (`{type: method, ...params}`). */
export function ipcMessage<P extends object>(t: IpcNotification<P> | IpcCommand<P>, params: P): P & { type: string } {
  return { type: t.method, ...params };
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

// ------------------------------------------------------------ Run Dashboard
// The page asks for history itself (it knows its chart widths and what it
// already has); requests carry an id and replies carry `result` or `error`.

export interface DashboardRun {
  id: string;
  name: string;
  project: string;
  status: RunStatus;
  reason: string | null;
  created_at: string;
  ended_at: string | null;
}

export type DashboardAlert = Pick<Alert, 'id' | 'run_id' | 'level' | 'reason' | 'metric' | 'step' | 'title' | 'text' | 'acknowledged' | 'created_at'>;

/** A step to scroll to and highlight (an alert's step). */
export interface DashboardFocus {
  step: number;
  metric?: string | null;
  runId?: string;
  alertId?: number;
}

export type XAxisMode = 'step' | 'relative' | 'wall';

/** The page's pull: first load, zoom, or a gap in the pushed points (one request for every metric that needs it). */
export const DashboardHistoryRequest = new IpcRequest<HistoryParams, HistoryResult>('dashboard/history');

export type DashboardToHost =
  | ReadyMessage
  | IpcRequestMessage<HistoryParams>
  | { type: 'exportPng'; metric: string; dataUrl: string }
  | { type: 'exportCsv'; metric: string; from?: number; to?: number }
  | { type: 'stopRun'; runId: string }
  | { type: 'showLogs'; runId: string }
  | { type: 'compare' }
  | { type: 'log'; level: 'info' | 'error'; message: string };

export type DashboardToWebview =
  /** `metrics`: the runs' metric names, fetched by the host while the page loaded (absent: the page asks). */
  | { type: 'init'; runs: DashboardRun[]; metrics?: string[]; focus?: DashboardFocus }
  | { type: 'runs'; runs: DashboardRun[] }
  | IpcResponseMessage<HistoryResult>
  | { type: 'appended'; appended: AppendedMetric[] }
  | { type: 'alerts'; alerts: DashboardAlert[] }
  | { type: 'focus'; focus: DashboardFocus }
  | { type: 'exported'; what: 'png' | 'csv'; path?: string; error?: string };

/** What the dashboard page keeps with setState (and the serializer revives). */
export interface DashboardState {
  runIds: string[];
  smoothing: number;
  xAxis: XAxisMode;
  /** Metrics shown with a logarithmic y axis. */
  logY: string[];
  /** Zoomed x range per metric, in the units of `zoomAxis`. */
  zoom: Record<string, { min: number; max: number }>;
  zoomAxis?: XAxisMode;
  /** Runs hidden from every chart. */
  hidden: string[];
  /** Collapsed sections (train, eval, system, other, …). */
  collapsed: string[];
  focus?: DashboardFocus;
}

// ------------------------------------------------------------ Compare Runs

export type CompareData = CompareResult & { alerts: Record<string, number> };

export type CompareToHost =
  | ReadyMessage
  | { type: 'refresh' }
  | { type: 'overlay'; runIds: string[] }
  | { type: 'openDashboard'; runId: string };

export type CompareToWebview = { type: 'data'; runIds: string[]; data: CompareData } | { type: 'error'; message: string };

export interface CompareState {
  runIds: string[];
  /** Metric columns shown (last / best). */
  metrics?: string[];
  sort?: { key: string; dir: 'asc' | 'desc' };
  /** Rows picked for the overlay. */
  picked?: string[];
}
