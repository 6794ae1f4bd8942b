// Messages between webview panels and their hosts in the extension. Each
// panel's page posts `ready` first; the host sends nothing before it.
// Browser-safe: no node or vscode imports.
import type { AppendedMetric } from './live';
import type { LayoutInfo, LayoutStage } from './projection';
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
// Notifications (host → page) and commands (page → host, no answer) are
// `{type: method, ...params}` on the wire: each panel's message unions are
// built from its typed constants (IpcWire), so host and page share one list.

/** A page → host request whose answer is `R`. */
export class IpcRequest<P, R> {
  /** Types only (never set): carry P and R to sendRequest and the host's handler. */
  declare readonly params: P;
  declare readonly result: R;
  constructor(readonly method: string) {}
}

/** A host → page message without an answer. */
export class IpcNotification<P, M extends string = string> {
  declare readonly params: P;
  constructor(readonly method: M) {}
}

/** A page → host message without an answer. */
export class IpcCommand<P, M extends string = string> {
  declare readonly params: P;
  declare private readonly command: true;
  constructor(readonly method: M) {}
}

/** The wire shape of a notification or command: `{type: method, ...params}` (a union of params stays a union). */
export type IpcWire<T> = T extends IpcNotification<infer P, infer M> ? (P extends unknown ? { type: M } & P : never) : T extends IpcCommand<infer P, infer M> ? (P extends unknown ? { type: M } & P : never) : never;

/** The union of the wire shapes of a panel's notifications or commands. */
export type WireOf<T> = { [K in keyof T]: IpcWire<T[K]> }[keyof T];

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


/** Runtime Status panel. */
export const StatusCommands = {
  refresh: new IpcCommand<object, 'refresh'>('refresh'),
  restartRuntime: new IpcCommand<object, 'restartRuntime'>('restartRuntime'),
  openStoreFolder: new IpcCommand<object, 'openStoreFolder'>('openStoreFolder'),
};
export const StatusNotifications = {
  status: new IpcNotification<{ state: 'running'; status: RuntimeStatus; client: ClientInfo } | { state: 'starting' | 'stopped' | 'failed'; error?: string; client: ClientInfo }, 'status'>('status'),
};
export type StatusToHost = ReadyMessage | WireOf<typeof StatusCommands>;
export type StatusToWebview = WireOf<typeof StatusNotifications>;

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

/**
 * The overview of the first charts in page order, fetched by the host while
 * the page loads its script (its first paint then waits for no request of
 * its own): `metrics` the charts asked for, at `maxPoints` per series.
 */
export interface DashboardOverview {
  metrics: string[];
  maxPoints: number;
  result: HistoryResult;
}

/** The page's pull: first load, zoom, or a gap in the pushed points (one request for every metric that needs it). */
export const DashboardHistoryRequest = new IpcRequest<HistoryParams, HistoryResult>('dashboard/history');

/** The dashboard's commands (page → host). */
export const DashboardCommands = {
  exportPng: new IpcCommand<{ metric: string; dataUrl: string }, 'exportPng'>('exportPng'),
  /** CSV at full resolution, within the zoomed step range if any. */
  exportCsv: new IpcCommand<{ metric: string; from?: number; to?: number }, 'exportCsv'>('exportCsv'),
  stopRun: new IpcCommand<{ runId: string }, 'stopRun'>('stopRun'),
  showLogs: new IpcCommand<{ runId: string }, 'showLogs'>('showLogs'),
  compare: new IpcCommand<object, 'compare'>('compare'),
  log: new IpcCommand<{ level: 'info' | 'error'; message: string }, 'log'>('log'),
};

