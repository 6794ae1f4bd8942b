// History of one metric of one run, for charts and `tunestudio history`: the
// points themselves when they fit, else min/max buckets (from the
// level-of-detail summaries, lod.ts) that never hide a spike, with stretches
// of NaN/±Infinity returned as ranges.
import type { History } from '../../protocol/tracking';
import { LOD_LEVELS } from './lod';
import type { Sql } from './statements';

export class HistoryQueries {
  constructor(private readonly sql: Sql) {}

  /**
   * Points of one metric of one run within [from, to]. With more than
   * `maxPoints` points the range is cut into maxPoints/2 buckets and each
   * keeps its minimum and maximum (at their own steps), so a spike is never
   * hidden; the first and last points are always kept; stretches of NaN/±Inf
   * are returned as ranges.
   */
  history(runId: string, metric: string, o: { from?: number; to?: number; maxPoints?: number } = {}): History {
    const mid = this.sql(`SELECT id FROM metric_names WHERE name = ?`).pluck().get(metric) as number | undefined;
    const empty: History = { run_id: runId, metric, total: 0, downsampled: false, steps: [], values: [], wall: [], non_finite: [] };
    if (mid === undefined) return empty;
    // The whole history: its size and span are in the summary row (no scan); a range is counted on the index.
    const range = (
      o.from === undefined && o.to === undefined
        ? this.sql(`SELECT count AS n, first_step AS lo, last_step AS hi FROM metric_summary WHERE run_id = ? AND metric_id = ?`).get(runId, mid)
        : this.sql(`SELECT count(*) n, min(step) lo, max(step) hi FROM metrics WHERE run_id = ? AND metric_id = ? AND step BETWEEN ? AND ?`)
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
      const rows = this.sql(`SELECT step, value, wall_time FROM metrics WHERE run_id = ? AND metric_id = ? AND step BETWEEN ? AND ? ORDER BY step, rowid`)
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
    // For the whole history there are no points before lo or after hi, so the edge buckets' summaries hold
    // exactly the range's points there too: every bucket is read from the summaries (one statement, no scan).
    const whole = o.from === undefined && o.to === undefined;
    const innerFrom = whole || lo === firstBucket * width ? firstBucket : firstBucket + 1;
    const innerTo = whole || hi === (lastBucket + 1) * width - 1 ? lastBucket : lastBucket - 1;
    if (innerFrom <= innerTo) {
      const rows = this.sql(
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
        const r = this.sql(`SELECT step, ${agg}(value), wall_time FROM metrics WHERE run_id = ? AND metric_id = ? AND step BETWEEN ? AND ? AND ${finite}`)
          .raw()
          .get(runId, mid, a, b) as [number | null, number | null, number | null];
        if (r[1] !== null) add(r[0]!, r[1], r[2]!);
      }
      const e = this.sql(`SELECT min(step), max(step), sum(value IS NULL), count(*) FROM metrics WHERE run_id = ? AND metric_id = ? AND step BETWEEN ? AND ? AND NOT (${finite})`)
        .raw()
        .get(runId, mid, a, b) as [number | null, number | null, number, number];
      if (e[3]) nf.push({ from: e[0]!, to: e[1]!, kind: e[2] === e[3] ? 'nan' : e[2] === 0 ? 'inf' : 'mixed', count: e[3] });
    }
    // The first and last points are always kept, whatever they are.
    const ends = this.sql(
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

