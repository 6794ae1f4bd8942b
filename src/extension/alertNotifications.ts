// Toasts for alerts at or above tuneStudio.alerts.notifyLevel. Each says what
// the watcher did and what is happening ("… — the watcher is stopping the run:
// asked the trainer, SIGTERM in 10 s") and offers only actions that still mean
// something (no Stop Run on a run already stopping or ended; the words are in
// notices.ts). Bursts are coalesced:
// alerts arriving together become one toast per run, and while a run's toast
// is open its further alerts only go to the Alerts view.
import * as vscode from 'vscode';
import { JobsListRequest, type Job } from '../protocol/jobs';
import { AlertsAcknowledgeRequest, RunShowRequest, RunStopRequest, type Alert } from '../protocol/tracking';
import { alertToast, stopProgressText, type RunNow } from './notices';
import type { Runtime } from './runtime';
import { readSettings } from './settings';

const RANK = { info: 0, warn: 1, error: 2 } as const;
/** Alerts arriving within this window are shown together. */
const COALESCE_MS = 400;
/** Most toasts open at once; beyond that one summary toast points at the Alerts view. */
const MAX_OPEN = 3;
/** The supervisor's grace period when a job spec sets none (src/runtime/jobs/supervisor.ts). */
const DEFAULT_GRACE_S = 10;

export class AlertNotifications implements vscode.Disposable {
  private buffer: Alert[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly openFor = new Set<string>();
  private overflowOpen = false;
  /** Toasts shown (tests and the output channel read it). */
  readonly shown: Array<{ runId: string; alertIds: number[]; message: string; actions: string[] }> = [];

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
      const { run, job } = await this.runNow(runId);
      const graceS = job ? (job.spec.grace_s ?? DEFAULT_GRACE_S) : null;
      const { message, actions } = alertToast(alerts, run, graceS);
      // The walkthrough's "See a NaN alert stop a run" step is done once a watcher has stopped a run.
      if (run?.stop_request?.source === 'watcher') void vscode.commands.executeCommand('setContext', 'tuneStudio.walkthrough.watcherStoppedRun', true);
      this.shown.push({ runId, alertIds: alerts.map((a) => a.id), message, actions });
      this.runtime.output.appendLine(`[alerts] ${message}`);
      const show = worst.level === 'error' ? vscode.window.showErrorMessage : worst.level === 'warn' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      const action = await show(message, ...actions);
      if (action === 'Open Dashboard') this.openDashboard(worst);
      else if (action === 'Show Log' && job) await vscode.commands.executeCommand('tuneStudio.showJobLog', { kind: 'job', job });
      else if (action === 'Stop Run') await stopRunWithFeedback(this.runtime, runId, worst.run_name, `Stop Run on the alert "${worst.title}"`);
      else if (action === 'Acknowledge') await this.runtime.request(AlertsAcknowledgeRequest.type, { ids: alerts.map((a) => a.id) });
    } catch (e) {
      void vscode.window.showErrorMessage(`Tune Studio: ${(e as Error).message}`);
    } finally {
      this.openFor.delete(runId);
    }
  }

  /** The run as it is now and the job that supervises it (either may be unknown). */
  private async runNow(runId: string): Promise<{ run: RunNow | null; job: Job | undefined }> {
    const [run, jobs] = await Promise.all([
      this.runtime.request(RunShowRequest.type, { run: runId }).catch(() => null),
      this.runtime.request(JobsListRequest.type, {}).catch(() => [] as Job[]),
    ]);
    return { run, job: jobs.find((j) => j.run_id === runId) };
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

/** Stop Run with feedback: says what is happening now ("stopping run 'x': asked the trainer, SIGTERM in 10 s"). */
export async function stopRunWithFeedback(runtime: Runtime, runId: string, runName: string | undefined, reason: string): Promise<string> {
  const r = await runtime.request(RunStopRequest.type, { run: runId, reason });
  if (!r.stopRequested) {
    void vscode.window.showInformationMessage(`Tune Studio: ${r.message}`);
    return r.message;
  }
  const job = (await runtime.request(JobsListRequest.type, {}).catch(() => [] as Job[])).find((j) => j.run_id === runId);
  const message = `Tune Studio: stopping run '${runName ?? job?.name ?? runId}': ${stopProgressText(job ? (job.spec.grace_s ?? DEFAULT_GRACE_S) : null)}.`;
  void vscode.window.showInformationMessage(message);
  return message;
}
