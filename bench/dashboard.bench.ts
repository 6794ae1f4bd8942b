// Dashboard benchmark, measured in the browser (Debian's Chromium through
// playwright-core) with performance marks, at 20 runs × 100k points per metric
// (and at 10k, where a raw-points dashboard still loads, for a ratio):
//   1. first paint: from navigation to every visible chart drawn with its data;
//   2. live delay: from a metric's write (Tracker.log + flush, as the runtime
//      does) to its point on screen.
// The page is the real dashboard bundle (dist/webviews/dashboard.js) with a
// small acquireVsCodeApi shim whose requests are answered by the real runtime
// queries on a real store. "ours" answers at the resolution the page asks for
// (about 2 × the chart's pixel width, min/max buckets); the baseline, in the
// same process and page code, sends raw points (what a dashboard without
// server-side downsampling does). Prints the ratios; figures go to
// bench/results.json under "dashboard".
//
//   npm run bench dashboard   (env BENCH_DASHBOARD_POINTS=2000 for a quick run, or a list
//                              such as 100000,10000; BENCH_DASHBOARD_SCREENSHOT=file.png keeps pictures)
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase } from '../src/runtime/store/db';
import { Queries } from '../src/runtime/tracking/queries';
import { Tracker } from '../src/runtime/tracking/tracker';
import type { DashboardRun, DashboardToHost, DashboardToWebview } from '../src/protocol/webview';
import { median, ratio, saveResults, workDir } from './lib';

const ROOT = path.resolve(__dirname, '..');
const RUNS = 20;
/** Points per metric per run: the 100k, and 10k where a raw-points dashboard still loads. */
const SCALES = (process.env.BENCH_DASHBOARD_POINTS || '100000,10000').split(',').map(Number);
/** A first paint slower than this counts as failed (the page is unusable long before). */
const FIRST_PAINT_LIMIT_MS = 300_000;
const METRICS = ['train/loss', 'eval/loss', 'train/lr'];
const FIRST_PAINT_REPS = Number(process.env.BENCH_DASHBOARD_REPS || 3);
const LIVE_REPS = 15;

function buildStore(dir: string, POINTS: number): { db: Database.Database; tracker: Tracker; runIds: string[]; seconds: number } {
  const t0 = performance.now();
  const db = openDatabase(dir);
  const tracker = new Tracker(db, { flushIntervalMs: 60_000, flushPoints: 1e9 });
  const runIds: string[] = [];
  const start = Date.now() / 1000 - POINTS;
  for (let r = 0; r < RUNS; r++) {
    const run = tracker.createRun({ project: 'bench', name: `run-${String(r).padStart(2, '0')}`, config: { lr: 1e-4 * (r + 1), seed: r } });
    runIds.push(run.id);
    const rate = 1 + r / RUNS;
    for (let s = 0; s < POINTS; s++) {
      const noise = Math.sin(s * 12.9898 + r * 78.233) * 0.05;
      const loss = 2.5 * Math.exp(-s / (POINTS / (3 * rate))) + 0.3 + noise + (s % 9973 === 0 ? 1.5 : 0);
      const m: Record<string, number> = { 'train/loss': loss, 'train/lr': 1e-4 * Math.min(1, s / 1000) };
      if (s % 10 === 0) m['eval/loss'] = loss + 0.1;
      // One run with a NaN stretch, drawn as a band.
      if (r === 3 && s > POINTS / 2 && s < POINTS / 2 + 50) m['train/loss'] = NaN;
      tracker.log(run.id, m, s, start + s);
      if (tracker.pending >= 200_000) tracker.flush();
    }
    tracker.flush();
  }
  // The live run of the second part stays "running".
  for (const id of runIds.slice(1)) tracker.finishRun(id, 'finished', { exitCode: 0 });
  tracker.flush();
  // As the store of a finished training looks: the write-ahead log checkpointed into the database.
  db.pragma('wal_checkpoint(TRUNCATE)');
  return { db, tracker, runIds, seconds: (performance.now() - t0) / 1000 };
}

