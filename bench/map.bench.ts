// Embedding map benchmark, measured in the browser (Debian's Chromium through
// playwright-core): frame time of pan and zoom at 100k points (and 10k). The
// page is the map bundle built as it ships (minified) with the test hooks on,
// behind a small acquireVsCodeApi shim that answers the layout request with a
// clustered synthetic layout. While a scripted zoom (one wheel event per
// frame) and then a drag run, the time between animation frames is recorded;
// the map redraws in the frame after each event. Baseline, in the same page
// on the same points and view: a Canvas 2D scatter (one fillRect per point
// per frame, what a map without WebGL does). No GPU here: Chromium renders
// WebGL with SwiftShader on the CPU, so these figures are a floor.
//
//   npm run bench map
//   env: BENCH_MAP_POINTS=100000,10000   BENCH_MAP_FRAMES=120   BENCH_MAP_SCREENSHOT=file.png
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { median, printTable, ratio, saveResults, workDir } from './lib';

const ROOT = path.resolve(__dirname, '..');
const SIZES = (process.env.BENCH_MAP_POINTS ?? '100000,10000').split(',').map(Number);
const FRAMES = Number(process.env.BENCH_MAP_FRAMES ?? 120);

async function buildPage(): Promise<string> {
  const esbuild = await import('esbuild');
  const out = workDir('map-page');
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { map: 'src/webviews/map/main.ts' },
    outdir: out,
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'warning',
    define: { TUNESTUDIO_VERSION: '"bench"', TUNESTUDIO_TEST_HOOKS: 'true' },
  });
  return out;
}

/** The page's host: init with one space, and the layout request answered with `n` clustered points. */
const SHIM = `(() => {
  const n = Number(new URL(location.href).searchParams.get('n'));
  let s = 42;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const ids = [], labels = [], layout = [];
  for (let i = 0; i < n; i++) {
    const c = i % 30;
    ids.push('p' + i);
    labels.push('class ' + (c % 12));
    layout.push(Math.cos(c) * 20 + gauss(), Math.sin(c * 1.7) * 20 + gauss());
  }
  const reply = (m) => setTimeout(() => window.postMessage(JSON.parse(JSON.stringify(m)), '*'), 0);
  window.acquireVsCodeApi = () => ({
    postMessage(m) {
      if (m.type === 'ready') reply({ type: 'init', title: 'bench', spaces: [{ id: 'bench', kind: 'audio', name: 'bench', count: n, dim: 512 }] });
      if (m.type === 'request') reply({ type: 'response', id: m.id, result: { space: 'bench', ids, labels, layout, audio: ids.map(() => null), files: ids.map(() => null),
        info: { method: 'pacmap', seed: 1, n, dims: 512, pcaDims: 50, knn: { method: 'nn-descent', k: 10, recall: 0.98 }, quality: { knnRecall: 0.5, trustworthiness: 0.95, tripletAccuracy: 0.8, k: 10, subset: 2000, triplets: 20000 }, warm: false, timingsMs: { pca: 0, knn: 0, optimise: 0, quality: 0, total: 0 } }, cached: true } });
    },
    getState() { return undefined; },
    setState() {},
  });
})();`;

/** Runs in the page: `frames` frames of zoom (wheel) then drag on the map, then the same view changes on a Canvas 2D baseline. */
const MEASURE = `async (frames) => {
  const canvas = document.querySelector('canvas.map-canvas');
  const r = canvas.getBoundingClientRect();
  const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
  const raf = () => new Promise((res) => requestAnimationFrame(res));
  async function run(step) {
    const times = [];
    await raf();
    let last = performance.now();
    for (let i = 0; i < frames; i++) {
      step(i);
      await raf();
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    // The frame that follows the last event: the last draw has been composited.
    await raf();
    return times;
  }
  const zoomStep = (i) => canvas.dispatchEvent(new WheelEvent('wheel', { deltaY: i % 40 < 20 ? -60 : 60, clientX: cx + 50, clientY: cy - 30, bubbles: true, cancelable: true }));
  const dragStart = () => canvas.dispatchEvent(new PointerEvent('pointerdown', { clientX: cx, clientY: cy, pointerId: 1, bubbles: true }));
  let x = cx;
  const dragStep = (i) => { x += i % 40 < 20 ? 6 : -6; canvas.dispatchEvent(new PointerEvent('pointermove', { clientX: x, clientY: cy, pointerId: 1, bubbles: true })); };
  const before = window.__tuneStudioMap.state().frames;
  const zoom = await run(zoomStep);
  dragStart();
  const drag = await run(dragStep);
  canvas.dispatchEvent(new PointerEvent('pointerup', { clientX: x, clientY: cy, pointerId: 1, bubbles: true }));
  const drawn = window.__tuneStudioMap.state().frames - before;

  // Baseline: the same points on a Canvas 2D of the same size, redrawn each frame at a changing zoom.
  const ids = window.__tuneStudioMap.ids();
  const xy = new Float32Array(ids.length * 2);
  ids.forEach((id, i) => { const p = window.__tuneStudioMap.positionOf(id); xy[2 * i] = p[0]; xy[2 * i + 1] = p[1]; });
  const c2 = document.createElement('canvas');
  c2.width = canvas.width; c2.height = canvas.height;
  c2.className = 'bench-2d';
  canvas.parentElement.append(c2);
  const g = c2.getContext('2d');
  let scale = 10;
  const colours = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948'];
  const draw2d = (i) => {
    scale *= i % 40 < 20 ? 1.05 : 1 / 1.05;
    g.fillStyle = '#1e1e1e';
    g.fillRect(0, 0, c2.width, c2.height);
    for (let k = 0; k < ids.length; k++) {
      g.fillStyle = colours[k % 6];
      g.fillRect(c2.width / 2 + xy[2 * k] * scale, c2.height / 2 - xy[2 * k + 1] * scale, 2.5, 2.5);
    }
  };
  const base = await run(draw2d);
  c2.remove();
  return { zoom, drag, base, drawn };
}`;

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const p95 = s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!;
  return { median: median(ms), p95, fps: 1000 / median(ms) };
}

