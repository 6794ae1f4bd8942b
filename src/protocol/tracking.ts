// Runtime requests and notifications for runs, metrics and alerts, and the
// shapes they carry. The protocol owns these shapes: the tracking service
// returns them, the CLI prints them as its stable `--json` output (documented
// in the README), and the extension and webviews read them. Numbers that are
// NaN or ±Infinity appear as the strings "NaN", "Infinity", "-Infinity"
// because JSON has no such numbers. No vscode or node-only imports.
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { AlertLevel } from './lines';

export type { AlertLevel };

export const RUN_STATUSES = ['running', 'finished', 'failed', 'cancelled', 'stopped', 'crashed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Why an alert was raised: a watcher rule, the runtime (stalled, crashed) or the trainer (custom). */
export const ALERT_REASONS = ['nan', 'inf', 'above_max', 'below_min', 'spike', 'stagnation', 'custom', 'stalled', 'crashed', 'invalid_watch', 'preempted', 'attempt'] as const;
export type AlertReason = (typeof ALERT_REASONS)[number];

export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** A number as JSON can carry it: NaN, ±Infinity (and a missing value, which is NaN) as strings. */
export function jsonNumber(v: number | null | undefined, isNan = false): JsonNumber {
  if (isNan || v === null || v === undefined || Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

export interface Run {
  id: string;
  name: string;
  project: string;
  status: RunStatus;
  exit_code: number | null;
  signal: string | null;
  reason: string | null;
  created_at: string;
  ended_at: string | null;
  updated_at: string;
  heartbeat_at: string | null;
  pid: number | null;
  host: string | null;
  progress: { current: number; total: number | null } | null;
  malformed_lines: number;
  rejected_values: number;
  last_warning: string | null;
}

export interface MetricSummary {
  last: JsonNumber;
  last_step: number;
  min: number | null;
  min_step: number | null;
  max: number | null;
  max_step: number | null;
  last_finite: number | null;
  last_finite_step: number | null;
  first_step: number;
  count: number;
  nan_count: number;
  inf_count: number;
}

export interface RunDetail extends Run {
  config: Record<string, unknown>;
  summary: Record<string, MetricSummary>;
  alerts: { total: number; by_level: Partial<Record<AlertLevel, number>> };
  watchers: Array<{ id: number; metric: string; spec: Record<string, unknown>; state: Record<string, unknown> }>;
  stop_request: { requested_at: string; source: string; reason: string } | null;
  samples: Array<{ step: number | null; prompt: string | null; text: string; created_at: string }>;
  artifacts: Array<{ kind: string; step: number | null; path: string; data: Record<string, unknown>; created_at: string }>;
  duration_s: number | null;
}

export interface Alert {
  id: number;
  run_id: string;
  run_name: string;
  project: string;
  level: AlertLevel;
  reason: AlertReason | string;
  metric: string | null;
  step: number | null;
  title: string;
  text: string;
  data: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  acknowledged: boolean;
}

/** A run list row with the headline metric (train/loss, loss, eval/loss … or the first metric). */
export interface RunListItem extends Run {
  headline: { metric: string; last: JsonNumber; min: number | null; max: number | null; last_step: number } | null;
  metric_count: number;
  alert_count: number;
  config_summary: Record<string, unknown>;
}

/** One metric of one run over a step range, downsampled to what a chart can show. */
export interface History {
  run_id: string;
  metric: string;
  /** Points in the range before downsampling. */
  total: number;
  downsampled: boolean;
  steps: number[];
  /** null where the value is NaN or ±Infinity (see non_finite). */
  values: Array<number | null>;
  wall: number[];
  non_finite: Array<{ from: number; to: number; kind: 'nan' | 'inf' | 'mixed'; count: number }>;
}

export interface BestResult {
  run: Run;
  metric: string;
  value: number;
  step: number;
  mode: 'last' | 'min' | 'max';
  direction: 'min' | 'max';
  candidates: number;
}

export interface CompareResult {
  runs: Run[];
  metrics: string[];
  /** run id → metric → summary */
  values: Record<string, Record<string, MetricSummary>>;
  /** Config keys whose values differ between the runs. */
  config_diff?: string[];
  configs?: Record<string, Record<string, unknown>>;
}

export interface SummaryResult {
  project: string | null;
  runs: { total: number; by_status: Partial<Record<RunStatus, number>> };
  alerts: { total: number; by_level: Partial<Record<AlertLevel, number>>; by_reason: Record<string, number> };
  metrics: Array<{ metric: string; runs: number; direction: 'min' | 'max'; best: { run_id: string; run_name: string; value: number; step: number } | null }>;
}

// ------------------------------------------------------------ messages

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

/** Renames a run (RunsService.rename's rules: trimmed, not empty, one line); answers the renamed run. */
export namespace RunRenameRequest {
  export const method = 'tunestudio/runs/rename' as const;
  export const type = new RequestType<{ run: string; name: string }, Run, void>(method);
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

// MetricsAppendedNotification (points pushed to dashboards) is in ./live.ts.
