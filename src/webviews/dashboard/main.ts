// Run Dashboard page: a chart per metric for one or more runs, grouped in
// collapsible sections by prefix (train/, eval/, system/, …). History comes
// from the runtime through the host, downsampled to about twice each chart's
// pixel width (min/max buckets keep spikes); live points are fetched as the
// range after the last step the page has; a zoomed range is fetched again at
// full resolution. State (smoothing, axis, log, zoom, hidden runs, collapsed
// sections) is kept with setState, so the panel comes back the same after a
// reload. `window.__tuneStudio` lets tests read what the charts draw.
import './dashboard.css';
import type { HistoryParams, HistoryResult } from '../../protocol/tracking';
import type { DashboardAlert, DashboardFocus, DashboardRun, DashboardState, DashboardToHost, DashboardToWebview, XAxisMode } from '../../protocol/webview';
import { runColors, themePalette, themeVar } from '../shared/colors';
import { connectHost, h } from '../shared/host';
import { sectionOf, sectionOrder } from '../shared/metrics';
import { icon, loadPanelStyles, statusIcon } from '../shared/styles';
import { ChartView, type ChartInfo, type ChartTheme, type RunInfo } from './chartView';
import { appendAfter, fromHistory, lastStep, merged, stepRangeFor, type Series, type ZoomData } from './data';

loadPanelStyles();

const host = connectHost<DashboardToHost, DashboardToWebview, DashboardState>();
const app = document.getElementById('app')!;

const DEFAULTS: DashboardState = { runIds: [], smoothing: 0.6, xAxis: 'step', logY: [], zoom: {}, hidden: [], collapsed: [] };
let state: DashboardState = { ...DEFAULTS, ...(host.getState() ?? {}) };
let runs: DashboardRun[] = [];
let metrics: string[] = [];
let alerts: DashboardAlert[] = [];
let initialized = false;
let loadError: string | undefined;
let filter = '';

/** metric → run → overview series. */
const overview = new Map<string, Map<string, Series>>();
const zooms = new Map<string, ZoomData>();

interface Card {
  metric: string;
  el: HTMLElement;
  note: HTMLElement;
  logBtn: HTMLButtonElement;
  resetBtn: HTMLButtonElement;
  view: ChartView;
  visible: boolean;
  loaded: boolean;
  loading: boolean;
  /** Runs with points newer than we have. */
  pending: Set<string>;
  appending: boolean;
  /** Width the overview was fetched for (re-fetched when the chart gets much wider). */
  fetchedWidth: number;
  /** Points per series after which live appends make us fetch a fresh downsampled overview. */
  rebaseAt: number;
}
const cards = new Map<string, Card>();
const sections = new Map<string, { el: HTMLElement; grid: HTMLElement; count: HTMLElement }>();

// ------------------------------------------------------------------ host requests

let nextReq = 1;
const waiting = new Map<number, { resolve: (r: HistoryResult) => void; reject: (e: Error) => void }>();

function history(params: HistoryParams): Promise<HistoryResult> {
  const reqId = nextReq++;
  return new Promise((resolve, reject) => {
    waiting.set(reqId, { resolve, reject });
    host.post({ type: 'history', reqId, params });
  });
}

function save(): void {
  host.setState(state);
}

function maxPointsFor(width: number): number {
  return Math.min(8000, Math.max(200, Math.round(width * 2)));
}

// ------------------------------------------------------------------ theme and colours

let theme: ChartTheme = readTheme();
let colors = new Map<string, string>();

