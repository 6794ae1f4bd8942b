// Compare Runs page: the selected runs in a sortable table — status,
// duration, alert count, last and best value of the chosen metrics — and below
// it their config, one row per key grouped by section, the keys whose values
// differ first and highlighted (identical keys and the runtime's own keys on
// request). Rows picked with their checkboxes are overlaid in a dashboard.
import './compare.css';
import type { MetricSummary } from '../../protocol/tracking';
import type { CompareData, CompareState, CompareToHost, CompareToWebview } from '../../protocol/webview';
import { runColors, themePalette } from '../shared/colors';
import { fmtDuration, fmtNum, secondsBetween } from '../../protocol/format';
import { connectHost, h } from '../shared/host';
import { HEADLINE_METRICS, metricDirection } from '../../protocol/metrics';
import { icon, loadPanelStyles, statusIcon } from '../shared/styles';
import { TEST_HOOKS } from '../shared/testHooks';
import { flattenConfig } from '../../protocol/config';
import { configSections, configText, RUNTIME_SECTION, type ConfigSection } from './configTable';

loadPanelStyles();

const host = connectHost<CompareToHost, CompareToWebview, CompareState>();
const app = document.getElementById('app')!;
const state: CompareState = host.getState() ?? { runIds: [] };
let data: CompareData | undefined;
let error: string | undefined;
let showSame = false;
let showInternal = false;
/** Config sections folded by a click on their heading. */
const collapsed = new Set<string>();

type Cell = { text: string; sort: number | string | null; cls?: string; title?: string };
interface Column {
  key: string;
  label: string;
  title?: string;
  cls?: string;
  cell(runId: string): Cell;
}

function save(): void {
  host.setState(state);
}

function num(v: MetricSummary['last'] | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  return null;
}

function chosenMetrics(d: CompareData): string[] {
  const valid = (state.metrics ?? []).filter((m) => d.metrics.includes(m));
  if (valid.length) return valid;
  const head = HEADLINE_METRICS.filter((m) => d.metrics.includes(m));
  return (head.length ? head : d.metrics).slice(0, 4);
}

function columns(d: CompareData): Column[] {
  const runs = new Map(d.runs.map((r) => [r.id, r]));
  const cols: Column[] = [
    { key: 'name', label: 'Run', cell: (id) => ({ text: runs.get(id)!.name, sort: runs.get(id)!.name }) },
    { key: 'status', label: 'Status', cell: (id) => ({ text: runs.get(id)!.status, sort: runs.get(id)!.status, title: runs.get(id)!.reason ?? undefined }) },
    {
      key: 'duration',
      label: 'Duration',
      cls: 'num',
      cell: (id) => {
        const r = runs.get(id)!;
        const s = r.ended_at || r.status === 'running' ? secondsBetween(r.created_at, r.ended_at) : null;
        return { text: fmtDuration(s) || '—', sort: s };
      },
    },
    { key: 'alerts', label: 'Alerts', cls: 'num', cell: (id) => ({ text: String(d.alerts[id] ?? 0), sort: d.alerts[id] ?? 0, cls: d.alerts[id] ? 'has-alerts' : '' }) },
  ];
  for (const m of chosenMetrics(d)) {
    const dir = metricDirection(m);
    const lasts = d.runs.map((r) => num(d.values[r.id]?.[m]?.last)).filter((v): v is number => v !== null && Number.isFinite(v));
    const bestLast = lasts.length > 1 ? (dir === 'min' ? Math.min(...lasts) : Math.max(...lasts)) : null;
    cols.push({
      key: `last:${m}`,
      label: `${m} last`,
      title: `Last value of ${m} (${dir === 'min' ? 'lower' : 'higher'} is better; the best run is marked)`,
      cls: 'num metric',
      cell: (id) => {
        const s = d.values[id]?.[m];
        const v = num(s?.last);
        return { text: s ? fmtNum(s.last) : '—', sort: v, cls: v !== null && v === bestLast ? 'winner' : '', title: s ? `step ${s.last_step}` : undefined };
      },
    });
    cols.push({
      key: `best:${m}`,
      label: `${m} ${dir === 'min' ? 'min' : 'max'}`,
      title: `Best (${dir}) value of ${m} over the run`,
      cls: 'num metric',
      cell: (id) => {
        const s = d.values[id]?.[m];
        const v = s ? (dir === 'min' ? s.min : s.max) : null;
        const step = s ? (dir === 'min' ? s.min_step : s.max_step) : null;
        return { text: fmtNum(v), sort: v, title: step !== null ? `step ${step}` : undefined };
      },
    });
  }
  return cols;
}

function flatConfigs(d: CompareData): Map<string, Record<string, unknown>> {
  return new Map(d.runs.map((r) => [r.id, flattenConfig(d.configs?.[r.id] ?? {})]));
}

function sections(d: CompareData): ConfigSection[] {
  return configSections([...flatConfigs(d).values()], d.config_diff ?? [], { showSame, showInternal });
}

