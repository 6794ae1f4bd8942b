// The embedding map's arithmetic (src/webviews/map/model.ts): the view keeps
// the point under the cursor fixed while zooming and fits every point in clip
// space, colour categories fold the rare ones into "other", animations start
// each point where the same id was, hover picking finds the true nearest
// point (checked against a scan), and the 2-D k-means is seeded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { animationStart, categorise, clipTransform, coloursFor, fitView, kmeans2d, movedBy, panBy, PointGrid, toData, toScreen, zoomAt, OTHER_COLOUR, PALETTE } from '../../../src/webviews/map/model';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

test('fitView puts every point inside clip space, within the margin', () => {
  const r = lcg(3);
  const xy = Float32Array.from({ length: 2000 }, (_, i) => (i % 2 ? 40 + r() * 5 : -300 + r() * 900));
  const v = fitView(xy, 800, 600);
  const [sx, sy, tx, ty] = clipTransform(v, 800, 600);
  let maxX = 0, maxY = 0;
  for (let i = 0; i < xy.length; i += 2) {
    maxX = Math.max(maxX, Math.abs(xy[i]! * sx + tx));
    maxY = Math.max(maxY, Math.abs(xy[i + 1]! * sy + ty));
  }
  assert.ok(maxX <= 1 && maxY <= 1, `inside clip space: ${maxX}, ${maxY}`);
  // The wide axis fills the canvas up to the margin (8 % a side).
  assert.ok(Math.abs(maxX - 0.84) < 0.01, `x fills the width: ${maxX}`);
});

test('toScreen and toData are inverse, and the shader transform agrees with toScreen', () => {
  const v = { cx: 3, cy: -2, scale: 17 };
  const [px, py] = toScreen(v, 640, 480, 5.5, 1.25);
  const [x, y] = toData(v, 640, 480, px, py);
  assert.ok(Math.abs(x - 5.5) < 1e-9 && Math.abs(y - 1.25) < 1e-9);
  const [sx, sy, tx, ty] = clipTransform(v, 640, 480);
  // clip → pixel: x = (c + 1) / 2 · width, y = (1 − c) / 2 · height.
  assert.ok(Math.abs(((5.5 * sx + tx + 1) / 2) * 640 - px) < 1e-6);
  assert.ok(Math.abs(((1 - (1.25 * sy + ty)) / 2) * 480 - py) < 1e-6);
});

test('zooming keeps the data point under the cursor where it was; panning moves by the drag', () => {
  const v = { cx: 0, cy: 0, scale: 10 };
  const before = toData(v, 800, 600, 123, 456);
  const z = zoomAt(v, 800, 600, 123, 456, 2.5);
  assert.equal(z.scale, 25);
  const after = toData(z, 800, 600, 123, 456);
  assert.ok(Math.abs(before[0] - after[0]) < 1e-9 && Math.abs(before[1] - after[1]) < 1e-9, `${before} vs ${after}`);
  const p = panBy(v, 50, -20);
  const [x, y] = toScreen(p, 800, 600, 0, 0);
  assert.deepEqual([x, y], [400 + 50, 300 - 20]);
});

test('categorise: most frequent first, and beyond the palette one grey "other"', () => {
  const few = categorise(['b', 'a', 'b', 'c', 'b', 'a']);
  assert.deepEqual(few.names, ['b', 'a', 'c']);
  assert.deepEqual(few.counts, [3, 2, 1]);
  assert.deepEqual([...few.index], [0, 1, 0, 2, 0, 1]);
  const many = categorise(Array.from({ length: 100 }, (_, i) => `l${i % 30}`));
  assert.equal(many.names.length, PALETTE.length);
  assert.match(many.names.at(-1)!, /^other \(11 more\)$/);
  assert.equal(many.counts.reduce((a, b) => a + b, 0), 100);
  const rgb = coloursFor(many);
  const otherPoint = [...many.index].indexOf(many.names.length - 1);
  assert.deepEqual([...rgb.subarray(otherPoint * 3, otherPoint * 3 + 3)], [...OTHER_COLOUR]);
  assert.deepEqual([...rgb.subarray(0, 3)], [...PALETTE[many.index[0]!]!]);
});

test('animationStart: a known id starts where it was, a new id starts at its new place', () => {
  const prevIds = ['a', 'b', 'c'];
  const prev = Float32Array.from([0, 0, 1, 1, 2, 2]);
  const ids = ['c', 'new', 'a'];
  const next = Float32Array.from([10, 10, 20, 20, 30, 30]);
  const from = animationStart(prevIds, prev, ids, next);
  assert.deepEqual([...from], [2, 2, 20, 20, 0, 0]);
  assert.deepEqual([...movedBy(from, next)].map((d) => Math.round(d * 1000) / 1000), [11.314, 0, 42.426]);
});

test('PointGrid.nearest finds the same point as a scan, within the radius only', () => {
  const r = lcg(11);
  const n = 20_000;
  const xy = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    // Clustered, as layouts are: dense blobs and empty space.
    const c = i % 7;
    xy[2 * i] = c * 10 + (r() - 0.5) * 3;
    xy[2 * i + 1] = (c % 3) * 10 + (r() - 0.5) * 3;
  }
  const grid = new PointGrid(xy);
  for (let q = 0; q < 500; q++) {
    const x = r() * 80 - 5, y = r() * 35 - 5, radius = 0.05 + r() * 2;
    let best = -1, bd = radius * radius;
    for (let i = 0; i < n; i++) {
      const d = (xy[2 * i]! - x) ** 2 + (xy[2 * i + 1]! - y) ** 2;
      if (d <= bd) { bd = d; best = i; }
    }
    const got = grid.nearest(x, y, radius);
    if (best < 0) assert.equal(got, -1, `query ${q}: nothing within ${radius}`);
    else {
      const dg = (xy[2 * got]! - x) ** 2 + (xy[2 * got + 1]! - y) ** 2;
      assert.equal(dg, bd, `query ${q}: the nearest point`);
    }
  }
});

test('kmeans2d separates well-separated blobs and gives the same answer for the same seed', () => {
  const r = lcg(5);
  const centres = [[0, 0], [50, 0], [0, 50], [50, 50]];
  const n = 4000;
  const xy = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const c = centres[i % 4]!;
    xy[2 * i] = c[0]! + (r() - 0.5) * 4;
    xy[2 * i + 1] = c[1]! + (r() - 0.5) * 4;
  }
  const a = kmeans2d(xy, 4, 1);
  assert.deepEqual([...a], [...kmeans2d(xy, 4, 1)]);
  // Every blob is one cluster, and the four clusters differ.
  const of = centres.map((_, c) => new Set([...a].filter((_, i) => i % 4 === c)));
  for (const s of of) assert.equal(s.size, 1);
  assert.equal(new Set(of.map((s) => [...s][0])).size, 4);
});