function readTheme(): ChartTheme {
  return {
    fg: themeVar('--vscode-foreground', '#cccccc'),
    muted: themeVar('--vscode-descriptionForeground', '#9d9d9d'),
    grid: themeVar('--vscode-editorWidget-border', themeVar('--vscode-panel-border', 'rgba(128,128,128,0.35)')),
    bg: themeVar('--vscode-editor-background', '#1e1e1e'),
    error: themeVar('--vscode-charts-red', themeVar('--vscode-errorForeground', '#f14c4c')),
    warn: themeVar('--vscode-charts-yellow', themeVar('--vscode-editorWarning-foreground', '#cca700')),
    info: themeVar('--vscode-charts-blue', '#3794ff'),
    focus: themeVar('--vscode-focusBorder', themeVar('--vscode-charts-purple', '#b180d7')),
    font: themeVar('--vscode-font-family', 'sans-serif'),
    fontSize: parseFloat(themeVar('--vscode-font-size', '13')) || 13,
  };
}

function recolor(): void {
  colors = runColors(
    runs.map((r) => r.id),
    themePalette(),
  );
}

// VS Code changes the --vscode-* variables (on <html>) and the body class when the theme changes.
const themeObserver = new MutationObserver(() => {
  theme = readTheme();
  recolor();
  renderLegend();
  for (const m of cards.keys()) scheduleRender(m);
});
themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });

// ------------------------------------------------------------------ layout

const header = h('div', { class: 'dash-header' });
const toolbar = h('div', { class: 'toolbar dash-toolbar' });
const legend = h('div', { class: 'legend', role: 'list', 'aria-label': 'Runs' });
const alertStrip = h('div', { class: 'alert-strip' });
const body = h('div', { class: 'sections' });
const message = h('p', { class: 'muted dash-message' });
app.append(header, toolbar, legend, alertStrip, message, body);

const smoothing = h('input', { type: 'range', min: '0', max: '0.99', step: '0.01', id: 'smoothing', 'aria-label': 'Smoothing' });
const smoothingValue = h('span', { class: 'smoothing-value' });
const axisSelect = h(
  'select',
  { id: 'x-axis', 'aria-label': 'X axis' },
  h('option', { value: 'step' }, 'Step'),
  h('option', { value: 'relative' }, 'Relative time'),
  h('option', { value: 'wall' }, 'Wall time'),
);
const logAll = h('input', { type: 'checkbox', id: 'log-all' });
const filterInput = h('input', { type: 'search', id: 'metric-filter', placeholder: 'Filter metrics', 'aria-label': 'Filter metrics' });
const resetAll = button('zoom-out', 'Reset Zoom', 'Reset the zoom of every chart');
const compareBtn = button('diff-multiple', 'Compare', 'Compare these runs in a table');

toolbar.append(
  h('label', { for: 'smoothing', class: 'control' }, 'Smoothing ', smoothing, smoothingValue),
  h('label', { for: 'x-axis', class: 'control' }, 'X axis ', axisSelect),
  h('label', { for: 'log-all', class: 'control' }, logAll, ' Log scale (all)'),
  filterInput,
  resetAll,
  compareBtn,
  h('span', { class: 'muted hint', title: 'Drag on a chart to zoom into a range, Shift+drag to pan, Ctrl/Alt+wheel to zoom, double-click to reset.' }, icon('info'), ' Drag: zoom · Shift+drag: pan · Ctrl+wheel · double-click: reset'),
);

smoothing.addEventListener('input', () => {
  state.smoothing = Number(smoothing.value);
  smoothingValue.textContent = state.smoothing.toFixed(2);
  save();
  for (const m of cards.keys()) scheduleRender(m);
});
axisSelect.addEventListener('change', () => {
  state.xAxis = axisSelect.value as XAxisMode;
  // Zoom ranges are in the old axis's units.
  state.zoom = {};
  zooms.clear();
  save();
  for (const m of cards.keys()) scheduleRender(m);
});
logAll.addEventListener('change', () => {
  state.logY = logAll.checked ? [...metrics] : [];
  save();
  for (const m of cards.keys()) scheduleRender(m);
});
filterInput.addEventListener('input', () => {
  filter = filterInput.value.trim().toLowerCase();
  applyFilter();
});
resetAll.addEventListener('click', () => {
  state.zoom = {};
  zooms.clear();
  save();
  for (const m of cards.keys()) scheduleRender(m);
});
compareBtn.addEventListener('click', () => host.post({ type: 'compare' }));

