// Level-of-detail summaries of metric history, kept current on write so a
// chart of a million points reads a few thousand rows. For each run, metric
// and level L, a bucket holds the steps [b·2^L, (b+1)·2^L): how many points,
// the minimum and maximum finite values with their steps and wall times
// (spikes stay visible), and where non-finite values sit. History queries
// pick the coarsest level that still gives the chart enough buckets.
import type Database from 'better-sqlite3';

/** Bucket widths 2^6 = 64 steps, 256, 1,024, … up to 2^30: a chart gets between ¼ and all of the buckets it asks for. */
export const LOD_LEVELS = [6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30] as const;

export interface LodAgg {
  run: string;
  metric: number;
  level: number;
  bucket: number;
  count: number;
  min: number | null;
  min_step: number | null;
  min_wall: number | null;
  max: number | null;
  max_step: number | null;
  max_wall: number | null;
  nonfinite: number;
  nan: number;
  nf_first: number | null;
  nf_last: number | null;
}

const WIDTHS = LOD_LEVELS.map((l) => 2 ** l);

/**
 * The per-level aggregates of one write batch. Points of a series mostly come
 * in step order, so each level keeps its current bucket at hand and looks up
 * the map only when a point leaves it.
 */
export class LodBatch {
  private readonly series = new Map<string, { current: Array<LodAgg | undefined>; buckets: Array<Map<number, LodAgg>> }>();

  add(run: string, metric: number, step: number, value: number, wall: number): void {
    const sk = `${run}\u0000${metric}`;
    let s = this.series.get(sk);
    if (!s) this.series.set(sk, (s = { current: [], buckets: LOD_LEVELS.map(() => new Map()) }));
    const finite = Number.isFinite(value);
    for (let i = 0; i < LOD_LEVELS.length; i++) {
      const bucket = Math.floor(step / WIDTHS[i]);
      let a = s.current[i];
      if (!a || a.bucket !== bucket) {
        a = s.buckets[i].get(bucket);
        if (!a) {
          a = { run, metric, level: LOD_LEVELS[i], bucket, count: 0, min: null, min_step: null, min_wall: null, max: null, max_step: null, max_wall: null, nonfinite: 0, nan: 0, nf_first: null, nf_last: null };
          s.buckets[i].set(bucket, a);
        }
        s.current[i] = a;
      }
      a.count++;
      if (finite) {
        if (a.min === null || value < a.min) {
          a.min = value;
          a.min_step = step;
          a.min_wall = wall;
        }
        if (a.max === null || value > a.max) {
          a.max = value;
          a.max_step = step;
          a.max_wall = wall;
        }
      } else {
        a.nonfinite++;
        if (Number.isNaN(value)) a.nan++;
        if (a.nf_first === null || step < a.nf_first) a.nf_first = step;
        if (a.nf_last === null || step > a.nf_last) a.nf_last = step;
      }
    }
  }

  *aggregates(): Generator<LodAgg> {
    for (const s of this.series.values()) for (const level of s.buckets) yield* level.values();
  }
}

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

/** Builds the summaries of every point already stored (the migration that adds them). */
export function backfillLod(db: Database.Database): void {
  const upsert = db.prepare(LOD_UPSERT_SQL);
  let batch = new LodBatch();
  const flush = () => {
    for (const a of batch.aggregates()) upsert.run(a);
    batch = new LodBatch();
  };
  const rows = db.prepare(`SELECT run_id, metric_id, step, value, wall_time FROM metrics ORDER BY run_id, metric_id`).raw().iterate() as IterableIterator<[string, number, number, number | null, number]>;
  let n = 0;
  for (const [run, metric, step, value, wall] of rows) {
    batch.add(run, metric, step, value === null ? NaN : value, wall);
    if (++n % 50_000 === 0) flush();
  }
  flush();
}
