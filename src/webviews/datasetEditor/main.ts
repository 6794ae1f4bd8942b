// The dataset editor's page: a virtualized sample table (only the rows in
// view are in the DOM), filters and sort, a detail pane for the sample under
// the cursor (player, prompt, tags, lyrics), bulk operations on the
// selection, and drag and drop import. Every change is sent to the host as
// an edit; the host owns the values and sends the rows back, so what the page
// shows is what Undo, Save and Revert act on. Keyboard: ↑/↓ or j/k move,
// Shift extends the selection, Space plays, Enter edits the prompt, Esc goes
// back to the table, Ctrl/⌘+A selects every shown row.
import './datasetEditor.css';
import { PeaksPageRequest, formatTags, hasTag, parseTags, tagError, type BulkOp, type DatasetEditorPageState, type DatasetEditorToHost, type DatasetEditorToPage, type EditorRow, type EditorState, type SortKey } from '../../protocol/datasetEditor';
import { connectHost, h } from '../shared/host';
import { tagIndex, visibleRows, windowOf } from './rows';

const host = connectHost<DatasetEditorToHost, DatasetEditorToPage, DatasetEditorPageState>();
const app = document.getElementById('app')!;
const ROW_HEIGHT = 30;

const saved = host.getState();
const ui: DatasetEditorPageState = {
  filter: saved?.filter ?? '',
  sort: saved?.sort ?? { key: 'file', desc: false },
  selected: saved?.selected ?? [],
  cursor: saved?.cursor ?? null,
  scrollTop: saved?.scrollTop ?? 0,
  flags: saved?.flags ?? { missingPrompt: false, missingLyrics: false, problems: false },
  tagFilter: saved?.tagFilter ?? { tags: [], mode: 'or' },
  duration: saved?.duration ?? { min: null, max: null },
};
let state: EditorState | null = null;
const byStem = new Map<string, EditorRow>();
let shown: EditorRow[] = [];
const selected = new Set<string>(ui.selected);
let anchor: string | null = null;

function persist(): void {
  ui.selected = [...selected];
  host.setState(ui);
}

// ------------------------------------------------------------------ layout
const triggerInput = h('input', { type: 'text', id: 'trigger', placeholder: 'trigger word', 'aria-label': 'Trigger word', size: '14' });
const filterInput = h('input', { type: 'search', id: 'filter', placeholder: 'Filter text…', 'aria-label': 'Filter' });
const tagFilterInput = h('input', { type: 'text', id: 'tag-filter', placeholder: 'tags (a, b)', list: 'tag-vocab', 'aria-label': 'Tag filter', size: '14' });
const tagMode = h('select', { id: 'tag-mode', 'aria-label': 'Tag filter mode' }, h('option', { value: 'or' }, 'any'), h('option', { value: 'and' }, 'all'));
const durMin = h('input', { type: 'number', id: 'dur-min', placeholder: 'min s', min: '0', step: 'any', 'aria-label': 'Shortest duration', class: 'num' });
const durMax = h('input', { type: 'number', id: 'dur-max', placeholder: 'max s', min: '0', step: 'any', 'aria-label': 'Longest duration', class: 'num' });
const flag = (id: keyof DatasetEditorPageState['flags'], label: string) => {
  const box = h('input', { type: 'checkbox', id: `flag-${id}` });
  box.checked = ui.flags[id];
  box.addEventListener('change', () => {
    ui.flags[id] = box.checked;
    refilter();
  });
  return h('label', {}, box, label);
};
const vocab = h('datalist', { id: 'tag-vocab' });
const count = h('span', { class: 'muted', id: 'count' });
const nameEl = h('strong', { id: 'name' });
const notice = h('div', { id: 'notice', role: 'status' });
const header = h('div', { class: 'de-head', role: 'row' });
const spacer = h('div', { class: 'de-spacer' });
const body = h('div', { class: 'de-body', id: 'rows', tabindex: '0', role: 'grid', 'aria-label': 'Samples' }, spacer);
const detail = h('div', { class: 'de-detail', id: 'detail' });
const audio = h('audio', { id: 'player', controls: true, preload: 'metadata' });

