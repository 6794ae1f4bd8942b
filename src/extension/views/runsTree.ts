// The Runs view: project → runs, live from runtime notifications. Each run
// shows its status as a codicon (spinning while running), the headline
// metric's last and best value and its duration; its tooltip has the config
// summary, id and status reason. A status filter is kept per workspace.
import * as vscode from 'vscode';
import { RunsListRequest, type RunListItem, type RunStatus } from '../../protocol/tracking';
import { fmtDuration, fmtNum, secondsBetween } from '../../protocol/format';
import { metricDirection } from '../../protocol/metrics';
import { unreadableNote } from '../../protocol/unreadable';
import type { Runtime } from '../runtime';
import { LiveListTree } from './runtimeTree';
import { stateIcon } from './stateIcons';
import { runLabel } from './runLabel';

export { runLabel };

export type RunNode = { kind: 'project'; name: string; runs: RunListItem[] } | { kind: 'run'; run: RunListItem };

export const ALL_RUN_STATUSES: RunStatus[] = ['running', 'finished', 'failed', 'stopped', 'cancelled', 'crashed'];
const FILTER_KEY = 'tuneStudio.runs.statusFilter';

/** "train/loss 0.2311 (best 0.2107)" for a run's headline metric. */
export function headlineText(run: RunListItem): string {
  const hd = run.headline;
  if (!hd) return run.metric_count ? `${run.metric_count} metric${run.metric_count === 1 ? '' : 's'}` : 'no metrics yet';
  const best = metricDirection(hd.metric) === 'max' ? hd.max : hd.min;
  const last = fmtNum(hd.last);
  return best === null || fmtNum(best) === last ? `${hd.metric} ${last}` : `${hd.metric} ${last} (best ${fmtNum(best)})`;
}

export function runDuration(run: { created_at: string; ended_at: string | null; status: string }): string {
  if (!run.ended_at && run.status !== 'running') return '';
  return fmtDuration(secondsBetween(run.created_at, run.ended_at));
}

type ProjectNode = Extract<RunNode, { kind: 'project' }>;
type RunItemNode = Extract<RunNode, { kind: 'run' }>;

/** Projects → runs; a run logging metrics refreshes its own row only (see LiveListTree). */
export class RunsTree extends LiveListTree<RunListItem, RunNode> {
  private readonly projectNodes = new Map<string, ProjectNode>();
  private readonly runNodes = new Map<string, RunItemNode>();

  constructor(
    runtime: Runtime,
    private readonly memento: vscode.Memento,
  ) {
    super(runtime, ['runs', 'metrics', 'alerts']);
  }

  /** Statuses shown; empty means all. */
  get filter(): RunStatus[] {
    return this.memento.get<RunStatus[]>(FILTER_KEY, []);
  }

  async setFilter(statuses: RunStatus[]): Promise<void> {
    const all = statuses.length === 0 || statuses.length === ALL_RUN_STATUSES.length;
    await this.memento.update(FILTER_KEY, all ? [] : statuses);
    await vscode.commands.executeCommand('setContext', 'tuneStudio.runs.filtered', !all);
    this.updateDescription();
    this.rebuild();
  }

  /** The runs the view shows (after the filter), newest first. */
  get items(): readonly RunListItem[] {
    return this.list;
  }

  updateDescription(): void {
    const f = this.filter;
    if (this.view) this.view.description = f.length ? `only ${f.join(', ')}` : undefined;
  }

  protected fetch(): Promise<RunListItem[]> {
    const f = this.filter;
    return this.runtime.request(RunsListRequest.type, f.length ? { status: f } : {});
  }

  protected shapeOf(runs: RunListItem[]): string {
    return runs.map((r) => `${r.project}\u0000${r.id}`).join('\u0001');
  }

  protected applyInPlace(runs: RunListItem[]): RunNode[] {
    const changed: RunNode[] = [];
    const changedProjects = new Set<ProjectNode>();
    for (const r of runs) {
      const node = this.runNodes.get(r.id);
      if (!node || JSON.stringify(node.run) === JSON.stringify(r)) continue;
      const statusChanged = node.run.status !== r.status;
      node.run = r;
      changed.push(node);
      const p = this.projectNodes.get(r.project);
      if (p && statusChanged) changedProjects.add(p);
    }
    for (const p of this.projectNodes.values()) p.runs = runs.filter((r) => r.project === p.name);
    return [...changed, ...changedProjects];
  }

  protected childrenOf(node: RunNode): RunNode[] {
    return node.kind === 'project' ? node.runs.map((r) => this.runNode(r)) : [];
  }

  protected roots(runs: RunListItem[]): RunNode[] {
    const byProject = new Map<string, RunListItem[]>();
    for (const r of runs) {
      if (!byProject.has(r.project)) byProject.set(r.project, []);
      byProject.get(r.project)!.push(r);
    }
    for (const id of [...this.runNodes.keys()]) if (!runs.some((r) => r.id === id)) this.runNodes.delete(id);
    for (const name of [...this.projectNodes.keys()]) if (!byProject.has(name)) this.projectNodes.delete(name);
    // Projects with a running run first, then by their newest run.
    return [...byProject.entries()]
      .sort(([, a], [, b]) => Number(b.some((r) => r.status === 'running')) - Number(a.some((r) => r.status === 'running')) || b[0].created_at.localeCompare(a[0].created_at))
      .map(([name, list]) => {
        let p = this.projectNodes.get(name);
        if (!p) this.projectNodes.set(name, (p = { kind: 'project', name, runs: list }));
        p.runs = list;
        for (const r of list) this.runNode(r);
        return p;
      });
  }

