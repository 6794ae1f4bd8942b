// Embedding Map page: a WebGL scatter of one embedding space's 2-D layout
// (scatter.ts), coloured by label or by cluster (or, over a run's snapshots,
// by how far each point moved), with pan and zoom, a hover tooltip, click to
// play the clip, a step slider over a run's snapshots that animates points
// from their old to their new place, progress and cancel while the runtime
// computes a layout, the layout's measured quality, and PNG export.
// `window.__tuneStudioMap` (test builds only) is what the e2e test reads.
import type { IpcRequest, MapLayout, MapSpace, MapState, MapToHost, MapToWebview } from '../../protocol/webview';
import { MapLayoutRequest } from '../../protocol/webview';
import { h } from '../shared/host';
import { createRequester } from '../shared/ipc';
import { icon, loadPanelStyles } from '../shared/styles';
import { TEST_HOOKS } from '../shared/testHooks';
import {
  animationStart,
  categorise,
  coloursFor,
  ease,
  fitView,
  kmeans2d,
  movedBy,
  panBy,
  PALETTE,
  OTHER_COLOUR,
  PointGrid,
  rampColours,
  toData,
  toScreen,
  zoomAt,
  type Categories,
  type View,
} from './model';
import { ScatterGl } from './scatter';
import './map.css';

loadPanelStyles();

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): MapState | undefined;
  setState(state: MapState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
// A layout of 100k points can take a minute or more on a small machine: the
// request waits up to 15 minutes (the user can cancel it meanwhile).
const ipc = createRequester((m) => api.postMessage(m), 15 * 60_000);
const post = (m: MapToHost) => api.postMessage(m);
const request = <P, R>(type: IpcRequest<P, R>, params: P) => ipc.sendRequest(type, params);
let state: MapState = api.getState() ?? {};
const saveState = (patch: Partial<MapState>) => api.setState((state = { ...state, ...patch }));

const ANIMATION_MS = 700;
type ColourBy = 'label' | 'cluster' | 'moved' | 'none';

// ------------------------------------------------------------ page skeleton
const app = document.getElementById('app')!;
const title = h('h1', {}, 'Embedding Map');
const spaceSelect = h('select', { 'aria-label': 'Embedding space', 'data-field': 'space' });
const colourSelect = h('select', { 'aria-label': 'Colour by', 'data-field': 'colourBy' });
const stepBox = h('span', { class: 'map-step', hidden: true });
const stepSlider = h('input', { type: 'range', min: '0', max: '0', step: '1', value: '0', 'aria-label': 'Snapshot step', 'data-field': 'step' });
const stepLabel = h('span', { class: 'muted', 'data-field': 'stepLabel' });
stepBox.append('Step ', stepSlider, ' ', stepLabel);
const fitButton = h('button', { type: 'button', title: 'Show every point' }, icon('screen-full'), ' Fit');
const pngButton = h('button', { type: 'button', title: 'Save the map as a PNG image', 'data-action': 'exportPng' }, icon('device-camera'), ' Export PNG');
const toolbar = h('div', { class: 'toolbar' }, h('label', {}, 'Space ', spaceSelect), h('label', {}, 'Colour by ', colourSelect), stepBox, fitButton, pngButton);
const progressText = h('span', { 'data-field': 'progress' });
const progressBar = h('progress', { max: '1', value: '0' });
const cancelButton = h('button', { type: 'button', 'data-action': 'cancel' }, icon('close'), ' Cancel');
const progressBox = h('div', { class: 'map-progress', hidden: true, role: 'status' }, progressBar, progressText, cancelButton);
const quality = h('p', { class: 'map-quality muted', 'data-field': 'quality' });
const message = h('p', { class: 'muted', 'data-field': 'message' }, 'Waiting for the extension…');
const canvas = h('canvas', { class: 'map-canvas', 'aria-label': 'Embedding map: drag to pan, scroll to zoom, click a point to play it' });
const tooltip = h('div', { class: 'map-tooltip', hidden: true, role: 'tooltip' });
const stage = h('div', { class: 'map-stage' }, canvas, tooltip);
const legend = h('ul', { class: 'map-legend', 'data-field': 'legend' });
const audio = h('audio', { controls: true, preload: 'none', class: 'map-audio', 'data-field': 'audio' });
const nowPlaying = h('span', { class: 'muted', 'data-field': 'nowPlaying' });
const footer = h('div', { class: 'map-footer' }, audio, nowPlaying);
app.append(title, toolbar, progressBox, quality, message, h('div', { class: 'map-body' }, stage, legend), footer);

let scatter: ScatterGl | undefined;
try {
  scatter = new ScatterGl(canvas);
} catch (e) {
  message.textContent = (e as Error).message;
  message.className = 'error';
}

// ------------------------------------------------------------ what is shown
let spaces: MapSpace[] = [];
let current: MapLayout | undefined;
let xy: Float32Array = new Float32Array(0);
let fromXy: Float32Array = new Float32Array(0);
let grid: PointGrid | undefined;
let view: View = { cx: 0, cy: 0, scale: 1 };
let anim: { start: number } | undefined;
let hovered = -1;
let loadSeq = 0;
let lastPlayed: { id: string; index: number; src: string } | null = null;
let layoutVersion = 0;
let loading = false;

function space(): MapSpace | undefined {
  return spaces.find((s) => s.id === spaceSelect.value);
}

let bg: [number, number, number] | undefined;
/** The theme's background, read once per theme (VS Code changes the body's class): a style read per frame costs a style recalculation. */
function background(): [number, number, number] {
  if (bg) return bg;
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(getComputedStyle(document.body).backgroundColor);
  return (bg = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [30, 30, 30]);
}
new MutationObserver(() => {
  bg = undefined;
  requestDraw();
}).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });

