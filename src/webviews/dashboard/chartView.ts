// One metric's chart: chart.js line chart with a faint raw line and a smoothed
// line per run, NaN/Inf stretches as translucent bands, alerts as markers
// with tooltips, a highlighted step, and box-zoom / wheel-zoom / pan that
// report the new x range to the dashboard (which re-queries at full
// resolution for it).
import {
  Chart,
  Interaction,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type InteractionItem,
  type Plugin,
  type TooltipItem,
} from 'chart.js';
import type { DashboardAlert, XAxisMode } from '../../protocol/webview';
import { withAlpha } from '../shared/colors';
import { fmtNum, fmtSeconds, fmtWall } from '../../protocol/format';
import { emaSmooth } from '../shared/smoothing';
import { h } from '../shared/host';
import { TEST_HOOKS } from '../shared/testHooks';
import { xAtStep, xOf, type Series } from './data';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip);

/**
 * Tooltip mode: in every visible dataset, the point nearest in x to the
 * pointer (binary search; datasets are sorted by x). One line per run, cheap
 * with many points.
 */
(Interaction.modes as unknown as Record<string, unknown>).nearestPerDataset = function (chart: Chart, e: { x: number }): InteractionItem[] {
  const items: InteractionItem[] = [];
  const xScale = chart.scales.x;
  if (!xScale) return items;
  const xv = xScale.getValueForPixel(e.x);
  if (xv === undefined) return items;
  chart.data.datasets.forEach((ds, datasetIndex) => {
    const meta = chart.getDatasetMeta(datasetIndex);
    if (!chart.isDatasetVisible(datasetIndex) || !(ds as { tsTooltip?: boolean }).tsTooltip) return;
    const data = ds.data as unknown as Pt[];
    if (!data.length) return;
    let lo = 0;
    let hi = data.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (data[mid].x <= xv) lo = mid;
      else hi = mid;
    }
    const index = Math.abs(data[lo].x - xv) <= Math.abs(data[hi].x - xv) ? lo : hi;
    const el = meta.data[index];
    if (el && data[index].y !== null) items.push({ element: el, datasetIndex, index });
  });
  return items;
};

export interface Pt {
  x: number;
  y: number | null;
}

export interface ChartTheme {
  fg: string;
  muted: string;
  grid: string;
  bg: string;
  error: string;
  warn: string;
  info: string;
  focus: string;
  font: string;
  fontSize: number;
}

export interface RunInfo {
  id: string;
  name: string;
  color: string;
  /** Run start (seconds since the epoch) for the relative time axis. */
  t0: number;
  hidden: boolean;
}

export interface ChartInput {
  metric: string;
  runs: RunInfo[];
  series: Map<string, Series>;
  mode: XAxisMode;
  smoothing: number;
  logY: boolean;
  range?: { min: number; max: number };
  alerts: DashboardAlert[];
  focus?: { step: number; runId?: string };
  theme: ChartTheme;
}

export interface DatasetInfo {
  label: string;
  runId: string;
  kind: 'raw' | 'smoothed';
  points: Array<[number, number | null]>;
}

/** What the test hook reports for a chart: the data as drawn, not just that a canvas exists. */
export interface ChartInfo {
  metric: string;
  logY: boolean;
  scaleType: string;
  xAxis: XAxisMode;
  smoothing: number;
  zoom: { min: number; max: number } | null;
  xRange: { min: number; max: number } | null;
  datasets: DatasetInfo[];
  bands: Array<{ runId: string; from: number; to: number; kind: string }>;
  markers: Array<{ alertId: number; runId: string; step: number; x: number }>;
  focusStep: number | null;
  totals: Record<string, number>;
  downsampled: boolean;
  hiddenNonPositive: number;
  /** The colours the chart is drawn with now (tick labels, grid lines, canvas background). */
  colors: { ticks: string; grid: string; background: string };
}

type LineDataset = ChartConfiguration<'line', Pt[]>['data']['datasets'][number];
type Band = { runId: string; from: number; to: number; kind: string; x0: number; x1: number; color: string };
type Marker = { alert: DashboardAlert; x: number; color: string; px?: number };

const AXIS_WIDTH = 56;

