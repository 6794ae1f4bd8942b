// Run queries: list, resolve a run by id or name (an ambiguous or unknown
// name is an error listing candidates), one run's detail, metric names, the
// existence checks for projects and metrics (errors that list what exists),
// and a run's points for export.
import type { AlertLevel } from '../../protocol/lines';
import { HEADLINE_METRICS, NEVER_HEADLINE_SECTIONS } from '../../protocol/metrics';

/**
 * After the preferred names: any other loss, then train/, then eval/ and val/ metrics, then the
 * rest, each in the order the store first saw them (not by name: "caption/cache_hits" is not what a
 * caption run is about). System metrics never headline a run (issue 14: "system/memory_mb 18").
 */
const HEADLINE_FALLBACK_SQL = `CASE WHEN lower(mn.name) LIKE '%loss' THEN 0 WHEN mn.name LIKE 'train/%' THEN 1 WHEN mn.name LIKE 'eval/%' OR mn.name LIKE 'val/%' THEN 2 ELSE 3 END`;
const NOT_HEADLINE_SQL = NEVER_HEADLINE_SECTIONS.map((s) => `mn.name NOT LIKE '${s.replace(/'/g, "''")}/%'`).join(' AND ');
import { jsonNumber, type JsonNumber, type MetricSummary, type Run, type RunDetail, type RunListItem, type RunStatus } from '../../protocol/tracking';
import { toMetricSummary, type SummaryRow } from '../store/tracking';
import type { Sql } from './statements';
import { TrackingError } from './tracker';

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
  constructor(
    readonly ref: string,
    /** Recent runs (newest first) to say what exists; `more` how many others there are. */
    existing: { runs: Array<{ id: string; name: string; project: string }>; more: number; project?: string } = { runs: [], more: 0 },
  ) {
    const where = existing.project ? ` in project '${existing.project}'` : '';
    const list = existing.runs.length
      ? `; recent runs${where}: ${existing.runs.map((r) => `${r.name} (${r.id})`).join(', ')}${existing.more ? ` and ${existing.more} more` : ''}`
      : `; there are no runs${where} yet`;
    super(`no run with id or name '${ref}'${where} (list them with: tunestudio runs)${list}`);
  }
}

export class ProjectNotFoundError extends TrackingError {
  constructor(
    readonly project: string,
    existing: string[],
  ) {
    super(`no project '${project}'; ${existing.length ? `projects: ${existing.join(', ')}` : 'there are no projects yet (a run creates its project)'}`);
  }
}

export class MetricNotFoundError extends TrackingError {
  constructor(
    readonly metric: string,
    /** Where it was looked for: "run 'x'", "project 'p'", "any run". */
    where: string,
    existing: string[],
  ) {
    const shown = existing.slice(0, 30);
    super(
      `no metric '${metric}' in ${where}; ${existing.length ? `its metrics: ${shown.join(', ')}${existing.length > shown.length ? ` and ${existing.length - shown.length} more` : ''}` : 'nothing has been logged there yet'}`,
    );
  }
}

export const RUN_COLUMNS = `r.id, r.name, p.name AS project, r.status, r.exit_code, r.signal, r.reason, r.created_at, r.ended_at, r.updated_at,
  r.heartbeat_at, r.pid, r.host, r.progress_current, r.progress_total, r.malformed_lines, r.rejected_values, r.last_warning`;

/** A row of RUN_COLUMNS: a Run as stored (heartbeat in epoch seconds, progress in two columns). */
export type RunRow = Omit<Run, 'heartbeat_at' | 'progress'> & {
  heartbeat_at: number | null;
  progress_current: number | null;
  progress_total: number | null;
};

