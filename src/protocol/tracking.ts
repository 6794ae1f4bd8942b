// Runtime requests and notifications for runs, metrics and alerts. Shapes are
// the tracking service's (also the CLI's --json shapes).
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { AlertLevel } from './lines';
import type { Alert, RunDetail, RunListItem, RunStatus } from '../runtime/tracking/types';
import type { CompareResult, History } from '../runtime/tracking/queries';

export type { Alert, RunDetail, RunListItem, RunStatus, CompareResult, History, AlertLevel };

export namespace RunsListRequest {
  export const method = 'tunestudio/runs/list' as const;
  export const type = new RequestType<{ project?: string; status?: RunStatus[] }, RunListItem[], void>(method);
}

export namespace RunShowRequest {
  export const method = 'tunestudio/runs/show' as const;
  export const type = new RequestType<{ run: string }, RunDetail, void>(method);
}

export interface HistoryParams {
  runIds: string[];
  /** Default: every metric of these runs. */
  metrics?: string[];
  from?: number;
  to?: number;
  /** Points per series before min/max bucketing (about the chart's pixel width × 2). */
  maxPoints: number;
}

export interface HistoryResult {
  series: History[];
  /** Every metric name these runs have (for building the dashboard). */
  metrics: string[];
}

export namespace RunHistoryRequest {
  export const method = 'tunestudio/runs/history' as const;
  export const type = new RequestType<HistoryParams, HistoryResult, void>(method);
}

export namespace RunStopRequest {
  export const method = 'tunestudio/runs/stop' as const;
  export const type = new RequestType<{ run: string; reason?: string }, { stopRequested: boolean; message: string }, void>(method);
}

export namespace RunDeleteRequest {
  export const method = 'tunestudio/runs/delete' as const;
  export const type = new RequestType<{ run: string }, { deleted: boolean }, void>(method);
}

export namespace RunCompareRequest {
  export const method = 'tunestudio/runs/compare' as const;
  export const type = new RequestType<{ runIds: string[]; metrics?: string[] }, CompareResult & { alerts: Record<string, number> }, void>(method);
}

export interface AlertsListParams {
  run?: string;
  after?: number;
  minLevel?: AlertLevel;
  unacknowledged?: boolean;
  limit?: number;
}

export namespace AlertsListRequest {
  export const method = 'tunestudio/alerts/list' as const;
  export const type = new RequestType<AlertsListParams, Alert[], void>(method);
}

export namespace AlertsAcknowledgeRequest {
  export const method = 'tunestudio/alerts/acknowledge' as const;
  export const type = new RequestType<{ ids: number[] }, number, void>(method);
}

export namespace AlertsClearRequest {
  export const method = 'tunestudio/alerts/clear' as const;
  export const type = new RequestType<{ ids: number[] }, number, void>(method);
}

/** A new alert was written (by the runtime or by another process on the store). */
export namespace AlertRaisedNotification {
  export const method = 'tunestudio/alertRaised' as const;
  export const type = new NotificationType<{ alert: Alert }>(method);
}

/** Points were appended: dashboards fetch what is new after the steps they have. */
export namespace MetricsAppendedNotification {
  export const method = 'tunestudio/metricsAppended' as const;
  export const type = new NotificationType<{ appended: Array<{ runId: string; metric: string; lastStep: number }> }>(method);
}
