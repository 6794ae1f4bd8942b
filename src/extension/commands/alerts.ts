// Alert commands: show an alert's step in its run's dashboard, acknowledge
// and clear (the selection, a run's alerts, or all).
import * as vscode from 'vscode';
import { AlertsAcknowledgeRequest, AlertsClearRequest, AlertsListRequest, type Alert } from '../../protocol/tracking';
import { DashboardPanel } from '../panels/dashboardPanel';
import type { AlertNode } from '../views/alertsTree';
import type { Ui } from './runs';

function alertsFrom(arg?: unknown, selection?: unknown): Alert[] {
  const list = Array.isArray(selection) && selection.length ? selection : arg === undefined ? [] : [arg];
  const out = new Map<number, Alert>();
  for (const a of list as Array<AlertNode | Alert | undefined>) {
    if (!a) continue;
    if ('kind' in a && a.kind === 'alert') out.set(a.alert.id, a.alert);
    else if ('kind' in a && a.kind === 'alertRun') for (const x of a.alerts) out.set(x.id, x);
    else if ('id' in a && 'run_id' in a) out.set(a.id, a);
  }
  return [...out.values()];
}

/** Opens the alert's run dashboard scrolled to its metric and step. */
export function openAlert(ui: Ui, a: Pick<Alert, 'id' | 'run_id' | 'metric' | 'step'>): DashboardPanel {
  return DashboardPanel.show(ui.context, ui.runtime, [a.run_id], a.step !== null ? { focus: { step: a.step, metric: a.metric, runId: a.run_id, alertId: a.id } } : {});
}

export function registerAlertCommands(ui: Ui): vscode.Disposable[] {
  const { runtime } = ui;
  const fail = (e: unknown) => void vscode.window.showErrorMessage(`Tune Studio: ${(e as Error).message}`);

  const acknowledge = async (ids: number[]) => {
    if (!ids.length) return;
    try {
      await runtime.request(AlertsAcknowledgeRequest.type, { ids });
      ui.alerts.refresh();
    } catch (e) {
      fail(e);
    }
  };
  const clear = async (ids: number[]) => {
    if (!ids.length) return;
    try {
      await runtime.request(AlertsClearRequest.type, { ids });
      ui.alerts.refresh();
    } catch (e) {
      fail(e);
    }
  };

  return [
    vscode.commands.registerCommand('tuneStudio.openAlert', (arg?: unknown) => {
      const [a] = alertsFrom(arg);
      if (a) return openAlert(ui, a);
      return undefined;
    }),
    vscode.commands.registerCommand('tuneStudio.acknowledgeAlert', (arg?: unknown, selection?: unknown) => acknowledge(alertsFrom(arg, selection).filter((a) => !a.acknowledged).map((a) => a.id))),
    vscode.commands.registerCommand('tuneStudio.clearAlert', (arg?: unknown, selection?: unknown) => clear(alertsFrom(arg, selection).map((a) => a.id))),
    vscode.commands.registerCommand('tuneStudio.acknowledgeAllAlerts', async () => {
      const all = await runtime.request(AlertsListRequest.type, { unacknowledged: true });
      await acknowledge(all.map((a) => a.id));
    }),
    vscode.commands.registerCommand('tuneStudio.clearAllAlerts', async () => {
      const all = await runtime.request(AlertsListRequest.type, {});
      if (!all.length) return;
      const ok = await vscode.window.showWarningMessage(`Clear all ${all.length} alerts? They are deleted from the store (the runs and their metrics stay).`, { modal: true }, 'Clear All');
      if (ok === 'Clear All') await clear(all.map((a) => a.id));
    }),
  ];
}