function resize(): void {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr)), hh = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== hh) {
    const refit = canvas.width <= 1;
    canvas.width = w;
    canvas.height = hh;
    if (refit && xy.length) view = fitView(xy, w, hh);
    requestDraw();
  }
}

let frameQueued = false;
function requestDraw(): void {
  if (frameQueued || !scatter) return;
  frameQueued = true;
  requestAnimationFrame(frame);
}

function frame(now: number): void {
  frameQueued = false;
  if (!scatter) return;
  let t = 1;
  if (anim) {
    t = ease((now - anim.start) / ANIMATION_MS);
    if (t >= 1) anim = undefined;
  }
  scatter.draw(view, t, background());
  if (anim) requestDraw();
}

function dpr(): number {
  return window.devicePixelRatio || 1;
}

// ------------------------------------------------------------ colours
function setColourOptions(): void {
  const run = space()?.kind === 'run';
  const options: Array<[ColourBy, string]> = [
    ['label', 'label'],
    ['cluster', 'cluster (k-means on the map)'],
    ...(run ? ([['moved', 'moved since the previous step']] as Array<[ColourBy, string]>) : []),
    ['none', 'nothing'],
  ];
  const keep = colourSelect.value;
  colourSelect.replaceChildren(...options.map(([v, t]) => h('option', { value: v }, t)));
  colourSelect.value = options.some(([v]) => v === keep) ? keep : (state.colorBy ?? 'label');
}

function applyColours(): void {
  if (!scatter || !current) return;
  const by = colourSelect.value as ColourBy;
  const n = current.ids.length;
  let cat: Categories | undefined;
  let rgb: Uint8Array;
  if (by === 'label') {
    cat = categorise(current.labels);
    rgb = coloursFor(cat);
  } else if (by === 'cluster') {
    const k = Math.max(2, Math.min(12, Math.round(Math.sqrt(n / 20))));
    const idx = kmeans2d(xy, k, 1);
    const names = Array.from({ length: k }, (_, i) => `cluster ${i + 1}`);
    const counts = new Array<number>(k).fill(0);
    idx.forEach((c) => counts[c]!++);
    cat = { index: idx, names, counts };
    rgb = coloursFor(cat);
  } else if (by === 'moved') {
    rgb = rampColours(movedBy(fromXy, xy));
  } else {
    rgb = new Uint8Array(n * 3).fill(150);
  }
  scatter.setColours(rgb);
  renderLegend(cat, by);
  requestDraw();
}

function renderLegend(cat: Categories | undefined, by: ColourBy): void {
  legend.replaceChildren();
  if (by === 'moved') {
    legend.append(h('li', {}, swatch([40, 60, 200]), 'moved least'), h('li', {}, swatch([255, 220, 30]), 'moved most'));
    return;
  }
  if (!cat) return;
  const other = cat.names.length > PALETTE.length - 1 && cat.names[cat.names.length - 1]!.startsWith('other (');
  cat.names.forEach((name, i) => {
    const c = other && i === cat.names.length - 1 ? OTHER_COLOUR : PALETTE[i % PALETTE.length]!;
    legend.append(h('li', {}, swatch(c), name, h('span', { class: 'muted' }, ` ${cat.counts[i]}`)));
  });
}