/** The config below the metrics: one row per key, one column per run, grouped by section. */
function configTable(d: CompareData, ids: string[]): HTMLElement | null {
  const secs = sections(d);
  if (!secs.length) return null;
  const configs = flatConfigs(d);
  const runs = new Map(d.runs.map((r) => [r.id, r]));
  const head = h('tr', {}, h('th', {}, 'Config'), ...ids.map((id) => h('th', { title: id }, runs.get(id)!.name)));
  const bodies = secs.map((s) => {
    const open = !collapsed.has(s.name);
    const label = s.name === '' ? 'general' : s.name;
    const count = s.internal ? `${s.keys.length} key${s.keys.length === 1 ? '' : 's'}, never compared` : s.differing ? `${s.differing} differ` : 'identical';
    const title = h('th', { colspan: String(ids.length + 1), class: 'section', title: open ? 'Click to fold this section' : 'Click to show this section', 'aria-expanded': String(open), 'data-section': s.name }, icon(open ? 'chevron-down' : 'chevron-right'), ` ${label} `, h('span', { class: 'muted' }, `(${count})`));
    title.addEventListener('click', () => {
      if (open) collapsed.add(s.name);
      else collapsed.delete(s.name);
      render();
    });
    const rows = open
      ? s.keys.map((k) =>
          h(
            'tr',
            { 'data-key': k.key, class: k.internal ? 'internal' : '' },
            h('th', { class: k.differs ? 'cfg differs' : 'cfg', title: k.internal ? `${k.key}: added by Tune Studio, not your config` : k.differs ? `config ${k.key}: differs between these runs` : `config ${k.key}: the same in every run` }, k.label),
            ...ids.map((id) => {
              const text = configText(configs.get(id)?.[k.key]);
              return h('td', { class: k.differs ? 'cfg differs' : 'cfg', title: text }, text.length > 60 ? text.slice(0, 60) + '…' : text);
            }),
          ),
        )
      : [];
    return h('tbody', { class: s.name === RUNTIME_SECTION ? 'internal' : '' }, h('tr', {}, title), ...rows);
  });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid config' }, h('thead', {}, head), ...bodies));
}

function sortedIds(d: CompareData, cols: Column[]): string[] {
  const ids = d.runs.map((r) => r.id);
  const s = state.sort;
  const col = s && cols.find((c) => c.key === s.key);
  if (!s || !col) return ids;
  const sign = s.dir === 'asc' ? 1 : -1;
  return ids.sort((a, b) => {
    const x = col.cell(a).sort;
    const y = col.cell(b).sort;
    // Missing and non-finite values go last whichever the direction.
    const bad = (v: unknown) => v === null || (typeof v === 'number' && !Number.isFinite(v));
    if (bad(x) || bad(y)) return Number(bad(x)) - Number(bad(y));
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    return sign * String(x).localeCompare(String(y), undefined, { numeric: true });
  });
}

