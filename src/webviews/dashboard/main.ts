// Run Dashboard page, wiring only: a chart per metric for one or more runs,
// grouped in collapsible sections by prefix (train/, eval/, system/, …).
// The model holds what the page knows and keeps (setState, so the panel comes
// back the same after a reload), the loader pulls history (first load, zoom,
// gaps) and appends the live points the host pushes, the view draws. The
// host's messages are dispatched here; `window.__tuneStudio` (test builds
// only) lets tests read what the charts draw.
import './dashboard.css';
import type { HistoryParams } from '../../protocol/tracking';
import { DashboardHistoryRequest, type DashboardAlert, type DashboardRun, type DashboardState, type DashboardToHost, type DashboardToWebview } from '../../protocol/webview';
import { connectHost } from '../shared/host';
import { loadPanelStyles } from '../shared/styles';
import { TEST_HOOKS } from '../shared/testHooks';
import type { ChartInfo } from './chartView';
import { Loader } from './loader';
import { DashboardModel } from './model';
import { DashboardView } from './view';

function start(): void {
  loadPanelStyles();
  const host = connectHost<DashboardToHost, DashboardToWebview, DashboardState>();
  const model = new DashboardModel((s) => host.setState(s), host.getState());
  const view = new DashboardView(document.getElementById('app')!, model, {
    redraw: () => view.redrawAll(),
    filter: () => view.applyFilter(),
    compare: () => host.post({ type: 'compare' }),
    toggle: (id) => model.toggleHidden(id),
    stop: (runId) => host.post({ type: 'stopRun', runId }),
    logs: (runId) => host.post({ type: 'showLogs', runId }),
    range: (metric, range, final) => {
      // While the gesture goes on the chart draws its own preview; the range is kept (and fetched) when it ends.
      model.setZoom(metric, range, final);
      if (range && !final) return;
      view.scheduleRender(metric);
      if (range) void loader.loadZoom(metric);
    },
    exportPng: (metric, dataUrl) => host.post({ type: 'exportPng', metric, dataUrl }),
    exportCsv: (metric) => {
      const z = model.zooms.get(metric);
      host.post({ type: 'exportCsv', metric, from: z?.from, to: z?.to });
    },
  });
  const loader = new Loader(model, (p: HistoryParams) => host.sendRequest(DashboardHistoryRequest, p), {
    width: (m) => view.width(m),
    changed: (m) => view.changed(m),
    error: (e) => {
      view.error(e);
      host.post({ type: 'log', level: 'error', message: `dashboard: ${e instanceof Error ? e.message : String(e)}` });
    },
  });
  view.attach(loader);

  /** (Re)loads the metric list (unless the host sent it) and every visible chart (but those whose overview the host is sending). */
  async function reload(names?: string[], overviewFor?: { metrics: string[] }): Promise<void> {
    loader.reset();
    if (model.runs.length) {
      try {
        model.metrics = names ?? (await loader.metricNames());
        model.loadError = undefined;
      } catch (e) {
        view.error(e);
        return;
      }
    } else model.metrics = [];
    model.initialized = true;
    view.layout();
    view.toolbar.sync();
    view.updateMessage();
    if (overviewFor) loader.expect(overviewFor.metrics);
    view.loadVisible();
    if (model.state.focus && model.metrics.length) view.focus(model.state.focus);
  }

  function setRuns(runs: DashboardRun[], o: { always?: boolean; metrics?: string[]; overviewFor?: { metrics: string[] } } = {}): void {
    const changed = model.setRuns(runs);
    view.recolor();
    view.renderRuns();
    if (changed || o.always) void reload(o.metrics, o.overviewFor);
  }

  host.onMessage((msg) => {
    switch (msg.type) {
      case 'init':
        if (msg.focus) model.state.focus = msg.focus;
        setRuns(msg.runs, { always: !msg.runs.length, metrics: msg.metrics, overviewFor: msg.overviewFor });
        break;
      case 'overview':
        // The charts it fits are drawn from it; the others announced with the init ask for themselves.
        if (msg.overview) loader.prefill(msg.overview);
        loader.unexpect();
        view.loadVisible();
        break;
      case 'runs':
        setRuns(msg.runs);
        break;
      case 'appended':
        if (loader.appended(msg.appended).length) {
          view.layout();
          view.updateMessage();
        }
        break;
      case 'alerts':
        model.alerts = msg.alerts;
        view.renderAlerts();
        break;
      case 'focus':
        view.focus(msg.focus);
        break;
      case 'exported':
        view.showExported(msg.error, msg.path);
        break;
    }
  });

  // A chart much wider than the resolution it was fetched for gets its overview again.
  let resizeTimer: number | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => loader.resized((m) => !!view.cards.get(m)?.visible), 300);
  });

  if (TEST_HOOKS) {
    window.__tuneStudio = {
      charts: () => [...view.cards.values()].map((c) => c.view.info()).filter((i): i is ChartInfo => !!i),
      state: () => structuredClone(model.state),
      runs: () => model.runs.slice(),
      metrics: () => model.metrics.slice(),
      alerts: () => model.alerts.slice(),
      ready: () => model.initialized,
      error: () => model.loadError,
      zoomData: (metric) => {
        const z = model.zooms.get(metric);
        return z ? { from: z.from, to: z.to } : null;
      },
    };
  }

  view.renderRuns();
  view.toolbar.sync();
  view.updateMessage();
  host.post({ type: 'ready' });
}

declare global {
  interface Window {
    /** Test builds only (TEST_HOOKS): what the dashboard draws. */
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

start();