const bulkTags = h('input', { type: 'text', id: 'bulk-tags', placeholder: 'tags', list: 'tag-vocab', size: '14', 'aria-label': 'Tags for the selection' });
const bulkFrom = h('input', { type: 'text', id: 'bulk-from', placeholder: 'find / tag', list: 'tag-vocab', size: '12', 'aria-label': 'Find' });
const bulkTo = h('input', { type: 'text', id: 'bulk-to', placeholder: 'replace with', size: '12', 'aria-label': 'Replace with' });
const selCount = h('span', { id: 'sel-count', class: 'muted' });

function button(id: string, icon: string, label: string, fn: () => void, title?: string): HTMLButtonElement {
  const b = h('button', { id, title: title ?? label }, h('span', { class: `codicon codicon-${icon}` }), label);
  b.addEventListener('click', fn);
  return b;
}

function layout(): void {
  triggerInput.value = state?.triggerWord ?? '';
  filterInput.value = ui.filter;
  tagFilterInput.value = ui.tagFilter.tags.join(', ');
  tagMode.value = ui.tagFilter.mode;
  durMin.value = ui.duration.min === null ? '' : String(ui.duration.min);
  durMax.value = ui.duration.max === null ? '' : String(ui.duration.max);
  app.replaceChildren(
    h('div', { class: 'toolbar' }, nameEl, h('label', {}, 'Trigger ', triggerInput), button('import', 'cloud-download', 'Import…', () => host.post({ type: 'importFiles' })), button('validate', 'check-all', 'Validate', () => host.post({ type: 'validate' })), count),
    h('div', { class: 'toolbar' }, filterInput, tagFilterInput, tagMode, durMin, durMax, flag('missingPrompt', 'no prompt'), flag('missingLyrics', 'no lyrics'), flag('problems', 'problems')),
    h(
      'div',
      { class: 'toolbar', id: 'bulk' },
      selCount,
      bulkTags,
      button('bulk-add', 'add', 'Add', () => bulkTagsOp('addTags')),
      button('bulk-remove', 'remove', 'Remove', () => bulkTagsOp('removeTags')),
      bulkFrom,
      bulkTo,
      button('bulk-replace-tag', 'replace', 'Replace tag', () => bulk({ op: 'replaceTag', from: bulkFrom.value.trim(), to: bulkTo.value.trim() })),
      button('bulk-replace', 'replace-all', 'Replace in prompts', () => bulk({ op: 'findReplacePrompt', find: bulkFrom.value, replace: bulkTo.value })),
      button('bulk-inst', 'mute', 'Lyrics [inst]', () => bulk({ op: 'setInstrumental' })),
      button('bulk-delete', 'trash', 'Delete', () => host.post({ type: 'deleteSamples', stems: targets() })),
    ),
    notice,
    vocab,
    h('div', { class: 'de-main' }, h('div', { class: 'de-table' }, header, body), detail),
  );
  renderHeader();
}

const COLUMNS: Array<{ key: SortKey | null; label: string; cls: string }> = [
  { key: null, label: '', cls: 'c-play' },
  { key: 'file', label: 'File', cls: 'c-file' },
  { key: 'duration', label: 'Duration', cls: 'c-dur' },
  { key: null, label: 'Waveform', cls: 'c-wave' },
  { key: 'prompt', label: 'Tags', cls: 'c-tags' },
  { key: 'lyrics', label: 'Lyrics', cls: 'c-lyrics' },
  { key: 'caption', label: 'Caption', cls: 'c-cap' },
  { key: 'problems', label: 'Problems', cls: 'c-prob' },
];

function renderHeader(): void {
  header.replaceChildren(
    ...COLUMNS.map((c) => {
      const arrow = c.key && ui.sort.key === c.key ? (ui.sort.desc ? ' ▼' : ' ▲') : '';
      const cell = h('div', { class: `de-cell ${c.cls}`, role: 'columnheader', 'data-sort': c.key ?? undefined }, c.label + arrow);
      if (c.key) {
        const key = c.key;
        cell.addEventListener('click', () => {
          ui.sort = { key, desc: ui.sort.key === key ? !ui.sort.desc : false };
          renderHeader();
          refilter();
        });
      }
      return cell;
    }),
  );
}