function syncControls(): void {
  smoothing.value = String(state.smoothing);
  smoothingValue.textContent = state.smoothing.toFixed(2);
  axisSelect.value = state.xAxis;
  logAll.checked = metrics.length > 0 && metrics.every((m) => state.logY.includes(m));
}

function button(codicon: string, label: string, title: string, iconOnly = false): HTMLButtonElement {
  return h('button', { type: 'button', title, 'aria-label': label, class: iconOnly ? 'icon-btn' : '' }, icon(codicon), iconOnly ? null : ` ${label}`);
}

function renderHeader(): void {
  const title = runs.length === 1 ? runs[0].name : `${runs.length} runs`;
  const sub = runs.length === 1 ? `${runs[0].project} · ${runs[0].id}` : [...new Set(runs.map((r) => r.project))].join(', ');
  header.replaceChildren(h('h1', {}, title), h('span', { class: 'muted' }, sub));
  document.title = `Dashboard: ${title}`;
}

function renderLegend(): void {
  legend.replaceChildren(
    ...runs.map((r) => {
      const hidden = state.hidden.includes(r.id);
      const st = statusIcon(r.status);
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = colors.get(r.id) ?? theme.fg;
      const chip = h(
        'button',
        {
          type: 'button',
          class: `run-chip${hidden ? ' hidden-run' : ''}`,
          'data-run': r.id,
          role: 'listitem',
          'aria-pressed': hidden ? 'false' : 'true',
          title: `${r.name} (${r.id}) — ${r.status}${r.reason ? `: ${r.reason}` : ''}\nClick to ${hidden ? 'show' : 'hide'} this run in every chart.`,
        },
        swatch,
        h('span', { class: 'run-name' }, r.name),
        icon(st.icon, st.cls),
        h('span', { class: 'muted run-status' }, r.status),
      );
      chip.addEventListener('click', () => {
        state.hidden = hidden ? state.hidden.filter((x) => x !== r.id) : [...state.hidden, r.id];
        save();
        renderLegend();
        for (const m of cards.keys()) scheduleRender(m);
      });
      const actions: HTMLElement[] = [];
      if (r.status === 'running') {
        const stop = button('debug-stop', `Stop ${r.name}`, `Stop run ${r.name}`, true);
        stop.addEventListener('click', () => host.post({ type: 'stopRun', runId: r.id }));
        actions.push(stop);
      }
      const logs = button('output', `Logs of ${r.name}`, `Show the log of ${r.name}`, true);
      logs.addEventListener('click', () => host.post({ type: 'showLogs', runId: r.id }));
      actions.push(logs);
      return h('span', { class: 'run-entry' }, chip, ...actions);
    }),
  );
}

function renderAlerts(): void {
  const shown = alerts.filter((a) => !a.acknowledged).slice(-8);
  if (!shown.length) {
    alertStrip.replaceChildren();
    alertStrip.hidden = true;
    return;
  }
  alertStrip.hidden = false;
  const more = alerts.filter((a) => !a.acknowledged).length - shown.length;
  alertStrip.replaceChildren(
    ...shown.map((a) => {
      const run = runs.find((r) => r.id === a.run_id);
      const b = h(
        'button',
        { type: 'button', class: `alert-chip level-${a.level}`, title: `${a.title}${a.text ? '\n' + a.text : ''}\nClick to show step ${a.step ?? '?'}.`, 'data-alert': String(a.id) },
        icon(a.level === 'error' ? 'error' : a.level === 'warn' ? 'warning' : 'info'),
        ` ${runs.length > 1 && run ? run.name + ': ' : ''}${a.title}${a.step !== null ? ` · step ${a.step}` : ''}`,
      );
      b.addEventListener('click', () => {
        if (a.step !== null) focus({ step: a.step, metric: a.metric, runId: a.run_id, alertId: a.id });
      });
      return b;
    }),
    more > 0 ? h('span', { class: 'muted' }, `+${more} more in the Alerts view`) : '',
  );
}

