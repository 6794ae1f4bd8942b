// Alert commands: show an alert's step in its run's dashboard, acknowledge
// and clear (the selection, a run's alerts, or all); and where new alerts go
// (toasts and open dashboards).
import * as vscode from 'vscode';
import { AlertRaisedNotification, AlertsAcknowledgeRequest, AlertsClearRequest, AlertsListRequest, type Alert } from '../../protocol/tracking';
import type { Ctx } from '../ctx';
import { DashboardPanel } from '../panels/dashboardPanel';
import type { AlertNode } from '../views/alertsTree';

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

export function register(ctx: Ctx): void {
  const { runtime } = ctx;
  // The language client keeps one handler per notification method (a second registration replaces
  // the first), so new alerts are heard once here and fanned out.
  runtime.onNotification(AlertRaisedNotification.type, (p) => {
    ctx.notifications.onAlert(p.alert);
    DashboardPanel.onAlertRaised(p.alert);
  });
  const fail = (e: unknown) => void vscode.window.showErrorMessage(`Tune Studio: ${(e as Error).message}`);

  const acknowledge = async (ids: number[]) => {
    if (!ids.length) return;
    try {
      await runtime.request(AlertsAcknowledgeRequest.type, { ids });
      ctx.alertsTree.refresh();
    } catch (e) {
      fail(e);
    }
  };
  const clear = async (ids: number[]) => {
    if (!ids.length) return;
    try {
      await runtime.request(AlertsClearRequest.type, { ids });
      ctx.alertsTree.refresh();
    } catch (e) {
      fail(e);
    }
  };

  ctx.subscribe(
    vscode.commands.registerCommand('tuneStudio.openAlert', (arg?: unknown) => {
      const [a] = alertsFrom(arg);
      if (a) return ctx.openAlert(a);
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
  );
}