  private runNode(r: RunListItem): RunItemNode {
    let n = this.runNodes.get(r.id);
    if (!n) this.runNodes.set(r.id, (n = { kind: 'run', run: r }));
    n.run = r;
    return n;
  }

  override async getChildren(element?: RunNode): Promise<RunNode[]> {
    const items = await super.getChildren(element);
    if (!element && this.list.length === 0 && this.filter.length) this.setMessage(`No ${this.filter.join(' or ')} runs. Clear the filter to see all runs.`);
    return items;
  }

  getParent(node: RunNode): RunNode | undefined {
    if (node.kind === 'project') return undefined;
    return this.projectNodes.get(node.run.project);
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    if (node.kind === 'project') {
      const running = node.runs.filter((r) => r.status === 'running').length;
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `project:${node.name}`;
      item.iconPath = new vscode.ThemeIcon('project');
      item.description = `${node.runs.length} run${node.runs.length === 1 ? '' : 's'}${running ? ` · ${running} running` : ''}`;
      item.contextValue = 'project';
      item.tooltip = `Project ${node.name}`;
      return item;
    }
    const r = node.run;
    const item = new vscode.TreeItem(runLabel(r, this.projectNodes.get(r.project)?.runs ?? []), vscode.TreeItemCollapsibleState.None);
    item.id = `run:${r.id}`;
    item.iconPath = stateIcon(r.status);
    const parts = [headlineText(r)];
    if (r.status === 'running' && r.progress?.total) parts.push(`${r.progress.current}/${r.progress.total}`);
    const d = runDuration(r);
    if (d) parts.push(d);
    if (r.alert_count) parts.push(`${r.alert_count} alert${r.alert_count === 1 ? '' : 's'}`);
    if (unreadableOf(r)) parts.push(`${r.malformed_lines} unreadable log line${r.malformed_lines === 1 ? '' : 's'}`);
    item.description = parts.join(' · ');
    item.tooltip = runTooltip(r);
    item.contextValue = `run.${r.status}`;
    item.accessibilityInformation = { label: `Run ${r.name}, ${r.status}, ${item.description}` };
    item.command = { command: 'tuneStudio.openDashboard', title: 'Open Dashboard', arguments: [node] };
    return item;
  }

}

export function runTooltip(r: RunListItem): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.supportThemeIcons = true;
  md.appendMarkdown(`**${esc(r.name)}** — $(${stateIcon(r.status).id.replace('~spin', '')}) ${r.status}`);
  if (r.reason) md.appendMarkdown(`: ${esc(r.reason)}`);
  md.appendMarkdown('\n\n');
  md.appendMarkdown(`Id \`${r.id}\` · project ${esc(r.project)}  \n`);
  md.appendMarkdown(`Started ${new Date(r.created_at).toLocaleString()}${r.ended_at ? ` · ended ${new Date(r.ended_at).toLocaleString()}` : ''}`);
  const d = runDuration(r);
  if (d) md.appendMarkdown(` · ${d}`);
  md.appendMarkdown('  \n');
  if (r.exit_code !== null || r.signal) md.appendMarkdown(`Exit ${r.exit_code ?? ''}${r.signal ? ` (${r.signal})` : ''}  \n`);
  if (r.headline) md.appendMarkdown(`${esc(headlineText(r))} at step ${r.headline.last_step}  \n`);
  md.appendMarkdown(`${r.metric_count} metric${r.metric_count === 1 ? '' : 's'} · ${r.alert_count} alert${r.alert_count === 1 ? '' : 's'}`);
  if (r.malformed_lines || r.rejected_values) md.appendMarkdown(` · ${r.malformed_lines} malformed lines, ${r.rejected_values} rejected values`);
  const unreadable = unreadableOf(r);
  if (unreadable) md.appendMarkdown(`  \n$(warning) ${esc(unreadable)}`);
  md.appendMarkdown('\n\n');
  const cfg = Object.entries(r.config_summary);
  if (cfg.length) {
    md.appendMarkdown('| config | value |\n|---|---|\n');
    for (const [k, v] of cfg) md.appendMarkdown(`| ${esc(k)} | ${esc(typeof v === 'string' ? v : JSON.stringify(v))} |\n`);
  } else md.appendMarkdown('_No config logged._');
  return md;
}

/** The "looked like Trainer logs but none could be read" note, for a run whose only metrics (if any) are system/*. */
export function unreadableOf(r: RunListItem): string | null {
  const trainerMetrics = r.headline && !r.headline.metric.startsWith('system/') ? r.metric_count : 0;
  return unreadableNote(r, trainerMetrics);
}

/** Escapes text for markdown (names and values come from users). */
export function esc(s: string): string {
  return s
    .replace(/[\\`*_{}[\]<>|~$]/g, (c) => '\\' + c)
    .replace(/^([#+-])(?=\s)/, '\\$1')
    .replace(/^(\d+)\.(?=\s)/, '$1\\.')
    .replace(/\r?\n/g, ' ');
}
