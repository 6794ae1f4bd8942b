// Runs in the editor, end to end: the packaged extension in code-server,
// driven in Chromium. Runs made with the CLI (`tunestudio run`) and a job
// submitted with `tunestudio submit` (started by the extension's runtime)
// show in the Runs and Jobs views with their status; the dashboard draws
// their data (read through the page's test hook, not just "a canvas exists"),
// switches to a log scale, receives the job's live points; a NaN watcher's
// alert shows in the Alerts view and as a toast whose "Stop Run" stops the
// job. A second test covers the compare table, opening an alert at its step,
// the Runs filter, and the dashboard's state surviving a window reload.
// Screenshots go to test-results/ui-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Locator } from 'playwright-core';
import { cli, cliJson } from '../helpers/cli';
import { Studio, UI_TIMEOUT, exactly } from './harness';

interface ChartInfo {
  metric: string;
  logY: boolean;
  scaleType: string;
  xAxis: string;
  smoothing: number;
  zoom: { min: number; max: number } | null;
  xRange: { min: number; max: number } | null;
  datasets: Array<{ label: string; runId: string; kind: 'raw' | 'smoothed'; points: Array<[number, number | null]> }>;
  bands: Array<{ runId: string; from: number; to: number; kind: string }>;
  markers: Array<{ alertId: number; runId: string; step: number }>;
  focusStep: number | null;
  colors: { ticks: string; grid: string; background: string };
}
interface RunJson {
  id: string;
  name: string;
  status: string;
}
interface JobJson {
  id: string;
  state: string;
  run_id: string | null;
}

/** A trainer that logs a loss curve every 50 ms until stopped; while `nan.flag` exists its loss is NaN. */
const TRAINER = `// test trainer: protocol lines on stdout
const fs = require('fs');
const path = require('path');
const flag = path.join(__dirname, 'nan.flag');
let step = 0;
const total = 100000;
const timer = setInterval(() => {
  step++;
  const nan = fs.existsSync(flag);
  const loss = nan ? 'NaN' : (2 * Math.exp(-step / 150) + 0.1 + 0.02 * Math.sin(step / 3)).toFixed(5);
  console.log('@tunestudio {"step":' + step + ',"metrics":{"train/loss":' + loss + ',"train/lr":0.001}}');
  if (step % 10 === 0) console.log('@tunestudio {"progress":{"current":' + step + ',"total":' + total + '}}');
  if (step % 25 === 0) console.log('step ' + step + ' loss ' + loss);
}, 50);
process.on('SIGTERM', () => { clearInterval(timer); console.log('trainer: stopping'); process.exit(0); });
`;

/** Prints `n` steps of a finished run's metrics, then exits with `code`. */
const EMIT = `const [n, code, seed] = process.argv.slice(2).map(Number);
for (let s = 1; s <= n; s++) {
  const loss = 2.5 * Math.exp(-s / (40 + seed * 10)) + 0.2 + 0.01 * Math.sin(s + seed);
  const m = { 'train/loss': loss, 'train/lr': 0.001 * Math.min(1, s / 20), 'system/cpu': 20 + (s % 7) };
  if (s % 10 === 0) m['eval/loss'] = loss + 0.05;
  console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: m }));
}
process.exit(code);
`;

function seedWorkspace(ws: string): void {
  fs.writeFileSync(path.join(ws, 'trainer.js'), TRAINER);
  fs.writeFileSync(path.join(ws, 'emit.js'), EMIT);
  const dir = path.join(ws, '.tunestudio');
  const run = (name: string, args: string[], config: object) => {
    const r = cli(['run', '--project', 'demo', '--name', name, '--config', JSON.stringify(config), '--', process.execPath, 'emit.js', ...args], { dir, cwd: ws });
    return r;
  };
  const ok = run('baseline', ['300', '0', '1'], { lr: 0.001, batch_size: 16, model: 'tiny' });
  assert.equal(ok.code, 0, `the finished run: ${ok.stderr}`);
  const bad = run('broken', ['40', '3', '2'], { lr: 0.01, batch_size: 16, model: 'tiny' });
  assert.equal(bad.code, 3, `the failed run exits with its command's code: ${bad.stderr}`);
}

/** The webview frame (the panel page inside VS Code's two iframes) whose document satisfies `expr`. */
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

