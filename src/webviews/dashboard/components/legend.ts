// The header (run name or count) and the legend: one chip per run with its
// colour and status (click hides or shows it in every chart), plus stop and
// logs buttons.
import { h } from '../../shared/host';
import { icon, statusIcon } from '../../shared/styles';
import type { DashboardModel } from '../model';
import { button } from './controls';

export interface LegendActions {
  toggle(runId: string): void;
  stop(runId: string): void;
  logs(runId: string): void;
}

export function renderHeader(el: HTMLElement, model: DashboardModel): void {
  const runs = model.runs;
  const title = runs.length === 1 ? runs[0].name : `${runs.length} runs`;
  const sub = runs.length === 1 ? `${runs[0].project} · ${runs[0].id}` : [...new Set(runs.map((r) => r.project))].join(', ');
  el.replaceChildren(h('h1', {}, title), h('span', { class: 'muted' }, sub));
  document.title = `Dashboard: ${title}`;
}

export function renderLegend(el: HTMLElement, model: DashboardModel, colors: Map<string, string>, fallback: string, on: LegendActions): void {
  el.replaceChildren(
    ...model.runs.map((r) => {
      const hidden = model.isHidden(r.id);
      const st = statusIcon(r.status);
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = colors.get(r.id) ?? fallback;
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
      chip.addEventListener('click', () => on.toggle(r.id));
      const actions: HTMLElement[] = [];
      if (r.status === 'running') {
        const stop = button('debug-stop', `Stop ${r.name}`, `Stop run ${r.name}`, true);
        stop.addEventListener('click', () => on.stop(r.id));
        actions.push(stop);
      }
      const logs = button('output', `Logs of ${r.name}`, `Show the log of ${r.name}`, true);
      logs.addEventListener('click', () => on.logs(r.id));
      actions.push(logs);
      return h('span', { class: 'run-entry' }, chip, ...actions);
    }),
  );
}