function swatch(c: readonly [number, number, number]): HTMLSpanElement {
  const s = h('span', { class: 'map-swatch', 'aria-hidden': 'true' });
  // CSSOM, not a style attribute: the CSP allows no inline styles.
  s.style.background = `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
  return s;
}

// ------------------------------------------------------------ loading layouts
function showProgress(text: string, done?: number): void {
  progressBox.hidden = false;
  progressText.textContent = text;
  if (done === undefined) progressBar.removeAttribute('value');
  else progressBar.value = done;
}

const STAGE_NAMES = { pca: 'PCA', knn: 'nearest neighbours', optimise: 'layout', quality: 'measuring quality' } as const;

async function load(spaceId: string, step: number | undefined): Promise<void> {
  const seq = ++loadSeq;
  loading = true;
  showProgress(`Computing the layout of ${space()?.name ?? spaceId}${step !== undefined ? ` at step ${step}` : ''}…`);
  try {
    const r = await request(MapLayoutRequest, { space: spaceId, ...(step !== undefined ? { step } : {}) });
    if (seq !== loadSeq) return;
    show(r);
  } catch (e) {
    if (seq !== loadSeq) return;
    const msg = (e as Error).message;
    message.textContent = /cancel/i.test(msg) ? 'Layout cancelled. Pick a space or step to compute it again.' : msg;
    message.className = /cancel/i.test(msg) ? 'muted' : 'error';
    message.hidden = false;
  } finally {
    if (seq === loadSeq) {
      loading = false;
      progressBox.hidden = true;
    }
  }
}

function show(r: MapLayout): void {
  const next = Float32Array.from(r.layout);
  const sameSpace = current?.space === r.space;
  fromXy = sameSpace && current ? animationStart(current.ids, xy, r.ids, next) : next;
  current = r;
  xy = next;
  grid = new PointGrid(xy);
  hovered = -1;
  tooltip.hidden = true;
  if (!sameSpace || canvas.width <= 1) view = fitView(xy, canvas.width, canvas.height);
  scatter?.setPositions(fromXy, xy);
  anim = sameSpace && scatter ? { start: performance.now() } : undefined;
  if (!sameSpace) {
    const distinct = new Set(r.labels).size;
    // Labels that are all different (file names) colour nothing: start with clusters then.
    if (!state.colorBy && distinct > Math.max(20, r.labels.length / 2)) colourSelect.value = 'cluster';
  }
  applyColours();
  renderQuality(r);
  message.hidden = r.ids.length > 0;
  if (!r.ids.length) message.textContent = 'This space has no points.';
  layoutVersion++;
  saveState({ space: r.space, step: r.step });
  requestDraw();
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function renderQuality(r: MapLayout): void {
  const i = r.info;
  const parts = [
    `${i.n.toLocaleString()} points, ${i.dims} → ${i.pcaDims} dims`,
    `${i.method.toUpperCase()}`,
    `trustworthiness ${i.quality.trustworthiness.toFixed(3)}`,
    `triplet accuracy ${i.quality.tripletAccuracy.toFixed(3)}`,
    `kNN recall ${i.quality.knnRecall.toFixed(3)} (k = ${i.quality.k})`,
    `neighbour search ${i.knn.method}${i.knn.method === 'exact' ? '' : `, recall ${i.knn.recall.toFixed(3)}`}`,
  ];
  if (i.moved) parts.push(`moved: mean ${pct(i.moved.mean)}, max ${pct(i.moved.max)} of the map's radius (${i.moved.points} points)`);
  parts.push(r.cached ? 'stored layout' : `${(i.timingsMs.total / 1000).toFixed(1)} s${i.warm ? ', warm start' : ''}`);
  quality.textContent = parts.join(' · ');
  quality.title = 'Trustworthiness and kNN recall: how well each point keeps its neighbours (local structure). Triplet accuracy: how often the map keeps which of two points is nearer a third (global structure).';
}

// ------------------------------------------------------------ interaction
let drag: { x: number; y: number; moved: boolean; id: number } | undefined;

