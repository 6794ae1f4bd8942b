// The strip of unacknowledged alerts above the charts (the last eight); a
// click shows the alert's step.
import type { DashboardAlert, DashboardFocus } from '../../../protocol/webview';
import { h } from '../../shared/host';
import { icon } from '../../shared/styles';
import type { DashboardModel } from '../model';

export function renderAlertStrip(el: HTMLElement, model: DashboardModel, focus: (f: DashboardFocus) => void): void {
  const open = model.alerts.filter((a) => !a.acknowledged);
  const shown = open.slice(-8);
  el.hidden = !shown.length;
  if (!shown.length) {
    el.replaceChildren();
    return;
  }
  const more = open.length - shown.length;
  el.replaceChildren(
    ...shown.map((a: DashboardAlert) => {
      const run = model.runs.find((r) => r.id === a.run_id);
      const b = h(
        'button',
        { type: 'button', class: `alert-chip level-${a.level}`, title: `${a.title}${a.text ? '\n' + a.text : ''}\nClick to show step ${a.step ?? '?'}.`, 'data-alert': String(a.id) },
        icon(a.level === 'error' ? 'error' : a.level === 'warn' ? 'warning' : 'info'),
        ` ${model.runs.length > 1 && run ? run.name + ': ' : ''}${a.title}${a.step !== null ? ` · step ${a.step}` : ''}`,
      );
      b.addEventListener('click', () => {
        if (a.step !== null) focus({ step: a.step, metric: a.metric, runId: a.run_id, alertId: a.id });
      });
      return b;
    }),
    more > 0 ? h('span', { class: 'muted' }, `+${more} more in the Alerts view`) : '',
  );
}
