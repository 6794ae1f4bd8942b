// Dashboard benchmark, measured in the browser (Debian's Chromium through
// playwright-core) with performance marks:
//   0. messages between runtime, host and webview per second while a
//      dashboard of one run with 20 live metrics is open (4 flushes a second),
//      counted at the host: runtime → host notifications, host → runtime
//      requests, webview → host requests, host → webview posts. The runtime
//      side is the real TrackingService on a real store (connection recorded),
//      the host follows dashboardPanel.ts's rules, the page is the real bundle;
//   1. first paint, at 20 runs × 100k points per metric (and at 10k): from
//      navigation to every visible chart drawn with its data;
//   2. live delay: from a metric's write (Tracker.log + flush, as the runtime
//      does) to its point on screen, the points pushed as the runtime pushes
//      them to a subscribed dashboard.
// The page is the dashboard bundle built as it ships (minified) with the test
// hooks on, and a small acquireVsCodeApi shim whose requests are answered by
// the real runtime queries on a real store (in a worker thread with its own
// connection, standing in for the runtime's process; the host's prefetch too) (replies cross as one JSON string,
// as VS Code's postMessage serializes them). "ours" answers at the resolution
// the page asks for (about 2 × the chart's pixel width, min/max buckets); the
// baseline, in the same process and page code, sends raw points (what a
// dashboard without server-side downsampling does). Prints the ratios;
// figures go to bench/results.json under "dashboard".
//
//   npm run bench dashboard
//   env: BENCH_DASHBOARD_POINTS=2000 (a quick run, or a list such as 100000,10000),
//        BENCH_DASHBOARD_BASELINE=0 (skip the raw-points baseline: 15 s a load at 10k, a crash at 100k),
//        BENCH_DASHBOARD_SRC=dir (build the page from another tree, e.g. `git archive` of the commit before),
//        BENCH_DASHBOARD_SCREENSHOT=file.png, BENCH_DASHBOARD_TRACE=1 (request/answer times),
//        BENCH_DASHBOARD_PROFILE=file.cpuprofile (the page's CPU profile up to first paint),
//        BENCH_DASHBOARD_PREFETCH=0 (the host before: no first overview with the init; with BENCH_DASHBOARD_SRC
//        of the commit before, the page and host as they were)
// First paint = every chart on screen drawn with its data (the page's
// `tunestudio:first-paint` mark, set the frame after that draw), from navigation.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openDatabase } from '../src/runtime/store/db';
import { Queries } from '../src/runtime/tracking/queries';
import { Tracker } from '../src/runtime/tracking/tracker';
import { TrackingService } from '../src/runtime/tracking/service';
import { ChangeNotifier, type RuntimeContext } from '../src/runtime/context';
import { Logger, silentSink } from '../src/runtime/log';
import { Store } from '../src/runtime/store/store';
import type { AppendedMetric } from '../src/protocol/live';
import type { HistoryParams, HistoryResult } from '../src/protocol/tracking';
import { LivePublisher } from '../src/runtime/tracking/live';
import type { DashboardOverview, DashboardRun, DashboardToHost, DashboardToWebview } from '../src/protocol/webview';
import { EarlyPoints, firstOverviewParams } from '../src/extension/panels/host/dashboardPrefetch';
import { median, ratio, saveResults, workDir } from './lib';

const ROOT = path.resolve(__dirname, '..');
const RUNS = 20;
/** Points per metric per run: the issue's 100k, and 10k where a raw-points dashboard still loads. */
const SCALES = (process.env.BENCH_DASHBOARD_POINTS || '100000,10000').split(',').map(Number);
/** A first paint slower than this counts as failed (the page is unusable long before). */
const FIRST_PAINT_LIMIT_MS = 300_000;
const METRICS = ['train/loss', 'eval/loss', 'train/lr'];
const FIRST_PAINT_REPS = Number(process.env.BENCH_DASHBOARD_REPS || 3);
const LIVE_REPS = 15;
/** The raw-points baseline (slow: about 15 s a load at 10k, a crash at 100k); BENCH_DASHBOARD_BASELINE=0 skips it. */
const WITH_BASELINE = process.env.BENCH_DASHBOARD_BASELINE !== '0';
/** Messages part: metrics of the live run, flushes a second, seconds written. */
const LIVE_METRICS = 20;
const LIVE_FLUSH_MS = 250;
const LIVE_SECONDS = Number(process.env.BENCH_DASHBOARD_LIVE_SECONDS || 5);
/** As dashboardPanel.ts: the host fetches the first charts' overview while the page loads (BENCH_DASHBOARD_PREFETCH=0: as before). */
const PREFETCH = process.env.BENCH_DASHBOARD_PREFETCH !== '0';