export class ChartView {
  readonly canvas: HTMLCanvasElement;
  private readonly box: HTMLDivElement;
  private readonly tip: HTMLDivElement;
  private chart: Chart<'line', Pt[]> | null = null;
  private input: ChartInput | null = null;
  private bands: Band[] = [];
  private markers: Marker[] = [];
  private hiddenNonPositive = 0;
  private drag: { mode: 'box' | 'pan'; x0: number; min: number; max: number; moved: boolean } | null = null;
  private wheelTimer: number | undefined;
  private panFrame = 0;

  constructor(
    readonly container: HTMLElement,
    /** A zoom or pan gesture changed the x range (undefined: reset). `final` once the gesture ends. */
    private readonly onRange: (range: { min: number; max: number } | undefined, final: boolean) => void,
  ) {
    this.canvas = h('canvas', { role: 'img' });
    this.box = h('div', { class: 'zoom-box', hidden: true });
    this.tip = h('div', { class: 'marker-tip', hidden: true, role: 'tooltip' });
    container.append(this.canvas, this.box, this.tip);
    this.wire();
  }

  /** Drawn at least once (a chart is built on its first render). */
  get drawn(): boolean {
    return this.chart !== null;
  }

  /** Values ≤ 0 left out of the last drawing because the y axis is logarithmic. */
  get nonPositiveHidden(): number {
    return this.hiddenNonPositive;
  }

  /** Pixel width of the plot (the dashboard asks for about twice this many points). */
  get width(): number {
    return Math.max(100, (this.container.clientWidth || 600) - AXIS_WIDTH);
  }

  render(input: ChartInput): void {
    this.input = input;
    const { datasets, hiddenNonPositive } = this.datasets(input);
    this.hiddenNonPositive = hiddenNonPositive;
    this.bands = this.computeBands(input);
    this.markers = this.computeMarkers(input);
    this.canvas.setAttribute('aria-label', `${input.metric}: ${input.runs.filter((r) => !r.hidden).length} runs`);
    if (!this.chart) {
      this.chart = new Chart(this.canvas, this.config(input, datasets));
      return;
    }
    const c = this.chart;
    c.data.datasets = datasets;
    this.applyOptions(c.options as NonNullable<ChartConfiguration<'line', Pt[]>['options']>, input);
    c.update('none');
  }

  /** Sets the x range at once while a gesture goes on (data stays as it is). */
  previewRange(range: { min: number; max: number } | undefined): void {
    if (!this.chart || !this.input) return;
    this.input = { ...this.input, range };
    const x = this.chart.options.scales!.x!;
    x.min = range?.min;
    x.max = range?.max;
    cancelAnimationFrame(this.panFrame);
    this.panFrame = requestAnimationFrame(() => this.chart?.update('none'));
  }

  toPng(): string {
    return this.chart ? this.chart.toBase64Image('image/png', 1) : '';
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = null;
  }

  /** The current x range drawn (zoomed or the data's extent). */
  xRange(): { min: number; max: number } | null {
    const x = this.chart?.scales.x;
    return x ? { min: x.min, max: x.max } : null;
  }

  /** What the chart draws (test builds only: null in the packaged build). */
  info(): ChartInfo | null {
    const input = this.input;
    if (!TEST_HOOKS || !input) return null;
    const datasets: DatasetInfo[] = (this.chart?.data.datasets ?? []).map((d) => {
      const ds = d as unknown as { label: string; tsRun: string; tsKind: 'raw' | 'smoothed'; data: Pt[] };
      return { label: ds.label, runId: ds.tsRun, kind: ds.tsKind, points: ds.data.map((p) => [p.x, p.y] as [number, number | null]) };
    });
    const totals: Record<string, number> = {};
    let downsampled = false;
    for (const [id, s] of input.series) {
      totals[id] = s.total;
      downsampled ||= s.downsampled;
    }
    return {
      metric: input.metric,
      logY: input.logY,
      scaleType: String(this.chart?.scales.y?.type ?? (input.logY ? 'logarithmic' : 'linear')),
      xAxis: input.mode,
      smoothing: input.smoothing,
      zoom: input.range ?? null,
      xRange: this.xRange(),
      datasets,
      bands: this.bands.map(({ runId, from, to, kind }) => ({ runId, from, to, kind })),
      markers: this.markers.map((m) => ({ alertId: m.alert.id, runId: m.alert.run_id, step: m.alert.step ?? 0, x: m.x })),
      focusStep: input.focus?.step ?? null,
      totals,
      downsampled,
      hiddenNonPositive: this.hiddenNonPositive,
      colors: {
        ticks: String((this.chart?.options.scales?.y as { ticks?: { color?: unknown } } | undefined)?.ticks?.color ?? ''),
        grid: String((this.chart?.options.scales?.y as { grid?: { color?: unknown } } | undefined)?.grid?.color ?? ''),
        background: input.theme.bg,
      },
    };
  }