function canvasPoint(e: MouseEvent): [number, number] {
  const rect = canvas.getBoundingClientRect();
  return [(e.clientX - rect.left) * dpr(), (e.clientY - rect.top) * dpr()];
}

function pick(e: MouseEvent): number {
  if (!grid || anim) return -1;
  const [px, py] = canvasPoint(e);
  const [x, y] = toData(view, canvas.width, canvas.height, px, py);
  return grid.nearest(x, y, (8 * dpr()) / view.scale);
}

canvas.addEventListener('pointerdown', (e) => {
  drag = { x: e.clientX, y: e.clientY, moved: false, id: e.pointerId };
  canvas.setPointerCapture(e.pointerId);
});
canvas.addEventListener('pointermove', (e) => {
  if (drag) {
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (drag.moved || Math.hypot(dx, dy) > 3) {
      drag.moved = true;
      view = panBy(view, dx * dpr(), dy * dpr());
      drag.x = e.clientX;
      drag.y = e.clientY;
      tooltip.hidden = true;
      requestDraw();
    }
    return;
  }
  hover(pick(e), e);
});
canvas.addEventListener('pointerup', (e) => {
  const d = drag;
  drag = undefined;
  if (d && !d.moved) {
    const i = pick(e);
    if (i >= 0) play(i);
  }
});
canvas.addEventListener('pointerleave', () => {
  if (!drag) tooltip.hidden = true;
});
canvas.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    const [px, py] = canvasPoint(e);
    view = zoomAt(view, canvas.width, canvas.height, px, py, Math.exp(-e.deltaY * 0.0015));
    tooltip.hidden = true;
    requestDraw();
  },
  { passive: false },
);

function hover(i: number, e: MouseEvent): void {
  hovered = i;
  if (i < 0 || !current) {
    tooltip.hidden = true;
    return;
  }
  const file = current.files[i];
  tooltip.replaceChildren(h('div', { class: 'map-tooltip-title' }, file ?? current.ids[i]!), h('div', {}, `label: ${current.labels[i]}`));
  if (current.audio[i]) tooltip.append(h('div', { class: 'muted' }, 'click to play'));
  const rect = stage.getBoundingClientRect();
  tooltip.style.left = `${e.clientX - rect.left + 12}px`;
  tooltip.style.top = `${e.clientY - rect.top + 12}px`;
  tooltip.hidden = false;
}

function play(i: number): void {
  if (!current) return;
  const src = current.audio[i];
  const name = current.files[i] ?? current.labels[i] ?? current.ids[i]!;
  if (!src) {
    nowPlaying.textContent = `${name}: no audio file for this point (only clips inside the dataset folder play here).`;
    return;
  }
  audio.src = src;
  audio.dataset.id = current.ids[i]!;
  lastPlayed = { id: current.ids[i]!, index: i, src };
  nowPlaying.textContent = name;
  audio.play().catch((err: Error) => {
    nowPlaying.textContent = `${name}: could not play (${err.message}).`;
  });
}

spaceSelect.addEventListener('change', () => {
  setColourOptions();
  setupSteps();
  const s = space();
  if (s) void load(s.id, s.steps?.length ? s.steps[s.steps.length - 1] : undefined);
});
colourSelect.addEventListener('change', () => {
  saveState({ colorBy: colourSelect.value as MapState['colorBy'] });
  applyColours();
});
stepSlider.addEventListener('input', () => {
  const s = space();
  stepLabel.textContent = s?.steps ? `${s.steps[Number(stepSlider.value)]} (${Number(stepSlider.value) + 1} of ${s.steps.length})` : '';
});
stepSlider.addEventListener('change', () => {
  const s = space();
  const step = s?.steps?.[Number(stepSlider.value)];
  if (s && step !== undefined) void load(s.id, step);
});
fitButton.addEventListener('click', () => {
  view = fitView(xy, canvas.width, canvas.height);
  requestDraw();
});
pngButton.addEventListener('click', () => {
  if (!scatter) return;
  // Draw the finished frame and read it in the same task (the drawing buffer is not preserved).
  anim = undefined;
  scatter.draw(view, 1, background());
  post({ type: 'exportPng', dataUrl: canvas.toDataURL('image/png') });
});
cancelButton.addEventListener('click', () => {
  showProgress('Cancelling…');
  post({ type: 'cancel' });
});