/** Rebuilds sections and cards for the metric list (keeps existing charts). */
function layout(): void {
  const bySection = new Map<string, string[]>();
  for (const m of metrics) {
    const s = sectionOf(m);
    if (!bySection.has(s)) bySection.set(s, []);
    bySection.get(s)!.push(m);
  }
  const order = [...bySection.keys()].sort(sectionOrder);
  for (const name of order) {
    let sec = sections.get(name);
    if (!sec) {
      const count = h('span', { class: 'muted section-count' });
      const head = h('button', { type: 'button', class: 'section-head', 'aria-expanded': 'true', 'data-section': name }, icon('chevron-down', 'chevron'), h('span', { class: 'section-name' }, name === 'other' ? 'other' : `${name}/`), count);
      const grid = h('div', { class: 'grid' });
      const el = h('section', { class: 'section', 'data-section': name }, head, grid);
      head.addEventListener('click', () => toggleSection(name));
      sec = { el, grid, count };
      sections.set(name, sec);
    }
    body.append(sec.el);
    const list = bySection.get(name)!;
    sec.count.textContent = ` ${list.length} chart${list.length === 1 ? '' : 's'}`;
    for (const m of list) {
      if (!cards.has(m)) sec.grid.append(makeCard(m).el);
    }
    applyCollapsed(name);
  }
  for (const [name, sec] of sections) if (!bySection.has(name)) sec.el.remove();
  applyFilter();
}

function toggleSection(name: string): void {
  state.collapsed = state.collapsed.includes(name) ? state.collapsed.filter((s) => s !== name) : [...state.collapsed, name];
  save();
  applyCollapsed(name);
}

function applyCollapsed(name: string): void {
  const sec = sections.get(name);
  if (!sec) return;
  const collapsed = state.collapsed.includes(name);
  sec.el.classList.toggle('collapsed', collapsed);
  sec.el.querySelector('.section-head')!.setAttribute('aria-expanded', String(!collapsed));
  sec.grid.hidden = collapsed;
}

function applyFilter(): void {
  for (const c of cards.values()) c.el.hidden = !!filter && !c.metric.toLowerCase().includes(filter);
}

function makeCard(metric: string): Card {
  const note = h('span', { class: 'muted card-note' });
  const logBtn = h('button', { type: 'button', class: 'icon-btn text-btn', title: 'Logarithmic y axis', 'aria-label': `Log scale for ${metric}`, 'data-action': 'log' }, 'log');
  const resetBtn = button('zoom-out', `Reset zoom of ${metric}`, 'Reset zoom (double-click the chart)', true);
  resetBtn.dataset.action = 'reset';
  const png = button('device-camera', `Export ${metric} as PNG`, 'Export PNG', true);
  const csv = button('export', `Export ${metric} as CSV`, 'Export CSV (full resolution)', true);
  const plot = h('div', { class: 'plot' });
  const el = h(
    'div',
    { class: 'card', 'data-metric': metric },
    h('div', { class: 'card-head' }, h('span', { class: 'card-title', title: metric }, metric), note, h('span', { class: 'card-actions' }, logBtn, resetBtn, png, csv)),
    plot,
  );
  const view = new ChartView(plot, (range, final) => onRange(metric, range, final));
  const card: Card = { metric, el, note, logBtn, resetBtn, view, visible: false, loaded: false, loading: false, pending: new Set(), appending: false, fetchedWidth: 0, rebaseAt: Infinity };
  logBtn.addEventListener('click', () => {
    state.logY = state.logY.includes(metric) ? state.logY.filter((m) => m !== metric) : [...state.logY, metric];
    save();
    syncControls();
    scheduleRender(metric);
  });
  resetBtn.addEventListener('click', () => onRange(metric, undefined, true));
  png.addEventListener('click', () => host.post({ type: 'exportPng', metric, dataUrl: view.toPng() }));
  csv.addEventListener('click', () => {
    const z = zooms.get(metric);
    host.post({ type: 'exportCsv', metric, from: z?.from, to: z?.to });
  });
  cards.set(metric, card);
  visibility.observe(el);
  return card;
}