function buildStore(dir: string, POINTS: number): { dir: string; db: Database.Database; tracker: Tracker; runIds: string[]; seconds: number } {
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
  return { dir, db, tracker, runIds, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The dashboard page as it ships: minified, as `npm run package` builds it, but
 * with the test hooks the bench reads. BENCH_DASHBOARD_SRC: another source
 * tree to build it from (e.g. `git archive` of the commit before a change,
 * with a node_modules link), to measure the page before beside the page after.
 */
async function buildPage(): Promise<string> {
  const esbuild = await import('esbuild');
  const src = process.env.BENCH_DASHBOARD_SRC ? path.resolve(process.env.BENCH_DASHBOARD_SRC) : ROOT;
  const out = path.join(workDir('dashboard-page'));
  await esbuild.build({
    absWorkingDir: src,
    entryPoints: { dashboard: 'src/webviews/dashboard/main.ts' },
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

/** Serves the page (the bench's build of the dashboard bundle) and the other built webview files (dist/webviews). */
function serve(pageDir: string): Promise<{ url: string; close: () => void }> {
  const dist = path.join(ROOT, 'dist', 'webviews');
  const page = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<link rel="stylesheet" href="/codicons/codicon.css" id="vscode-codicon-stylesheet"><link rel="stylesheet" href="/webview.css"><link rel="stylesheet" href="/theme.css">
<title>bench</title></head><body class="vscode-dark"><div id="app" role="main"></div>
<script src="/shim.js"></script><script src="/dashboard.js"></script></body></html>`;
  // acquireVsCodeApi over playwright's exposed function: every message goes to node, whose answer comes back as a message.
  // An init that announces an overview (overviewFor) is followed by it: the host posts it once read (here: the shim asks
  // for it at once, and node answers when the runtime's read is done).
  const shim = `const deliver = (replies) => {
  for (const r of typeof replies === 'string' ? JSON.parse(replies) : replies || []) {
    window.dispatchEvent(new MessageEvent('message', { data: r }));
    if (r.type === 'init' && r.overviewFor) window.__tsHost({ type: '__overview' }).then(deliver);
  }
};
window.acquireVsCodeApi = () => {
  let st;
  return {
    postMessage: (m) => { window.__tsHost(m).then(deliver); },
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
    const rel = path.normalize(u.pathname).replace(/^([/\\])+/, '');
    const file = [path.join(pageDir, rel), path.join(dist, rel)].find((f) => (f.startsWith(pageDir) || f.startsWith(dist)) && fs.existsSync(f));
    if (!file) {
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
  prefetcher: Prefetcher,
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
      // BENCH_DASHBOARD_TRACE=1: when the page's requests go out and their answers come back, and when the bundle ran.
      if (process.env.BENCH_DASHBOARD_TRACE)
        await page.addInitScript(`window.__trace = [];
          const t = (what) => window.__trace.push(what + ' ' + Math.round(performance.now()));
          window.addEventListener('message', (e) => e.data && (e.data.type === 'response' ? t('answer#' + e.data.id) : e.data.type === 'init' ? t('init') : e.data.type === 'overview' && t('overview')));
          document.addEventListener('DOMContentLoaded', () => t('dom'));
          const orig = window.acquireVsCodeApi;
          Object.defineProperty(window, 'acquireVsCodeApi', { configurable: true, set(f) { this._a = f; }, get() { const f = this._a; return () => { t('script'); const api = f(); const p = api.postMessage; api.postMessage = (m) => { if (m.type === 'request') t('request#' + m.id + '(' + (m.params.metrics || []).length + ' metrics, ' + m.params.maxPoints + ' pts)'); p(m); }; return api; }; } });`);
      let sent = 0;
      // As the panel: when it sets the page's html, the host asks the runtime for the runs, their metric names and
      // (PREFETCH) the first charts' overview, while the page loads; the page's ready gets them with the init. Started
      // when the browser requests the page, so it runs beside the page's load (the runtime is another process).
      // The queries run in a worker thread on its own connection: in this thread they would hold up the page's own
      // load (this process serves it), which in VS Code they do not.
      let opening: PrefetchRun | undefined;
      const prefetch = () => prefetcher.run({ dir: store.dir, store: `${points}`, runIds: runs.map((r) => r.id), baseline: mode === 'baseline' });
      page.on('request', (r) => {
        if (!opening && r.url() === url) opening = prefetch();
      });
      // Replies go back as one JSON string, as VS Code's postMessage serializes them (playwright's own
      // serialization of large nested arrays is several times slower than the page's work).
      await page.exposeFunction('__tsHost', async (m: DashboardToHost | { type: 'history'; reqId: number; params: HistoryParams } | { type: '__overview' }): Promise<DashboardToWebview[] | string> => {
        if (m.type === 'ready') {
          opening ??= prefetch();
          const pre = await opening.names;
          return [{ type: 'init', runs, metrics: pre.metrics, overviewFor: pre.overviewFor }, { type: 'alerts', alerts: [] }];
        }
        if (m.type === '__overview') {
          const ov = await opening!.overview;
          sent += ov.points;
          if (process.env.BENCH_DASHBOARD_TRACE) console.log(`  prefetched the first overview in ${ov.ms} ms (${ov.json?.length} bytes)`);
          // The overview crosses as the JSON text it was written as (one string, as VS Code's postMessage does).
          return `[{"type":"overview"${ov.json ? `,"overview":${ov.json}` : ''}}]`;
        }
        // 'history' with reqId: the page before the typed IPC (BENCH_DASHBOARD_DIST).
        if (m.type !== 'request' && m.type !== 'history') return [];
        // Answered by the same "runtime" (the worker thread, its connection) as the prefetch, before and after alike.
        const a = await prefetcher.history({ dir: store.dir, store: `${points}`, params: m.params, baseline: mode === 'baseline' });
        sent += a.points;
        if (process.env.BENCH_DASHBOARD_TRACE) console.log(`  answered request#${'id' in m ? m.id : m.reqId} in ${a.ms} ms (${a.json.length} bytes)`);
        return `[${m.type === 'history' ? `{"type":"history","reqId":${m.reqId}` : `{"type":"response","id":${(m as { id: number }).id}`},"result":${a.json}}]`;
      });
      // What the runtime pushes after the flush (TrackingService → LivePublisher), for a dashboard subscribed to the live run.
      const publisher = new LivePublisher((id) => Object.fromEntries(Object.entries(q.showRun(id).summary).map(([m, s]) => [m, s.last_step])));
      publisher.subscribe('bench', [live]);
      await page.exposeFunction('__tsWrite', (step: number) => {
        store.tracker.log(live, { 'train/loss': 0.3 + Math.random() * 0.01, 'train/lr': 1e-4 }, step);
        const info = store.tracker.flush();
        return info ? publisher.fromFlush(info) : [];
      });
      // BENCH_DASHBOARD_PROFILE=file.cpuprofile: the page's CPU profile up to the first paint (first rep), for DevTools.
      const cdp = process.env.BENCH_DASHBOARD_PROFILE && rep === 0 ? await page.context().newCDPSession(page) : undefined;
      if (cdp) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
      }
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
      if (cdp) fs.writeFileSync(process.env.BENCH_DASHBOARD_PROFILE!.replace(/\.cpuprofile$/, `-${points}-${mode}.cpuprofile`), JSON.stringify((await cdp.send('Profiler.stop')).profile));
      if (process.env.BENCH_DASHBOARD_TRACE) console.log(`  ${mode} ${points} rep ${rep}: first paint ${Math.round(fp)} ms;`, await page.evaluate(() => (window as unknown as { __trace: string[] }).__trace.join(' · ')));
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
            const w = window as unknown as { __tsWrite(s: number): Promise<unknown[]> };
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

/**
 * Messages between runtime, host and webview while a dashboard of one run with
 * LIVE_METRICS live metrics is open, counted at the host. The runtime side is
 * the real TrackingService (its Tracker, its ChangeNotifier) on a real store,
 * with the connection replaced by a recorder; the host side follows the rules
 * of src/extension/panels/dashboardPanel.ts (which needs VS Code to run); the
 * page is the real dashboard bundle.
 */
class BenchHost {
  readonly counts = { runtimeToHost: 0, webviewToHost: 0, hostToWebview: 0, hostToRuntime: 0 };
  readonly byType: Record<string, number> = {};
  private runsTimer: NodeJS.Timeout | undefined;
  private opening: Promise<{ runs: DashboardRun[]; metrics: string[]; overview?: { params: { metrics: string[]; maxPoints: number }; result: Promise<DashboardOverview> } }> | undefined;
  /** As the panel: live points held until the page has its init. */
  private early: EarlyPoints | undefined = new EarlyPoints();
  constructor(
    private readonly page: import('playwright-core').Page,
    private readonly handlers: Map<string, (p: unknown) => unknown>,
    private readonly runIds: string[],
  ) {}

  reset(): void {
    for (const k of Object.keys(this.counts) as Array<keyof BenchHost['counts']>) this.counts[k] = 0;
    for (const k of Object.keys(this.byType)) delete this.byType[k];
  }

  private count(dir: keyof BenchHost['counts'], type: string): void {
    this.counts[dir]++;
    this.byType[`${dir}:${type}`] = (this.byType[`${dir}:${type}`] ?? 0) + 1;
  }

  private async request<R>(method: string, params: unknown): Promise<R> {
    this.count('hostToRuntime', method);
    return (await this.handlers.get(method)!(params)) as R;
  }

  post(m: DashboardToWebview): void {
    this.count('hostToWebview', m.type);
    void this.page.evaluate((d) => window.dispatchEvent(new MessageEvent('message', { data: d })), m).catch(() => {});
  }

  private async runs(): Promise<DashboardRun[]> {
    const list = await this.request<DashboardRun[]>('tunestudio/runs/list', {});
    return list.filter((r) => this.runIds.includes(r.id)).map((r) => ({ id: r.id, name: r.name, project: r.project, status: r.status, reason: r.reason, created_at: r.created_at, ended_at: r.ended_at }));
  }

  /** As the panel does when it is created: the runtime pushes this dashboard's runs' points; the page's init is fetched. */
  async subscribe(): Promise<void> {
    await this.request('tunestudio/metrics/subscribe', { key: 'bench', runIds: this.runIds });
    this.opening = this.prefetch();
  }

  /** As dashboardPanel.ts's prefetch: runs, metric names, the first charts' overview (still being read when this resolves). */
  private async prefetch(): Promise<{ runs: DashboardRun[]; metrics: string[]; overview?: { params: { metrics: string[]; maxPoints: number }; result: Promise<DashboardOverview> } }> {
    const runs = await this.runs();
    const names = await this.request<HistoryResult>('tunestudio/runs/history', { runIds: this.runIds, metrics: [], maxPoints: 4 });
    const params = PREFETCH ? firstOverviewParams(this.runIds, names.metrics) : undefined;
    if (!params?.metrics) return { runs, metrics: names.metrics };
    const overviewFor = { metrics: params.metrics, maxPoints: params.maxPoints };
    const result = this.request<HistoryResult>('tunestudio/runs/history', params).then((r) => ({ ...overviewFor, result: r }));
    return { runs, metrics: names.metrics, overview: { params: overviewFor, result } };
  }

  async fromWebview(m: DashboardToHost | { type: 'history'; reqId: number; params: HistoryParams }): Promise<void> {
    this.count('webviewToHost', m.type);
    if (m.type === 'history') {
      // The page before the typed IPC (BENCH_DASHBOARD_SRC).
      const result = await this.request<HistoryResult>('tunestudio/runs/history', m.params);
      this.post({ type: 'history', reqId: m.reqId, result } as unknown as DashboardToWebview);
      return;
    }
    if (m.type === 'ready') {
      const pre = await (this.opening ?? this.prefetch());
      this.opening = undefined;
      this.post({ type: 'init', runs: pre.runs, metrics: pre.metrics, overviewFor: pre.overview?.params });
      if (pre.overview) this.post({ type: 'overview', overview: await pre.overview.result });
      const early = this.early?.take(this.runIds) ?? [];
      this.early = undefined;
      if (early.length) this.post({ type: 'appended', appended: early });
      for (const run of this.runIds) await this.request('tunestudio/alerts/list', { run, limit: 200 });
      this.post({ type: 'alerts', alerts: [] });
    } else if (m.type === 'request') {
      const result = await this.request<HistoryResult>('tunestudio/runs/history', m.params);
      this.post({ type: 'response', id: m.id, result });
    }
  }

  fromRuntime(method: string, p: unknown): void {
    this.count('runtimeToHost', method);
    if (method === 'tunestudio/metricsAppended') {
      const mine = (p as { appended: AppendedMetric[] }).appended.filter((a) => this.runIds.includes(a.runId));
      if (mine.length && this.early) this.early.add(mine);
      else if (mine.length) this.post({ type: 'appended', appended: mine });
    } else if (method === 'tunestudio/dataChanged') {
      const d = p as { kinds: string[]; runIds?: string[] };
      if (d.kinds.includes('runs') && (!d.runIds || d.runIds.some((id) => this.runIds.includes(id))) && !this.runsTimer) {
        this.runsTimer = setTimeout(() => {
          this.runsTimer = undefined;
          void this.runs().then((runs) => this.post({ type: 'runs', runs }));
        }, 500);
      }
    }
  }

  dispose(): void {
    clearTimeout(this.runsTimer);
  }
}

async function measureMessages(browser: import('playwright-core').Browser, url: string): Promise<Record<string, unknown>> {
  const store = new Store(workDir('dashboard-live'));
  const handlers = new Map<string, (p: unknown) => unknown>();
  let host: BenchHost | undefined;
  const connection = {
    onRequest: (type: { method: string }, fn: (p: unknown) => unknown) => handlers.set(type.method, fn),
    sendNotification: (type: { method: string }, p: unknown) => host?.fromRuntime(type.method, p),
  };
  const notifier = new ChangeNotifier((p) => host?.fromRuntime('tunestudio/dataChanged', p));
  const shutdown: Array<() => void> = [];
  const ctx = {
    connection,
    store,
    log: new Logger(silentSink, 'error'),
    notifyChanged: (p: Parameters<ChangeNotifier['notify']>[0]) => notifier.notify(p),
    onShutdown: (fn: () => void) => shutdown.push(fn),
  } as unknown as RuntimeContext;
  const svc = new TrackingService(ctx);
  svc.register();
  const tracker = svc.tracker;
  const run = tracker.createRun({ project: 'bench', name: 'live-20' });
  const names = Array.from({ length: LIVE_METRICS }, (_, i) => `train/m${String(i).padStart(2, '0')}`);
  let step = 0;
  const write = () => {
    step++;
    tracker.log(run.id, Object.fromEntries(names.map((n, i) => [n, Math.sin(step / 50 + i) + i])), step);
  };
  for (let i = 0; i < 200; i++) write();
  tracker.flush();
  // Tall enough that all charts are on screen (and so all live).
  const page = await browser.newPage({ viewport: { width: 1400, height: 4000 } });
  try {
    await page.addInitScript(`window.__name = (f) => f; window.__drawn = {};
      window.addEventListener('tunestudio:drawn', (e) => { window.__drawn[e.detail.metric] = e.detail.lastSteps; });`);
    host = new BenchHost(page, handlers, [run.id]);
    const h = host;
    await h.subscribe();
    await page.exposeFunction('__tsHost', (m: Parameters<BenchHost['fromWebview']>[0]) => {
      void h.fromWebview(m);
      return [];
    });
    await page.goto(url);
    await page.waitForFunction(() => performance.getEntriesByName('tunestudio:first-paint').length > 0, undefined, { timeout: 120_000 });
    const settled = (last: number) =>
      page.waitForFunction(
        ({ last, n }) => {
          const d = (window as unknown as { __drawn: Record<string, Record<string, number>> }).__drawn;
          const v = Object.values(d);
          return v.length >= n && v.every((ls) => Object.values(ls).every((s) => s >= last));
        },
        { last, n: LIVE_METRICS },
        { timeout: 60_000, polling: 50 },
      );
    await settled(step);
    host.reset();
    const flushes = Math.round((LIVE_SECONDS * 1000) / LIVE_FLUSH_MS);
    const t0 = performance.now();
    for (let i = 0; i < flushes; i++) {
      write();
      tracker.flush();
      await new Promise((r) => setTimeout(r, LIVE_FLUSH_MS));
    }
    await settled(step);
    // Let the host's debounced re-list (500 ms) land inside the count.
    await new Promise((r) => setTimeout(r, 600));
    const seconds = (performance.now() - t0) / 1000;
    const c = host.counts;
    const total = c.runtimeToHost + c.webviewToHost + c.hostToWebview + c.hostToRuntime;
    const perS = (n: number) => Math.round((n / seconds) * 10) / 10;
    return {
      live_metrics: LIVE_METRICS,
      flushes_per_s: 1000 / LIVE_FLUSH_MS,
      seconds: Math.round(seconds * 10) / 10,
      per_s: { total: perS(total), runtime_to_host: perS(c.runtimeToHost), host_to_runtime: perS(c.hostToRuntime), webview_to_host: perS(c.webviewToHost), host_to_webview: perS(c.hostToWebview) },
      by_type: { ...host.byType },
    };
  } finally {
    host?.dispose();
    await page.close().catch(() => {});
    for (const fn of shutdown) fn();
    store.close();
  }
}

/** What the host has for the page: the metric names and the charts being prefetched (for the init), then the overview. */
interface PrefetchRun {
  names: Promise<{ metrics: string[]; overviewFor?: { metrics: string[]; maxPoints: number } }>;
  /** The overview's JSON text (absent: none), its points, and how long the whole prefetch took. */
  overview: Promise<{ json?: string; points: number; ms: number }>;
}

type WorkerReply =
  | { id: number; kind: 'names'; metrics: string[]; overviewFor?: { metrics: string[]; maxPoints: number } }
  | { id: number; kind: 'overview'; json?: string; points: number; ms: number }
  | { id: number; kind: 'history'; json: string; points: number; ms: number };

/** The host's prefetch (runtime queries) in a worker thread, as the runtime is another process than the page's. */
class Prefetcher {
  // tsx's CommonJS hook, so the worker can load this .ts file.
  private readonly worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, { eval: true });
  private next = 1;
  private readonly waiting = new Map<string, (m: WorkerReply) => void>();
  constructor() {
    this.worker.on('message', (m: WorkerReply) => {
      this.waiting.get(`${m.id}:${m.kind}`)?.(m);
      this.waiting.delete(`${m.id}:${m.kind}`);
    });
    this.worker.unref();
  }
  run(job: PrefetchJob): PrefetchRun {
    const id = this.next++;
    const reply = <K extends WorkerReply['kind']>(kind: K) => new Promise<Extract<WorkerReply, { kind: K }>>((resolve) => this.waiting.set(`${id}:${kind}`, resolve as (m: WorkerReply) => void));
    const run = { names: reply('names'), overview: reply('overview') };
    this.worker.postMessage({ id, kind: 'prefetch', ...job });
    return run;
  }
  /** A page's history request, answered as the runtime does (the baseline: every point). */
  history(job: HistoryJob): Promise<{ json: string; points: number; ms: number }> {
    const id = this.next++;
    const p = new Promise<Extract<WorkerReply, { kind: 'history' }>>((resolve) => this.waiting.set(`${id}:history`, resolve as (m: WorkerReply) => void));
    this.worker.postMessage({ id, kind: 'history', ...job });
    return p;
  }
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

interface HistoryJob {
  dir: string;
  store: string;
  params: HistoryParams;
  baseline: boolean;
}

interface PrefetchJob {
  dir: string;
  /** Which store in `dir` (each scale builds its own there): a new one gets a new connection. */
  store: string;
  runIds: string[];
  baseline: boolean;
}

/** The worker's side: dashboardPanel.ts's prefetch, on a read-only connection of its own per store. */
function prefetchWorker(): void {
  let open: { key: string; q: Queries } | undefined;
  parentPort!.on('message', (msg: (PrefetchJob & { id: number; kind: 'prefetch' }) | (HistoryJob & { id: number; kind: 'history' })) => {
    const t0 = performance.now();
    const key = `${msg.dir}\u0000${msg.store}`;
    if (open?.key !== key) {
      open?.q.db.close();
      open = { key, q: new Queries(openDatabase(msg.dir, { readonly: true })) };
    }
    const q = open.q;
    if (msg.kind === 'history') {
      const p = msg.params;
      const ids = p.runIds.map((r) => q.resolveRun(r).id);
      const names = q.metricNames(ids);
      const wanted = p.metrics ?? names;
      // The baseline ignores the page's resolution and sends every point.
      const maxPoints = msg.baseline ? Number.MAX_SAFE_INTEGER : p.maxPoints;
      const series = ids.flatMap((id) => wanted.map((mm) => q.history(id, mm, { from: p.from, to: p.to, maxPoints }))).filter((s) => s.total > 0);
      const json = JSON.stringify({ series, metrics: names });
      return parentPort!.postMessage({ id: msg.id, kind: 'history', json, points: series.reduce((n, s) => n + s.steps.length, 0), ms: Math.round(performance.now() - t0) } satisfies WorkerReply);
    }
    const job = msg;
    const metrics = q.metricNames(job.runIds);
    const params = PREFETCH ? firstOverviewParams(job.runIds, metrics) : undefined;
    const maxPoints = job.baseline ? Number.MAX_SAFE_INTEGER : (params?.maxPoints ?? 0);
    const overviewFor = params?.metrics ? { metrics: params.metrics, maxPoints } : undefined;
    parentPort!.postMessage({ id: job.id, kind: 'names', metrics, overviewFor } satisfies WorkerReply);
    if (!overviewFor) return parentPort!.postMessage({ id: job.id, kind: 'overview', points: 0, ms: Math.round(performance.now() - t0) } satisfies WorkerReply);
    const series = job.runIds.flatMap((id) => overviewFor.metrics.map((mm) => q.history(id, mm, { maxPoints }))).filter((s) => s.total > 0);
    const overview: DashboardOverview = { ...overviewFor, result: { series, metrics } };
    parentPort!.postMessage({ id: job.id, kind: 'overview', json: JSON.stringify(overview), points: series.reduce((n, s) => n + s.steps.length, 0), ms: Math.round(performance.now() - t0) } satisfies WorkerReply);
  });
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'webviews', 'dashboard.js'))) throw new Error('dist/webviews/dashboard.js is missing: run `node scripts/build.mjs` first.');
  const { chromium } = await import('playwright-core');
  const pageDir = await buildPage();
  const srv = await serve(pageDir);
  console.log(`page: ${path.join(pageDir, 'dashboard.js')} (${Math.round(fs.statSync(path.join(pageDir, 'dashboard.js')).size / 1024)} KiB, minified)`);
  const rows: Array<Record<string, string | number>> = [];
  const saved: Record<string, unknown> = { runs: RUNS, metrics: METRICS, viewport: '1400x900', first_paint_limit_s: FIRST_PAINT_LIMIT_MS / 1000 };
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const prefetcher = new Prefetcher();
  try {
    {
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
      try {
        const m = await measureMessages(browser, srv.url);
        const ps = m.per_s as Record<string, number>;
        console.log(`messages for ${LIVE_METRICS} live metrics at ${1000 / LIVE_FLUSH_MS} flushes/s: ${ps.total}/s`, m);
        rows.push({ points_per_metric: '-', measure: `messages/s, ${LIVE_METRICS} live metrics`, ours: ps.total, baseline_raw_points: '—', ratio: '—' });
        saved.live_messages = m;
      } finally {
        await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 15_000).unref())]);
      }
    }
    for (const points of SCALES) {
      const store = buildStore(workDir('dashboard'), points);
      console.log(`store: ${RUNS} runs × ${points} points × ${METRICS.length} metrics (eval every 10 steps) built in ${store.seconds.toFixed(1)} s`);
      const q = new Queries(store.db);
      const runs: DashboardRun[] = q.listRuns({ project: 'bench' }).map((r) => ({ id: r.id, name: r.name, project: r.project, status: r.status, reason: r.reason, created_at: r.created_at, ended_at: r.ended_at }));
      // A fresh browser per mode: a crashed baseline renderer must not take our figures with it.
      const res: Record<string, ModeResult> = {};
      for (const mode of WITH_BASELINE ? (['ours', 'baseline'] as const) : (['ours'] as const)) {
        const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
        try {
          res[mode] = await measure(browser, srv.url, store, q, runs, mode, points, prefetcher);
        } finally {
          // A browser whose renderer crashed may never answer close(): do not wait for it forever.
          await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 15_000).unref())]);
        }
      }
      store.tracker.close();
      store.db.close();
      const o = res.ours;
      const b = res.baseline ?? { firstPaintMs: [], liveMs: [], pointsSent: 0, failed: 'skipped (BENCH_DASHBOARD_BASELINE=0)' };
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
    await prefetcher.close();
  }
  console.table(rows);
  // A page built from another tree (the commit before a change) is saved beside, not over, the figures of this tree.
  if (process.env.BENCH_DASHBOARD_SRC) saved.page_source = process.env.BENCH_DASHBOARD_SRC;
  saveResults(process.env.BENCH_DASHBOARD_SRC ? 'dashboard_page_before' : 'dashboard', saved);
}

if (!isMainThread) prefetchWorker();
else
main().then(
  // A crashed browser can leave handles open: the figures are saved, so leave.
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
