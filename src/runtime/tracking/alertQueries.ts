// Alert queries: the alert list with its filters (a `--since` time without an
// offset is UTC) and alert counts per run. Writes (acknowledge, clear) are the
// store's (store/tracking/alerts.ts).
import type { AlertLevel } from '../../protocol/lines';
import type { Alert } from '../../protocol/tracking';
import { safeJson, type RunQueries } from './runQueries';
import type { Sql } from './statements';
import { TrackingError } from './tracker';

/**
 * A `--since` time. Stored times are UTC, and so are naive times here (no Z or
 * ±hh:mm): trackio's docs and Python's `datetime.utcnow().isoformat()` write
 * them that way; reading them as local time would shift them by the machine's offset.
 */
export function parseSince(since: string): string {
  const s = since.trim();
  const naive = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s);
  const t = Date.parse(naive ? s.replace(' ', 'T') + 'Z' : s);
  if (Number.isNaN(t)) throw new TrackingError(`--since must be an ISO date/time such as 2026-11-24T10:00:00Z (without an offset it is read as UTC), got '${since}'`);
  return new Date(t).toISOString();
}

export class AlertQueries {
  constructor(
    private readonly sql: Sql,
    private readonly runs: RunQueries,
  ) {}

  alerts(o: { since?: string; after?: number; level?: AlertLevel; minLevel?: AlertLevel; run?: string; project?: string; limit?: number; unacknowledged?: boolean } = {}): Alert[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (o.since) {
      where.push('a.created_at >= ?');
      params.push(parseSince(o.since));
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
      params.push(this.runs.resolveRun(o.run, o.project).id);
    }
    if (o.project) {
      where.push('p.name = ?');
      params.push(o.project);
    }
    if (o.unacknowledged) where.push('a.acknowledged = 0');
    const rows = this.sql(
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

  /** Alerts per run (0 for a run without any), in one statement. */
  alertCounts(runIds: string[]): Record<string, number> {
    const out: Record<string, number> = Object.fromEntries(runIds.map((id) => [id, 0]));
    if (!runIds.length) return out;
    const rows = this.sql(`SELECT run_id, count(*) AS n FROM alerts WHERE run_id IN (${runIds.map(() => '?').join(',')}) GROUP BY run_id`)
      .all(...runIds) as Array<{ run_id: string; n: number }>;
    for (const r of rows) out[r.run_id] = r.n;
    return out;
  }
}