// ------------------------------------------------------------------ table
function refilter(): void {
  if (!state) return;
  shown = visibleRows(state.rows, ui, ui.sort);
  const visibleSet = new Set(shown.map((r) => r.stem));
  for (const s of [...selected]) if (!visibleSet.has(s) && !byStem.has(s)) selected.delete(s);
  spacer.style.height = `${shown.length * ROW_HEIGHT}px`;
  count.textContent = `${shown.length} of ${state.rows.length} samples`;
  persist();
  renderRows();
  renderDetail();
}

function fmtDuration(s: number | null): string {
  if (s === null) return '–';
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
}

function renderRow(r: EditorRow, i: number): HTMLElement {
  const tags = parseTags(r.prompt ?? '');
  const err = r.problems.filter((p) => p.severity === 'error').length;
  const warn = r.problems.length - err;
  const playing = audio.dataset.stem === r.stem && !audio.paused;
  const play = h('button', { class: 'icon play', title: playing ? 'Pause (Space)' : 'Play (Space)', 'data-action': 'play', tabindex: '-1' }, h('span', { class: `codicon codicon-${playing ? 'debug-pause' : 'play'}` }));
  const row = h(
    'div',
    {
      class: `de-row${selected.has(r.stem) ? ' selected' : ''}${ui.cursor === r.stem ? ' cursor' : ''}${r.dirty.length ? ' dirty' : ''}`,
      role: 'row',
      'data-stem': r.stem,
      'aria-selected': selected.has(r.stem) ? 'true' : 'false',
    },
    h('div', { class: 'de-cell c-play' }, play),
    h('div', { class: 'de-cell c-file', title: r.file }, r.dirty.length ? '● ' : '', r.file),
    h('div', { class: 'de-cell c-dur' }, fmtDuration(r.duration ?? peaks.get(r.stem)?.duration ?? null)),
    h('div', { class: 'de-cell c-wave' }, rowWave(r.stem)),
    h('div', { class: 'de-cell c-tags' }, ...(r.prompt === null ? [h('span', { class: 'missing' }, 'no prompt')] : tags.length ? tags.map((t) => h('span', { class: 'chip' }, t)) : [h('span', { class: 'missing' }, 'empty')])),
    h('div', { class: 'de-cell c-lyrics', title: r.lyrics ?? '' }, r.lyrics === null ? h('span', { class: 'missing' }, 'no lyrics') : r.lyrics.replace(/\s+/g, ' ').slice(0, 80)),
    h('div', { class: 'de-cell c-cap' }, r.captionState === 'none' ? '' : r.captionState),
    h('div', { class: `de-cell c-prob${err ? ' error' : ''}`, title: r.problems.map((p) => p.message).join('\n') }, err ? `${err} error${err === 1 ? '' : 's'}` : warn ? `${warn} warning${warn === 1 ? '' : 's'}` : ''),
  );
  row.style.top = `${i * ROW_HEIGHT}px`;
  row.addEventListener('mousedown', (e) => {
    if ((e.target as HTMLElement).closest('[data-action="play"]')) return;
    clickRow(r.stem, e);
  });
  play.addEventListener('click', () => {
    moveCursor(r.stem, false);
    togglePlay();
  });
  return row;
}

function renderRows(): void {
  const { first, last } = windowOf(body.scrollTop, body.clientHeight || 600, ROW_HEIGHT, shown.length);
  const rows: HTMLElement[] = [];
  for (let i = first; i < last; i++) rows.push(renderRow(shown[i], i));
  spacer.replaceChildren(...rows);
}

body.addEventListener('scroll', () => {
  ui.scrollTop = body.scrollTop;
  requestAnimationFrame(renderRows);
});

function clickRow(stem: string, e: MouseEvent): void {
  if (e.shiftKey && anchor) selectRange(anchor, stem);
  else if (e.ctrlKey || e.metaKey) {
    if (selected.has(stem)) selected.delete(stem);
    else selected.add(stem);
    anchor = stem;
  } else {
    selected.clear();
    selected.add(stem);
    anchor = stem;
  }
  ui.cursor = stem;
  afterSelection();
  body.focus();
}

