// The read side of tracking. Each query is one SQL statement where possible
// and none scans metric history for a summary: best / compare / summary read
// the per-run summary rows. Runs are resolved by id or name; an ambiguous
// name is an error that lists the candidates.
import type Database from 'better-sqlite3';
import type { AlertLevel } from '../../protocol/lines';
import { TrackingError } from './tracker';
import { LOD_LEVELS } from './lod';
import { flattenConfig } from '../../protocol/config';
import {
  jsonNumber,
  RUN_STATUSES,
  type Alert,
  type JsonNumber,
  type MetricSummary,
  type Run,
  type RunDetail,
  type RunListItem,
  type RunStatus,
} from './types';

export class AmbiguousRunError extends TrackingError {
  constructor(
    readonly ref: string,
    readonly candidates: Run[],
  ) {
    super(
      `run name '${ref}' is ambiguous: ${candidates.length} runs have it — use an id:\n` +
        candidates.map((r) => `  ${r.id}  ${r.project}/${r.name}  ${r.status}  started ${r.created_at}`).join('\n'),
    );
  }
}

export class RunNotFoundError extends TrackingError {
  constructor(readonly ref: string) {
    super(`no run with id or name '${ref}' (list them with: tunestudio runs)`);
  }
}

const RUN_COLUMNS = `r.id, r.name, p.name AS project, r.status, r.exit_code, r.signal, r.reason, r.created_at, r.ended_at, r.updated_at,
  r.heartbeat_at, r.pid, r.host, r.progress_current, r.progress_total, r.malformed_lines, r.rejected_values, r.last_warning`;

/** A row of RUN_COLUMNS: a Run as stored (heartbeat in epoch seconds, progress in two columns). */
type RunRow = Omit<Run, 'heartbeat_at' | 'progress'> & {
  heartbeat_at: number | null;
  progress_current: number | null;
  progress_total: number | null;
};

function toRun(r: RunRow): Run {
  return {
    id: r.id,
    name: r.name,
    project: r.project,
    status: r.status,
    exit_code: r.exit_code,
    signal: r.signal,
    reason: r.reason,
    created_at: r.created_at,
    ended_at: r.ended_at,
    updated_at: r.updated_at,
    heartbeat_at: r.heartbeat_at === null ? null : new Date(r.heartbeat_at * 1000).toISOString(),
    pid: r.pid,
    host: r.host,
    progress: r.progress_current === null ? null : { current: r.progress_current, total: r.progress_total },
    malformed_lines: r.malformed_lines,
    rejected_values: r.rejected_values,
    last_warning: r.last_warning,
  };
}

interface SummaryRow {
  name: string;
  count: number;
  nan_count: number;
  inf_count: number;
  last: number | null;
  last_is_nan: number;
  last_step: number;
  first_step: number;
  min: number | null;
  min_step: number | null;
  max: number | null;
  max_step: number | null;
  last_finite: number | null;
  last_finite_step: number | null;
}

