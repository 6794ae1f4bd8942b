// The only SQL on metric_names, metrics, metric_summary and metric_lod writes:
// points, the per-run per-metric summary row (kept current on write) and the
// level-of-detail buckets. The summary's columns are listed once here; the
// upsert, the aggregate's shape and row → MetricSummary are made from that list.
import type Database from 'better-sqlite3';
import { jsonNumber, type MetricSummary } from '../../../protocol/tracking';
import type { LodAgg } from '../../tracking/lod';

/**
 * How each summary column merges a batch's aggregate (`excluded`) into the
 * stored row: `sum` adds, `last` takes the batch's when its last step is at
 * or after the stored one, `maxOf`/`minOf` keep the extreme, `min`/`max`
 * take the batch's value (and its step) when it is a new finite extreme,
 * `lastFinite` when its last finite step is at or after the stored one.
 */
export const SUMMARY_COLUMNS = {
  count: 'sum',
  nan_count: 'sum',
  inf_count: 'sum',
  last: 'last',
  last_is_nan: 'last',
  last_wall: 'last',
  last_step: 'maxOf',
  first_step: 'minOf',
  min: 'min',
  min_step: 'min',
  max: 'max',
  max_step: 'max',
  last_finite: 'lastFinite',
  last_finite_step: 'lastFinite',
} as const;

export type SummaryColumn = keyof typeof SUMMARY_COLUMNS;

/** A summary row as stored (and a batch's aggregate of the same shape). */
export type SummaryRow = { [K in SummaryColumn]: K extends 'count' | 'nan_count' | 'inf_count' | 'last_is_nan' | 'last_step' | 'last_wall' | 'first_step' ? number : number | null };

const COLUMNS = Object.keys(SUMMARY_COLUMNS) as SummaryColumn[];

function merge(col: SummaryColumn): string {
  switch (SUMMARY_COLUMNS[col]) {
    case 'sum':
      return `${col} = ${col} + excluded.${col}`;
    case 'last':
      return `${col} = CASE WHEN excluded.last_step >= last_step THEN excluded.${col} ELSE ${col} END`;
    case 'maxOf':
      return `${col} = MAX(${col}, excluded.${col})`;
    case 'minOf':
      return `${col} = MIN(${col}, excluded.${col})`;
    case 'min':
      return `${col} = CASE WHEN excluded.min IS NOT NULL AND (min IS NULL OR excluded.min < min) THEN excluded.${col} ELSE ${col} END`;
    case 'max':
      return `${col} = CASE WHEN excluded.max IS NOT NULL AND (max IS NULL OR excluded.max > max) THEN excluded.${col} ELSE ${col} END`;
    case 'lastFinite':
      return `${col} = CASE WHEN excluded.last_finite_step IS NOT NULL AND (last_finite_step IS NULL OR excluded.last_finite_step >= last_finite_step) THEN excluded.${col} ELSE ${col} END`;
  }
}

/** Every SET clause reads the stored row's old values (SQL semantics), so their order does not matter. */
export const SUMMARY_UPSERT_SQL = `
  INSERT INTO metric_summary(run_id, metric_id, ${COLUMNS.join(', ')})
  VALUES (@run_id, @metric_id, ${COLUMNS.map((c) => '@' + c).join(', ')})
  ON CONFLICT(run_id, metric_id) DO UPDATE SET
    ${COLUMNS.map(merge).join(',\n    ')}`;

/** The stored summary as the protocol shows it (last as a JSON number: "NaN" when it is NaN). */
export function toMetricSummary(s: SummaryRow): MetricSummary {
  return {
    last: jsonNumber(s.last, !!s.last_is_nan),
    last_step: s.last_step,
    min: s.min,
    min_step: s.min_step,
    max: s.max,
    max_step: s.max_step,
    last_finite: s.last_finite,
    last_finite_step: s.last_finite_step,
    first_step: s.first_step,
    count: s.count,
    nan_count: s.nan_count,
    inf_count: s.inf_count,
  };
}

/** A batch's level-of-detail bucket merged into the stored one (see tracking/lod.ts for what a bucket holds). */
export const LOD_UPSERT_SQL = `
  INSERT INTO metric_lod(run_id, metric_id, level, bucket, count, min, min_step, min_wall, max, max_step, max_wall, nonfinite, nan, nf_first, nf_last)
  VALUES (@run, @metric, @level, @bucket, @count, @min, @min_step, @min_wall, @max, @max_step, @max_wall, @nonfinite, @nan, @nf_first, @nf_last)
  ON CONFLICT(run_id, metric_id, level, bucket) DO UPDATE SET
    count = count + excluded.count,
    min = CASE WHEN excluded.min IS NOT NULL AND (min IS NULL OR excluded.min < min) THEN excluded.min ELSE min END,
    min_step = CASE WHEN excluded.min IS NOT NULL AND (min IS NULL OR excluded.min < min) THEN excluded.min_step ELSE min_step END,
    min_wall = CASE WHEN excluded.min IS NOT NULL AND (min IS NULL OR excluded.min < min) THEN excluded.min_wall ELSE min_wall END,
    max = CASE WHEN excluded.max IS NOT NULL AND (max IS NULL OR excluded.max > max) THEN excluded.max ELSE max END,
    max_step = CASE WHEN excluded.max IS NOT NULL AND (max IS NULL OR excluded.max > max) THEN excluded.max_step ELSE max_step END,
    max_wall = CASE WHEN excluded.max IS NOT NULL AND (max IS NULL OR excluded.max > max) THEN excluded.max_wall ELSE max_wall END,
    nonfinite = nonfinite + excluded.nonfinite,
    nan = nan + excluded.nan,
    nf_first = CASE WHEN excluded.nf_first IS NOT NULL AND (nf_first IS NULL OR excluded.nf_first < nf_first) THEN excluded.nf_first ELSE nf_first END,
    nf_last = CASE WHEN excluded.nf_last IS NOT NULL AND (nf_last IS NULL OR excluded.nf_last > nf_last) THEN excluded.nf_last ELSE nf_last END`;

export class MetricStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      metricId: db.prepare(`SELECT id FROM metric_names WHERE name = ?`).pluck(),
      insertName: db.prepare(`INSERT INTO metric_names(name) VALUES (?) ON CONFLICT(name) DO NOTHING`),
      insertPoint: db.prepare(`INSERT INTO metrics(run_id, metric_id, step, value, wall_time) VALUES (?, ?, ?, ?, ?)`),
      upsertSummary: db.prepare(SUMMARY_UPSERT_SQL),
      upsertLod: db.prepare(LOD_UPSERT_SQL),
    };
  }

  /** The id of a metric name, created when new (call inside the write transaction). */
  ensureName(name: string): number {
    this.s.insertName.run(name);
    return this.s.metricId.get(name) as number;
  }

  /** NaN is stored as NULL; ±Infinity as themselves. */
  insertPoint(runId: string, metricId: number, step: number, value: number, wall: number): void {
    this.s.insertPoint.run(runId, metricId, step, Number.isNaN(value) ? null : value, wall);
  }

  upsertSummary(runId: string, metricId: number, agg: SummaryRow): void {
    this.s.upsertSummary.run({ run_id: runId, metric_id: metricId, ...agg });
  }

  upsertLod(agg: LodAgg): void {
    this.s.upsertLod.run(agg);
  }
}
