// The dashboard's view: header, toolbar, legend, alert strip, sections of
// chart cards; the theme (followed when VS Code changes it); drawing at most
// once per frame and only charts on screen; opening at a step (focus); the
// first-paint mark the bench reads and, in test builds, the `drawn` events.
import type { DashboardFocus } from '../../protocol/webview';
import { sectionOf, sectionOrder } from '../../protocol/metrics';
import { runColors, themePalette, themeVar } from '../shared/colors';
import { h } from '../shared/host';
import { TEST_HOOKS } from '../shared/testHooks';
import type { ChartTheme } from './chartView';
import { renderAlertStrip } from './components/alertStrip';
import { Card, type CardActions } from './components/card';
import { renderHeader, renderLegend, type LegendActions } from './components/legend';
import { Section } from './components/section';
import { Toolbar, type ToolbarActions } from './components/toolbar';
import type { Loader, LoaderView } from './loader';
import type { DashboardModel } from './model';

export type ViewActions = ToolbarActions & LegendActions & Omit<CardActions, 'toggleLog'>;

export function readTheme(): ChartTheme {
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

export class DashboardView implements LoaderView {
  readonly cards = new Map<string, Card>();
  private readonly sections = new Map<string, Section>();
  private readonly header = h('div', { class: 'dash-header' });
  private readonly legend = h('div', { class: 'legend', role: 'list', 'aria-label': 'Runs' });
  private readonly alertStrip = h('div', { class: 'alert-strip' });
  private readonly body = h('div', { class: 'sections' });
  private readonly message = h('p', { class: 'muted dash-message' });
  readonly toolbar: Toolbar;
  private theme = readTheme();
  private colors = new Map<string, string>();
  private readonly dirty = new Set<string>();
  private frame = 0;
  private firstPaintMarked = false;
  private loader!: Loader;
  /** Charts are drawn, and their history fetched, only once they scroll into view. */
  private readonly visibility = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        const card = this.cards.get((e.target as HTMLElement).dataset.metric!);
        if (!card) continue;
        card.visible = e.isIntersecting;
        if (!card.visible) continue;
        if (!this.loader.isLoaded(card.metric)) this.loader.queue(card.metric);
        // Loaded while off screen (the host's prefetched overview) and never drawn: draw it now.
        else if (!card.view.drawn) this.scheduleRender(card.metric);
      }
    },
    { rootMargin: '300px 0px' },
  );

  constructor(
    app: HTMLElement,
    private readonly model: DashboardModel,
    private readonly on: ViewActions,
  ) {
    this.toolbar = new Toolbar(model, { ...on, redraw: () => this.redrawAll(), filter: () => this.applyFilter() });
    app.append(this.header, this.toolbar.el, this.legend, this.alertStrip, this.message, this.body);
    // VS Code changes the --vscode-* variables (on <html>) and the body class when the theme changes.
    const themeObserver = new MutationObserver(() => {
      this.theme = readTheme();
      this.recolor();
      this.renderRuns();
      this.redrawAll();
    });
    themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  attach(loader: Loader): void {
    this.loader = loader;
  }

  // ---------------------------------------------------------------- LoaderView

  width(metric: string): number {
    return this.cards.get(metric)?.view.width ?? 0;
  }

  changed(metric: string): void {
    this.scheduleRender(metric);
  }

  error(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    this.model.loadError = msg;
    this.message.hidden = false;
    this.message.textContent = `Could not load metrics: ${msg}`;
    this.message.classList.add('error');
  }

  // ---------------------------------------------------------------- runs, alerts, messages

  recolor(): void {
    this.colors = runColors(
      this.model.runs.map((r) => r.id),
      themePalette(),
    );
  }

  renderRuns(): void {
    renderHeader(this.header, this.model);
    renderLegend(this.legend, this.model, this.colors, this.theme.fg, {
      ...this.on,
      toggle: (id) => {
        this.on.toggle(id);
        this.renderRuns();
        this.redrawAll();
      },
    });
  }

  renderAlerts(): void {
    renderAlertStrip(this.alertStrip, this.model, (f) => this.focus(f));
    this.redrawAll();
  }

  updateMessage(): void {
    const m = this.model;
    this.message.classList.remove('error');
    if (!m.runs.length) this.message.textContent = m.initialized ? 'The runs of this dashboard no longer exist. Open a dashboard from the Runs view.' : 'Loading…';
    else if (m.initialized && !m.metrics.length) this.message.textContent = 'No metrics logged yet. Points appear here as they are written.';
    else this.message.textContent = '';
    this.message.hidden = !this.message.textContent;
  }

  showExported(error: string | undefined, path: string | undefined): void {
    this.message.hidden = false;
    this.message.classList.toggle('error', !!error);
    this.message.textContent = error ? `Export failed: ${error}` : path ? `Saved ${path}` : '';
  }

  // ---------------------------------------------------------------- layout

  /** Rebuilds sections and cards for the metric list (keeps existing charts, drops gone ones). */
  layout(): void {
    for (const [m, c] of this.cards) {
      if (this.model.metrics.includes(m)) continue;
      this.visibility.unobserve(c.el);
      c.destroy();
      this.cards.delete(m);
      this.loader.untrack(m);
    }
    const bySection = new Map<string, string[]>();
    for (const m of this.model.metrics) {
      const s = sectionOf(m);
      if (!bySection.has(s)) bySection.set(s, []);
      bySection.get(s)!.push(m);
    }
    for (const name of [...bySection.keys()].sort(sectionOrder)) {
      let sec = this.sections.get(name);
      if (!sec) {
        sec = new Section(name, () => this.toggleSection(name));
        this.sections.set(name, sec);
      }
      this.body.append(sec.el);
      const list = bySection.get(name)!;
      sec.setCount(list.length);
      for (const m of list) if (!this.cards.has(m)) sec.grid.append(this.makeCard(m).el);
      sec.setCollapsed(this.model.state.collapsed.includes(name));
    }
    for (const [name, sec] of this.sections) if (!bySection.has(name)) sec.el.remove();
    this.applyFilter();
  }

  private makeCard(metric: string): Card {
    const card = new Card(metric, {
      ...this.on,
      toggleLog: (m) => {
        this.model.toggleLog(m);
        this.toolbar.sync();
        this.scheduleRender(m);
      },
    });
    this.cards.set(metric, card);
    this.loader.track(metric);
    this.visibility.observe(card.el);
    return card;
  }

  private toggleSection(name: string): void {
    this.model.toggleCollapsed(name);
    this.sections.get(name)?.setCollapsed(this.model.state.collapsed.includes(name));
  }

  applyFilter(): void {
    const f = this.model.filter;
    for (const c of this.cards.values()) c.el.hidden = !!f && !c.metric.toLowerCase().includes(f);
  }

  /**
   * Loads every chart on screen. Right after a layout the IntersectionObserver
   * has not reported the new cards yet (it does a frame later): their place
   * is read now, so the first request goes out without waiting for it.
   */
  loadVisible(): void {
    const margin = 300;
    for (const c of this.cards.values()) {
      if (!c.visible && !c.el.hidden) {
        const r = c.el.getBoundingClientRect();
        c.visible = r.height > 0 && r.bottom >= -margin && r.top <= window.innerHeight + margin;
      }
      if (c.visible && !this.loader.isLoaded(c.metric)) this.loader.queue(c.metric);
    }
  }

  // ---------------------------------------------------------------- drawing

  redrawAll(): void {
    for (const m of this.cards.keys()) this.scheduleRender(m);
  }

  scheduleRender(metric: string): void {
    this.dirty.add(metric);
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      // A chart never drawn waits until it is on screen (the observer schedules it then): the first paint draws only what is seen.
      const list = [...this.dirty].filter((m) => {
        const c = this.cards.get(m);
        return this.loader.isLoaded(m) && (!c || c.visible || c.view.drawn);
      });
      this.dirty.clear();
      for (const m of list) this.cards.get(m)?.render(this.model, this.theme, this.colors);
      this.markPainted(list);
    });
  }

  /** What was drawn, once it is on screen (the frame after the draw): the bench's first-paint mark; `drawn` events for tests. */
  private markPainted(list: string[]): void {
    requestAnimationFrame(() => {
      if (TEST_HOOKS) for (const m of list) window.dispatchEvent(new CustomEvent('tunestudio:drawn', { detail: { metric: m, lastSteps: this.model.lastSteps(m) } }));
      if (this.firstPaintMarked) return;
      const shown = [...this.cards.values()].filter((c) => c.shown);
      if (shown.length && shown.every((c) => this.loader.isLoaded(c.metric) && c.view.drawn)) {
        this.firstPaintMarked = true;
        performance.mark('tunestudio:first-paint');
        window.dispatchEvent(new CustomEvent('tunestudio:first-paint'));
      }
    });
  }

  // ---------------------------------------------------------------- focus (open at a step)

  focus(f: DashboardFocus): void {
    const model = this.model;
    model.state.focus = f;
    const m = model.focusMetric(f);
    model.save();
    if (!m) return;
    const sec = sectionOf(m);
    if (model.state.collapsed.includes(sec)) this.toggleSection(sec);
    const c = this.cards.get(m);
    if (!c) return;
    if (model.filter && c.el.hidden) {
      this.toolbar.clearFilter();
      this.applyFilter();
    }
    // A zoom that does not contain the step would hide it.
    const range = model.state.zoom[m];
    if (range && model.state.xAxis === 'step' && (f.step < range.min || f.step > range.max)) model.setZoom(m, undefined);
    c.el.scrollIntoView({ block: 'center' });
    c.el.classList.add('flash');
    setTimeout(() => c.el.classList.remove('flash'), 1600);
    this.redrawAll();
    if (!this.loader.isLoaded(m)) this.loader.queue(m);
  }
}