/** Serves the page and the built webview files. */
function serve(): Promise<{ url: string; close: () => void }> {
  const dist = path.join(ROOT, 'dist', 'webviews');
  const page = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<link rel="stylesheet" href="/codicons/codicon.css"><link rel="stylesheet" href="/webview.css"><link rel="stylesheet" href="/theme.css">
<title>bench</title></head><body class="vscode-dark"><div id="app" role="main"></div>
<script src="/shim.js"></script><script src="/dashboard.js"></script></body></html>`;
  // acquireVsCodeApi over playwright's exposed function: every message goes to node, whose answer comes back as a message.
  const shim = `window.acquireVsCodeApi = () => {
  let st;
  return {
    postMessage: (m) => { window.__tsHost(m).then((replies) => { for (const r of replies || []) window.dispatchEvent(new MessageEvent('message', { data: r })); }); },
    getState: () => st, setState: (s) => { st = s; },
  };
};`;
  // A dark theme's variables, as VS Code sets them on <html>.
  const theme = `:root { --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d; --vscode-editor-background: #1e1e1e;
  --vscode-font-family: sans-serif; --vscode-font-size: 13px; --vscode-panel-border: #444; --vscode-focusBorder: #007fd4;
  --vscode-charts-blue: #3794ff; --vscode-charts-red: #f14c4c; --vscode-charts-yellow: #cca700; --vscode-charts-orange: #d18616;
  --vscode-charts-green: #89d185; --vscode-charts-purple: #b180d7; --vscode-button-background: #0e639c; }`;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (u.pathname === '/') return send('text/html', page);
    if (u.pathname === '/shim.js') return send('text/javascript', shim);
    if (u.pathname === '/theme.css') return send('text/css', theme);
    const file = path.join(dist, path.normalize(u.pathname).replace(/^([/\\])+/, ''));
    if (!file.startsWith(dist) || !fs.existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'font/ttf';
    send(type, fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, close: () => server.close() })));
}

interface ModeResult {
  firstPaintMs: number[];
  liveMs: number[];
  pointsSent: number;
  /** Why the mode gave no figure (renderer crash, time limit). */
  failed?: string;
}

