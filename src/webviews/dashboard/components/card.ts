// One chart card: title, a note (points drawn of how many, NaN/Inf count,
// zoom state), the log / reset / PNG / CSV buttons, and the ChartView.
import { h } from '../../shared/host';
import { ChartView, type ChartTheme, type RunInfo } from '../chartView';
import type { DashboardModel } from '../model';
import { button, compact } from './controls';

export interface CardActions {
  toggleLog(metric: string): void;
  /** A zoom gesture (final: the mouse is up) or a reset (range undefined). */
  range(metric: string, range: { min: number; max: number } | undefined, final: boolean): void;
  exportPng(metric: string, dataUrl: string): void;
  exportCsv(metric: string): void;
}

export class Card {
  readonly el: HTMLElement;
  readonly view: ChartView;
  /** On screen (or near it): only visible charts are fetched and drawn. */
  visible = false;
  private readonly note = h('span', { class: 'muted card-note' });
  private readonly logBtn: HTMLButtonElement;
  private readonly resetBtn: HTMLButtonElement;

  constructor(
    readonly metric: string,
    on: CardActions,
  ) {
    this.logBtn = h('button', { type: 'button', class: 'icon-btn text-btn', title: 'Logarithmic y axis', 'aria-label': `Log scale for ${metric}`, 'data-action': 'log' }, 'log');
    this.resetBtn = button('zoom-out', `Reset zoom of ${metric}`, 'Reset zoom (double-click the chart)', true);
    this.resetBtn.dataset.action = 'reset';
    const png = button('device-camera', `Export ${metric} as PNG`, 'Export PNG', true);
    const csv = button('export', `Export ${metric} as CSV`, 'Export CSV (full resolution)', true);
    const plot = h('div', { class: 'plot' });
    this.el = h(
      'div',
      { class: 'card', 'data-metric': metric },
      h('div', { class: 'card-head' }, h('span', { class: 'card-title', title: metric }, metric), this.note, h('span', { class: 'card-actions' }, this.logBtn, this.resetBtn, png, csv)),
      plot,
    );
    this.view = new ChartView(plot, (range, final) => on.range(metric, range, final));
    this.logBtn.addEventListener('click', () => on.toggleLog(metric));
    this.resetBtn.addEventListener('click', () => on.range(metric, undefined, true));
    png.addEventListener('click', () => on.exportPng(metric, this.view.toPng()));
    csv.addEventListener('click', () => on.exportCsv(metric));
  }

  /** Hidden by the filter or inside a collapsed section. */
  get shown(): boolean {
    return this.visible && !this.el.hidden && !this.el.closest('.section.collapsed');
  }

  /** Draws the model's series of this metric. */
  render(model: DashboardModel, theme: ChartTheme, colors: Map<string, string>): void {
    const metric = this.metric;
    const series = model.drawn(metric);
    const runs: RunInfo[] = model.runs.map((r) => ({ id: r.id, name: r.name, color: colors.get(r.id) ?? theme.fg, t0: model.runStart(r.id), hidden: model.isHidden(r.id) }));
    const f = model.focusOn(metric);
    const logY = model.state.logY.includes(metric);
    const range = model.state.zoom[metric];
    this.view.render({ metric, runs, series, mode: model.state.xAxis, smoothing: model.state.smoothing, logY, range, alerts: model.alerts, focus: f ? { step: f.step, runId: f.runId } : undefined, theme });
    this.el.classList.toggle('focused', !!f);
    this.logBtn.classList.toggle('on', logY);
    this.logBtn.setAttribute('aria-pressed', String(logY));
    this.resetBtn.disabled = !range;
    const totals = [...series.values()].reduce((n, s) => n + s.total, 0);
    const drawn = [...series.values()].reduce((n, s) => n + s.steps.length, 0);
    const parts: string[] = [];
    if (!series.size) parts.push('no points');
    else if (drawn < totals) parts.push(`${compact(drawn)} of ${compact(totals)} points (min/max per pixel)`);
    else parts.push(`${compact(totals)} point${totals === 1 ? '' : 's'}`);
    const nf = [...series.values()].reduce((n, s) => n + s.nonFinite.reduce((k, r) => k + r.count, 0), 0);
    if (nf) parts.push(`${compact(nf)} NaN/Inf`);
    if (this.view.nonPositiveHidden) parts.push(`${compact(this.view.nonPositiveHidden)} ≤ 0 not shown on log scale`);
    if (range) parts.push(model.zooms.get(metric) ? 'zoomed' : 'zoomed (loading full resolution…)');
    this.note.textContent = parts.join(' · ');
  }

  destroy(): void {
    this.view.destroy();
    this.el.remove();
  }
}
