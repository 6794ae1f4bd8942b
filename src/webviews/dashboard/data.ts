// The dashboard's data: per metric and run, the overview series (downsampled
// by the runtime to about twice the chart's pixel width) that live points are
// appended to, and per metric an optional zoomed range fetched again at full
// resolution. Also the step ↔ time mapping the x axis modes need.
import type { History } from '../../protocol/tracking';
import type { XAxisMode } from '../../protocol/webview';

export interface Series {
  runId: string;
  metric: string;
  steps: number[];
  values: Array<number | null>;
  /** Wall time of each point, seconds since the epoch. */
  wall: number[];
  nonFinite: History['non_finite'];
  /** Points in the range on the server before downsampling. */
  total: number;
  downsampled: boolean;
  /** Bumped on every change in place (live appends), so charts rebuild only what changed. */
  version?: number;
}

export interface ZoomData {
  /** Step range the zoomed series cover. */
  from: number;
  to: number;
  series: Map<string, Series>;
}

export function fromHistory(h: History): Series {
  return {
    runId: h.run_id,
    metric: h.metric,
    steps: h.steps,
    values: h.values,
    wall: h.wall,
    nonFinite: h.non_finite,
    total: h.total,
    downsampled: h.downsampled,
  };
}

export function lastStep(s: Series | undefined): number {
  return s && s.steps.length ? s.steps[s.steps.length - 1] : -1;
}

/** Appends the points of `add` that lie after what `into` has (live points); returns how many. */
export function appendAfter(into: Series, add: Series): number {
  const have = lastStep(into);
  let n = 0;
  for (let i = 0; i < add.steps.length; i++) {
    if (add.steps[i] <= have) continue;
    into.steps.push(add.steps[i]);
    into.values.push(add.values[i]);
    into.wall.push(add.wall[i]);
    n++;
  }
  const firstNew = add.steps.find((s) => s > have);
  for (const r of add.nonFinite) {
    if (r.to <= have) continue;
    const from = Math.max(r.from, have + 1);
    const prev = into.nonFinite[into.nonFinite.length - 1];
    // A stretch that was still open at our last point goes on when the new points start non-finite.
    if (prev && prev.kind === r.kind && prev.to === have && from === firstNew) {
      prev.to = r.to;
      prev.count += r.count;
    } else into.nonFinite.push({ ...r, from });
  }
  into.total += n;
  into.version = (into.version ?? 0) + 1;
  return n;
}

/** The overview with the zoomed points put in place of the overview's points inside the zoom's step range. */
export function merged(overview: Series | undefined, zoom: Series | undefined, z: ZoomData | undefined): Series | undefined {
  if (!zoom || !z) return overview;
  if (!overview) return zoom;
  const out: Series = { ...overview, steps: [], values: [], wall: [], nonFinite: [] };
  const push = (s: Series, i: number) => {
    out.steps.push(s.steps[i]);
    out.values.push(s.values[i]);
    out.wall.push(s.wall[i]);
  };
  let i = 0;
  while (i < overview.steps.length && overview.steps[i] < z.from) push(overview, i++);
  for (let j = 0; j < zoom.steps.length; j++) push(zoom, j);
  while (i < overview.steps.length && overview.steps[i] <= z.to) i++;
  while (i < overview.steps.length) push(overview, i++);
  out.nonFinite = [...overview.nonFinite.filter((r) => r.to < z.from || r.from > z.to), ...zoom.nonFinite].sort((a, b) => a.from - b.from);
  out.downsampled = zoom.downsampled;
  out.total = zoom.total;
  return out;
}

/** Converts a point to its x value in the chosen axis mode. `t0` is the run's start (seconds). */
export function xOf(mode: XAxisMode, step: number, wall: number, t0: number): number {
  return mode === 'step' ? step : mode === 'relative' ? wall - t0 : wall;
}

/** Wall time at `step`, interpolated between the series' points (for bands and markers). */
export function wallAtStep(s: Series, step: number): number | null {
  const n = s.steps.length;
  if (!n) return null;
  if (step <= s.steps[0]) return s.wall[0];
  if (step >= s.steps[n - 1]) return s.wall[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (s.steps[mid] <= step) lo = mid;
    else hi = mid;
  }
  const a = s.steps[lo];
  const b = s.steps[hi];
  const f = b === a ? 0 : (step - a) / (b - a);
  return s.wall[lo] + f * (s.wall[hi] - s.wall[lo]);
}

export function xAtStep(mode: XAxisMode, s: Series | undefined, step: number, t0: number): number | null {
  if (mode === 'step') return step;
  if (!s) return null;
  const w = wallAtStep(s, step);
  return w === null ? null : xOf(mode, step, w, t0);
}

/**
 * The step range whose points fall in [min, max] of the x axis, over several
 * series (one point of margin on each side so lines reach the edges).
 */
export function stepRangeFor(mode: XAxisMode, min: number, max: number, series: Array<{ s: Series; t0: number }>): { from: number; to: number } | null {
  if (mode === 'step') return { from: Math.floor(min), to: Math.ceil(max) };
  let from = Infinity;
  let to = -Infinity;
  for (const { s, t0 } of series) {
    const n = s.steps.length;
    for (let i = 0; i < n; i++) {
      const x = xOf(mode, s.steps[i], s.wall[i], t0);
      if (x < min || x > max) continue;
      from = Math.min(from, s.steps[Math.max(0, i - 1)]);
      to = Math.max(to, s.steps[Math.min(n - 1, i + 1)]);
    }
  }
  return Number.isFinite(from) ? { from, to } : null;
}