// Charts are drawn, and their history fetched, only once they scroll into view.
const visibility = new IntersectionObserver(
  (entries) => {
    for (const e of entries) {
      const m = (e.target as HTMLElement).dataset.metric!;
      const card = cards.get(m);
      if (!card) continue;
      card.visible = e.isIntersecting;
      if (card.visible && !card.loaded) queueLoad(m);
    }
  },
  { rootMargin: '300px 0px' },
);

// ------------------------------------------------------------------ loading

let loadQueue = new Set<string>();
let loadScheduled = false;

function queueLoad(metric: string): void {
  const c = cards.get(metric);
  if (!c || c.loading) return;
  loadQueue.add(metric);
  if (loadScheduled) return;
  loadScheduled = true;
  requestAnimationFrame(() => {
    loadScheduled = false;
    const batch = [...loadQueue];
    loadQueue = new Set();
    void loadOverview(batch);
  });
}

/** Fetches the overview of `list` (every run) at the charts' resolution. */
async function loadOverview(list: string[]): Promise<void> {
  const todo = list.filter((m) => cards.has(m) && !cards.get(m)!.loading);
  if (!todo.length || !runs.length) return;
  const width = Math.max(...todo.map((m) => cards.get(m)!.view.width));
  for (const m of todo) cards.get(m)!.loading = true;
  try {
    const res = await history({ runIds: runs.map((r) => r.id), metrics: todo, maxPoints: maxPointsFor(width) });
    for (const m of todo) overview.set(m, new Map());
    for (const hst of res.series) overview.get(hst.metric)?.set(hst.run_id, fromHistory(hst));
    for (const m of todo) {
      const c = cards.get(m);
      if (!c) continue;
      c.loaded = true;
      c.fetchedWidth = width;
      const longest = Math.max(0, ...[...(overview.get(m)?.values() ?? [])].map((x) => x.steps.length));
      c.rebaseAt = Math.max(maxPointsFor(width) * 3, longest * 2);
      c.pending.clear();
      if (state.zoom[m]) void loadZoom(m);
      scheduleRender(m);
    }
  } catch (e) {
    reportError(e);
  } finally {
    for (const m of todo) {
      const c = cards.get(m);
      if (c) c.loading = false;
    }
  }
}

function onRange(metric: string, range: { min: number; max: number } | undefined, final: boolean): void {
  if (!range) {
    delete state.zoom[metric];
    zooms.delete(metric);
    save();
    scheduleRender(metric);
    return;
  }
  state.zoom[metric] = range;
  if (!final) return;
  save();
  scheduleRender(metric);
  void loadZoom(metric);
}

/** Fetches the zoomed range again at full resolution (downsampled only if it is still wider than the chart). */
async function loadZoom(metric: string): Promise<void> {
  const range = state.zoom[metric];
  const c = cards.get(metric);
  if (!range || !c) return;
  const series = [...(overview.get(metric)?.values() ?? [])].map((s) => ({ s, t0: runStart(s.runId) }));
  const steps = stepRangeFor(state.xAxis, range.min, range.max, series);
  if (!steps) return;
  try {
    const res = await history({
      runIds: runs.filter((r) => !state.hidden.includes(r.id)).map((r) => r.id),
      metrics: [metric],
      from: Math.max(0, steps.from),
      to: steps.to,
      maxPoints: maxPointsFor(c.view.width),
    });
    // A newer gesture may have moved the range meanwhile: keep only the answer for the current one.
    if (state.zoom[metric] !== range) return;
    const z: ZoomData = { from: steps.from, to: steps.to, series: new Map() };
    for (const hst of res.series) z.series.set(hst.run_id, fromHistory(hst));
    zooms.set(metric, z);
    scheduleRender(metric);
  } catch (e) {
    reportError(e);
  }
}

