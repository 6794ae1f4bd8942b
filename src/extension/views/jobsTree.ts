// The Jobs view: queued / running / finished groups from the runtime's
// persistent queue. Running jobs show progress (current/total, %, ETA),
// queued ones their place in the queue, finished ones how they ended.
import * as vscode from 'vscode';
import { FINAL_JOB_STATES, JobsListRequest, type Job, type JobState } from '../../protocol/jobs';
import { fmtDuration, secondsBetween } from '../../protocol/format';
import type { Runtime } from '../runtime';
import { jobStateWord } from '../notices';
import { esc } from './runsTree';
import { LiveListTree } from './runtimeTree';
import { stateIcon } from './stateIcons';

export type JobGroup = 'queued' | 'running' | 'finished';
export type JobNode = { kind: 'group'; group: JobGroup; jobs: Job[] } | { kind: 'job'; job: Job };

const GROUP_LABEL: Record<JobGroup, string> = { queued: 'Queued', running: 'Running', finished: 'Finished' };

export function jobGroup(state: JobState): JobGroup {
  if (state === 'queued') return 'queued';
  if ((FINAL_JOB_STATES as readonly string[]).includes(state)) return 'finished';
  return 'running';
}

/** "120/1000 · 12% · ETA 3m 20s" (or what is known of it). */
export function jobProgressText(job: Job): string {
  const p = job.progress;
  const parts: string[] = [];
  if (p) {
    if (p.total) {
      parts.push(`${p.current}/${p.total}`);
      parts.push(`${Math.floor((100 * p.current) / p.total)}%`);
    } else parts.push(`step ${p.current}`);
    if (p.eta_s !== null && p.eta_s !== undefined && Number.isFinite(p.eta_s)) parts.push(`ETA ${fmtDuration(p.eta_s)}`);
  }
  if (job.status_text && !parts.length) parts.push(job.status_text);
  return parts.join(' · ');
}

export function jobDescription(job: Job): string {
  switch (jobGroup(job.state)) {
    case 'queued':
      return job.queue_position ? `#${job.queue_position} in queue` : 'queued';
    case 'running': {
      const p = jobProgressText(job);
      const d = fmtDuration(secondsBetween(job.started_at ?? job.created_at, null));
      return [job.state === 'starting' ? 'starting' : '', p, d].filter(Boolean).join(' · ');
    }
    default: {
      const d = job.started_at ? fmtDuration(secondsBetween(job.started_at, job.ended_at)) : '';
      // Reasons often start with the state already ("stopped: NaN in train/loss").
      const why = job.state === 'completed' || !job.reason ? jobStateWord(job.state) : job.reason.startsWith(job.state) ? job.reason : `${job.state}: ${job.reason}`;
      return [why, d].filter(Boolean).join(' · ');
    }
  }
}

type GroupNode = Extract<JobNode, { kind: 'group' }>;
type JobItemNode = Extract<JobNode, { kind: 'job' }>;

/** Queued / running / finished → jobs; a job's progress refreshes its own row only (see LiveListTree). */
export class JobsTree extends LiveListTree<Job, JobNode> {
  private readonly groupNodes = new Map<JobGroup, GroupNode>();
  private readonly jobNodes = new Map<string, JobItemNode>();

  constructor(runtime: Runtime) {
    super(runtime, ['jobs', 'runs']);
  }

  get items(): readonly Job[] {
    return this.list;
  }

  protected fetch(): Promise<Job[]> {
    return this.runtime.request(JobsListRequest.type, {});
  }

  private static grouped(jobs: Job[]): Record<JobGroup, Job[]> {
    const groups: Record<JobGroup, Job[]> = { queued: [], running: [], finished: [] };
    for (const j of jobs) groups[jobGroup(j.state)].push(j);
    groups.queued.sort((a, b) => (a.queue_position ?? 1e9) - (b.queue_position ?? 1e9));
    groups.running.sort((a, b) => (b.started_at ?? '').localeCompare(a.started_at ?? ''));
    groups.finished.sort((a, b) => (b.ended_at ?? b.created_at).localeCompare(a.ended_at ?? a.created_at));
    return groups;
  }

  protected shapeOf(jobs: Job[]): string {
    const g = JobsTree.grouped(jobs);
    return (['running', 'queued', 'finished'] as JobGroup[]).map((k) => `${k}:${g[k].map((j) => j.id).join(',')}`).join(';');
  }

