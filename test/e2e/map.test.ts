// The Embedding Map in the editor, end to end: the packaged extension in
// code-server, driven in Chromium. From the Runs tree's context menu a run's
// probe snapshots (sent with the protocol `embedding` message through
// `tunestudio run`) draw every point (read through the page's test hook),
// show the layout's measured quality, and the step slider moves the points to
// the next snapshot's layout. From the Datasets tree, a dataset whose clips
// have cached audio embeddings draws them, and clicking a point puts that
// clip (and no other) in the page's audio element and plays it. No CSP
// violation on the way. Screenshots: test-results/map-run.png, map-dataset.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Locator } from 'playwright-core';
import { AudioEmbeddingStore } from '../../src/runtime/captioning/embeddings';
import { openDatabase } from '../../src/runtime/store/db';
import { makeSample } from '../helpers/audioFixtures';
import { cli } from '../helpers/cli';
import { Studio, UI_TIMEOUT, exactly } from './harness';

const N = 400;
/** Three snapshots of a 400-point probe set: four labelled clusters in 16-D that drift with the step. */
const EMIT = `const N = ${N}, D = 16, labels = ['kick', 'snare', 'hat', 'bass'];
let s = 12345;
const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5);
const base = Array.from({ length: N }, (_, i) => Array.from({ length: D }, (_, d) => (d === i % 4 ? 8 : 0) + rand()));
const ids = base.map((_, i) => 'probe_' + String(i).padStart(3, '0'));
for (const step of [100, 200, 300]) {
  const vectors = base.map((v, i) => v.map((x, d) => +(x + (d === ((i % 4) + 1) % D ? step / 60 : 0)).toFixed(4)));
  console.log('@tunestudio ' + JSON.stringify({ embedding: { name: 'probe/hidden', step, ids, labels: ids.map((_, i) => labels[i % 4]), vectors } }));
  console.log('@tunestudio ' + JSON.stringify({ step, metrics: { 'train/loss': 1 / step } }));
}
`;

const CLIPS = ['kick', 'snare', 'hat', 'tom', 'clap', 'ride'];

function seed(ws: string): void {
  fs.writeFileSync(path.join(ws, 'emit.js'), EMIT);
  const store = path.join(ws, '.tunestudio');
  const r = cli(['run', '--project', 'demo', '--name', 'probe', '--', process.execPath, 'emit.js'], { dir: store, cwd: ws });
  assert.equal(r.code, 0, `the run with embedding snapshots: ${r.stderr}`);
  // A dataset whose clips the captioner has embedded (the cache rows it writes), in two groups.
  const beats = path.join(ws, 'beats');
  fs.mkdirSync(beats);
  CLIPS.forEach((stem, i) => makeSample(beats, stem, { seconds: 1, freq: 200 + 150 * i, ext: '.wav', prompt: 'drums', lyrics: '[inst]' }));
  fs.writeFileSync(path.join(beats, 'dataset.json'), JSON.stringify({ version: 1, name: 'beats' }, null, 2));
  const db = openDatabase(store);
  try {
    const audio = new AudioEmbeddingStore(() => db);
    CLIPS.forEach((stem, i) => {
      const v = Float32Array.from({ length: 12 }, (_, d) => (d === (i < 3 ? 0 : 1) ? 5 : 0) + Math.sin(i * 7 + d) * 0.3);
      audio.put(`hash-${stem}`, 'clap-test', 'laion/clap-test', v, 1, path.join(beats, `${stem}.wav`));
    });
  } finally {
    db.close();
  }
}

const labelled = (studio: Studio, view: string, label: string) => studio.treeRows(view).filter({ has: studio.page.locator('.label-name', { hasText: exactly(label) }) });

async function contextMenu(studio: Studio, row: Locator, label: string): Promise<void> {
  const { page } = studio;
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.locator('.action-label', { hasText: exactly(label) }).waitFor({ state: 'visible' });
  const labels = (await menu.locator('.action-item:not(.disabled) .action-label').allInnerTexts()).map((x) => x.trim());
  const i = labels.indexOf(label);
  assert.ok(i >= 0, `"${label}" in the menu: ${labels.join(', ')}`);
  for (let k = 0; k <= i; k++) await page.keyboard.press('ArrowDown');
  await menu.locator('.action-item.focused .action-label', { hasText: exactly(label) }).waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  await menu.waitFor({ state: 'hidden' });
}