function render(): void {
  app.replaceChildren();
  app.append(h('h1', {}, data ? `Compare ${data.runs.length} runs` : 'Compare Runs'));
  if (error) {
    app.append(h('p', { class: 'error' }, error));
    return;
  }
  if (!data) {
    app.append(h('p', { class: 'muted' }, 'Loading…'));
    return;
  }
  const d = data;
  if (!d.runs.length) {
    app.append(h('p', { class: 'muted' }, 'No runs to compare. Select runs in the Runs view and choose "Compare Selected".'));
    return;
  }
  const colors = runColors(
    d.runs.map((r) => r.id),
    themePalette(),
  );
  const cols = columns(d);
  const picked = new Set((state.picked ?? []).filter((id) => d.runs.some((r) => r.id === id)));

  // Toolbar: metrics, identical config keys, overlay.
  const metricsBox = h('details', { class: 'metric-picker' }, h('summary', {}, `Metrics (${chosenMetrics(d).length} of ${d.metrics.length})`));
  const list = h('div', { class: 'metric-list' });
  for (const m of d.metrics) {
    const id = `m-${m}`;
    const cb = h('input', { type: 'checkbox', id, checked: chosenMetrics(d).includes(m) });
    cb.addEventListener('change', () => {
      const cur = new Set(chosenMetrics(d));
      if (cb.checked) cur.add(m);
      else cur.delete(m);
      state.metrics = d.metrics.filter((x) => cur.has(x));
      save();
      render();
      (document.querySelector('.metric-picker') as HTMLDetailsElement | null)?.setAttribute('open', '');
    });
    list.append(h('label', { for: id }, cb, ` ${m}`));
  }
  metricsBox.append(list);
  const same = h('input', { type: 'checkbox', id: 'show-same', checked: showSame });
  same.addEventListener('change', () => {
    showSame = same.checked;
    render();
  });
  const internal = h('input', { type: 'checkbox', id: 'show-internal', checked: showInternal });
  internal.addEventListener('change', () => {
    showInternal = internal.checked;
    render();
  });
  const overlay = h('button', { type: 'button', class: 'primary', id: 'overlay', disabled: picked.size === 0, 'aria-disabled': String(picked.size === 0), title: picked.size === 0 ? 'Tick the runs to overlay first (the checkboxes at the left of the table)' : 'Open a dashboard with the picked runs overlaid (updates the one opened from here)' }, icon('graph-line'), ` Overlay ${picked.size || ''} in Dashboard`);
  overlay.addEventListener('click', () => host.post({ type: 'overlay', runIds: [...picked] }));
  const refresh = h('button', { type: 'button', title: 'Refresh' }, icon('refresh'), ' Refresh');
  refresh.addEventListener('click', () => host.post({ type: 'refresh' }));
  const diffCount = sections(d).reduce((n, s) => n + s.differing, 0);
  app.append(
    h(
      'div',
      { class: 'toolbar' },
      metricsBox,
      h('label', { for: 'show-same', class: 'control' }, same, ' Show identical config keys'),
      h('label', { for: 'show-internal', class: 'control', title: 'Keys Tune Studio adds to a run (job.*, command, sweep, trial); they never count as differing' }, internal, ' Show internal keys'),
      overlay,
      refresh,
      h('span', { class: 'muted' }, diffCount ? `${diffCount} config key${diffCount === 1 ? '' : 's'} differ (highlighted)` : 'The configs are identical'),
    ),
  );

  // Table.
  const all = h('input', { type: 'checkbox', 'aria-label': 'Pick every run', checked: picked.size === d.runs.length });
  all.addEventListener('change', () => {
    state.picked = all.checked ? d.runs.map((r) => r.id) : [];
    save();
    render();
  });
  const head = h(
    'tr',
    {},
    h('th', { class: 'pick' }, all),
    ...cols.map((c) => {
      const s = state.sort?.key === c.key ? state.sort.dir : undefined;
      const th = h('th', { class: `${c.cls ?? ''} sortable`, title: `${c.title ?? c.label}\nClick to sort.`, 'aria-sort': s === 'asc' ? 'ascending' : s === 'desc' ? 'descending' : 'none', 'data-key': c.key }, c.label, s ? icon(s === 'asc' ? 'arrow-up' : 'arrow-down', 'sort-icon') : null);
      th.addEventListener('click', () => {
        state.sort = { key: c.key, dir: state.sort?.key === c.key && state.sort.dir === 'asc' ? 'desc' : 'asc' };
        save();
        render();
      });
      return th;
    }),
  );
  const rows = sortedIds(d, cols).map((id) => {
    const run = d.runs.find((r) => r.id === id)!;
    const cb = h('input', { type: 'checkbox', 'aria-label': `Pick ${run.name}`, checked: picked.has(id) });
    cb.addEventListener('change', () => {
      const next = new Set(picked);
      if (cb.checked) next.add(id);
      else next.delete(id);
      state.picked = [...next];
      save();
      render();
    });
    const tr = h('tr', { 'data-run': id, class: picked.has(id) ? 'picked' : '' }, h('td', { class: 'pick' }, cb));
    for (const c of cols) {
      const cell = c.cell(id);
      const td = h('td', { class: `${c.cls ?? ''} ${cell.cls ?? ''}`.trim(), title: cell.title });
      if (c.key === 'name') {
        const sw = h('span', { class: 'swatch' });
        sw.style.background = colors.get(id) ?? '';
        const link = h('a', { href: '#', title: `Open the dashboard of ${run.name} (${id})` }, cell.text);
        link.addEventListener('click', (e) => {
          e.preventDefault();
          host.post({ type: 'openDashboard', runId: id });
        });
        td.append(sw, link);
      } else if (c.key === 'status') {
        const st = statusIcon(run.status);
        td.append(icon(st.icon, st.cls), ` ${cell.text}`);
      } else td.textContent = cell.text;
      tr.append(td);
    }
    return tr;
  });
  app.append(h('div', { class: 'table-wrap' }, h('table', { class: 'grid compare' }, h('thead', {}, head), h('tbody', {}, ...rows))));
  const cfg = configTable(d, sortedIds(d, cols));
  if (cfg) app.append(h('h2', {}, 'Config'), cfg);
}

host.onMessage((msg) => {
  if (msg.type === 'data') {
    data = msg.data;
    error = undefined;
    state.runIds = msg.runIds;
    save();
  } else if (msg.type === 'error') error = msg.message;
  render();
});

declare global {
  interface Window {
    __tuneStudioCompare?: { table(): { columns: string[]; rows: Array<{ runId: string; cells: string[] }> }; state(): CompareState };
  }
}

if (TEST_HOOKS) {
  window.__tuneStudioCompare = {
    table: () => {
      if (!data) return { columns: [], rows: [] };
      const cols = columns(data);
      // The config rows shown below the table, as `cfg:KEY` columns.
      const keys = sections(data).flatMap((s) => s.keys.map((k) => k.key));
      const configs = flatConfigs(data);
      return {
        columns: [...cols.map((c) => c.key), ...keys.map((k) => `cfg:${k}`)],
        rows: sortedIds(data, cols).map((id) => ({ runId: id, cells: [...cols.map((c) => c.cell(id).text), ...keys.map((k) => configText(configs.get(id)?.[k]))] })),
      };
    },
    state: () => structuredClone(state),
  };
}

render();
host.post({ type: 'ready' });