  // ------------------------------------------------------------ data → datasets

  /** Per run: the datasets built last time and what they were built from (a live append rebuilds one run, not all). */
  private cache = new Map<string, { key: string; series: Series; version: number; sets: LineDataset[]; hidden: number }>();

  private datasets(input: ChartInput): { datasets: LineDataset[]; hiddenNonPositive: number } {
    const out: LineDataset[] = [];
    let hiddenNonPositive = 0;
    const smooth = input.smoothing > 0;
    const next = new Map<string, { key: string; series: Series; version: number; sets: LineDataset[]; hidden: number }>();
    for (const run of input.runs) {
      const s = input.series.get(run.id);
      if (!s || run.hidden) continue;
      const key = `${input.mode}|${input.smoothing}|${input.logY}|${run.color}|${run.name}|${run.t0}`;
      const old = this.cache.get(run.id);
      const entry =
        old && old.key === key && old.series === s && old.version === (s.version ?? 0) && old.sets[0]?.data.length === s.steps.length
          ? old
          : { key, series: s, version: s.version ?? 0, ...this.runDatasets(input, run, s, smooth) };
      next.set(run.id, entry);
      out.push(...entry.sets);
      hiddenNonPositive += entry.hidden;
    }
    this.cache = next;
    return { datasets: out, hiddenNonPositive };
  }

  private runDatasets(input: ChartInput, run: RunInfo, s: Series, smooth: boolean): { sets: LineDataset[]; hidden: number } {
    let hidden = 0;
    const n = s.steps.length;
    const raw: Pt[] = new Array(n);
    const ys: Array<number | null> = new Array(n);
    for (let i = 0; i < n; i++) {
      let y = s.values[i];
      // A log axis cannot show zero or negative values: leave a gap there (counted in the chart's note).
      if (input.logY && y !== null && y <= 0) {
        y = null;
        hidden++;
      }
      ys[i] = y;
      raw[i] = { x: xOf(input.mode, s.steps[i], s.wall[i], run.t0), y };
    }
    const common = { parsing: false as const, normalized: input.mode === 'step', pointRadius: 0, pointHoverRadius: 3, spanGaps: false, tension: 0 };
    // A handful of points (an eval every N steps, a one-off metric) would be invisible as a bare line: draw dots.
    const dots = n <= 20 ? 2.5 : 0;
    const sets: LineDataset[] = [
      {
        ...common,
        label: smooth ? `${run.name} (raw)` : run.name,
        data: raw,
        borderColor: smooth ? withAlpha(run.color, 0.28) : run.color,
        backgroundColor: run.color,
        borderWidth: smooth ? 1 : 1.5,
        pointRadius: smooth ? 0 : dots,
        ...({ tsRun: run.id, tsKind: 'raw', tsName: run.name, tsTooltip: !smooth } as object),
      },
    ];
    if (smooth) {
      const sm = emaSmooth(ys, input.smoothing);
      sets.push({
        ...common,
        label: run.name,
        data: raw.map((p, i) => ({ x: p.x, y: sm[i] })),
        borderColor: run.color,
        backgroundColor: run.color,
        borderWidth: 1.75,
        pointRadius: dots,
        ...({ tsRun: run.id, tsKind: 'smoothed', tsName: run.name, tsTooltip: true, tsRaw: raw } as object),
      });
    }
    return { sets, hidden };
  }

