// Status bar item: the running job (or, without jobs, the running run) with
// step/total and its last loss; a click opens its dashboard. Hidden while
// nothing runs. Updated from runtime notifications (coalesced), never polled.
import * as vscode from 'vscode';
import { JobsListRequest, type Job } from '../protocol/jobs';
import { RunsListRequest, type RunListItem } from '../protocol/tracking';
import { fmtNum } from '../protocol/format';
import type { Runtime } from './runtime';
import { jobProgressText } from './views/jobsTree';

const UPDATE_MS = 1000;

export class RunStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private readonly disposables: vscode.Disposable[] = [];
  /** The run a click opens (tests read it). */
  runId: string | undefined;

  constructor(private readonly runtime: Runtime) {
    this.item = vscode.window.createStatusBarItem('tuneStudio.running', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Tune Studio: running job';
    this.disposables.push(
      this.item,
      runtime.onDidChangeData((p) => {
        if (p.kinds.some((k) => k === 'jobs' || k === 'runs' || k === 'metrics')) this.schedule();
      }),
      runtime.onDidChangeState((s) => (s === 'running' ? this.schedule() : this.item.hide())),
    );
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.last + UPDATE_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.last = Date.now();
      void this.update();
    }, wait);
  }

  async update(): Promise<void> {
    if (this.runtime.state !== 'running') return;
    let jobs: Job[] = [];
    let runs: RunListItem[] = [];
    try {
      runs = await this.runtime.request(RunsListRequest.type, { status: ['running'] });
    } catch {
      /* runtime going down: the next state change updates us */
    }
    try {
      jobs = (await this.runtime.request(JobsListRequest.type, { states: ['starting', 'running'] })).filter((j) => j.state === 'starting' || j.state === 'running');
    } catch {
      /* a runtime without the job service: runs only */
    }
    const job = jobs[0];
    const run = (job?.run_id && runs.find((r) => r.id === job.run_id)) || (!job ? runs[0] : undefined);
    if (!job && !run) {
      this.runId = undefined;
      this.item.hide();
      return;
    }
    const name = job?.name ?? run!.name;
    const parts: string[] = [];
    const progress = job ? jobProgressText(job).split(' · ').slice(0, 2).join(' · ') : run?.progress?.total ? `${run.progress.current}/${run.progress.total}` : '';
    if (progress) parts.push(progress);
    else if (run?.headline) parts.push(`step ${run.headline.last_step}`);
    if (run?.headline) parts.push(`${run.headline.metric.split('/').pop()} ${fmtNum(run.headline.last)}`);
    const others = Math.max(jobs.length, runs.length) - 1;
    this.item.text = `$(sync~spin) ${name}${parts.length ? ' ' + parts.join(' · ') : ''}${others > 0 ? `  +${others}` : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Tune Studio** — ${jobs.length ? `${jobs.length} job${jobs.length === 1 ? '' : 's'}` : ''}${jobs.length && runs.length ? ', ' : ''}${runs.length ? `${runs.length} run${runs.length === 1 ? '' : 's'}` : ''} running\n\n`);
    for (const r of runs.slice(0, 8)) md.appendMarkdown(`- ${r.name}${r.headline ? ` — ${r.headline.metric} ${fmtNum(r.headline.last)} at step ${r.headline.last_step}` : ''}\n`);
    md.appendMarkdown('\nClick to open the dashboard.');
    this.item.tooltip = md;
    this.runId = run?.id ?? job?.run_id ?? undefined;
    this.item.command = this.runId ? { command: 'tuneStudio.openDashboard', title: 'Open Dashboard', arguments: [this.runId] } : { command: 'workbench.view.extension.tuneStudio', title: 'Show Tune Studio' };
    this.item.accessibilityInformation = { label: `Tune Studio: ${name} running${parts.length ? ', ' + parts.join(', ') : ''}` };
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.disposables.forEach((d) => d.dispose());
  }
}