export function toRun(r: RunRow): Run {
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


export class RunQueries {
  constructor(private readonly sql: Sql) {}

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
    const rows = this.sql(
        `SELECT ${RUN_COLUMNS}, r.config,
           (SELECT count(*) FROM metric_summary ms WHERE ms.run_id = r.id) AS metric_count,
           (SELECT count(*) FROM alerts a WHERE a.run_id = r.id) AS alert_count,
           h.name AS h_name, h.last AS h_last, h.last_is_nan AS h_nan, h.min AS h_min, h.max AS h_max, h.last_step AS h_step
         FROM runs r JOIN projects p ON p.id = r.project_id
         LEFT JOIN (
           SELECT ms.run_id, mn.name, ms.last, ms.last_is_nan, ms.min, ms.max, ms.last_step,
             ROW_NUMBER() OVER (PARTITION BY ms.run_id ORDER BY CASE mn.name ${headlineOrder} ELSE 1000 END, ${HEADLINE_FALLBACK_SQL}, ms.metric_id) AS rk
           FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id
           WHERE ${NOT_HEADLINE_SQL}
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
    const byId = this.sql(`SELECT ${RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id WHERE r.id = ?`).get(ref) as RunRow | undefined;
    if (byId) return toRun(byId);
    const rows = this.sql(
        `SELECT ${RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id WHERE r.name = ? ${project ? 'AND p.name = ?' : ''} ORDER BY r.created_at`,
      )
      .all(...(project ? [ref, project] : [ref])) as RunRow[];
    if (rows.length === 1) return toRun(rows[0]);
    if (rows.length > 1) throw new AmbiguousRunError(ref, rows.map(toRun));
    const recent = this.sql(`SELECT r.id, r.name, p.name AS project FROM runs r JOIN projects p ON p.id = r.project_id ${project ? 'WHERE p.name = ?' : ''} ORDER BY r.created_at DESC, r.id DESC LIMIT 11`)
      .all(...(project ? [project] : [])) as Array<{ id: string; name: string; project: string }>;
    const total = recent.length > 10 ? Number(this.sql(`SELECT count(*) FROM runs r JOIN projects p ON p.id = r.project_id ${project ? 'WHERE p.name = ?' : ''}`).pluck().get(...(project ? [project] : []))) : recent.length;
    throw new RunNotFoundError(ref, { runs: recent.slice(0, 10), more: total - Math.min(10, recent.length), project });
  }

  /** Project names, sorted. */
  projectNames(): string[] {
    return this.sql(`SELECT name FROM projects ORDER BY name`).pluck().all() as string[];
  }

  /** An unknown project is an error that lists the projects (a filter that matches nothing would look like "no data"). */
  requireProject(project: string | undefined): void {
    if (project === undefined) return;
    if (this.sql(`SELECT 1 FROM projects WHERE name = ?`).pluck().get(project) === undefined) throw new ProjectNotFoundError(project, this.projectNames());
  }

  /** A metric no run (of these runs, or of this project) has logged is an error that lists the metrics there. */
  requireMetric(metric: string, o: { runIds?: string[]; project?: string; where?: string } = {}): void {
    const names = o.runIds ? this.metricNames(o.runIds) : o.project ? this.projectMetricNames(o.project) : this.metricNames();
    if (!names.includes(metric)) throw new MetricNotFoundError(metric, o.where ?? (o.project ? `project '${o.project}'` : 'any run'), names);
  }

  /** Metric names logged by any run of a project. */
  projectMetricNames(project: string): string[] {
    return this.sql(
        `SELECT DISTINCT mn.name FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id JOIN runs r ON r.id = ms.run_id JOIN projects p ON p.id = r.project_id WHERE p.name = ? ORDER BY mn.name`,
      )
      .pluck()
      .all(project) as string[];
  }

  showRun(ref: string, project?: string): RunDetail {
    const run = this.resolveRun(ref, project);
    const cfg = this.sql(`SELECT config FROM runs WHERE id = ?`).pluck().get(run.id) as string;
    const summary: Record<string, MetricSummary> = {};
    for (const s of this.sql(`SELECT mn.name, ms.* FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id WHERE ms.run_id = ? ORDER BY mn.name`)
      .all(run.id) as Array<SummaryRow & { name: string }>) {
      summary[s.name] = toMetricSummary(s);
    }
    const byLevel: Partial<Record<AlertLevel, number>> = {};
    let total = 0;
    for (const a of this.sql(`SELECT level, count(*) n FROM alerts WHERE run_id = ? GROUP BY level`).all(run.id) as Array<{ level: AlertLevel; n: number }>) {
      byLevel[a.level] = a.n;
      total += a.n;
    }
    const watchers = (this.sql(`SELECT id, metric, spec, state FROM watchers WHERE run_id = ? ORDER BY id`).all(run.id) as Array<{ id: number; metric: string; spec: string; state: string }>).map(
      (w) => ({ id: w.id, metric: w.metric, spec: safeJson(w.spec), state: safeJson(w.state) }),
    );
    const stop = this.sql(`SELECT requested_at, source, reason FROM stop_requests WHERE run_id = ?`).get(run.id) as RunDetail['stop_request'] | undefined;
    const samples = this.sql(`SELECT step, prompt, text, created_at FROM run_samples WHERE run_id = ? ORDER BY id DESC LIMIT 20`)
      .all(run.id) as RunDetail['samples'];
    const artifacts = (this.sql(`SELECT kind, step, path, data, created_at FROM run_artifacts WHERE run_id = ? ORDER BY id`).all(run.id) as Array<{ kind: string; step: number | null; path: string; data: string; created_at: string }>).map(
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
      ? this.sql(
            `SELECT DISTINCT mn.name FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id WHERE ms.run_id IN (${runIds.map(() => '?').join(',')}) ORDER BY mn.name`,
          )
          .pluck()
          .all(...runIds)
      : this.sql(`SELECT DISTINCT mn.name FROM metric_summary ms JOIN metric_names mn ON mn.id = ms.metric_id ORDER BY mn.name`).pluck().all();
    return rows as string[];
  }

  /** Every point of a run, in step order, for export (streams, never loads all). */
  *points(runId: string): Generator<{ step: number; metric: string; value: JsonNumber; wall_time: number }> {
    const it = this.sql(`SELECT m.step, mn.name, m.value, m.wall_time FROM metrics m JOIN metric_names mn ON mn.id = m.metric_id WHERE m.run_id = ? ORDER BY m.step, mn.name, m.rowid`)
      .raw()
      .iterate(runId) as IterableIterator<[number, string, number | null, number]>;
    for (const [step, metric, value, wall] of it) yield { step, metric, value: jsonNumber(value), wall_time: wall };
  }
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

