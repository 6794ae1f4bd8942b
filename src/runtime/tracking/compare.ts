// Best run, compare and summary: read from the per-run, per-metric summary
// rows only (never from metric history), so they cost the same for 100 points
// or 100 million.
import type { AlertLevel } from '../../protocol/lines';
import { flattenConfig, isInternalConfigKey } from '../../protocol/config';
import { metricDirection as guessDirection } from '../../protocol/metrics';
import { RUN_STATUSES, type BestResult, type CompareResult, type MetricSummary, type RunStatus, type SummaryResult } from '../../protocol/tracking';
import { toMetricSummary, type SummaryRow } from '../store/tracking';
import { RUN_COLUMNS, safeJson, toRun, type RunQueries, type RunRow } from './runQueries';
import type { Sql } from './statements';

/** Runs that ended on purpose: what `best` and `summary` rank by default (an early-stopped run is a result). */
export const RANKED_STATUSES: readonly RunStatus[] = ['finished', 'stopped'];

export class CompareQueries {
  constructor(
    private readonly sql: Sql,
    private readonly runs: RunQueries,
  ) {}

  /**
   * The best run for a metric. mode `last` uses the value at the highest step
   * (a run whose last value is NaN/±Inf never wins); `min`/`max` use the
   * run's finite minimum/maximum. Runs that ended on purpose (RANKED_STATUSES)
   * unless `statuses` says which, or includeAll (every status).
   */
  best(o: { metric: string; direction?: 'min' | 'max'; mode?: 'last' | 'min' | 'max'; includeAll?: boolean; statuses?: readonly RunStatus[]; project?: string }): BestResult | null {
    const direction = o.direction ?? guessDirection(o.metric);
    const mode = o.mode ?? 'last';
    const col = mode === 'last' ? 'ms.last' : mode === 'min' ? 'ms.min' : 'ms.max';
    const stepCol = mode === 'last' ? 'ms.last_step' : mode === 'min' ? 'ms.min_step' : 'ms.max_step';
    const filters = [`mn.name = ?`, `${col} IS NOT NULL`, `${col} > -1.7976931348623157e308`, `${col} < 1.7976931348623157e308`];
    if (mode === 'last') filters.push('ms.last_is_nan = 0');
    const params: unknown[] = [o.metric];
    if (!o.includeAll) {
      const statuses = o.statuses?.length ? o.statuses : RANKED_STATUSES;
      filters.push(`r.status IN (${statuses.map(() => '?').join(',')})`);
      params.push(...statuses);
    }
    if (o.project) {
      filters.push('p.name = ?');
      params.push(o.project);
    }
    const row = this.sql(
        `SELECT ${RUN_COLUMNS}, ${col} AS value, ${stepCol} AS vstep, count(*) OVER () AS candidates
         FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id
         JOIN runs r ON r.id = ms.run_id JOIN projects p ON p.id = r.project_id
         WHERE ${filters.join(' AND ')}
         ORDER BY ${col} ${direction === 'min' ? 'ASC' : 'DESC'}, r.created_at ASC LIMIT 1`,
      )
      .get(...params) as (RunRow & { value: number; vstep: number; candidates: number }) | undefined;
    if (!row) return null;
    return { run: toRun(row), metric: o.metric, value: row.value, step: row.vstep, mode, direction, candidates: row.candidates };
  }

  /** Runs × metrics summary values in one query. */
  compare(runIds: string[], metrics?: string[]): CompareResult {
    if (runIds.length === 0) return { runs: [], metrics: [], values: {} };
    const runs = runIds.map((id) => this.runs.resolveRun(id));
    const ids = runs.map((r) => r.id);
    const mFilter = metrics?.length ? `AND mn.name IN (${metrics.map(() => '?').join(',')})` : '';
    const rows = this.sql(
        `SELECT ms.run_id, mn.name, ms.* FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id
         WHERE ms.run_id IN (${ids.map(() => '?').join(',')}) ${mFilter}`,
      )
      .all(...ids, ...(metrics ?? [])) as Array<SummaryRow & { run_id: string; name: string }>;
    const values: Record<string, Record<string, MetricSummary>> = {};
    const names = new Set<string>(metrics ?? []);
    for (const r of rows) {
      (values[r.run_id] ??= {})[r.name] = toMetricSummary(r);
      names.add(r.name);
    }
    const configs = new Map<string, Record<string, unknown>>();
    for (const id of ids) configs.set(id, safeJson(this.sql(`SELECT config FROM runs WHERE id = ?`).pluck().get(id) as string));
    return { runs, metrics: [...names].sort(), values, config_diff: configDiff(ids.map((id) => configs.get(id)!)), configs: Object.fromEntries(configs) };
  }