/** Live points: fetch only the steps after the ones we have, for the runs that have more. */
async function loadAppended(metric: string): Promise<void> {
  const c = cards.get(metric);
  if (!c || !c.loaded || c.appending || !c.pending.size) return;
  const ids = [...c.pending];
  c.pending.clear();
  c.appending = true;
  const ov = overview.get(metric)!;
  const from = Math.min(...ids.map((id) => lastStep(ov.get(id)) + 1));
  const maxPoints = maxPointsFor(c.view.width);
  try {
    const res = await history({ runIds: ids, metrics: [metric], from, maxPoints });
    let rebase = false;
    for (const hst of res.series) {
      const add = fromHistory(hst);
      let s = ov.get(hst.run_id);
      if (!s) {
        s = { ...add, steps: [], values: [], wall: [], nonFinite: [], total: 0 };
        ov.set(hst.run_id, s);
      }
      appendAfter(s, add);
      s.downsampled ||= add.downsampled;
      if (s.steps.length > c.rebaseAt) rebase = true;
    }
    scheduleRender(metric);
    // The live tail has grown to several times the chart's width: fetch a fresh downsampled overview.
    if (rebase) {
      c.loaded = false;
      queueLoad(metric);
    }
  } catch (e) {
    reportError(e);
  } finally {
    c.appending = false;
    if (c.pending.size) void loadAppended(metric);
  }
}

function runStart(runId: string): number {
  const r = runs.find((x) => x.id === runId);
  const t = r ? Date.parse(r.created_at) / 1000 : NaN;
  if (Number.isFinite(t)) return t;
  // No start time: the first point of the run.
  for (const ov of overview.values()) {
    const s = ov.get(runId);
    if (s?.wall.length) return s.wall[0];
  }
  return 0;
}

// ------------------------------------------------------------------ rendering

const dirty = new Set<string>();
let frame = 0;
let firstPaintMarked = false;

function scheduleRender(metric: string): void {
  dirty.add(metric);
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    const list = [...dirty];
    dirty.clear();
    markPainted(list.filter((m) => renderChart(m)));
  });
}

/** Draws a loaded chart; false when there is nothing to draw yet. */
function renderChart(metric: string): boolean {
  const c = cards.get(metric);
  if (!c || !c.loaded) return false;
  const ov = overview.get(metric) ?? new Map<string, Series>();
  const z = zooms.get(metric);
  const series = new Map<string, Series>();
  for (const r of runs) {
    const s = merged(ov.get(r.id), z?.series.get(r.id), z);
    if (s) series.set(r.id, s);
  }
  const runInfo: RunInfo[] = runs.map((r) => ({ id: r.id, name: r.name, color: colors.get(r.id) ?? theme.fg, t0: runStart(r.id), hidden: state.hidden.includes(r.id) }));
  const f = state.focus;
  const focusHere = f && (f.metric === metric || (!f.metric && metric === focusMetric(f)));
  c.view.render({
    metric,
    runs: runInfo,
    series,
    mode: state.xAxis,
    smoothing: state.smoothing,
    logY: state.logY.includes(metric),
    range: state.zoom[metric],
    alerts,
    focus: focusHere ? { step: f.step, runId: f.runId } : undefined,
    theme,
  });
  c.el.classList.toggle('focused', !!focusHere);
  c.logBtn.classList.toggle('on', state.logY.includes(metric));
  c.logBtn.setAttribute('aria-pressed', String(state.logY.includes(metric)));
  c.resetBtn.disabled = !state.zoom[metric];
  const totals = [...series.values()].reduce((n, s) => n + s.total, 0);
  const drawn = [...series.values()].reduce((n, s) => n + s.steps.length, 0);
  const parts: string[] = [];
  if (!series.size) parts.push('no points');
  else if (drawn < totals) parts.push(`${compact(drawn)} of ${compact(totals)} points (min/max per pixel)`);
  else parts.push(`${compact(totals)} point${totals === 1 ? '' : 's'}`);
  const nf = [...series.values()].reduce((n, s) => n + s.nonFinite.reduce((k, r) => k + r.count, 0), 0);
  if (nf) parts.push(`${compact(nf)} NaN/Inf`);
  if (c.view.nonPositiveHidden) parts.push(`${compact(c.view.nonPositiveHidden)} ≤ 0 not shown on log scale`);
  if (state.zoom[metric]) parts.push(z ? 'zoomed' : 'zoomed (loading full resolution…)');
  c.note.textContent = parts.join(' · ');
  return true;
}

