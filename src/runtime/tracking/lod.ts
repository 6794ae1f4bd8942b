// Level-of-detail summaries of metric history, kept current on write so a
// chart of a million points reads a few thousand rows. For each run, metric
// and level L, a bucket holds the steps [b·2^L, (b+1)·2^L): how many points,
// the minimum and maximum finite values with their steps and wall times
// (spikes stay visible), and where non-finite values sit. History queries
// pick the coarsest level that still gives the chart enough buckets.

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