  /** Runs by status, alerts by level and reason, and the best run per metric among `statuses` (default RANKED_STATUSES). */
  summary(o: { project?: string; statuses?: readonly RunStatus[]; includeAll?: boolean } = {}): SummaryResult {
    const ranked: readonly string[] = o.includeAll ? RUN_STATUSES : o.statuses?.length ? o.statuses : RANKED_STATUSES;
    const pf = o.project ? 'WHERE p.name = ?' : '';
    const pp = o.project ? [o.project] : [];
    const byStatus: Partial<Record<RunStatus, number>> = {};
    let total = 0;
    for (const r of this.sql(`SELECT r.status, count(*) n FROM runs r JOIN projects p ON p.id = r.project_id ${pf} GROUP BY r.status`).all(...pp) as Array<{ status: RunStatus; n: number }>) {
      byStatus[r.status] = r.n;
      total += r.n;
    }
    const alerts = this.sql(`SELECT a.level, a.reason, count(*) n FROM alerts a JOIN runs r ON r.id = a.run_id JOIN projects p ON p.id = r.project_id ${pf} GROUP BY a.level, a.reason ORDER BY a.level, a.reason`)
      .all(...pp) as Array<{ level: AlertLevel; reason: string; n: number }>;
    const alertTotal = alerts.reduce((s, a) => s + a.n, 0);
    const byLevel: Partial<Record<AlertLevel, number>> = {};
    const byReason: Record<string, number> = {};
    for (const a of alerts) {
      byLevel[a.level] = (byLevel[a.level] ?? 0) + a.n;
      byReason[a.reason] = (byReason[a.reason] ?? 0) + a.n;
    }
    // Best finished run per metric by last value, in one query over the summary rows.
    const rows = this.sql(
        `SELECT mn.name AS metric, count(*) OVER (PARTITION BY ms.metric_id) AS runs, r.id, r.name AS run_name, ms.last,
                ms.last_is_nan, ms.last_step, r.status,
                ROW_NUMBER() OVER (PARTITION BY ms.metric_id ORDER BY
                  CASE WHEN r.status IN (SELECT value FROM json_each(?)) AND ms.last_is_nan = 0 AND ms.last IS NOT NULL
                        AND ms.last > -1.7976931348623157e308 AND ms.last < 1.7976931348623157e308 THEN 0 ELSE 1 END,
                  CASE WHEN mn.name IN (SELECT value FROM json_each(?)) THEN -ms.last ELSE ms.last END) AS rk
         FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id
         JOIN runs r ON r.id = ms.run_id JOIN projects p ON p.id = r.project_id ${pf}`,
      )
      .all(JSON.stringify(ranked), JSON.stringify(this.runs.metricNames().filter((m) => guessDirection(m) === 'max')), ...pp) as Array<{ metric: string; runs: number; id: string; run_name: string; last: number | null; last_is_nan: number; last_step: number; status: string; rk: number }>;
    const metrics = rows
      .filter((r) => r.rk === 1)
      .sort((a, b) => a.metric.localeCompare(b.metric))
      .map((r) => {
        const eligible = ranked.includes(r.status) && !r.last_is_nan && r.last !== null && Number.isFinite(r.last);
        return {
          metric: r.metric,
          runs: r.runs,
          direction: guessDirection(r.metric),
          best: eligible ? { run_id: r.id, run_name: r.run_name, value: r.last as number, step: r.last_step } : null,
        };
      });
    return {
      project: o.project ?? null,
      runs: { total, by_status: byStatus },
      alerts: { total: alertTotal, by_level: byLevel, by_reason: byReason },
      metrics,
    };
  }
}

/** Keys (dotted paths for nested objects) whose values differ between configs; keys the runtime adds (job.*, command, sweep, trial) never count. */
export function configDiff(configs: Array<Record<string, unknown>>): string[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys = new Set(flat.flatMap((f) => Object.keys(f).filter((k) => !isInternalConfigKey(k))));
  return [...keys].filter((k) => new Set(flat.map((f) => JSON.stringify(f[k]))).size > 1).sort();
}