function selectRange(a: string, b: string): void {
  const i = shown.findIndex((r) => r.stem === a);
  const j = shown.findIndex((r) => r.stem === b);
  if (i < 0 || j < 0) return;
  selected.clear();
  for (let k = Math.min(i, j); k <= Math.max(i, j); k++) selected.add(shown[k].stem);
}

function afterSelection(): void {
  selCount.textContent = selected.size ? `${selected.size} selected` : 'no selection';
  persist();
  renderRows();
  renderDetail();
}

function moveCursor(stem: string, extend: boolean): void {
  ui.cursor = stem;
  if (extend && anchor) selectRange(anchor, stem);
  else {
    selected.clear();
    selected.add(stem);
    anchor = stem;
  }
  const i = shown.findIndex((r) => r.stem === stem);
  if (i >= 0) {
    const top = i * ROW_HEIGHT;
    if (top < body.scrollTop) body.scrollTop = top;
    else if (top + ROW_HEIGHT > body.scrollTop + body.clientHeight) body.scrollTop = top + ROW_HEIGHT - body.clientHeight;
  }
  afterSelection();
}

function step(delta: number, extend: boolean): void {
  if (!shown.length) return;
  const i = shown.findIndex((r) => r.stem === ui.cursor);
  const next = Math.max(0, Math.min(shown.length - 1, i < 0 ? 0 : i + delta));
  moveCursor(shown[next].stem, extend);
}

/** The rows a bulk operation acts on: the selection, or the cursor row. */
function targets(): string[] {
  if (selected.size) return shown.filter((r) => selected.has(r.stem)).map((r) => r.stem);
  return ui.cursor ? [ui.cursor] : [];
}

body.addEventListener('keydown', (e) => {
  const k = e.key;
  if (k === 'ArrowDown' || k === 'j') step(1, e.shiftKey);
  else if (k === 'ArrowUp' || k === 'k') step(-1, e.shiftKey);
  else if (k === 'Home') step(-shown.length, e.shiftKey);
  else if (k === 'End') step(shown.length, e.shiftKey);
  else if (k === ' ') togglePlay();
  else if (k === 'Enter') (detail.querySelector('#prompt') as HTMLTextAreaElement | null)?.focus();
  else if ((e.ctrlKey || e.metaKey) && k.toLowerCase() === 'a') {
    selected.clear();
    shown.forEach((r) => selected.add(r.stem));
    afterSelection();
  } else if (k === 'Escape') {
    selected.clear();
    if (ui.cursor) selected.add(ui.cursor);
    afterSelection();
  } else return;
  e.preventDefault();
});

// ------------------------------------------------------------------ player and detail
function togglePlay(): void {
  const r = ui.cursor ? byStem.get(ui.cursor) : undefined;
  if (!r) return;
  if (audio.dataset.stem !== r.stem) {
    audio.src = r.src;
    audio.dataset.stem = r.stem;
  }
  if (audio.paused) void audio.play().catch((err: Error) => showNotice('error', `Cannot play '${r.file}': ${err.message}`));
  else audio.pause();
}
for (const ev of ['play', 'pause', 'ended']) audio.addEventListener(ev, () => renderRows());

