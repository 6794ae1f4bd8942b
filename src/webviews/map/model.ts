// The embedding map's arithmetic, free of the DOM and WebGL so unit tests run
// it in Node: the view (data → clip space, pan, zoom about a point), colour
// categories, a 2-D k-means for "colour by cluster", the start positions of
// an animation between two layouts (by id), and a uniform grid for picking the
// point under the cursor among 100k without a scan per mouse move.

export interface View {
  /** Data coordinates at the centre of the canvas. */
  cx: number;
  cy: number;
  /** Canvas pixels per data unit. */
  scale: number;
}

/** A view that shows every point of `xy` (n × 2) with a margin. */
export function fitView(xy: ArrayLike<number>, width: number, height: number, margin = 0.08): View {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i + 1 < xy.length; i += 2) {
    const x = xy[i]!, y = xy[i + 1]!;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (!Number.isFinite(x0)) return { cx: 0, cy: 0, scale: 1 };
  const w = Math.max(x1 - x0, 1e-9), hgt = Math.max(y1 - y0, 1e-9);
  const scale = Math.min((width * (1 - 2 * margin)) / w, (height * (1 - 2 * margin)) / hgt);
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, scale };
}

/** The shader's uniform: clip = data * [sx, sy] + [tx, ty] (y up in data, as in clip space). */
export function clipTransform(v: View, width: number, height: number): [number, number, number, number] {
  const sx = (2 * v.scale) / width, sy = (2 * v.scale) / height;
  return [sx, sy, -v.cx * sx, -v.cy * sy];
}

/** Canvas pixel (origin top left) of a data point. */
export function toScreen(v: View, width: number, height: number, x: number, y: number): [number, number] {
  return [width / 2 + (x - v.cx) * v.scale, height / 2 - (y - v.cy) * v.scale];
}

/** Data point under canvas pixel (px, py). */
export function toData(v: View, width: number, height: number, px: number, py: number): [number, number] {
  return [v.cx + (px - width / 2) / v.scale, v.cy - (py - height / 2) / v.scale];
}

/** The view after zooming by `factor` about canvas pixel (px, py): the data point under it stays under it. */
export function zoomAt(v: View, width: number, height: number, px: number, py: number, factor: number): View {
  const [dx, dy] = toData(v, width, height, px, py);
  const scale = v.scale * factor;
  return { scale, cx: dx - (px - width / 2) / scale, cy: dy + (py - height / 2) / scale };
}

/** The view after dragging by (dx, dy) canvas pixels. */
export function panBy(v: View, dx: number, dy: number): View {
  return { scale: v.scale, cx: v.cx - dx / v.scale, cy: v.cy + dy / v.scale };
}

/** Tableau-like categorical colours (0..255), readable on light and dark themes. */
export const PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [78, 121, 167], [242, 142, 43], [225, 87, 89], [118, 183, 178], [89, 161, 79], [237, 201, 72], [176, 122, 161], [255, 157, 167],
  [156, 117, 95], [186, 176, 172], [31, 119, 180], [174, 199, 232], [255, 127, 14], [44, 160, 44], [152, 223, 138], [214, 39, 40],
  [148, 103, 189], [197, 176, 213], [140, 86, 75], [23, 190, 207],
];
export const OTHER_COLOUR: readonly [number, number, number] = [128, 128, 128];

export interface Categories {
  /** Per point: index into `names` (the last one is "other" when there are more categories than colours). */
  index: Uint16Array;
  names: string[];
  counts: number[];
}

/** Categories of `values`, most frequent first; beyond `max` colours the rest are one "other" category. */
export function categorise(values: readonly string[], max = PALETTE.length): Categories {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const overflow = sorted.length > max;
  const kept = overflow ? sorted.slice(0, max - 1) : sorted;
  const at = new Map(kept.map(([k], i) => [k, i]));
  const names = kept.map(([k]) => k);
  const cnt = kept.map(([, c]) => c);
  if (overflow) {
    names.push(`other (${sorted.length - kept.length} more)`);
    cnt.push(sorted.slice(kept.length).reduce((s, [, c]) => s + c, 0));
  }
  const index = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) index[i] = at.get(values[i]!) ?? kept.length;
  return { index, names, counts: cnt };
}

/** RGB bytes per point for category indices (the "other" category, if any, grey). */
export function coloursFor(cat: Categories): Uint8Array {
  const out = new Uint8Array(cat.index.length * 3);
  const other = cat.names.length > PALETTE.length - 1 && cat.names[cat.names.length - 1]!.startsWith('other (') ? cat.names.length - 1 : -1;
  for (let i = 0; i < cat.index.length; i++) {
    const k = cat.index[i]!;
    const c = k === other ? OTHER_COLOUR : PALETTE[k % PALETTE.length]!;
    out.set(c, i * 3);
  }
  return out;
}

/** A continuous value (0..1) per point as a blue → yellow ramp. */
export function rampColours(values: ArrayLike<number>): Uint8Array {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi > lo ? hi - lo : 1;
  const out = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) {
    const t = (values[i]! - lo) / span;
    out[i * 3] = Math.round(40 + 215 * t);
    out[i * 3 + 1] = Math.round(60 + 160 * t);
    out[i * 3 + 2] = Math.round(200 - 170 * t);
  }
  return out;
}