function toSummary(s: SummaryRow): MetricSummary {
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

/** Preferred headline metrics, in order; else the first metric by name. */
export const HEADLINE_METRICS = ['train/loss', 'loss', 'eval/loss', 'val/loss', 'val_loss', 'train_loss'];

export class Queries {
  constructor(readonly db: Database.Database) {}

  // ---------------------------------------------------------------- runs

  listRuns(o: { project?: string; status?: RunStatus[]; limit?: number } = {}): RunListItem[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (o.project) {
      where.push('p.name = ?');
      params.push(o.project);
    }
    if (o.status?.length) {
      where.push(`r.status IN (${o.status.map(() => '?').join(',')})`);
      params.push(...o.status);
    }
    const headlineOrder = HEADLINE_METRICS.map((m, i) => `WHEN '${m.replace(/'/g, "''")}' THEN ${i}`).join(' ');
    // Driven from runs (never from metrics), so runs without any metric are listed.
    const rows = this.db
      .prepare(
        `SELECT ${RUN_COLUMNS}, r.config,
           (SELECT count(*) FROM metric_summary ms WHERE ms.run_id = r.id) AS metric_count,
           (SELECT count(*) FROM alerts a WHERE a.run_id = r.id) AS alert_count,
           h.name AS h_name, h.last AS h_last, h.last_is_nan AS h_nan, h.min AS h_min, h.max AS h_max, h.last_step AS h_step
         FROM runs r JOIN projects p ON p.id = r.project_id
         LEFT JOIN (
           SELECT ms.run_id, mn.name, ms.last, ms.last_is_nan, ms.min, ms.max, ms.last_step,
             ROW_NUMBER() OVER (PARTITION BY ms.run_id ORDER BY CASE mn.name ${headlineOrder} ELSE 1000 END, mn.name) AS rk
           FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id
         ) h ON h.run_id = r.id AND h.rk = 1
         ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
         ORDER BY r.created_at DESC, r.id DESC
         ${o.limit ? 'LIMIT ' + Math.max(1, Math.floor(o.limit)) : ''}`,
      )
      .all(...params) as Array<RunRow & { config: string; metric_count: number; alert_count: number; h_name: string | null; h_last: number | null; h_nan: number; h_min: number | null; h_max: number | null; h_step: number }>;
    return rows.map((r) => ({
      ...toRun(r),
      headline: r.h_name ? { metric: r.h_name, last: jsonNumber(r.h_last, !!r.h_nan), min: r.h_min, max: r.h_max, last_step: r.h_step } : null,
      metric_count: r.metric_count,
      alert_count: r.alert_count,
      config_summary: configSummary(safeJson(r.config)),
    }));
  }

  /** Finds a run by exact id, else by exact name (within a project if given). */
  resolveRun(ref: string, project?: string): Run {
    const byId = this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id WHERE r.id = ?`).get(ref) as RunRow | undefined;
    if (byId) return toRun(byId);
    const rows = this.db
      .prepare(
        `SELECT ${RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id WHERE r.name = ? ${project ? 'AND p.name = ?' : ''} ORDER BY r.created_at`,
      )
      .all(...(project ? [ref, project] : [ref])) as RunRow[];
    if (rows.length === 1) return toRun(rows[0]);
    if (rows.length > 1) throw new AmbiguousRunError(ref, rows.map(toRun));
    throw new RunNotFoundError(ref);
  }

  showRun(ref: string, project?: string): RunDetail {
    const run = this.resolveRun(ref, project);
    const cfg = this.db.prepare(`SELECT config FROM runs WHERE id = ?`).pluck().get(run.id) as string;
    const summary: Record<string, MetricSummary> = {};
    for (const s of this.db
      .prepare(`SELECT mn.name, ms.* FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id WHERE ms.run_id = ? ORDER BY mn.name`)
      .all(run.id) as SummaryRow[]) {
      summary[s.name] = toSummary(s);
    }
    const byLevel: Partial<Record<AlertLevel, number>> = {};
    let total = 0;
    for (const a of this.db.prepare(`SELECT level, count(*) n FROM alerts WHERE run_id = ? GROUP BY level`).all(run.id) as Array<{ level: AlertLevel; n: number }>) {
      byLevel[a.level] = a.n;
      total += a.n;
    }
    const watchers = (this.db.prepare(`SELECT id, metric, spec, state FROM watchers WHERE run_id = ? ORDER BY id`).all(run.id) as Array<{ id: number; metric: string; spec: string; state: string }>).map(
      (w) => ({ id: w.id, metric: w.metric, spec: safeJson(w.spec), state: safeJson(w.state) }),
    );
    const stop = this.db.prepare(`SELECT requested_at, source, reason FROM stop_requests WHERE run_id = ?`).get(run.id) as RunDetail['stop_request'] | undefined;
    const samples = this.db
      .prepare(`SELECT step, prompt, text, created_at FROM run_samples WHERE run_id = ? ORDER BY id DESC LIMIT 20`)
      .all(run.id) as RunDetail['samples'];
    const artifacts = (this.db.prepare(`SELECT kind, step, path, data, created_at FROM run_artifacts WHERE run_id = ? ORDER BY id`).all(run.id) as Array<{ kind: string; step: number | null; path: string; data: string; created_at: string }>).map(
      (a) => ({ ...a, data: safeJson(a.data) }),
    );
    const end = run.ended_at ? Date.parse(run.ended_at) : run.status === 'running' ? Date.now() : null;
    return {
      ...run,
      config: safeJson(cfg),
      summary,
      alerts: { total, by_level: byLevel },
      watchers,
      stop_request: stop ?? null,
      samples: samples.reverse(),
      artifacts,
      duration_s: end === null ? null : Math.max(0, (end - Date.parse(run.created_at)) / 1000),
    };
  }

  /** Metric names logged by a run (or by any run). */
  metricNames(runIds?: string[]): string[] {
    if (runIds && runIds.length === 0) return [];
    const rows = runIds
      ? this.db
          .prepare(
            `SELECT DISTINCT mn.name FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id WHERE ms.run_id IN (${runIds.map(() => '?').join(',')}) ORDER BY mn.name`,
          )
          .pluck()
          .all(...runIds)
      : this.db.prepare(`SELECT DISTINCT mn.name FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id ORDER BY mn.name`).pluck().all();
    return rows as string[];
  }

  // ------------------------------------------------------------- history

  /**
   * Points of one metric of one run within [from, to]. With more than
   * `maxPoints` points the range is cut into maxPoints/2 buckets and each
   * keeps its minimum and maximum (at their own steps), so a spike is never
   * hidden; the first and last points are always kept; stretches of NaN/±Inf
   * are returned as ranges.
   */
  history(runId: string, metric: string, o: { from?: number; to?: number; maxPoints?: number } = {}): History {
    const mid = this.db.prepare(`SELECT id FROM metric_names WHERE name = ?`).pluck().get(metric) as number | undefined;
    const empty: History = { run_id: runId, metric, total: 0, downsampled: false, steps: [], values: [], wall: [], non_finite: [] };
    if (mid === undefined) return empty;
    // The whole history: its size and span are in the summary row (no scan); a range is counted on the index.
    const range = (
      o.from === undefined && o.to === undefined
        ? this.db.prepare(`SELECT count AS n, first_step AS lo, last_step AS hi FROM metric_summary WHERE run_id = ? AND metric_id = ?`).get(runId, mid)
        : this.db
            .prepare(`SELECT count(*) n, min(step) lo, max(step) hi FROM metrics WHERE run_id = ? AND metric_id = ? AND step BETWEEN ? AND ?`)
            .get(runId, mid, o.from ?? -1, o.to ?? Number.MAX_SAFE_INTEGER)
    ) as { n: number; lo: number | null; hi: number | null } | undefined;
    if (!range) return empty;
    if (!range.n || range.lo === null || range.hi === null) return empty;
    const lo = range.lo;
    const hi = range.hi;
    const maxPoints = Math.max(4, Math.floor(o.maxPoints ?? 2000));
    const out: History = { ...empty, total: range.n };
    const finite = `value IS NOT NULL AND value > -1.7976931348623157e308 AND value < 1.7976931348623157e308`;
    if (range.n <= maxPoints) {
      const rows = this.db
        .prepare(`SELECT step, value, wall_time FROM metrics WHERE run_id = ? AND metric_id = ? AND step BETWEEN ? AND ? ORDER BY step, rowid`)
        .raw()
        .all(runId, mid, lo, hi) as Array<[number, number | null, number]>;
      let open: History['non_finite'][number] | null = null;
      for (const [s, v, w] of rows) {
        const bad = v === null || !Number.isFinite(v);
        out.steps.push(s);
        out.values.push(bad ? null : v);
        out.wall.push(w);
        // A stretch is consecutive non-finite points, whatever the step spacing.
        if (bad) {
          const k = kindOf(v);
          if (open) {
            open.to = s;
            open.count++;
            if (open.kind !== k) open.kind = 'mixed';
          } else out.non_finite.push((open = { from: s, to: s, kind: k, count: 1 }));
        } else open = null;
      }
      return out;
    }
    out.downsampled = true;
    const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
    const span = hi - lo + 1;
    // The finest level-of-detail summary whose buckets over the range (plus two partial ones) fit in maxPoints.
    const level: number = LOD_LEVELS.find((L) => Math.ceil(span / 2 ** L) + 2 <= buckets) ?? LOD_LEVELS[LOD_LEVELS.length - 1];
    const width = 2 ** level;
    const firstBucket = Math.floor(lo / width);
    const lastBucket = Math.floor(hi / width);
    const pts = new Map<string, [number, number | null, number]>();
    const add = (s: number, v: number | null, w: number) => pts.set(`${s}:${v}`, [s, v, w]);
    const nf: History['non_finite'] = [];
    // Whole buckets inside the range come from the summaries; the partial ones at the edges from the points.
    const innerFrom = lo === firstBucket * width ? firstBucket : firstBucket + 1;
    const innerTo = hi === (lastBucket + 1) * width - 1 ? lastBucket : lastBucket - 1;
    if (innerFrom <= innerTo) {
      const rows = this.db
        .prepare(
          `SELECT min, min_step, min_wall, max, max_step, max_wall, nonfinite, nan, nf_first, nf_last FROM metric_lod
           WHERE run_id = ? AND metric_id = ? AND level = ? AND bucket BETWEEN ? AND ? ORDER BY bucket`,
        )
        .raw()
        .all(runId, mid, level, innerFrom, innerTo) as Array<[number | null, number | null, number | null, number | null, number | null, number | null, number, number, number | null, number | null]>;
      for (const [mn, mnS, mnW, mx, mxS, mxW, nonfinite, nan, nfa, nfb] of rows) {
        if (mn !== null) add(mnS!, mn, mnW!);
        if (mx !== null) add(mxS!, mx, mxW!);
        if (nonfinite) nf.push({ from: nfa!, to: nfb!, kind: nan === nonfinite ? 'nan' : nan === 0 ? 'inf' : 'mixed', count: nonfinite });
      }
    }
    const edges: Array<[number, number]> = [];
    if (innerFrom > firstBucket) edges.push([lo, Math.min(hi, (firstBucket + 1) * width - 1)]);
    if (innerTo < lastBucket && lastBucket !== firstBucket) edges.push([Math.max(lo, lastBucket * width), hi]);
    for (const [a, b] of edges) {
      for (const agg of ['MIN', 'MAX']) {
        const r = this.db
          .prepare(`SELECT step, ${agg}(value), wall_time FROM metrics WHERE run_id = ? AND metric_id = ? AND step BETWEEN ? AND ? AND ${finite}`)
          .raw()
          .get(runId, mid, a, b) as [number | null, number | null, number | null];
        if (r[1] !== null) add(r[0]!, r[1], r[2]!);
      }
      const e = this.db
        .prepare(`SELECT min(step), max(step), sum(value IS NULL), count(*) FROM metrics WHERE run_id = ? AND metric_id = ? AND step BETWEEN ? AND ? AND NOT (${finite})`)
        .raw()
        .get(runId, mid, a, b) as [number | null, number | null, number, number];
      if (e[3]) nf.push({ from: e[0]!, to: e[1]!, kind: e[2] === e[3] ? 'nan' : e[2] === 0 ? 'inf' : 'mixed', count: e[3] });
    }
    // The first and last points are always kept, whatever they are.
    const ends = this.db
      .prepare(
        `SELECT step, value, wall_time FROM (SELECT step, value, wall_time FROM metrics WHERE run_id = ? AND metric_id = ? AND step = ? ORDER BY rowid LIMIT 1)
         UNION ALL SELECT step, value, wall_time FROM (SELECT step, value, wall_time FROM metrics WHERE run_id = ? AND metric_id = ? AND step = ? ORDER BY rowid DESC LIMIT 1)`,
      )
      .raw()
      .all(runId, mid, lo, runId, mid, hi) as Array<[number, number | null, number]>;
    for (const [st, v, w] of ends) add(st, v === null || !Number.isFinite(v) ? null : v, w);
    const sorted = [...pts.values()].sort((a, b) => a[0] - b[0] || (a[1] ?? 0) - (b[1] ?? 0));
    for (const [st, v, w] of sorted) {
      out.steps.push(st);
      out.values.push(v);
      out.wall.push(w);
    }
    out.non_finite = mergeRanges(nf.sort((a, b) => a.from - b.from));
    return out;
  }

  // --------------------------------------------------- best / compare / summary

  /**
   * The best run for a metric. mode `last` uses the value at the highest step
   * (a run whose last value is NaN/±Inf never wins); `min`/`max` use the
   * run's finite minimum/maximum. Only finished runs unless includeAll.
   */
  best(o: { metric: string; direction?: 'min' | 'max'; mode?: 'last' | 'min' | 'max'; includeAll?: boolean; project?: string }): BestResult | null {
    const direction = o.direction ?? guessDirection(o.metric);
    const mode = o.mode ?? 'last';
    const col = mode === 'last' ? 'ms.last' : mode === 'min' ? 'ms.min' : 'ms.max';
    const stepCol = mode === 'last' ? 'ms.last_step' : mode === 'min' ? 'ms.min_step' : 'ms.max_step';
    const filters = [`mn.name = ?`, `${col} IS NOT NULL`, `${col} > -1.7976931348623157e308`, `${col} < 1.7976931348623157e308`];
    if (mode === 'last') filters.push('ms.last_is_nan = 0');
    const params: unknown[] = [o.metric];
    if (!o.includeAll) filters.push(`r.status = 'finished'`);
    if (o.project) {
      filters.push('p.name = ?');
      params.push(o.project);
    }
    const row = this.db
      .prepare(
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
    const runs = runIds.map((id) => this.resolveRun(id));
    const ids = runs.map((r) => r.id);
    const mFilter = metrics?.length ? `AND mn.name IN (${metrics.map(() => '?').join(',')})` : '';
    const rows = this.db
      .prepare(
        `SELECT ms.run_id, mn.name, ms.* FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id
         WHERE ms.run_id IN (${ids.map(() => '?').join(',')}) ${mFilter}`,
      )
      .all(...ids, ...(metrics ?? [])) as Array<SummaryRow & { run_id: string }>;
    const values: Record<string, Record<string, MetricSummary>> = {};
    const names = new Set<string>(metrics ?? []);
    for (const r of rows) {
      (values[r.run_id] ??= {})[r.name] = toSummary(r);
      names.add(r.name);
    }
    const configs = new Map<string, Record<string, unknown>>();
    for (const id of ids) configs.set(id, safeJson(this.db.prepare(`SELECT config FROM runs WHERE id = ?`).pluck().get(id) as string));
    return { runs, metrics: [...names].sort(), values, config_diff: configDiff(ids.map((id) => configs.get(id)!)), configs: Object.fromEntries(configs) };
  }

  summary(o: { project?: string } = {}): SummaryResult {
    const pf = o.project ? 'WHERE p.name = ?' : '';
    const pp = o.project ? [o.project] : [];
    const byStatus: Partial<Record<RunStatus, number>> = {};
    let total = 0;
    for (const r of this.db.prepare(`SELECT r.status, count(*) n FROM runs r JOIN projects p ON p.id = r.project_id ${pf} GROUP BY r.status`).all(...pp) as Array<{ status: RunStatus; n: number }>) {
      byStatus[r.status] = r.n;
      total += r.n;
    }
    const alerts = this.db
      .prepare(`SELECT a.level, a.reason, count(*) n FROM alerts a JOIN runs r ON r.id = a.run_id JOIN projects p ON p.id = r.project_id ${pf} GROUP BY a.level, a.reason ORDER BY a.level, a.reason`)
      .all(...pp) as Array<{ level: AlertLevel; reason: string; n: number }>;
    const alertTotal = alerts.reduce((s, a) => s + a.n, 0);
    const byLevel: Partial<Record<AlertLevel, number>> = {};
    const byReason: Record<string, number> = {};
    for (const a of alerts) {
      byLevel[a.level] = (byLevel[a.level] ?? 0) + a.n;
      byReason[a.reason] = (byReason[a.reason] ?? 0) + a.n;
    }
    // Best finished run per metric by last value, in one query over the summary rows.
    const rows = this.db
      .prepare(
        `SELECT mn.name AS metric, count(*) OVER (PARTITION BY ms.metric_id) AS runs, r.id, r.name AS run_name, ms.last,
                ms.last_is_nan, ms.last_step, r.status,
                ROW_NUMBER() OVER (PARTITION BY ms.metric_id ORDER BY
                  CASE WHEN r.status = 'finished' AND ms.last_is_nan = 0 AND ms.last IS NOT NULL
                        AND ms.last > -1.7976931348623157e308 AND ms.last < 1.7976931348623157e308 THEN 0 ELSE 1 END,
                  CASE WHEN mn.name IN (SELECT value FROM json_each(?)) THEN -ms.last ELSE ms.last END) AS rk
         FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id
         JOIN runs r ON r.id = ms.run_id JOIN projects p ON p.id = r.project_id ${pf}`,
      )
      .all(JSON.stringify(this.metricNames().filter((m) => guessDirection(m) === 'max')), ...pp) as Array<{ metric: string; runs: number; id: string; run_name: string; last: number | null; last_is_nan: number; last_step: number; status: string; rk: number }>;
    const metrics = rows
      .filter((r) => r.rk === 1)
      .sort((a, b) => a.metric.localeCompare(b.metric))
      .map((r) => {
        const eligible = r.status === 'finished' && !r.last_is_nan && r.last !== null && Number.isFinite(r.last);
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

  // --------------------------------------------------------------- alerts

  alerts(o: { since?: string; after?: number; level?: AlertLevel; minLevel?: AlertLevel; run?: string; project?: string; limit?: number; unacknowledged?: boolean } = {}): Alert[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (o.since) {
      const t = Date.parse(o.since);
      if (Number.isNaN(t)) throw new TrackingError(`--since must be an ISO date/time such as 2026-11-24T10:00:00Z, got '${o.since}'`);
      where.push('a.created_at >= ?');
      params.push(new Date(t).toISOString());
    }
    if (o.after !== undefined) {
      where.push('a.id > ?');
      params.push(o.after);
    }
    if (o.level) {
      where.push('a.level = ?');
      params.push(o.level);
    }
    if (o.minLevel) {
      const levels = o.minLevel === 'info' ? ['info', 'warn', 'error'] : o.minLevel === 'warn' ? ['warn', 'error'] : ['error'];
      where.push(`a.level IN (${levels.map(() => '?').join(',')})`);
      params.push(...levels);
    }
    if (o.run) {
      where.push('a.run_id = ?');
      params.push(this.resolveRun(o.run, o.project).id);
    }
    if (o.project) {
      where.push('p.name = ?');
      params.push(o.project);
    }
    if (o.unacknowledged) where.push('a.acknowledged = 0');
    const rows = this.db
      .prepare(
        `SELECT a.*, r.name AS run_name, p.name AS project FROM alerts a JOIN runs r ON r.id = a.run_id JOIN projects p ON p.id = r.project_id
         ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY a.id ${o.limit ? 'DESC LIMIT ' + Math.floor(o.limit) : 'ASC'}`,
      )
      .all(...params) as Array<Omit<Alert, 'data' | 'acknowledged'> & { data: string; acknowledged: number }>;
    const list = rows.map((a) => ({
      id: a.id,
      run_id: a.run_id,
      run_name: a.run_name,
      project: a.project,
      level: a.level,
      reason: a.reason,
      metric: a.metric,
      step: a.step,
      title: a.title,
      text: a.text,
      data: safeJson(a.data as unknown as string),
      created_at: a.created_at,
      updated_at: a.updated_at,
      acknowledged: !!a.acknowledged,
    }));
    return o.limit ? list.reverse() : list;
  }

  acknowledgeAlerts(ids: number[]): number {
    if (!ids.length) return 0;
    return this.db.prepare(`UPDATE alerts SET acknowledged = 1 WHERE id IN (${ids.map(() => '?').join(',')})`).run(...ids).changes;
  }

  clearAlerts(ids: number[]): number {
    if (!ids.length) return 0;
    return this.db.prepare(`DELETE FROM alerts WHERE id IN (${ids.map(() => '?').join(',')})`).run(...ids).changes;
  }

  // -------------------------------------------------------- delete, export

  deleteRun(ref: string): Run {
    const run = this.resolveRun(ref);
    const del = this.db.transaction(() => {
      this.db.prepare(`DELETE FROM runs WHERE id = ?`).run(run.id);
    });
    del.immediate();
    return run;
  }

  /** Every point of a run, in step order, for export (streams, never loads all). */
  *points(runId: string): Generator<{ step: number; metric: string; value: JsonNumber; wall_time: number }> {
    const it = this.db
      .prepare(`SELECT m.step, mn.name, m.value, m.wall_time FROM metrics m JOIN metric_names mn ON mn.id = m.metric_id WHERE m.run_id = ? ORDER BY m.step, mn.name, m.rowid`)
      .raw()
      .iterate(runId) as IterableIterator<[number, string, number | null, number]>;
    for (const [step, metric, value, wall] of it) yield { step, metric, value: jsonNumber(value), wall_time: wall };
  }
}

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

const MAX_WORDS = ['acc', 'accuracy', 'f1', 'precision', 'recall', 'auc', 'score', 'reward', 'bleu', 'rouge', 'map', 'iou', 'tokens_per_s', 'throughput', 'samples_per_second'];

/** Loss-like metrics are minimised; accuracy-like (acc, f1, reward, …) maximised. */
export function guessDirection(metric: string): 'min' | 'max' {
  const last = metric.toLowerCase().split('/').pop() ?? '';
  return MAX_WORDS.some((w) => last === w || last.endsWith('_' + w) || last.startsWith(w + '_') || last.endsWith(w)) ? 'max' : 'min';
}

function kindOf(v: number | null): 'nan' | 'inf' {
  return v === null || Number.isNaN(v) ? 'nan' : 'inf';
}

function mergeRanges(rs: History['non_finite']): History['non_finite'] {
  const out: History['non_finite'] = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1 && last.kind === r.kind) {
      last.to = Math.max(last.to, r.to);
      last.count += r.count;
    } else out.push({ ...r });
  }
  return out;
}

export function safeJson(s: string | null | undefined): Record<string, unknown> {
  if (!s) return {};
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : { value: v };
  } catch {
    return {};
  }
}

/** A few top-level scalar config values for tooltips and tables. */
export function configSummary(config: Record<string, unknown>, max = 12): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (Object.keys(out).length >= max) break;
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = typeof v === 'string' && v.length > 80 ? v.slice(0, 80) + '…' : v;
  }
  return out;
}

/** Keys (dotted paths for nested objects) whose values differ between configs. */
export function configDiff(configs: Array<Record<string, unknown>>): string[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys = new Set(flat.flatMap((f) => Object.keys(f)));
  return [...keys].filter((k) => new Set(flat.map((f) => JSON.stringify(f[k]))).size > 1).sort();
}

export { RUN_STATUSES };