function compact(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : String(n);
}

/** For bench and tests: what was drawn, once it is on screen (the frame after the draw). */
function markPainted(list: string[]): void {
  requestAnimationFrame(() => {
    for (const m of list) {
      const ov = overview.get(m);
      const lastSteps: Record<string, number> = {};
      if (ov) for (const [id, s] of ov) lastSteps[id] = lastStep(s);
      window.dispatchEvent(new CustomEvent('tunestudio:drawn', { detail: { metric: m, lastSteps } }));
    }
    if (!firstPaintMarked) {
      const shown = [...cards.values()].filter((c) => c.visible && !c.el.hidden && !c.el.closest('.section.collapsed'));
      if (shown.length && shown.every((c) => c.loaded)) {
        firstPaintMarked = true;
        performance.mark('tunestudio:first-paint');
        window.dispatchEvent(new CustomEvent('tunestudio:first-paint'));
      }
    }
  });
}

function reportError(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  loadError = msg;
  message.textContent = `Could not load metrics: ${msg}`;
  message.classList.add('error');
  host.post({ type: 'log', level: 'error', message: `dashboard: ${msg}` });
}

function updateMessage(): void {
  message.classList.remove('error');
  if (!runs.length) message.textContent = initialized ? 'The runs of this dashboard no longer exist. Open a dashboard from the Runs view.' : 'Loading…';
  else if (initialized && !metrics.length) message.textContent = 'No metrics logged yet. Points appear here as they are written.';
  else message.textContent = '';
  message.hidden = !message.textContent;
}

// ------------------------------------------------------------------ focus (open at a step)

function focusMetric(f: DashboardFocus): string | undefined {
  if (f.metric && metrics.includes(f.metric)) return f.metric;
  return metrics.find((m) => overview.get(m)?.get(f.runId ?? '')) ?? metrics[0];
}

function focus(f: DashboardFocus): void {
  state.focus = f;
  const m = focusMetric(f);
  save();
  if (!m) return;
  const sec = sectionOf(m);
  if (state.collapsed.includes(sec)) toggleSection(sec);
  const c = cards.get(m);
  if (!c) return;
  if (filter && c.el.hidden) {
    filter = '';
    filterInput.value = '';
    applyFilter();
  }
  // A zoom that does not contain the step would hide it.
  const range = state.zoom[m];
  if (range && state.xAxis === 'step' && (f.step < range.min || f.step > range.max)) {
    delete state.zoom[m];
    zooms.delete(m);
    save();
  }
  c.el.scrollIntoView({ block: 'center' });
  c.el.classList.add('flash');
  setTimeout(() => c.el.classList.remove('flash'), 1600);
  for (const k of cards.keys()) scheduleRender(k);
  if (!c.loaded) queueLoad(m);
}

// ------------------------------------------------------------------ messages

function setRuns(next: DashboardRun[]): void {
  const changed = next.map((r) => r.id).join() !== runs.map((r) => r.id).join();
  runs = next;
  state.runIds = runs.map((r) => r.id);
  state.hidden = state.hidden.filter((id) => state.runIds.includes(id));
  save();
  recolor();
  renderHeader();
  renderLegend();
  if (changed) void reload();
}