/** Opens the dashboard page in `mode` `reps` times: first paint each time, then the live delay. */
async function measure(
  browser: import('playwright-core').Browser,
  url: string,
  store: ReturnType<typeof buildStore>,
  q: Queries,
  runs: DashboardRun[],
  mode: 'ours' | 'baseline',
  points: number,
): Promise<ModeResult> {
  const live = store.runIds[0];
  let liveStep = points + (mode === 'baseline' ? 1000 : 0);
  const result: ModeResult = { firstPaintMs: [], liveMs: [], pointsSent: 0 };
  for (let rep = 0; rep < FIRST_PAINT_REPS; rep++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let crashed = false;
    page.on('crash', () => (crashed = true));
    try {
      // tsx compiles the functions given to page.evaluate with esbuild's keepNames helper.
      await page.addInitScript('window.__name = (f) => f');
      let sent = 0;
      await page.exposeFunction('__tsHost', (m: DashboardToHost): DashboardToWebview[] => {
        if (m.type === 'ready') return [{ type: 'init', runs }, { type: 'alerts', alerts: [] }];
        if (m.type !== 'history') return [];
        const p = m.params;
        const ids = p.runIds.map((r) => q.resolveRun(r).id);
        const names = q.metricNames(ids);
        const wanted = p.metrics ?? names;
        // The baseline ignores the page's resolution and sends every point.
        const maxPoints = mode === 'baseline' ? Number.MAX_SAFE_INTEGER : p.maxPoints;
        const series = ids.flatMap((id) => wanted.map((mm) => q.history(id, mm, { from: p.from, to: p.to, maxPoints }))).filter((s) => s.total > 0);
        sent += series.reduce((n, s) => n + s.steps.length, 0);
        return [{ type: 'history', reqId: m.reqId, result: { series, metrics: names } }];
      });
      await page.exposeFunction('__tsWrite', (step: number) => {
        store.tracker.log(live, { 'train/loss': 0.3 + Math.random() * 0.01, 'train/lr': 1e-4 }, step);
        const info = store.tracker.flush();
        return info?.appended ?? [];
      });
      await page.goto(url);
      const fp = await Promise.race([
        page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const done = () => resolve(performance.getEntriesByName('tunestudio:first-paint')[0].startTime);
              if (performance.getEntriesByName('tunestudio:first-paint').length) done();
              else window.addEventListener('tunestudio:first-paint', done, { once: true });
            }),
        ),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no first paint within ${FIRST_PAINT_LIMIT_MS / 1000} s`)), FIRST_PAINT_LIMIT_MS)),
      ]);
      result.firstPaintMs.push(fp);
      result.pointsSent = sent;
      if (rep === 0 && process.env.BENCH_DASHBOARD_SCREENSHOT) {
        await page.screenshot({ path: process.env.BENCH_DASHBOARD_SCREENSHOT.replace(/\.png$/, `-${points}-${mode}.png`) });
      }
      if (rep < FIRST_PAINT_REPS - 1) continue;
      // Live: write a point (in node, as the runtime's tracker does), notify the page as the host would, wait until it is drawn.
      for (let i = 0; i < LIVE_REPS; i++) {
        const step = ++liveStep;
        const ms = await page.evaluate(
          async ({ step, runId }) => {
            const w = window as unknown as { __tsWrite(s: number): Promise<Array<{ runId: string; metric: string; lastStep: number }>> };
            const drawn = new Promise<void>((resolve) => {
              const on = (e: Event) => {
                const d = (e as CustomEvent<{ metric: string; lastSteps: Record<string, number> }>).detail;
                if (d.metric === 'train/loss' && d.lastSteps[runId] >= step) {
                  window.removeEventListener('tunestudio:drawn', on);
                  resolve();
                }
              };
              window.addEventListener('tunestudio:drawn', on);
            });
            performance.mark(`write-${step}`);
            const appended = await w.__tsWrite(step);
            window.dispatchEvent(new MessageEvent('message', { data: { type: 'appended', appended } }));
            await drawn;
            return performance.measure(`live-${step}`, `write-${step}`).duration;
          },
          { step, runId: live },
        );
        result.liveMs.push(ms);
      }
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      // A renderer that runs out of memory takes the page (or the whole browser) down with it.
      result.failed = crashed || /has been closed|crashed/i.test(msg) ? 'the page crashed while loading (out of memory)' : msg;
      console.log(`  ${mode} at ${points} points: ${result.failed}`);
      return result;
    } finally {
      await page.close().catch(() => {});
    }
  }
  return result;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'webviews', 'dashboard.js'))) throw new Error('dist/webviews/dashboard.js is missing: run `node scripts/build.mjs` first.');
  const { chromium } = await import('playwright-core');
  const srv = await serve();
  const rows: Array<Record<string, string | number>> = [];
  const saved: Record<string, unknown> = { runs: RUNS, metrics: METRICS, viewport: '1400x900', first_paint_limit_s: FIRST_PAINT_LIMIT_MS / 1000 };
  const r1 = (x: number) => Math.round(x * 10) / 10;
  try {
    for (const points of SCALES) {
      const store = buildStore(workDir('dashboard'), points);
      console.log(`store: ${RUNS} runs × ${points} points × ${METRICS.length} metrics (eval every 10 steps) built in ${store.seconds.toFixed(1)} s`);
      const q = new Queries(store.db);
      const runs: DashboardRun[] = q.listRuns({ project: 'bench' }).map((r) => ({ id: r.id, name: r.name, project: r.project, status: r.status, reason: r.reason, created_at: r.created_at, ended_at: r.ended_at }));
      // A fresh browser per mode: a crashed baseline renderer must not take our figures with it.
      const res: Record<string, ModeResult> = {};
      for (const mode of ['ours', 'baseline'] as const) {
        const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
        try {
          res[mode] = await measure(browser, srv.url, store, q, runs, mode, points);
        } finally {
          // A browser whose renderer crashed may never answer close(): do not wait for it forever.
          await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 15_000).unref())]);
        }
      }
      store.tracker.close();
      store.db.close();
      const o = res.ours;
      const b = res.baseline;
      const fpO = o.firstPaintMs.length ? median(o.firstPaintMs) : NaN;
      const fpB = b.firstPaintMs.length ? median(b.firstPaintMs) : NaN;
      const lvO = o.liveMs.length ? median(o.liveMs) : NaN;
      const lvB = b.liveMs.length ? median(b.liveMs) : NaN;
      const cell = (v: number, m: ModeResult) => (Number.isFinite(v) ? r1(v) : `failed: ${m.failed ?? 'no figure'}`);
      rows.push(
        { points_per_metric: points, measure: 'first paint (ms, median)', ours: cell(fpO, o), baseline_raw_points: cell(fpB, b), ratio: Number.isFinite(fpB) && Number.isFinite(fpO) ? ratio(fpB, fpO) : '—' },
        { points_per_metric: points, measure: 'write → on screen (ms, median)', ours: cell(lvO, o), baseline_raw_points: cell(lvB, b), ratio: Number.isFinite(lvB) && Number.isFinite(lvO) ? ratio(lvB, lvO) : '—' },
        { points_per_metric: points, measure: 'points sent at first paint', ours: o.pointsSent, baseline_raw_points: b.pointsSent || '—', ratio: b.pointsSent && o.pointsSent ? ratio(b.pointsSent, o.pointsSent) : '—' },
      );
      saved[`points_${points}`] = {
        store_build_s: r1(store.seconds),
        first_paint_ms: { ours: Number.isFinite(fpO) ? Math.round(fpO) : null, baseline_raw: Number.isFinite(fpB) ? Math.round(fpB) : null, ratio: Number.isFinite(fpB) && Number.isFinite(fpO) ? ratio(fpB, fpO) : null, samples_ours: o.firstPaintMs.map(Math.round), samples_baseline: b.firstPaintMs.map(Math.round) },
        live_delay_ms: { ours: Number.isFinite(lvO) ? r1(lvO) : null, baseline_raw: Number.isFinite(lvB) ? r1(lvB) : null, ratio: Number.isFinite(lvB) && Number.isFinite(lvO) ? ratio(lvB, lvO) : null },
        points_sent_first_paint: { ours: o.pointsSent, baseline_raw: b.pointsSent },
        ...(o.failed ? { ours_failed: o.failed } : {}),
        ...(b.failed ? { baseline_failed: b.failed } : {}),
      };
    }
  } finally {
    srv.close();
  }
  console.table(rows);
  saveResults('dashboard', saved);
}

main().then(
  // A crashed browser can leave handles open: the figures are saved, so leave.
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