  private computeBands(input: ChartInput): Band[] {
    const out: Band[] = [];
    for (const run of input.runs) {
      const s = input.series.get(run.id);
      if (!s || run.hidden) continue;
      for (const r of s.nonFinite) {
        const x0 = xAtStep(input.mode, s, r.from, run.t0);
        const x1 = xAtStep(input.mode, s, r.to, run.t0);
        if (x0 === null || x1 === null) continue;
        out.push({ runId: run.id, from: r.from, to: r.to, kind: r.kind, x0, x1, color: r.kind === 'inf' ? input.theme.warn : input.theme.error });
      }
    }
    return out;
  }

  private computeMarkers(input: ChartInput): Marker[] {
    const out: Marker[] = [];
    for (const a of input.alerts) {
      if (a.metric !== input.metric || a.step === null) continue;
      const run = input.runs.find((r) => r.id === a.run_id);
      if (!run || run.hidden) continue;
      const x = xAtStep(input.mode, input.series.get(run.id), a.step, run.t0);
      if (x === null) continue;
      out.push({ alert: a, x, color: a.level === 'error' ? input.theme.error : a.level === 'warn' ? input.theme.warn : input.theme.info });
    }
    return out;
  }

  // ------------------------------------------------------------ chart.js config

  private config(input: ChartInput, datasets: LineDataset[]): ChartConfiguration<'line', Pt[]> {
    const options: NonNullable<ChartConfiguration<'line', Pt[]>['options']> = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      // Screens with devicePixelRatio > 1 stay sharp; exports match the screen.
      devicePixelRatio: Math.max(1, window.devicePixelRatio || 1),
      interaction: { mode: 'nearestPerDataset' as 'nearest', intersect: false },
      events: ['mousemove', 'mouseout'],
      plugins: {
        legend: { display: false },
        tooltip: {
          enabled: true,
          animation: false,
          caretPadding: 8,
          callbacks: {
            title: (items: TooltipItem<'line'>[]) => (items.length ? this.fmtX((items[0].raw as Pt).x) : ''),
            label: (item: TooltipItem<'line'>) => {
              const ds = item.dataset as unknown as { tsName: string; tsKind: string; tsRaw?: Pt[] };
              const y = (item.raw as Pt).y;
              const raw = ds.tsRaw?.[item.dataIndex]?.y;
              return ds.tsRaw ? `${ds.tsName}: ${fmtNum(y)}  (raw ${fmtNum(raw ?? null)})` : `${ds.tsName}: ${fmtNum(y)}`;
            },
            labelColor: (item: TooltipItem<'line'>) => {
              const c = String(item.dataset.backgroundColor);
              return { borderColor: c, backgroundColor: c };
            },
          },
        },
      },
      scales: { x: { type: 'linear' }, y: { type: 'linear' } },
    };
    this.applyOptions(options, input);
    return { type: 'line', data: { datasets }, options, plugins: [this.backgroundPlugin(), this.overlayPlugin()] };
  }

  private applyOptions(o: NonNullable<ChartConfiguration<'line', Pt[]>['options']>, input: ChartInput): void {
    const t = input.theme;
    // chart.js calls tick callbacks with the scale as `this`.
    const view = this;
    const font = { family: t.font, size: Math.max(10, t.fontSize - 1) };
    const tooltip = o.plugins!.tooltip!;
    tooltip.backgroundColor = t.bg;
    tooltip.titleColor = t.fg;
    tooltip.bodyColor = t.fg;
    tooltip.borderColor = t.grid;
    tooltip.borderWidth = 1;
    tooltip.titleFont = { ...font, weight: 'bold' };
    tooltip.bodyFont = font;
    o.scales = {
      x: {
        type: 'linear',
        min: input.range?.min,
        max: input.range?.max,
        grid: { color: t.grid },
        border: { color: t.grid },
        ticks: {
          color: t.muted,
          font,
          maxRotation: 0,
          autoSkipPadding: 16,
          callback: function (this: { min: number; max: number }, v) {
            return view.fmtX(Number(v), this);
          },
        },
      },
      y: {
        type: input.logY ? 'logarithmic' : 'linear',
        grid: { color: t.grid },
        border: { color: t.grid },
        afterFit: (scale) => {
          scale.width = AXIS_WIDTH;
        },
        ticks: { color: t.muted, font, maxTicksLimit: 7, callback: (v) => fmtNum(Number(v)) },
      },
    };
  }

  private fmtX(x: number, scale?: { min: number; max: number }): string {
    const mode = this.input?.mode ?? 'step';
    if (mode === 'step') return fmtNum(x);
    // Ticks closer than a second apart (a quick run, a deep zoom) need fractions of seconds.
    const s = scale ?? this.chart?.scales.x;
    const span = s ? Math.abs(s.max - s.min) : Infinity;
    if (mode === 'relative') return fmtSeconds(x, span);
    return fmtWall(x, false, span < 30);
  }

  /** Fills the canvas with the editor background, so an exported PNG looks like the screen. */
  private backgroundPlugin(): Plugin<'line'> {
    return {
      id: 'tsBackground',
      beforeDraw: (chart) => {
        const ctx = chart.ctx;
        ctx.save();
        ctx.globalCompositeOperation = 'destination-over';
        ctx.fillStyle = this.input?.theme.bg ?? '#1e1e1e';
        ctx.fillRect(0, 0, chart.width, chart.height);
        ctx.restore();
      },
    };
  }

  /** NaN/Inf bands under the lines; alert markers and the highlighted step above them. */
  private overlayPlugin(): Plugin<'line'> {
    return {
      id: 'tsOverlay',
      beforeDatasetsDraw: (chart) => {
        const { ctx, chartArea: a } = chart;
        const x = chart.scales.x;
        ctx.save();
        ctx.beginPath();
        ctx.rect(a.left, a.top, a.right - a.left, a.bottom - a.top);
        ctx.clip();
        for (const b of this.bands) {
          const p0 = x.getPixelForValue(b.x0);
          const p1 = x.getPixelForValue(b.x1);
          const left = Math.min(p0, p1) - 1.5;
          const w = Math.max(3, Math.abs(p1 - p0) + 3);
          ctx.fillStyle = withAlpha(b.color, 0.16);
          ctx.fillRect(left, a.top, w, a.bottom - a.top);
          ctx.fillStyle = withAlpha(b.color, 0.55);
          ctx.fillRect(left, a.bottom - 3, w, 3);
        }
        ctx.restore();
      },
      afterDatasetsDraw: (chart) => {
        const { ctx, chartArea: a } = chart;
        const x = chart.scales.x;
        const input = this.input;
        ctx.save();
        for (const m of this.markers) {
          const px = x.getPixelForValue(m.x);
          m.px = px;
          if (px < a.left - 1 || px > a.right + 1) continue;
          ctx.strokeStyle = withAlpha(m.color, 0.6);
          ctx.setLineDash([3, 3]);
          ctx.lineWidth = 1;
          ctx.beginPath();
          ctx.moveTo(px, a.top);
          ctx.lineTo(px, a.bottom);
          ctx.stroke();
          ctx.setLineDash([]);
          ctx.fillStyle = m.color;
          ctx.beginPath();
          ctx.moveTo(px - 5, a.top);
          ctx.lineTo(px + 5, a.top);
          ctx.lineTo(px, a.top + 8);
          ctx.closePath();
          ctx.fill();
        }
        if (input?.focus) {
          const run = input.runs.find((r) => r.id === input.focus!.runId) ?? input.runs[0];
          const fx = run ? xAtStep(input.mode, input.series.get(run.id), input.focus.step, run.t0) : null;
          if (fx !== null) {
            const px = x.getPixelForValue(fx);
            if (px >= a.left && px <= a.right) {
              ctx.strokeStyle = input.theme.focus;
              ctx.lineWidth = 2;
              ctx.beginPath();
              ctx.moveTo(px, a.top);
              ctx.lineTo(px, a.bottom);
              ctx.stroke();
              const label = `step ${input.focus.step}`;
              ctx.font = `${Math.max(10, input.theme.fontSize - 1)}px ${input.theme.font}`;
              const w = ctx.measureText(label).width + 8;
              const lx = Math.min(px + 4, a.right - w);
              ctx.fillStyle = input.theme.focus;
              ctx.fillRect(lx, a.top + 10, w, 16);
              ctx.fillStyle = input.theme.bg;
              ctx.textBaseline = 'middle';
              ctx.fillText(label, lx + 4, a.top + 18);
            }
          }
        }
        ctx.restore();
      },
    };
  }

  // ------------------------------------------------------------ gestures

  private wire(): void {
    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || !this.chart) return;
      const a = this.chart.chartArea;
      const px = this.localX(e);
      if (px < a.left || px > a.right) return;
      const x = this.chart.scales.x;
      this.drag = { mode: e.shiftKey ? 'pan' : 'box', x0: px, min: x.min, max: x.max, moved: false };
      c.setPointerCapture(e.pointerId);
      this.hideTip();
    });
    c.addEventListener('pointermove', (e) => {
      if (!this.drag || !this.chart) {
        this.hoverMarker(e);
        return;
      }
      const a = this.chart.chartArea;
      const px = Math.min(Math.max(this.localX(e), a.left), a.right);
      if (Math.abs(px - this.drag.x0) > 3) this.drag.moved = true;
      if (this.drag.mode === 'box') {
        this.box.hidden = !this.drag.moved;
        this.box.style.left = `${Math.min(px, this.drag.x0)}px`;
        this.box.style.width = `${Math.abs(px - this.drag.x0)}px`;
        this.box.style.top = `${a.top}px`;
        this.box.style.height = `${a.bottom - a.top}px`;
      } else if (this.drag.moved) {
        const perPx = (this.drag.max - this.drag.min) / Math.max(1, a.right - a.left);
        const dv = (px - this.drag.x0) * perPx;
        const range = { min: this.drag.min - dv, max: this.drag.max - dv };
        this.previewRange(range);
        this.onRange(range, false);
      }
    });
    const end = (e: PointerEvent) => {
      const d = this.drag;
      this.drag = null;
      this.box.hidden = true;
      if (!d || !this.chart || !d.moved) return;
      const a = this.chart.chartArea;
      const px = Math.min(Math.max(this.localX(e), a.left), a.right);
      const x = this.chart.scales.x;
      if (d.mode === 'box') {
        const v0 = x.getValueForPixel(Math.min(px, d.x0))!;
        const v1 = x.getValueForPixel(Math.max(px, d.x0))!;
        if (v1 > v0) this.onRange({ min: v0, max: v1 }, true);
      } else {
        this.onRange({ min: x.min, max: x.max }, true);
      }
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', () => {
      this.drag = null;
      this.box.hidden = true;
    });
    c.addEventListener('mouseleave', () => this.hideTip());
    c.addEventListener('dblclick', () => this.onRange(undefined, true));
    c.addEventListener(
      'wheel',
      (e) => {
        // Plain wheel scrolls the page; with Ctrl, Alt or ⌘ it zooms around the pointer.
        if (!this.chart || !(e.ctrlKey || e.altKey || e.metaKey)) return;
        e.preventDefault();
        const x = this.chart.scales.x;
        const at = x.getValueForPixel(this.localX(e)) ?? (x.min + x.max) / 2;
        const f = e.deltaY > 0 ? 1.25 : 0.8;
        const range = { min: at - (at - x.min) * f, max: at + (x.max - at) * f };
        this.previewRange(range);
        this.onRange(range, false);
        clearTimeout(this.wheelTimer);
        this.wheelTimer = window.setTimeout(() => this.onRange(range, true), 250);
      },
      { passive: false },
    );
  }

  private localX(e: MouseEvent): number {
    return e.clientX - this.canvas.getBoundingClientRect().left;
  }

  private hoverMarker(e: PointerEvent): void {
    if (!this.chart || !this.markers.length) return;
    const a = this.chart.chartArea;
    const rect = this.canvas.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    const hit = py <= a.top + 14 ? this.markers.find((m) => m.px !== undefined && Math.abs(m.px - px) <= 6) : undefined;
    if (!hit) {
      this.hideTip();
      return;
    }
    const al = hit.alert;
    this.tip.replaceChildren(
      h('div', { class: `tip-title level-${al.level}` }, `${al.level.toUpperCase()} · ${al.title}`),
      h('div', {}, `${al.metric ?? ''} at step ${al.step ?? '?'} · ${al.reason}`),
      al.text ? h('div', { class: 'muted' }, al.text) : '',
    );
    this.tip.hidden = false;
    this.tip.style.left = `${Math.min(px + 8, Math.max(0, this.container.clientWidth - 260))}px`;
    this.tip.style.top = `${a.top + 12}px`;
  }

  private hideTip(): void {
    this.tip.hidden = true;
  }
}
