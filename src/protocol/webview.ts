// Messages between webview panels and their hosts in the extension. Each
// panel's page posts `ready` first; the host sends nothing before it.
// Browser-safe: no node or vscode imports.
import type { RuntimeStatus } from './runtime';
import type { Alert, CompareResult, HistoryParams, HistoryResult, RunStatus } from './tracking';

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

export type DashboardToHost =
  | ReadyMessage
  | { type: 'history'; reqId: number; params: HistoryParams }
  | { type: 'exportPng'; metric: string; dataUrl: string }
  | { type: 'exportCsv'; metric: string; from?: number; to?: number }
  | { type: 'stopRun'; runId: string }
  | { type: 'showLogs'; runId: string }
  | { type: 'compare' }
  | { type: 'log'; level: 'info' | 'error'; message: string };

export type DashboardToWebview =
  | { type: 'init'; runs: DashboardRun[]; focus?: DashboardFocus }
  | { type: 'runs'; runs: DashboardRun[] }
  | { type: 'history'; reqId: number; result?: HistoryResult; error?: string }
  | { type: 'appended'; appended: Array<{ runId: string; metric: string; lastStep: number }> }
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