/** Evaluates `expr` in `frame` until `pred` holds for the value; returns it. */
async function until<T>(frame: Frame, expr: string, pred: (v: T) => boolean, what: string, timeoutMs = UI_TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = (await frame.evaluate(expr).catch(() => undefined)) as T | undefined;
    if (last !== undefined && pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function waitUntil<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = UI_TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const charts = (f: Frame) => f.evaluate('window.__tuneStudio.charts()') as Promise<ChartInfo[]>;
const chart = async (f: Frame, metric: string) => (await charts(f)).find((c) => c.metric === metric);
/** A tree row by its label (the label and description are separate elements with no space between). */
const labelled = (studio: Studio, view: string, label: string) => studio.treeRows(view).filter({ has: studio.page.locator('.label-name', { hasText: exactly(label) }) });

/**
 * Runs a context-menu entry of a tree row. The entry is chosen with the keyboard
 * (VS Code's menu navigation), which does not depend on where the menu lands over
 * the editor's webviews.
 */
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

/** Runs `body`; on failure keeps a screenshot of the window as test-results/<name>-failed.png. */
async function withFailureShot(studio: Studio, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    await studio.screenshot(`${name}-failed`, { settle: false }).catch(() => {});
    throw e;
  }
}

const rawPoints = (c: ChartInfo | undefined, runId: string) => c?.datasets.find((d) => d.runId === runId && d.kind === 'raw')?.points ?? [];

test('Runs, Jobs and Alerts views, the live dashboard, and stopping a run from an alert toast', async (t) => {
  const studio = await Studio.start(t, { seed: seedWorkspace, settings: { 'tuneStudio.alerts.notifyLevel': 'warn' } });
  await withFailureShot(studio, 'ui-live', async () => {
    const { page } = studio;
    // The pages run under their CSP without a single violation (chart.js included).
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to (load|apply|execute)/i.test(m.text())) violations.push(m.text());
    });
    const ws = studio.dirs.workspace;
    const dir = path.join(ws, '.tunestudio');
    const runs = () => cliJson<RunJson[]>(['runs'], { dir, cwd: ws });
    const baseline = runs().find((r) => r.name === 'baseline')!;
    const broken = runs().find((r) => r.name === 'broken')!;
    assert.equal(baseline.status, 'finished');
    assert.equal(broken.status, 'failed');

    await studio.openContainer();
    await studio.expandView('Runs');
    await studio.expandView('Jobs');
    await studio.expandView('Alerts');

    // A job submitted with the CLI; the extension's runtime (the store's scheduler) starts it.
    const submitted = cli(
      ['submit', '--project', 'demo', '--name', 'live', '--grace', '2', '--watch', JSON.stringify({ metric: 'train/loss', nan: true, stop: false }), '--', process.execPath, 'trainer.js'],
      { dir, cwd: ws },
    );
    assert.equal(submitted.code, 0, `tunestudio submit: ${submitted.stderr}`);
    const job = await waitUntil(() => cliJson<JobJson[]>(['jobs'], { dir, cwd: ws }).find((j) => j.state === 'running' && j.run_id), 'the job to run');
    const liveId = job.run_id!;

    // The Runs view: each run with its status icon (spinning while it runs).
    const row = (name: string) => labelled(studio, 'Runs', name);
    await row('live').locator('.codicon-sync.codicon-modifier-spin').waitFor({ state: 'visible' });
    await row('baseline').locator('.codicon-pass').waitFor({ state: 'visible' });
    await row('broken').locator('.codicon-error').waitFor({ state: 'visible' });
    assert.match((await row('baseline').innerText()).replace(/\s+/g, ' '), /train\/loss [\d.]+ \(best [\d.]+\)/, 'the headline metric with its best value');
    // The Jobs view: the job under Running with its progress.
    await labelled(studio, 'Jobs', 'Running').waitFor({ state: 'visible' });
    await labelled(studio, 'Jobs', 'live').filter({ hasText: /\/100000 · \d+%/ }).waitFor({ state: 'visible' });
    await studio.screenshot('ui-1-views');

    // Open one dashboard with the live run and the baseline: select both, then the context menu.
    await row('baseline').click();
    await row('live').click({ modifiers: ['Control'] });
    await contextMenu(studio, row('live'), 'Open Run Dashboard');
    await studio.editorTab('Dashboard: 2 runs').waitFor({ state: 'visible' });
    const dash = await frameWhere(studio, `window.__tuneStudio && window.__tuneStudio.ready() && window.__tuneStudio.runs().length === 2`, 'the dashboard page');

    // The charts' data: every baseline point (300, fewer than the chart's resolution, so not downsampled).
    const loss = await until<ChartInfo[]>(dash, 'window.__tuneStudio.charts()', (cs) => rawPoints(cs.find((c) => c.metric === 'train/loss'), baseline.id).length === 300, 'the baseline train/loss points');
    const lossChart = loss.find((c) => c.metric === 'train/loss')!;
    const basePts = rawPoints(lossChart, baseline.id);
    assert.equal(basePts[0][0], 1, 'x is the step');
    assert.ok(Math.abs(basePts[0][1]! - (2.5 * Math.exp(-1 / 50) + 0.2 + 0.01 * Math.sin(2))) < 1e-9, 'the first value as logged');
    assert.ok(lossChart.datasets.some((d) => d.runId === baseline.id && d.kind === 'smoothed'), 'a smoothed line beside the faint raw one (smoothing 0.6)');
    assert.equal(lossChart.smoothing, 0.6);
    const metricsShown = (await dash.evaluate('window.__tuneStudio.metrics()')) as string[];
    for (const m of ['train/loss', 'train/lr', 'eval/loss', 'system/cpu']) assert.ok(metricsShown.includes(m), `a chart for ${m}`);
    const sections = (await dash.locator('.section').evaluateAll((els) => els.map((e) => e.getAttribute('data-section')))) as string[];
    assert.deepEqual(sections, ['train', 'eval', 'system'], 'sections by prefix in order');
    assert.equal(lossChart.scaleType, 'linear');

    // Log scale for train/loss.
    await dash.locator('.card[data-metric="train/loss"] [data-action="log"]').click();
    await until<ChartInfo | undefined>(dash, `window.__tuneStudio.charts().find((c) => c.metric === 'train/loss')`, (c) => c?.scaleType === 'logarithmic' && c.logY, 'the logarithmic y axis');

    // Live points from the running job.
    const before = rawPoints(await chart(dash, 'train/loss'), liveId).length;
    await until<ChartInfo | undefined>(dash, `window.__tuneStudio.charts().find((c) => c.metric === 'train/loss')`, (c) => rawPoints(c, liveId).length >= before + 20, 'live points to arrive');
    await studio.screenshot('ui-2-dashboard-live');

    // The page's CSP as VS Code loaded it: a nonce, no unsafe-*, nothing remote.
    const csp = (await dash.evaluate(`document.querySelector('meta[http-equiv="Content-Security-Policy"]').content`)) as string;
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9]+'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);

    // A NaN: the watcher's alert in the Alerts view and as a toast; "Stop Run" stops the job.
    fs.writeFileSync(path.join(ws, 'nan.flag'), '');
    await labelled(studio, 'Alerts', 'live').waitFor({ state: 'visible' });
    const alertRow = studio.treeRows('Alerts').filter({ hasText: /nan · train\/loss @ step \d+/ });
    await alertRow.first().waitFor({ state: 'visible' });
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: "run 'live'" });
    await toast.waitFor({ state: 'visible' });
    assert.match(await toast.innerText(), /train\/loss is NaN at step \d+/);
    // The dashboard draws the NaN stretch as a band and the alert as a marker.
    await until<ChartInfo | undefined>(
      dash,
      `window.__tuneStudio.charts().find((c) => c.metric === 'train/loss')`,
      (c) => !!c && c.bands.some((b) => b.runId === liveId && b.kind === 'nan') && c.markers.some((m) => m.runId === liveId),
      'the NaN band and the alert marker',
    );
    await studio.screenshot('ui-3-alert-toast', { settle: false });
    await toast.locator('.monaco-button', { hasText: /^Stop Run$/ }).click();
    const stopped = await waitUntil(() => runs().find((r) => r.id === liveId && r.status !== 'running'), 'the live run to end', 90_000);
    assert.equal(stopped.status, 'stopped', 'the run ends as stopped');
    const endedJob = cliJson<JobJson[]>(['jobs'], { dir, cwd: ws }).find((j) => j.id === job.id)!;
    assert.equal(endedJob.state, 'stopped', 'the job ends as stopped');
    await row('live').locator('.codicon-debug-stop').waitFor({ state: 'visible' });
    await labelled(studio, 'Jobs', 'Finished').waitFor({ state: 'visible' });
    // The Show Log action opens the job's log as a document that follows the file.
    await contextMenu(studio, labelled(studio, 'Jobs', 'live'), 'Show Job Log');
    await studio.editorTab(`live (${job.id}).log`).waitFor({ state: 'visible' });
    await page.locator('.monaco-editor .view-lines', { hasText: 'trainer: stopping' }).waitFor({ state: 'visible' });
    await studio.screenshot('ui-4-stopped');

    assert.deepEqual(violations, [], 'no CSP violation in the webviews');
    const errors = await page.locator('.notifications-toasts .notification-toast', { has: page.locator('.codicon-error') }).allInnerTexts();
    assert.deepEqual(errors.filter((x) => /Tune Studio/.test(x) && !/live/.test(x)), [], 'no error toasts from Tune Studio');
  });
});