function renderDetail(): void {
  const r = ui.cursor ? byStem.get(ui.cursor) : undefined;
  if (!r) {
    detail.replaceChildren(h('p', { class: 'muted' }, 'Select a sample (↑/↓ or j/k). Space plays, Enter edits the prompt, Esc returns to the table.'), audio);
    return;
  }
  // The same sample: update its values in place, so what the user is typing (a field, the tag box) is kept.
  if (detail.dataset.stem === r.stem && detail.querySelector('#prompt')) {
    for (const field of ['prompt', 'lyrics'] as const) {
      const el = detail.querySelector<HTMLTextAreaElement>(`#${field}`)!;
      if (document.activeElement !== el) el.value = r[field] ?? '';
    }
    detail.querySelector('#problems')?.replaceChildren(...r.problems.map((p) => h('li', { class: p.severity }, p.message)));
    updateChips(r);
    drawDetailWave();
    return;
  }
  detail.dataset.stem = r.stem;
  const prompt = h('textarea', { id: 'prompt', rows: '3', 'aria-label': 'Prompt (comma-separated tags)', placeholder: r.prompt === null ? 'no prompt file yet: typing creates it on Save' : '' });
  prompt.value = r.prompt ?? '';
  const lyrics = h('textarea', { id: 'lyrics', rows: '8', 'aria-label': 'Lyrics', placeholder: '[verse] … [chorus] … or [inst] for an instrumental' });
  lyrics.value = r.lyrics ?? '';
  const commit = (field: 'prompt' | 'lyrics', el: HTMLTextAreaElement) => {
    const cur = byStem.get(r.stem);
    if (cur && (cur[field] ?? '') !== el.value) host.post({ type: 'edit', label: `Edit ${field === 'prompt' ? 'Prompt' : 'Lyrics'}`, changes: [{ stem: r.stem, field, value: el.value }] });
  };
  // Typing becomes an edit a moment after it pauses (so the tab turns dirty and Ctrl/⌘+S saves what is typed), and at once on leaving the field.
  let typing: ReturnType<typeof setTimeout> | undefined;
  for (const [field, el] of [['prompt', prompt], ['lyrics', lyrics]] as const) {
    el.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(() => commit(field, el), 400);
    });
    el.addEventListener('change', () => {
      clearTimeout(typing);
      commit(field, el);
    });
  }
  for (const el of [prompt, lyrics]) {
    el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        el.blur();
        body.focus();
        e.stopPropagation();
      }
    });
  }
  const addTag = h('input', { type: 'text', id: 'add-tag', placeholder: 'add tag', list: 'tag-vocab', 'aria-label': 'Add a tag' });
  addTag.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const t = addTag.value.trim();
    const err = tagError(t);
    if (err) return showNotice('error', `Not added: ${err}.`);
    const tags = parseTags(byStem.get(r.stem)?.prompt ?? '');
    if (!hasTag(tags, t)) host.post({ type: 'edit', label: 'Add Tag', changes: [{ stem: r.stem, field: 'prompt', value: formatTags([...tags, t]) }] });
    addTag.value = '';
  });
  const problems = h('ul', { class: 'problems', id: 'problems' }, ...r.problems.map((p) => h('li', { class: p.severity }, p.message)));
  const wave = h('canvas', { id: 'wave', class: 'wave-large', width: '600', height: '64', title: 'Click to seek' });
  wave.addEventListener('click', (e) => seekFromWave(e, wave, r));
  detail.replaceChildren(h('h3', {}, r.file), wave, audio, h('div', { class: 'chips', id: 'chips' }), addTag, h('label', { for: 'prompt' }, 'Prompt'), prompt, h('label', { for: 'lyrics' }, 'Lyrics'), lyrics, problems);
  updateChips(r);
  drawDetailWave();
}

function updateChips(r: EditorRow): void {
  const box = detail.querySelector('#chips');
  if (!box) return;
  const tags = parseTags(r.prompt ?? '');
  box.replaceChildren(
    ...tags.map((t) => {
      const x = h('button', { class: 'icon', title: `Remove '${t}'`, 'data-remove-tag': t }, h('span', { class: 'codicon codicon-close' }));
      x.addEventListener('click', () => host.post({ type: 'edit', label: 'Remove Tag', changes: [{ stem: r.stem, field: 'prompt', value: formatTags(tags.filter((o) => o !== t)) }] }));
      return h('span', { class: `chip${t === state?.triggerWord ? ' trigger' : ''}` }, t, x);
    }),
  );
}

// ------------------------------------------------------------------ waveforms
// Peaks come from the runtime (decoded once, cached in the store); the page
// only draws them. Rows ask for theirs when they scroll into view.
const BUCKETS = 400;
const peaks = new Map<string, { duration: number; data: Int8Array } | { error: string; duration?: undefined }>();
const wanted = new Set<string>();
let peaksTimer: ReturnType<typeof setTimeout> | undefined;

