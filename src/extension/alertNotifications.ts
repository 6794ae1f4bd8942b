// Toasts for alerts at or above tuneStudio.alerts.notifyLevel, with "Open
// Dashboard", "Stop Run" and "Ignore" (acknowledges). Bursts are coalesced:
// alerts arriving together become one toast per run, and while a run's toast
// is open its further alerts only go to the Alerts view.
import * as vscode from 'vscode';
import { AlertsAcknowledgeRequest, RunStopRequest, type Alert } from '../protocol/tracking';
import type { Runtime } from './runtime';
import { readSettings } from './settings';

const RANK = { info: 0, warn: 1, error: 2 } as const;
/** Alerts arriving within this window are shown together. */
const COALESCE_MS = 400;
/** Most toasts open at once; beyond that one summary toast points at the Alerts view. */
const MAX_OPEN = 3;

export class AlertNotifications implements vscode.Disposable {
  private buffer: Alert[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly openFor = new Set<string>();
  private overflowOpen = false;
  /** Toasts shown (tests and the output channel read it). */
  readonly shown: Array<{ runId: string; alertIds: number[]; message: string }> = [];

  /** Fed by registerRunUi's one AlertRaisedNotification listener. */
  constructor(
    private readonly runtime: Runtime,
    private readonly openDashboard: (a: Alert) => unknown,
  ) {}

  onAlert(a: Alert): void {
    const level = readSettings().notifyLevel;
    if (level === 'never' || a.acknowledged) return;
    if (RANK[a.level as keyof typeof RANK] < RANK[level]) return;
    this.buffer.push(a);
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const byRun = new Map<string, Alert[]>();
    for (const a of this.buffer) {
      if (!byRun.has(a.run_id)) byRun.set(a.run_id, []);
      byRun.get(a.run_id)!.push(a);
    }
    this.buffer = [];
    for (const [runId, alerts] of byRun) {
      if (this.openFor.has(runId)) continue;
      if (this.openFor.size >= MAX_OPEN) {
        this.overflow();
        continue;
      }
      void this.toast(runId, alerts);
    }
  }

  private overflow(): void {
    if (this.overflowOpen) return;
    this.overflowOpen = true;
    void vscode.window.showWarningMessage('Tune Studio: more alerts were raised. See the Alerts view.', 'Show Alerts').then((a) => {
      this.overflowOpen = false;
      if (a) void vscode.commands.executeCommand('tuneStudio.alerts.focus');
    });
  }

  private async toast(runId: string, alerts: Alert[]): Promise<void> {
    this.openFor.add(runId);
    try {
      const worst = alerts.reduce((w, a) => (RANK[a.level as keyof typeof RANK] > RANK[w.level as keyof typeof RANK] ? a : w), alerts[0]);
      const first = alerts[0];
      const where = (a: Alert) => (a.metric ? ` (${a.metric}${a.step !== null ? ` at step ${a.step}` : ''})` : a.step !== null ? ` (step ${a.step})` : '');
      const message =
        alerts.length === 1
          ? `Tune Studio: run '${first.run_name}': ${first.title}${where(first)}`
          : `Tune Studio: ${alerts.length} alerts on run '${first.run_name}': ${alerts
              .slice(0, 3)
              .map((a) => a.title)
              .join('; ')}${alerts.length > 3 ? '; …' : ''}`;
      this.shown.push({ runId, alertIds: alerts.map((a) => a.id), message });
      this.runtime.output.appendLine(`[alerts] ${message}`);
      const show = worst.level === 'error' ? vscode.window.showErrorMessage : worst.level === 'warn' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      const action = await show(message, 'Open Dashboard', 'Stop Run', 'Ignore');
      if (action === 'Open Dashboard') this.openDashboard(worst);
      else if (action === 'Stop Run') {
        const r = await this.runtime.request(RunStopRequest.type, { run: runId, reason: `stopped from the alert "${worst.title}"` });
        void vscode.window.setStatusBarMessage(`Tune Studio: ${r.message}`, 5000);
        if (!r.stopRequested) void vscode.window.showInformationMessage(`Tune Studio: ${r.message}`);
      } else if (action === 'Ignore') {
        await this.runtime.request(AlertsAcknowledgeRequest.type, { ids: alerts.map((a) => a.id) });
      }
    } catch (e) {
      void vscode.window.showErrorMessage(`Tune Studio: ${(e as Error).message}`);
    } finally {
      this.openFor.delete(runId);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