/** The dashboard's notifications (host → page). */
export const DashboardNotifications = {
  /**
   * `metrics`: the runs' metric names, fetched by the host while the page loaded (absent: the page asks).
   * `overviewFor`: the charts whose overview the host is fetching; an `overview` notification follows
   * (the page lays out meanwhile and does not ask for them).
   */
  init: new IpcNotification<{ runs: DashboardRun[]; metrics?: string[]; focus?: DashboardFocus; overviewFor?: { metrics: string[]; maxPoints: number } }, 'init'>('init'),
  /** The overview announced by the init (see DashboardOverview); absent: the host could not fetch it, the page asks. */
  overview: new IpcNotification<{ overview?: DashboardOverview }, 'overview'>('overview'),
  runs: new IpcNotification<{ runs: DashboardRun[] }, 'runs'>('runs'),
  /** One per runtime flush: the new points of this dashboard's runs (see protocol/live.ts). */
  appended: new IpcNotification<{ appended: AppendedMetric[] }, 'appended'>('appended'),
  alerts: new IpcNotification<{ alerts: DashboardAlert[] }, 'alerts'>('alerts'),
  focus: new IpcNotification<{ focus: DashboardFocus }, 'focus'>('focus'),
  exported: new IpcNotification<{ what: 'png' | 'csv'; path?: string; error?: string }, 'exported'>('exported'),
};


export type DashboardToHost = ReadyMessage | IpcRequestMessage<HistoryParams> | WireOf<typeof DashboardCommands>;

export type DashboardToWebview = IpcResponseMessage<HistoryResult> | WireOf<typeof DashboardNotifications>;

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

export const CompareCommands = {
  refresh: new IpcCommand<object, 'refresh'>('refresh'),
  /** Overlay the picked rows in a dashboard (the one opened from here, updated). */
  overlay: new IpcCommand<{ runIds: string[] }, 'overlay'>('overlay'),
  openDashboard: new IpcCommand<{ runId: string }, 'openDashboard'>('openDashboard'),
};
export const CompareNotifications = {
  data: new IpcNotification<{ runIds: string[]; data: CompareData }, 'data'>('data'),
  error: new IpcNotification<{ message: string }, 'error'>('error'),
};
export type CompareToHost = ReadyMessage | WireOf<typeof CompareCommands>;
export type CompareToWebview = WireOf<typeof CompareNotifications>;

export interface CompareState {
  runIds: string[];
  /** Metric columns shown (last / best). */
  metrics?: string[];
  sort?: { key: string; dir: 'asc' | 'desc' };
  /** Rows picked for the overlay. */
  picked?: string[];
}

// ------------------------------------------------------------ Embedding Map
// The page asks for one space's layout at a time (a run's step slider asks
// again); the host forwards the runtime's progress for the layout it asked
// for, and the page cancels through the host. Audio URIs are webview URIs
// the host made for clips inside the dataset folder (null otherwise).

export interface MapSpace {
  id: string;
  kind: 'audio' | 'text' | 'run';
  name: string;
  count: number;
  dim: number;
  steps?: number[];
}

export interface MapLayout {
  space: string;
  step?: number;
  ids: string[];
  labels: string[];
  /** n × 2, row-major. */
  layout: number[];
  /** Per point: a webview URI of its clip, or null (no file, or outside the dataset folder). */
  audio: Array<string | null>;
  /** Per point: the clip's path relative to the dataset folder (shown on hover), or null. */
  files: Array<string | null>;
  info: LayoutInfo;
  cached: boolean;
}

export const MapLayoutRequest = new IpcRequest<{ space: string; step?: number }, MapLayout>('map/layout');

export const MapCommands = {
  cancel: new IpcCommand<object, 'cancel'>('cancel'),
  exportPng: new IpcCommand<{ dataUrl: string }, 'exportPng'>('exportPng'),
  log: new IpcCommand<{ level: 'info' | 'error'; message: string }, 'log'>('log'),
};
export const MapNotifications = {
  init: new IpcNotification<{ title: string; spaces: MapSpace[]; error?: string }, 'init'>('init'),
  progress: new IpcNotification<{ stage: LayoutStage; done: number }, 'progress'>('progress'),
  exported: new IpcNotification<{ path?: string; error?: string }, 'exported'>('exported'),
};
export type MapToHost = ReadyMessage | IpcRequestMessage<{ space: string; step?: number }> | WireOf<typeof MapCommands>;
export type MapToWebview = IpcResponseMessage<MapLayout> | WireOf<typeof MapNotifications>;

export interface MapState {
  space?: string;
  step?: number;
  colorBy?: 'label' | 'cluster' | 'none';
}