async function frameWhere(studio: Studio, expr: string, what: string): Promise<Frame> {
  const deadline = Date.now() + UI_TIMEOUT;
  for (;;) {
    for (const f of studio.page.frames()) {
      const ok = await f.evaluate(`(() => { try { return !!(${expr}); } catch { return false; } })()`).catch(() => false);
      if (ok) return f;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function until<T>(frame: Frame, expr: string, pred: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + UI_TIMEOUT;
  let last: T | undefined;
  for (;;) {
    last = (await frame.evaluate(expr).catch(() => undefined)) as T | undefined;
    if (last !== undefined && pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

interface MapInfo {
  space?: string;
  step?: number;
  n: number;
  drawn: number;
  frames: number;
  animating: boolean;
  loading: boolean;
  layoutVersion: number;
  quality: string;
  message: string;
}

test('Embedding Map: a run\'s snapshots draw, the step slider moves them; a dataset\'s clip plays on click', async (t) => {
  // TUNESTUDIO_E2E_VSIX: another package than the root one (which another engineer's run may be installing).
  const studio = await Studio.start(t, { seed, ...(process.env.TUNESTUDIO_E2E_VSIX ? { vsix: process.env.TUNESTUDIO_E2E_VSIX } : {}) });
  const { page } = studio;
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|apply|execute)/i.test(m.text())) violations.push(m.text());
  });
  try {
    await studio.openContainer();
    await studio.expandView('Runs');
    const run = labelled(studio, 'Runs', 'probe');
    await run.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await contextMenu(studio, run.first(), 'Open Embedding Map');
    const map = await frameWhere(studio, `window.__tuneStudioMap && window.__tuneStudioMap.state().layoutVersion > 0`, 'the run map page');
    const first = await until<MapInfo>(map, 'window.__tuneStudioMap.state()', (s) => s.drawn === N && !s.animating, `${N} points drawn`);
    assert.equal(first.step, 300, 'the latest snapshot first');
    assert.match(first.quality, /trustworthiness 0\.\d{3}/);
    assert.match(first.quality, /triplet accuracy 0\.\d{3}/);
    const before = (await map.evaluate(`window.__tuneStudioMap.positionOf('probe_007')`)) as [number, number];
    await studio.screenshot('map-run');
    // The slider to the first snapshot (index 0): a new layout, the points animate to it.
    await map.evaluate('window.__tuneStudioMap.setStepIndex(0)');
    const second = await until<MapInfo>(map, 'window.__tuneStudioMap.state()', (s) => s.layoutVersion > first.layoutVersion && s.step === 100 && !s.animating, 'the step-100 layout');
    assert.equal(second.drawn, N);
    const after = (await map.evaluate(`window.__tuneStudioMap.positionOf('probe_007')`)) as [number, number];
    assert.notDeepEqual(after, before, 'the step slider changed the layout');
    assert.ok(second.frames > first.frames + 2, `the move was animated over several frames (${first.frames} → ${second.frames})`);

    // The dataset's audio space: clicking a point plays that clip.
    await studio.expandView('Datasets');
    const ds = labelled(studio, 'Datasets', 'beats');
    await ds.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await contextMenu(studio, ds.first(), 'Open Embedding Map');
    const audioMap = await frameWhere(studio, `window.__tuneStudioMap && (window.__tuneStudioMap.state().space || '').startsWith('audio:')`, 'the dataset map page');
    await until<MapInfo>(audioMap, 'window.__tuneStudioMap.state()', (s) => s.drawn === CLIPS.length && !s.animating, `${CLIPS.length} clips drawn`);
    const ids = (await audioMap.evaluate('window.__tuneStudioMap.ids()')) as string[];
    const target = ids.indexOf('hash-tom');
    assert.ok(target >= 0, `tom is on the map: ${ids}`);
    const [x, y] = (await audioMap.evaluate(`window.__tuneStudioMap.clientOf('hash-tom')`)) as [number, number];
    await audioMap.locator('canvas.map-canvas').click({ position: await canvasOffset(audioMap, x, y) });
    const played = await until<{ id: string; audioSrc: string; audioId: string; paused: boolean } | null>(
      audioMap,
      'window.__tuneStudioMap.lastPlayed()',
      (p) => !!p && p.id === 'hash-tom',
      'the clicked clip',
    );
    assert.equal(played!.audioId, 'hash-tom');
    assert.match(decodeURIComponent(played!.audioSrc), /beats\/tom\.wav$/);
    await until<boolean>(audioMap, `(() => { const a = document.querySelector('audio'); return !!a && (a.currentTime > 0 || a.ended); })()`, (v) => v, 'the clip playing');
    await studio.screenshot('map-dataset');
    assert.deepEqual(violations, [], 'no CSP violation');
  } catch (e) {
    await studio.screenshot('map-failed', { settle: false }).catch(() => {});
    throw e;
  }
});

/** A client position inside the frame as an offset within its canvas (what Locator.click takes). */
async function canvasOffset(f: Frame, x: number, y: number): Promise<{ x: number; y: number }> {
  const r = (await f.evaluate(`(() => { const b = document.querySelector('canvas.map-canvas').getBoundingClientRect(); return [b.left, b.top]; })()`)) as [number, number];
  return { x: x - r[0], y: y - r[1] };
}
