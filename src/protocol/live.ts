// The live path of metrics, runtime → extension → dashboard, one way: a
// dashboard's host subscribes to the runs it shows; after each flush the
// runtime pushes the new points of subscribed runs (what the flush just wrote,
// not re-read), capped; past the cap, or for writes by other processes, an
// entry carries no points and the page pulls that range once.
// No vscode or node-only imports.
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { History } from './tracking';

/** Most points of one run and metric pushed with one flush; more are sent as a gap (the page pulls them). */
export const LIVE_POINTS_PER_SERIES = 2_000;
/** Most points pushed with one flush in all. */
export const LIVE_POINTS_PER_FLUSH = 50_000;

/** What one flush (or one look at other processes' writes) appended to one run's metric. */
export interface AppendedMetric {
  runId: string;
  metric: string;
  /** Highest step now in the store for this run and metric. */
  lastStep: number;
  /**
   * Highest step the runtime had published for this run and metric before
   * these points (-1 if none): a page whose series ends before it has missed
   * points (a step discontinuity) and pulls.
   */
  prevStep?: number;
  /** The new points, at full resolution, for a subscribed run within the caps. */
  points?: History;
  /** Points were written but not sent (over the cap, or by another process): pull after the page's last step. */
  gap?: boolean;
}

/** The runs a dashboard shows (replacing what `key` subscribed before; an empty list unsubscribes). */
export namespace MetricsSubscribeRequest {
  export const method = 'tunestudio/metrics/subscribe' as const;
  export const type = new RequestType<{ key: string; runIds: string[] }, { subscribed: string[] }, void>(method);
}

/** Points were appended (one notification per flush): subscribed runs' points ride along. */
export namespace MetricsAppendedNotification {
  export const method = 'tunestudio/metricsAppended' as const;
  export const type = new NotificationType<{ appended: AppendedMetric[] }>(method);
}