test('compare table, an alert opened at its step, the status filter, and dashboard state across a reload', async (t) => {
  const studio = await Studio.start(t, {
    seed: (ws) => {
      seedWorkspace(ws);
      // A finished run with a NaN stretch (an alert at step 20) and a negative metric.
      fs.writeFileSync(
        path.join(ws, 'nan.js'),
        `for (let s = 1; s <= 60; s++) console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: { 'train/loss': s >= 20 && s < 25 ? 'NaN' : 1 / s, 'train/reward': s - 30 } }).replace('"NaN"', 'NaN'));\n`,
      );
      const r = cli(['run', '--project', 'demo', '--name', 'spiky', '--watch', JSON.stringify({ metric: 'train/loss', nan: true, stop: false }), '--config', '{"lr":0.1,"batch_size":32,"model":"tiny"}', '--', process.execPath, 'nan.js'], {
        dir: path.join(ws, '.tunestudio'),
        cwd: ws,
      });
      assert.equal(r.code, 0, r.stderr);
      // A long run (20,000 steps, more than a chart's resolution) with one spike at step 12,345.
      fs.writeFileSync(
        path.join(ws, 'long.js'),
        `const out = []; for (let s = 1; s <= 20000; s++) out.push('@tunestudio {"step":' + s + ',"metrics":{"train/loss":' + (s === 12345 ? 50 : 1 + 0.1 * Math.sin(s / 50)) + '}}'); console.log(out.join('\\n'));\n`,
      );
      const long = cli(['run', '--project', 'scale', '--name', 'long', '--', process.execPath, 'long.js'], { dir: path.join(ws, '.tunestudio'), cwd: ws });
      assert.equal(long.code, 0, long.stderr);
    },
  });
  await withFailureShot(studio, 'ui-panels', async () => {
    const { page } = studio;
    const ws = studio.dirs.workspace;
    const dir = path.join(ws, '.tunestudio');
    const all = cliJson<RunJson[]>(['runs'], { dir, cwd: ws });
    const id = (n: string) => all.find((r) => r.name === n)!.id;

    await studio.openContainer();
    await studio.expandView('Runs');
    await studio.expandView('Alerts');
    const row = (name: string) => labelled(studio, 'Runs', name);
    await row('spiky').waitFor({ state: 'visible' });

    // Compare: three runs picked in the view, "Compare Selected" from the context menu.
    await row('baseline').click();
    await row('broken').click({ modifiers: ['Control'] });
    await row('spiky').click({ modifiers: ['Control'] });
    await contextMenu(studio, row('spiky'), 'Compare Selected');
    await studio.editorTab('Compare Runs (3)').waitFor({ state: 'visible' });
    const cmp = await frameWhere(studio, `window.__tuneStudioCompare && window.__tuneStudioCompare.table().rows.length === 3`, 'the compare table');
    const table = (await cmp.evaluate('window.__tuneStudioCompare.table()')) as { columns: string[]; rows: Array<{ runId: string; cells: string[] }> };
    assert.ok(table.columns.includes('last:train/loss') && table.columns.includes('best:train/loss'), 'last and best of the headline metric');
    assert.ok(table.columns.includes('cfg:lr') && table.columns.includes('cfg:batch_size'), 'config keys that differ');
    assert.ok(!table.columns.includes('cfg:model'), 'identical config keys are hidden');
    await cmp.locator('th.differs', { hasText: 'lr' }).first().waitFor({ state: 'visible' });
    const status = (r: string) => table.rows.find((x) => x.runId === id(r))!.cells[table.columns.indexOf('status')];
    assert.equal(status('broken'), 'failed');
    assert.equal(table.rows.find((x) => x.runId === id('spiky'))!.cells[table.columns.indexOf('alerts')], '1');
    // Sort by the last loss, descending (click twice).
    const header = cmp.locator('th[data-key="last:train/loss"]');
    await header.click();
    await header.click();
    const sorted = (await cmp.evaluate('window.__tuneStudioCompare.table()')) as typeof table;
    const lasts = sorted.rows.map((r) => Number(r.cells[sorted.columns.indexOf('last:train/loss')]));
    assert.deepEqual(lasts, [...lasts].sort((a, b) => b - a), 'rows sorted by last train/loss, descending');
    // Pick two rows and overlay them.
    await cmp.locator(`tr[data-run="${id('baseline')}"] td.pick input`).check();
    await cmp.locator(`tr[data-run="${id('spiky')}"] td.pick input`).check();
    await studio.screenshot('ui-5-compare');
    await cmp.locator('#overlay').click();
    await studio.editorTab('Dashboard: 2 runs').waitFor({ state: 'visible' });
    const overlay = await frameWhere(
      studio,
      `window.__tuneStudio && window.__tuneStudio.ready() && window.__tuneStudio.runs().map((r) => r.name).sort().join() === 'baseline,spiky'`,
      'the overlay dashboard',
    );
    await until<ChartInfo | undefined>(overlay, `window.__tuneStudio.charts().find((c) => c.metric === 'train/loss')`, (c) => new Set(c?.datasets.map((d) => d.runId)).size === 2, 'both runs drawn');

    // The alert in the Alerts view opens the run's dashboard at its step.
    const alertRow = studio.treeRows('Alerts').filter({ hasText: /nan · train\/loss @ step 20/ });
    await alertRow.click();
    await studio.editorTab('Dashboard: spiky').waitFor({ state: 'visible' });
    const spiky = await frameWhere(studio, `window.__tuneStudio && window.__tuneStudio.ready() && window.__tuneStudio.runs().length === 1 && window.__tuneStudio.runs()[0].name === 'spiky'`, 'the spiky dashboard');
    const focused = await until<ChartInfo | undefined>(spiky, `window.__tuneStudio.charts().find((c) => c.metric === 'train/loss')`, (c) => c?.focusStep === 20, 'the chart focused at step 20');
    assert.deepEqual(
      focused!.bands.map((b) => [b.from, b.to, b.kind]),
      [[20, 24, 'nan']],
      'the NaN stretch as one band',
    );
    await spiky.locator('.card.focused[data-metric="train/loss"]').waitFor({ state: 'visible' });
    // Log scale on a metric with values ≤ 0: those are left out and counted, not drawn at -Infinity.
    await spiky.locator('.card[data-metric="train/reward"] [data-action="log"]').click();
    const reward = await until<ChartInfo | undefined>(spiky, `window.__tuneStudio.charts().find((c) => c.metric === 'train/reward')`, (c) => c?.scaleType === 'logarithmic', 'log scale on train/reward');
    const drawnY = reward!.datasets.find((d) => d.kind === 'raw')!.points.map((p) => p[1]);
    assert.equal(drawnY.filter((y) => y !== null).length, 30, 'the 30 positive values are drawn');
    assert.ok(drawnY.every((y) => y === null || y > 0));
    await spiky.locator('.card[data-metric="train/reward"] .card-note', { hasText: '30 ≤ 0 not shown on log scale' }).waitFor({ state: 'visible' });
    // Smoothing and the x axis are page state too.
    await spiky.locator('#smoothing').fill('0.9');
    await spiky.locator('#x-axis').selectOption('relative');
    await until<ChartInfo | undefined>(spiky, `window.__tuneStudio.charts().find((c) => c.metric === 'train/loss')`, (c) => c?.smoothing === 0.9 && c.xAxis === 'relative', 'smoothing 0.9 on a relative time axis');
    await studio.screenshot('ui-6-alert-at-step');

    // Reload the window (as a user does: it saves the window's state first): the panels come
    // back through their serializers, with the state their pages kept.
    const reloaded = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 120_000 });
    await studio.runCommand('Developer: Reload Window');
    await reloaded;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120_000 });
    await studio.editorTab('Dashboard: spiky').click();
    const revived = await frameWhere(studio, `window.__tuneStudio && window.__tuneStudio.ready() && window.__tuneStudio.runs().length === 1 && window.__tuneStudio.runs()[0].name === 'spiky'`, 'the revived dashboard');
    const after = await until<ChartInfo[]>(revived, 'window.__tuneStudio.charts()', (cs) => !!cs.find((c) => c.metric === 'train/reward')?.datasets.length, 'the revived charts');
    const r2 = after.find((c) => c.metric === 'train/reward')!;
    assert.equal(r2.scaleType, 'logarithmic', 'log scale kept');
    assert.equal(r2.smoothing, 0.9, 'smoothing kept');
    assert.equal(r2.xAxis, 'relative', 'x axis kept');

    // A theme change redraws the charts in the new theme's colours (no reload).
    const themeOf = (f: Frame) =>
      f.evaluate(`(() => { const s = getComputedStyle(document.documentElement); return { muted: s.getPropertyValue('--vscode-descriptionForeground').trim(), bg: s.getPropertyValue('--vscode-editor-background').trim() }; })()`) as Promise<{ muted: string; bg: string }>;
    const before = await themeOf(revived);
    assert.deepEqual(r2.colors, { ticks: before.muted, grid: r2.colors.grid, background: before.bg }, 'drawn in the theme colours');
    const wasLight = (await revived.evaluate(`document.body.classList.contains('vscode-light')`)) as boolean;
    await studio.pickColorTheme(wasLight ? 'Default Dark Modern' : 'Default Light Modern');
    const now = await waitUntil(async () => {
      const t = await themeOf(revived);
      return t.bg !== before.bg && t;
    }, 'the editor to switch theme');
    await until<ChartInfo | undefined>(
      revived,
      `window.__tuneStudio.charts().find((c) => c.metric === 'train/reward')`,
      (c) => c?.colors.ticks === now.muted && c.colors.background === now.bg && c.colors.grid !== '',
      'the charts redrawn in the new theme',
    );
    await studio.screenshot('ui-6b-theme-changed');

    // Many points: the overview is downsampled with min/max buckets (the spike survives); a drag
    // zooms in and the range is fetched again at full resolution; a double-click resets.
    await studio.expandView('Runs');
    await row('long').click();
    await studio.editorTab('Dashboard: long').waitFor({ state: 'visible' });
    const longDash = await frameWhere(studio, `window.__tuneStudio && window.__tuneStudio.ready() && window.__tuneStudio.runs().length === 1 && window.__tuneStudio.runs()[0].name === 'long'`, 'the long dashboard');
    const longId = id('long');
    const ov = await until<ChartInfo | undefined>(longDash, `window.__tuneStudio.charts().find((c) => c.metric === 'train/loss')`, (c) => rawPoints(c, longId).length > 0, 'the long run drawn');
    const ovPts = rawPoints(ov, longId);
    assert.ok(ovPts.length < 4000, `downsampled to the chart's width: ${ovPts.length} points`);
    assert.ok(ovPts.some(([x, y]) => x === 12345 && y === 50), 'the spike at step 12345 is kept');
    assert.deepEqual([ovPts[0][0], ovPts[ovPts.length - 1][0]], [1, 20000], 'first and last points kept');
    const canvas = longDash.locator('.card[data-metric="train/loss"] canvas');
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.mouse.down();
    // About 1/40 of the axis: some 500 steps, fewer than the chart's resolution, so every point comes.
    await page.mouse.move(box.x + box.width * 0.51, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.525, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.up();
    const zoomed = await until<ChartInfo | undefined>(
      longDash,
      `window.__tuneStudio.charts().find((c) => c.metric === 'train/loss')`,
      (c) => {
        if (!c?.zoom) return false;
        const lo = Math.ceil(c.zoom.min);
        const hi = Math.floor(c.zoom.max);
        const inside = rawPoints(c, longId).filter(([x]) => x >= lo && x <= hi);
        return inside.length === hi - lo + 1;
      },
      'every step of the zoomed range (full resolution)',
    );
    const z = zoomed!.zoom!;
    assert.ok(z.max - z.min < 1000, `a narrow range: ${JSON.stringify(z)}`);
    const inOverview = ovPts.filter(([x]) => x >= z.min && x <= z.max).length;
    const inZoom = rawPoints(zoomed, longId).filter(([x]) => x >= z.min && x <= z.max).length;
    assert.ok(inZoom > inOverview * 2, `the zoomed range has more points than the overview had there (${inOverview} → ${inZoom})`);
    assert.ok(zoomed!.xRange!.min >= zoomed!.zoom!.min - 1 && zoomed!.xRange!.max <= zoomed!.zoom!.max + 1, 'the axis shows the zoomed range');
    await studio.screenshot('ui-7-zoomed');
    await canvas.dblclick();
    const reset = await until<ChartInfo | undefined>(longDash, `window.__tuneStudio.charts().find((c) => c.metric === 'train/loss')`, (c) => c?.zoom === null && !!c.xRange && c.xRange.max - c.xRange.min >= 19999, 'the zoom reset, drawn');
    const fullWidth = reset!.xRange!.max - reset!.xRange!.min;

    // Ctrl+wheel zooms in around the pointer: one notch keeps 80 % of the range.
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    const wheeled = await until<ChartInfo | undefined>(longDash, `window.__tuneStudio.charts().find((c) => c.metric === 'train/loss')`, (c) => !!c?.zoom && !!c.xRange && Math.abs(c.xRange.min - c.zoom.min) < 1 && Math.abs(c.xRange.max - c.zoom.max) < 1, 'a zoom from Ctrl+wheel, drawn');
    const w1 = wheeled!.zoom!.max - wheeled!.zoom!.min;
    assert.ok(Math.abs(w1 / fullWidth - 0.8) < 0.02, `one wheel notch keeps 80 % of the range: ${w1} of ${fullWidth}`);
    // The wheel's zoom is fetched at full resolution first: a pan made while that answer is on its
    // way would race with it (the answer redraws the wheeled range).
    await until<{ from: number; to: number } | null>(
      longDash,
      `window.__tuneStudio.zoomData('train/loss')`,
      (z) => !!z && z.from <= Math.ceil(wheeled!.zoom!.min) && z.to >= Math.floor(wheeled!.zoom!.max),
      "the wheel's zoom fetched",
    );
    // Shift+drag pans: the width stays, the range moves (dragging the plot left shows later steps).
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
    await page.keyboard.down('Shift');
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    const panned = await until<ChartInfo | undefined>(
      longDash,
      `window.__tuneStudio.charts().find((c) => c.metric === 'train/loss')`,
      (c) => !!c?.zoom && c.zoom.min > wheeled!.zoom!.min + w1 * 0.1,
      'the range panned to later steps',
    );
    const pz = panned!.zoom!;
    assert.ok(Math.abs((pz.max - pz.min) / w1 - 1) < 0.01, `panning keeps the width: ${pz.max - pz.min} vs ${w1}`);
    // The panned range is fetched again (what CSV export writes).
    const zd = await until<{ from: number; to: number } | null>(
      longDash,
      `window.__tuneStudio.zoomData('train/loss')`,
      (z) => !!z && z.from <= Math.ceil(pz.min) && z.to >= Math.floor(pz.max) && z.from > wheeled!.zoom!.min,
      'the panned range fetched',
    );

    // Export PNG and CSV through the browser's save dialog (VS Code's own quick input).
    const saveThrough = async (label: string, suffix: string): Promise<string> => {
      await longDash.locator(`.card[data-metric="train/loss"] button[aria-label="${label}"]`).click();
      const q = page.locator('.quick-input-widget');
      await q.locator('input.input').waitFor({ state: 'visible' });
      const proposed = await waitUntil(async () => {
        const v = await q.locator('input.input').inputValue();
        return v.endsWith(suffix) && v;
      }, `the proposed name ending ${suffix}`);
      await page.keyboard.press('Enter');
      const file = path.join(ws, path.basename(proposed));
      await waitUntil(() => fs.existsSync(file) && fs.statSync(file).size > 0, `${file} written`);
      return file;
    };
    const png = fs.readFileSync(await saveThrough('Export train/loss as PNG', 'long-train_loss.png'));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
    const pngWidth = png.readUInt32BE(16);
    assert.ok(pngWidth >= box.width * 0.9 && png.length > 5000, `the chart as drawn: ${pngWidth} px wide, ${png.length} bytes`);
    // The CSV holds every point of the range shown (full resolution), not the drawn buckets.
    const csvFile = await saveThrough('Export train/loss as CSV', 'long-train_loss.csv');
    await waitUntil(() => fs.readFileSync(csvFile, 'utf8').endsWith('\n'), 'the whole CSV');
    const csvSteps = fs.readFileSync(csvFile, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[3]));
    const lo = Math.max(1, zd!.from);
    const hi = Math.min(20000, zd!.to);
    assert.deepEqual(
      [csvSteps.length, csvSteps[0], csvSteps[csvSteps.length - 1]],
      [hi - lo + 1, lo, hi],
      `every step of the zoomed range ${lo}..${hi}, no other`,
    );
    await canvas.dblclick();

    // New Job… from a preset, saved as a job file and submitted; then Submit Job File runs it again.
    // (From the Jobs view's title; the palette's quick input would be reused by the wizard at once.)
    const jobsAction = async (label: string) => {
      const pane = await studio.expandView('Jobs');
      await pane.locator('.pane-header').hover();
      await pane.locator(`.actions .action-label[aria-label="${label}"]`).click();
    };
    await jobsAction('New Job…');
    const quick = page.locator('.quick-input-widget');
    await quick.locator('.monaco-list-row', { hasText: 'Custom command' }).click();
    const input = quick.locator('input.input');
    await quick.locator('.quick-input-message', { hasText: 'Command line' }).waitFor({ state: 'visible' });
    await input.fill(`${process.execPath} emit.js 30 0 3`);
    await page.keyboard.press('Enter');
    await quick.locator('.quick-input-message', { hasText: 'Run name' }).waitFor({ state: 'visible' });
    await input.fill('wizard');
    await page.keyboard.press('Enter');
    await quick.locator('.quick-input-message', { hasText: 'TensorBoard folder' }).waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    await quick.locator('.monaco-list-row', { hasText: 'Save as .tunejob.json and Submit' }).click();
    // The save dialog (VS Code's own in a browser) proposes <workspace>/wizard.tunejob.json.
    await quick.locator('input.input').waitFor({ state: 'visible' });
    await waitUntil(async () => (await quick.locator('input.input').inputValue()).endsWith('wizard.tunejob.json'), 'the proposed file name');
    await page.keyboard.press('Enter');
    const specFile = path.join(ws, 'wizard.tunejob.json');
    await waitUntil(() => fs.existsSync(specFile), 'the job file').catch((e) => {
      throw new Error(`${e.message}; workspace: ${fs.readdirSync(ws).join(', ')}; jobs: ${JSON.stringify(cliJson<unknown[]>(['jobs'], { dir, cwd: ws }))}`);
    });
    const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as { name: string; command: string[] };
    assert.equal(spec.name, 'wizard');
    assert.deepEqual(spec.command.slice(1), ['emit.js', '30', '0', '3']);
    await labelled(studio, 'Jobs', 'wizard').waitFor({ state: 'visible' });
    await waitUntil(() => cliJson<RunJson[]>(['runs'], { dir, cwd: ws }).find((r) => r.name === 'wizard' && r.status === 'finished'), 'the wizard job to finish');
    await jobsAction('Submit Job File');
    await quick.locator('.monaco-list-row', { hasText: 'wizard.tunejob.json' }).click();
    await waitUntil(() => cliJson<RunJson[]>(['runs'], { dir, cwd: ws }).filter((r) => r.name === 'wizard' && r.status === 'finished').length === 2, 'the job file to run a second time');

    // The status filter: only failed runs, remembered in the workspace.
    await studio.viewPane('Runs').locator('.pane-header').hover();
    await studio.viewPane('Runs').locator('.actions .action-label[aria-label="Filter Runs by Status…"]').click();
    const qi = page.locator('.quick-input-widget');
    await qi.waitFor({ state: 'visible' });
    // No filter: nothing is ticked (none ticked shows every run); tick "failed".
    await qi.locator('.monaco-list-row', { hasText: 'failed' }).click();
    await qi.locator('.quick-input-count', { hasText: '1 Selected' }).waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    await row('broken').waitFor({ state: 'visible' });
    await waitUntil(async () => (await studio.treeRows('Runs').filter({ hasText: /baseline|spiky/ }).count()) === 0, 'the other runs to be filtered out');
    await studio.viewPane('Runs').locator('.pane-header', { hasText: 'only failed' }).waitFor({ state: 'visible' });
    await studio.screenshot('ui-8-filtered');
  });
});