  protected applyInPlace(jobs: Job[]): JobNode[] {
    const changed: JobNode[] = [];
    for (const j of jobs) {
      const node = this.jobNodes.get(j.id);
      if (!node || JSON.stringify(node.job) === JSON.stringify(j)) continue;
      node.job = j;
      changed.push(node);
    }
    const g = JobsTree.grouped(jobs);
    for (const [k, node] of this.groupNodes) node.jobs = g[k];
    return changed;
  }

  protected childrenOf(node: JobNode): JobNode[] {
    return node.kind === 'group' ? node.jobs.map((j) => this.jobNode(j)) : [];
  }

  protected roots(jobs: Job[]): JobNode[] {
    for (const id of [...this.jobNodes.keys()]) if (!jobs.some((j) => j.id === id)) this.jobNodes.delete(id);
    const groups = JobsTree.grouped(jobs);
    return (['running', 'queued', 'finished'] as JobGroup[])
      .filter((g) => groups[g].length)
      .map((group) => {
        let n = this.groupNodes.get(group);
        if (!n) this.groupNodes.set(group, (n = { kind: 'group', group, jobs: groups[group] }));
        n.jobs = groups[group];
        for (const j of n.jobs) this.jobNode(j);
        return n;
      });
  }

  private jobNode(j: Job): JobItemNode {
    let n = this.jobNodes.get(j.id);
    if (!n) this.jobNodes.set(j.id, (n = { kind: 'job', job: j }));
    n.job = j;
    return n;
  }

  getParent(node: JobNode): JobNode | undefined {
    if (node.kind === 'group') return undefined;
    return this.groupNodes.get(jobGroup(node.job.state));
  }

  getTreeItem(node: JobNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(GROUP_LABEL[node.group], vscode.TreeItemCollapsibleState.Expanded);
      item.id = `jobs:${node.group}`;
      item.description = String(node.jobs.length);
      item.contextValue = `jobGroup.${node.group}`;
      return item;
    }
    const j = node.job;
    const item = new vscode.TreeItem(j.name, vscode.TreeItemCollapsibleState.None);
    item.id = `job:${j.id}`;
    item.iconPath = stateIcon(j.state);
    item.description = jobDescription(j);
    item.tooltip = jobTooltip(j);
    item.contextValue = `job.${j.state}${j.run_id ? '.withRun' : ''}`;
    item.accessibilityInformation = { label: `Job ${j.name}, ${j.state}, ${item.description}` };
    // A click opens what is most useful now: the live log while it runs or after it failed, else the run.
    item.command =
      j.run_id && (j.state === 'running' || j.state === 'completed' || j.state === 'stopped')
        ? { command: 'tuneStudio.openJobRun', title: 'Open Run', arguments: [node] }
        : { command: 'tuneStudio.showJobLog', title: 'Show Log', arguments: [node] };
    return item;
  }

}

export function jobTooltip(j: Job): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${esc(j.name)}** — $(${stateIcon(j.state).id.replace('~spin', '')}) ${jobStateWord(j.state)}`);
  if (j.reason) md.appendMarkdown(`: ${esc(j.reason)}`);
  md.appendMarkdown('\n\n');
  md.appendMarkdown(`Job \`${j.id}\` · project ${esc(j.project)}${j.run_id ? ` · run \`${j.run_id}\`` : ''}  \n`);
  const progress = jobProgressText(j);
  if (progress) md.appendMarkdown(`Progress ${esc(progress)}  \n`);
  md.appendMarkdown(`Queued ${new Date(j.created_at).toLocaleString()}`);
  if (j.started_at) md.appendMarkdown(` · started ${new Date(j.started_at).toLocaleString()}`);
  if (j.ended_at) md.appendMarkdown(` · ended ${new Date(j.ended_at).toLocaleString()}`);
  md.appendMarkdown('  \n');
  if (j.attempt > 1) md.appendMarkdown(`Attempt ${j.attempt}  \n`);
  if (j.pid) md.appendMarkdown(`Process ${j.pid}  \n`);
  if (j.exit_code !== null || j.signal) md.appendMarkdown(`Exit ${j.exit_code ?? ''}${j.signal ? ` (${j.signal})` : ''}  \n`);
  const argv = j.spec.command ?? (j.spec.train_config ? ['(built-in trainer)', j.spec.train_config] : []);
  if (argv.length) md.appendCodeblock(argv.join(' '), 'shell');
  if (j.error_summary) md.appendCodeblock(j.error_summary.slice(-1200), 'text');
  md.appendMarkdown(`Log: ${esc(j.log_path)}`);
  return md;
}