function decodePeaks(b64: string): Int8Array {
  const bin = atob(b64);
  const out = new Int8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = (bin.charCodeAt(i) << 24) >> 24;
  return out;
}

function wantPeaks(stem: string): void {
  if (peaks.has(stem) || wanted.has(stem)) return;
  wanted.add(stem);
  peaksTimer ??= setTimeout(() => {
    peaksTimer = undefined;
    const stems = [...wanted];
    wanted.clear();
    host.sendRequest(PeaksPageRequest, { stems, buckets: BUCKETS }).then(
      (list) => {
        for (const p of list) peaks.set(p.stem, p.peaks ? { duration: p.duration ?? 0, data: decodePeaks(p.peaks) } : { error: p.error ?? 'no waveform' });
        renderRows();
        drawDetailWave();
      },
      (err: Error) => {
        for (const s of stems) peaks.set(s, { error: err.message });
        renderRows();
      },
    );
  }, 60);
}

function color(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function drawWave(canvas: HTMLCanvasElement, data: Int8Array, progress: number | null): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const w = canvas.width;
  const hgt = canvas.height;
  g.clearRect(0, 0, w, hgt);
  const n = data.length / 2;
  const mid = hgt / 2;
  g.fillStyle = color('--vscode-charts-blue', '#3794ff');
  for (let x = 0; x < w; x++) {
    const from = Math.floor((x * n) / w);
    const to = Math.max(from + 1, Math.floor(((x + 1) * n) / w));
    let mn = 0;
    let mx = 0;
    for (let b = from; b < to; b++) {
      if (data[2 * b] < mn) mn = data[2 * b];
      if (data[2 * b + 1] > mx) mx = data[2 * b + 1];
    }
    const top = mid - (mx / 127) * mid;
    const bottom = mid - (mn / 127) * mid;
    g.fillRect(x, top, 1, Math.max(1, bottom - top));
  }
  if (progress !== null) {
    g.fillStyle = color('--vscode-editorCursor-foreground', '#fff');
    g.fillRect(Math.round(progress * (w - 1)), 0, 2, hgt);
  }
}

function rowWave(stem: string): HTMLElement {
  const p = peaks.get(stem);
  if (!p) {
    wantPeaks(stem);
    return h('span', { class: 'muted' }, '…');
  }
  if (!('data' in p)) return h('span', { class: 'muted', title: p.error }, '—');
  const c = h('canvas', { class: 'wave', width: '96', height: '22', 'data-wave': stem });
  drawWave(c, p.data, null);
  return c;
}

function drawDetailWave(): void {
  const c = detail.querySelector<HTMLCanvasElement>('#wave');
  const stem = detail.dataset.stem;
  const p = stem ? peaks.get(stem) : undefined;
  if (!c || !stem) return;
  if (!p) return wantPeaks(stem);
  if (!('data' in p)) {
    c.title = p.error;
    return;
  }
  const playingThis = audio.dataset.stem === stem && audio.duration > 0;
  drawWave(c, p.data, playingThis ? audio.currentTime / audio.duration : null);
}
audio.addEventListener('timeupdate', drawDetailWave);

/** A click on the large waveform seeks there (loading the sample if another one is in the player). */
function seekFromWave(e: MouseEvent, canvas: HTMLCanvasElement, r: EditorRow): void {
  const rect = canvas.getBoundingClientRect();
  const f = Math.max(0, Math.min(1, (e.clientX - rect.left) / rect.width));
  if (audio.dataset.stem !== r.stem) {
    audio.src = r.src;
    audio.dataset.stem = r.stem;
  }
  const seek = () => {
    audio.currentTime = f * audio.duration;
    drawDetailWave();
  };
  if (audio.readyState >= 1) seek();
  else audio.addEventListener('loadedmetadata', seek, { once: true });
}

// ------------------------------------------------------------------ bulk
function bulk(op: BulkOp): void {
  const stems = targets();
  if (!stems.length) return showNotice('error', 'Select samples first (click, Shift+click, Ctrl/⌘+A).');
  host.post({ type: 'bulk', stems, bulk: op });
}