async function main(): Promise<void> {
  const pageDir = await buildPage();
  const css = fs.readFileSync(path.join(ROOT, 'media', 'webview.css'), 'utf8');
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/webview.css"><style>:root{--vscode-foreground:#ccc;--vscode-descriptionForeground:#9d9d9d;--vscode-editor-background:#1e1e1e;--vscode-font-family:sans-serif;--vscode-font-size:13px}body{background:#1e1e1e;color:#ccc}</style></head>
<body data-panel="map"><div id="app"></div><script src="/shim.js"></script><script src="/map.js"></script></body></html>`;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (u.pathname === '/') return send('text/html', html);
    if (u.pathname === '/shim.js') return send('text/javascript', SHIM);
    if (u.pathname === '/webview.css') return send('text/css', css);
    if (u.pathname === '/map.js') return send('text/javascript', fs.readFileSync(path.join(pageDir, 'map.js')));
    if (u.pathname === '/map.css') return send('text/css', fs.readFileSync(path.join(pageDir, 'map.css')));
    res.writeHead(404);
    res.end();
  });
  const url = await new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}/`)));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--no-first-run'] });
  const rows: Array<Record<string, string | number>> = [];
  const results: Record<string, unknown> = {};
  try {
    for (const n of SIZES) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}?n=${n}`);
      await page.waitForFunction(`window.__tuneStudioMap && window.__tuneStudioMap.state().drawn === ${n}`, undefined, { timeout: 120_000 });
      if (errors.length) throw new Error(`the map page failed: ${errors.join('; ')}`);
      if (process.env.BENCH_MAP_SCREENSHOT && n === SIZES[0]) await page.screenshot({ path: process.env.BENCH_MAP_SCREENSHOT });
      const m = (await page.evaluate(`(${MEASURE})(${FRAMES})`)) as { zoom: number[]; drag: number[]; base: number[]; drawn: number };
      const z = stats(m.zoom), d = stats(m.drag), b = stats(m.base);
      rows.push(
        { points: n, what: 'ours: zoom', 'median ms': z.median.toFixed(1), 'p95 ms': z.p95.toFixed(1), fps: z.fps.toFixed(0) },
        { points: n, what: 'ours: drag', 'median ms': d.median.toFixed(1), 'p95 ms': d.p95.toFixed(1), fps: d.fps.toFixed(0) },
        { points: n, what: 'baseline: Canvas 2D', 'median ms': b.median.toFixed(1), 'p95 ms': b.p95.toFixed(1), fps: b.fps.toFixed(0) },
      );
      results[String(n)] = { zoom: z, drag: d, canvas2d: b, framesDrawn: m.drawn, framesAsked: 2 * FRAMES, speedup: ratio(b.median, z.median) };
      console.log(`${n} points: zoom ${z.median.toFixed(1)} ms/frame (p95 ${z.p95.toFixed(1)}), drag ${d.median.toFixed(1)}, Canvas 2D ${b.median.toFixed(1)} → ${ratio(b.median, z.median).toFixed(1)}×; the map drew ${m.drawn} of ${2 * FRAMES} frames`);
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  printTable(rows);
  saveResults('map', { frames: FRAMES, renderer: 'Chromium, WebGL2 on SwiftShader (no GPU)', sizes: results });
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