/** Seeded k-means on the 2-D layout (k-means++ start, Lloyd iterations): a cluster index per point. */
export function kmeans2d(xy: ArrayLike<number>, k: number, seed = 1, iterations = 25): Uint16Array {
  const n = Math.floor(xy.length / 2);
  const out = new Uint16Array(n);
  if (n === 0) return out;
  k = Math.max(1, Math.min(k, n));
  let s = seed >>> 0 || 1;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const cx = new Float64Array(k), cy = new Float64Array(k);
  const d2 = new Float64Array(n).fill(Infinity);
  let first = Math.floor(rand() * n);
  cx[0] = xy[2 * first]!;
  cy[0] = xy[2 * first + 1]!;
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const dx = xy[2 * i]! - cx[c - 1]!, dy = xy[2 * i + 1]! - cy[c - 1]!;
      d2[i] = Math.min(d2[i]!, dx * dx + dy * dy);
      total += d2[i]!;
    }
    let r = rand() * total;
    first = n - 1;
    for (let i = 0; i < n; i++) if ((r -= d2[i]!) <= 0) { first = i; break; }
    cx[c] = xy[2 * first]!;
    cy[c] = xy[2 * first + 1]!;
  }
  const sx = new Float64Array(k), sy = new Float64Array(k), cnt = new Uint32Array(k);
  for (let it = 0; it < iterations; it++) {
    sx.fill(0); sy.fill(0); cnt.fill(0);
    let changed = false;
    for (let i = 0; i < n; i++) {
      const x = xy[2 * i]!, y = xy[2 * i + 1]!;
      let best = 0, bd = Infinity;
      for (let c = 0; c < k; c++) {
        const dx = x - cx[c]!, dy = y - cy[c]!, d = dx * dx + dy * dy;
        if (d < bd) { bd = d; best = c; }
      }
      if (out[i] !== best) { out[i] = best; changed = true; }
      sx[best]! += x; sy[best]! += y; cnt[best]!++;
    }
    for (let c = 0; c < k; c++) if (cnt[c]) { cx[c] = sx[c]! / cnt[c]!; cy[c] = sy[c]! / cnt[c]!; }
    if (!changed && it > 0) break;
  }
  return out;
}

/**
 * Where each point of the new layout starts its animation: a point whose id
 * was in the previous layout starts where it was; a new one starts at its new
 * place (it appears, it does not fly in from the origin).
 */
export function animationStart(prevIds: readonly string[], prevXy: ArrayLike<number>, ids: readonly string[], xy: ArrayLike<number>): Float32Array {
  const at = new Map<string, number>();
  prevIds.forEach((id, i) => at.set(id, i));
  const out = new Float32Array(ids.length * 2);
  for (let i = 0; i < ids.length; i++) {
    const j = at.get(ids[i]!);
    out[2 * i] = j === undefined ? xy[2 * i]! : prevXy[2 * j]!;
    out[2 * i + 1] = j === undefined ? xy[2 * i + 1]! : prevXy[2 * j + 1]!;
  }
  return out;
}

/** Per point: how far it moved from `from` to `to` (data units). */
export function movedBy(from: ArrayLike<number>, to: ArrayLike<number>): Float32Array {
  const n = Math.floor(to.length / 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.hypot(to[2 * i]! - from[2 * i]!, to[2 * i + 1]! - from[2 * i + 1]!);
  return out;
}

/** Smoothstep easing for the animation between layouts. */
export function ease(t: number): number {
  const u = Math.min(1, Math.max(0, t));
  return u * u * (3 - 2 * u);
}

/** A uniform grid over the points, for the nearest point to a position within a radius. */
export class PointGrid {
  private readonly cell: number;
  private readonly x0: number;
  private readonly y0: number;
  private readonly cols: number;
  private readonly rows: number;
  private readonly start: Uint32Array;
  private readonly items: Uint32Array;

  constructor(private readonly xy: ArrayLike<number>) {
    const n = Math.floor(xy.length / 2);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = xy[2 * i]!, y = xy[2 * i + 1]!;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    if (!n) { x0 = x1 = y0 = y1 = 0; }
    // About two points per cell on average.
    const side = Math.max(1, Math.ceil(Math.sqrt(n / 2)));
    this.cell = Math.max((x1 - x0) / side, (y1 - y0) / side, 1e-9);
    this.x0 = x0;
    this.y0 = y0;
    this.cols = Math.floor((x1 - x0) / this.cell) + 1;
    this.rows = Math.floor((y1 - y0) / this.cell) + 1;
    const cells = this.cols * this.rows;
    const count = new Uint32Array(cells + 1);
    const cellOf = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const c = this.cellIndex(xy[2 * i]!, xy[2 * i + 1]!);
      cellOf[i] = c;
      count[c + 1]!++;
    }
    for (let c = 0; c < cells; c++) count[c + 1]! += count[c]!;
    this.start = count;
    const fill = count.slice(0, cells);
    this.items = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.items[fill[cellOf[i]!]!++] = i;
  }

  private cellIndex(x: number, y: number): number {
    const cx = Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.x0) / this.cell)));
    const cy = Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.y0) / this.cell)));
    return cy * this.cols + cx;
  }

  /** The index of the point nearest (x, y) within `radius` (data units), or -1. */
  nearest(x: number, y: number, radius: number): number {
    const r = Math.ceil(radius / this.cell);
    const gx = Math.floor((x - this.x0) / this.cell), gy = Math.floor((y - this.y0) / this.cell);
    let best = -1, bd = radius * radius;
    for (let j = Math.max(0, gy - r); j <= Math.min(this.rows - 1, gy + r); j++) {
      for (let i = Math.max(0, gx - r); i <= Math.min(this.cols - 1, gx + r); i++) {
        const c = j * this.cols + i;
        for (let k = this.start[c]!; k < this.start[c + 1]!; k++) {
          const p = this.items[k]!;
          const dx = this.xy[2 * p]! - x, dy = this.xy[2 * p + 1]! - y, d = dx * dx + dy * dy;
          if (d <= bd) { bd = d; best = p; }
        }
      }
    }
    return best;
  }
}
