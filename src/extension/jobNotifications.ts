// A notification when a job ends (tuneStudio.notifications.jobEnd names which
// outcomes): how it ended, why, "Show Log" and "Open Dashboard". The Jobs list
// is read when the runtime says jobs changed; a job is announced once, when it
// is seen ending after this window started (jobs that ended before are not news).
import * as vscode from 'vscode';
import { FINAL_JOB_STATES, JobsListRequest, type Job, type JobState } from '../protocol/jobs';
import { jobEndToast } from './notices';
import type { Runtime } from './runtime';

export class JobEndNotifications implements vscode.Disposable {
  private readonly states = new Map<string, JobState>();
  private readonly since = new Date().toISOString();
  private reading: Promise<void> | undefined;
  private again = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Toasts shown (tests read it). */
  readonly shown: Array<{ jobId: string; message: string; actions: string[] }> = [];

  constructor(
    private readonly runtime: Runtime,
    private readonly actions: { showLog(job: Job): unknown; openRun(runId: string): unknown },
  ) {
    this.subscriptions.push(
      runtime.onDidChangeData((p) => {
        if (p.kinds.includes('jobs')) this.check();
      }),
      runtime.onDidChangeState((s) => {
        if (s === 'running') this.check();
      }),
    );
    if (runtime.state === 'running') this.check();
  }

  private check(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.read()
      .catch(() => undefined)
      .finally(() => {
        this.reading = undefined;
        if (this.again) {
          this.again = false;
          this.check();
        }
      });
  }

  private async read(): Promise<void> {
    const jobs = await this.runtime.request(JobsListRequest.type, {});
    const outcomes = vscode.workspace.getConfiguration('tuneStudio').get<string[]>('notifications.jobEnd', ['completed', 'failed', 'stopped']);
    for (const j of jobs) {
      const before = this.states.get(j.id);
      this.states.set(j.id, j.state);
      if (!(FINAL_JOB_STATES as readonly string[]).includes(j.state)) continue;
      if (before !== undefined && (FINAL_JOB_STATES as readonly string[]).includes(before)) continue;
      // Unseen and already ended: news only if it ended after this window started (a short job between two reads).
      if (before === undefined && (j.ended_at ?? '') < this.since) continue;
      const toast = jobEndToast(j, outcomes);
      if (toast) this.show(j, toast);
    }
  }

  private show(job: Job, toast: NonNullable<ReturnType<typeof jobEndToast>>): void {
    this.shown.push({ jobId: job.id, message: toast.message, actions: toast.actions });
    this.runtime.output.appendLine(`[jobs] ${toast.message}`);
    const show = toast.level === 'error' ? vscode.window.showErrorMessage : toast.level === 'warn' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(toast.message, ...toast.actions).then((a) => {
      if (a === 'Show Log') this.actions.showLog(job);
      else if (a === 'Open Dashboard' && job.run_id) this.actions.openRun(job.run_id);
    });
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