function bulkTagsOp(op: 'addTags' | 'removeTags'): void {
  const tags = parseTags(bulkTags.value);
  if (!tags.length) return showNotice('error', 'Type the tags first (comma-separated).');
  bulk({ op, tags });
}

function showNotice(level: 'info' | 'error', message: string): void {
  notice.className = level === 'error' ? 'error' : 'muted';
  notice.textContent = message;
}

// ------------------------------------------------------------------ toolbar inputs
triggerInput.addEventListener('change', () => host.post({ type: 'setTriggerWord', value: triggerInput.value }));
filterInput.addEventListener('input', () => {
  ui.filter = filterInput.value;
  refilter();
});
const tagFilterChanged = () => {
  ui.tagFilter = { tags: parseTags(tagFilterInput.value), mode: tagMode.value === 'and' ? 'and' : 'or' };
  refilter();
};
tagFilterInput.addEventListener('input', tagFilterChanged);
tagMode.addEventListener('change', tagFilterChanged);
const durChanged = () => {
  const n = (v: string) => (v.trim() === '' || !Number.isFinite(Number(v)) ? null : Number(v));
  ui.duration = { min: n(durMin.value), max: n(durMax.value) };
  refilter();
};
durMin.addEventListener('input', durChanged);
durMax.addEventListener('input', durChanged);

// ------------------------------------------------------------------ drag and drop
app.addEventListener('dragover', (e) => {
  e.preventDefault();
  app.classList.add('dropping');
});
app.addEventListener('dragleave', () => app.classList.remove('dropping'));
app.addEventListener('drop', (e) => {
  e.preventDefault();
  app.classList.remove('dropping');
  const dt = e.dataTransfer;
  if (!dt) return;
  const uris = (dt.getData('text/uri-list') || '')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'));
  const files = [...dt.files];
  void Promise.all(
    files.map(
      (f) =>
        new Promise<{ name: string; data: string }>((resolve, reject) => {
          const rd = new FileReader();
          rd.onload = () => resolve({ name: f.name, data: String(rd.result).replace(/^data:[^,]*,/, '') });
          rd.onerror = () => reject(new Error(`Cannot read dropped file '${f.name}'`));
          rd.readAsDataURL(f);
        }),
    ),
  ).then(
    (read) => {
      if (read.length || uris.length) host.post({ type: 'drop', files: read, uris });
    },
    (err: Error) => showNotice('error', err.message),
  );
});

// ------------------------------------------------------------------ from the host
function setVocab(): void {
  if (!state) return;
  vocab.replaceChildren(...tagIndex(state.rows).slice(0, 500).map((t) => h('option', { value: t.tag }, `${t.count}`)));
}

host.onMessage((m) => {
  if (m.type === 'state') {
    state = m.state;
    byStem.clear();
    for (const r of state.rows) byStem.set(r.stem, r);
    for (const s of [...selected]) if (!byStem.has(s)) selected.delete(s);
    if (ui.cursor && !byStem.has(ui.cursor)) ui.cursor = null;
    const focused = document.activeElement?.id;
    nameEl.textContent = state.name;
    if (!app.firstChild) layout();
    else triggerInput.value = state.triggerWord;
    refilter();
    setVocab();
    if (ui.scrollTop && body.scrollTop !== ui.scrollTop) body.scrollTop = ui.scrollTop;
    if (focused) (document.getElementById(focused) as HTMLElement | null)?.focus();
  } else if (m.type === 'rows') {
    if (!state) return;
    for (const r of m.rows) {
      const i = state.rows.findIndex((x) => x.stem === r.stem);
      if (i >= 0) state.rows[i] = r;
      byStem.set(r.stem, r);
    }
    state.triggerWord = m.triggerWord;
    state.triggerDirty = m.triggerDirty;
    if (document.activeElement !== triggerInput) triggerInput.value = m.triggerWord;
    triggerInput.classList.toggle('dirty', m.triggerDirty);
    refilter();
    setVocab();
  } else if (m.type === 'notice') {
    showNotice(m.level, m.message);
  }
});

layout();
host.post({ type: 'ready' });