function setupSteps(): void {
  const s = space();
  const steps = s?.steps ?? [];
  stepBox.hidden = steps.length < 2;
  stepSlider.max = String(Math.max(0, steps.length - 1));
  const at = state.step !== undefined && state.space === s?.id ? steps.indexOf(state.step) : -1;
  stepSlider.value = String(at >= 0 ? at : steps.length - 1);
  stepLabel.textContent = steps.length ? `${steps[Number(stepSlider.value)]} (${Number(stepSlider.value) + 1} of ${steps.length})` : '';
}

// ------------------------------------------------------------ host messages
window.addEventListener('message', (e: MessageEvent) => {
  if (ipc.handle(e.data)) return;
  const m = e.data as MapToWebview;
  switch (m.type) {
    case 'init': {
      title.textContent = m.title;
      spaces = m.spaces;
      spaceSelect.replaceChildren(...spaces.map((s) => h('option', { value: s.id }, `${s.name} (${s.count.toLocaleString()} × ${s.dim}${s.steps?.length ? `, ${s.steps.length} steps` : ''})`)));
      if (m.error || !spaces.length) {
        message.textContent = m.error ?? 'No embedding spaces.';
        message.className = m.error ? 'error' : 'muted';
        toolbar.hidden = !spaces.length;
        return;
      }
      message.textContent = '';
      const keep = spaces.find((s) => s.id === state.space);
      spaceSelect.value = (keep ?? spaces[0]!).id;
      setColourOptions();
      setupSteps();
      const s = space()!;
      const step = s.steps?.length ? s.steps[Number(stepSlider.value)] : undefined;
      void load(s.id, step);
      break;
    }
    case 'progress':
      if (loading) showProgress(`${STAGE_NAMES[m.stage]}… ${Math.round(m.done * 100)} %`, m.done);
      break;
    case 'exported':
      nowPlaying.textContent = m.error ? m.error : m.path ? `Saved ${m.path}` : '';
      break;
  }
});

new ResizeObserver(resize).observe(canvas);
resize();
post({ type: 'ready' });

// ------------------------------------------------------------ test hooks
declare global {
  interface Window {
    __tuneStudioMap?: {
      state(): { space?: string; step?: number; n: number; drawn: number; frames: number; animating: boolean; loading: boolean; layoutVersion: number; colourBy: string; quality: string; message: string };
      /** Client (CSS pixel) position of a point in the page, or null. */
      clientOf(id: string): [number, number] | null;
      /** Data position of a point, or null. */
      positionOf(id: string): [number, number] | null;
      ids(): string[];
      lastPlayed(): { id: string; src: string; audioSrc: string; audioId: string | undefined; paused: boolean } | null;
      /** Set the step slider to snapshot index `i` and load it (as a user releasing the slider). */
      setStepIndex(i: number): void;
    };
  }
}
if (TEST_HOOKS) {
  window.__tuneStudioMap = {
    state: () => ({
      space: current?.space,
      step: current?.step,
      n: current?.ids.length ?? 0,
      drawn: scatter?.drawn ?? 0,
      frames: scatter?.frames ?? 0,
      animating: !!anim,
      loading,
      layoutVersion,
      colourBy: colourSelect.value,
      quality: quality.textContent ?? '',
      message: message.hidden ? '' : (message.textContent ?? ''),
    }),
    clientOf: (id) => {
      const i = current?.ids.indexOf(id) ?? -1;
      if (i < 0) return null;
      const [px, py] = toScreen(view, canvas.width, canvas.height, xy[2 * i]!, xy[2 * i + 1]!);
      const rect = canvas.getBoundingClientRect();
      return [rect.left + px / dpr(), rect.top + py / dpr()];
    },
    positionOf: (id) => {
      const i = current?.ids.indexOf(id) ?? -1;
      return i < 0 ? null : [xy[2 * i]!, xy[2 * i + 1]!];
    },
    ids: () => current?.ids.slice() ?? [],
    lastPlayed: () => (lastPlayed ? { ...lastPlayed, audioSrc: audio.currentSrc || audio.src, audioId: audio.dataset.id, paused: audio.paused } : null),
    setStepIndex: (i) => {
      stepSlider.value = String(i);
      stepSlider.dispatchEvent(new Event('input'));
      stepSlider.dispatchEvent(new Event('change'));
    },
  };
}
void hovered;