/** (Re)loads the metric list and every visible chart. */
async function reload(): Promise<void> {
  overview.clear();
  zooms.clear();
  for (const c of cards.values()) {
    c.loaded = false;
    c.pending.clear();
  }
  if (!runs.length) {
    metrics = [];
    initialized = true;
    layout();
    updateMessage();
    return;
  }
  try {
    const res = await history({ runIds: runs.map((r) => r.id), metrics: [], maxPoints: 4 });
    metrics = res.metrics;
    loadError = undefined;
  } catch (e) {
    reportError(e);
    return;
  }
  initialized = true;
  for (const [m, c] of cards) {
    if (!metrics.includes(m)) {
      visibility.unobserve(c.el);
      c.view.destroy();
      c.el.remove();
      cards.delete(m);
    }
  }
  layout();
  syncControls();
  updateMessage();
  for (const c of cards.values()) if (c.visible) queueLoad(c.metric);
  if (state.focus) focus(state.focus);
}

host.onMessage((msg) => {
  switch (msg.type) {
    case 'init':
      if (msg.focus) state.focus = msg.focus;
      setRuns(msg.runs);
      if (!msg.runs.length) void reload();
      break;
    case 'runs':
      setRuns(msg.runs);
      break;
    case 'history': {
      const w = waiting.get(msg.reqId);
      waiting.delete(msg.reqId);
      if (!w) break;
      if (msg.result) w.resolve(msg.result);
      else w.reject(new Error(msg.error ?? 'no answer'));
      break;
    }
    case 'appended': {
      let added = false;
      for (const a of msg.appended) {
        if (!runs.some((r) => r.id === a.runId)) continue;
        if (!metrics.includes(a.metric)) {
          metrics = [...metrics, a.metric].sort();
          added = true;
          continue;
        }
        const c = cards.get(a.metric);
        if (!c || !c.loaded) continue;
        if (a.lastStep > lastStep(overview.get(a.metric)?.get(a.runId))) c.pending.add(a.runId);
      }
      if (added) {
        layout();
        updateMessage();
      }
      for (const c of cards.values()) if (c.pending.size) void loadAppended(c.metric);
      break;
    }
    case 'alerts':
      alerts = msg.alerts;
      renderAlerts();
      for (const m of cards.keys()) scheduleRender(m);
      break;
    case 'focus':
      focus(msg.focus);
      break;
    case 'exported':
      message.hidden = false;
      message.classList.toggle('error', !!msg.error);
      message.textContent = msg.error ? `Export failed: ${msg.error}` : msg.path ? `Saved ${msg.path}` : '';
      break;
  }
});

// A chart much wider than the resolution it was fetched for gets its overview again.
let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    for (const c of cards.values()) {
      if (c.loaded && c.visible && c.view.width > c.fetchedWidth * 1.5) {
        c.loaded = false;
        queueLoad(c.metric);
      }
    }
  }, 300);
});

// ------------------------------------------------------------------ test hook

declare global {
  interface Window {
    __tuneStudio?: {
      charts(): ChartInfo[];
      state(): DashboardState;
      runs(): DashboardRun[];
      metrics(): string[];
      alerts(): DashboardAlert[];
      /** True once the runs and the metric list are loaded. */
      ready(): boolean;
      error(): string | undefined;
      /** The step range fetched at full resolution for a zoomed chart (what CSV export writes), or null. */
      zoomData(metric: string): { from: number; to: number } | null;
    };
  }
}

window.__tuneStudio = {
  charts: () => [...cards.values()].map((c) => c.view.info()).filter((i): i is ChartInfo => !!i),
  state: () => structuredClone(state),
  runs: () => runs.slice(),
  metrics: () => metrics.slice(),
  alerts: () => alerts.slice(),
  ready: () => initialized,
  error: () => loadError,
  zoomData: (metric) => {
    const z = zooms.get(metric);
    return z ? { from: z.from, to: z.to } : null;
  },
};

renderHeader();
syncControls();
updateMessage();
host.post({ type: 'ready' });

