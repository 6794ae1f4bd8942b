// Shapes of tracked data as the tracking services return them. These are also
// the stable `--json` shapes of the CLI (documented in the README): numbers
// that are NaN or ±Infinity appear as the strings "NaN", "Infinity",
// "-Infinity" because JSON has no such numbers.
import type { AlertLevel } from '../../protocol/lines';
import type { AlertReason } from './watchers';

export const RUN_STATUSES = ['running', 'finished', 'failed', 'cancelled', 'stopped', 'crashed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

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

export function jsonNumber(v: number | null | undefined, isNan = false): JsonNumber {
  if (isNan || v === null || v === undefined || Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

export function fromJsonNumber(v: JsonNumber | null): number {
  if (v === null || v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v;
}
