// The Alerts view: alerts grouped by run, newest first, with an icon by level
// and the reason, metric and step. A click opens the run's dashboard at that
// step. The view's badge counts unacknowledged alerts.
import * as vscode from 'vscode';
import { AlertsListRequest, type Alert } from '../../protocol/tracking';
import type { Runtime } from '../runtime';
import { esc } from './runsTree';
import { RuntimeTree } from './runtimeTree';

export type AlertNode = { kind: 'alertRun'; runId: string; runName: string; project: string; alerts: Alert[] } | { kind: 'alert'; alert: Alert };

/** Alerts listed (newest); older ones stay in the store and the CLI (`tunestudio alerts`). */
const LIMIT = 1000;

export function alertIcon(a: Pick<Alert, 'level' | 'acknowledged'>): vscode.ThemeIcon {
  const color = (c: string) => new vscode.ThemeColor(a.acknowledged ? 'disabledForeground' : c);
  if (a.level === 'error') return new vscode.ThemeIcon('error', color('errorForeground'));
  if (a.level === 'warn') return new vscode.ThemeIcon('warning', color('list.warningForeground'));
  return new vscode.ThemeIcon('info', color('charts.blue'));
}

export function alertWhere(a: Alert): string {
  const parts = [a.reason];
  if (a.metric) parts.push(a.step !== null ? `${a.metric} @ step ${a.step}` : a.metric);
  else if (a.step !== null) parts.push(`step ${a.step}`);
  const count = typeof a.data.count === 'number' && a.data.count > 1 ? a.data.count : 0;
  if (count) parts.push(`×${count}`);
  return parts.join(' · ');
}

export class AlertsTree extends RuntimeTree<AlertNode> {
  private alerts: Alert[] = [];

  constructor(runtime: Runtime) {
    super(runtime, ['alerts', 'runs']);
  }

  get items(): readonly Alert[] {
    return this.alerts;
  }

  protected async load(element?: AlertNode): Promise<AlertNode[]> {
    if (element?.kind === 'alert') return [];
    if (element?.kind === 'alertRun') return element.alerts.map((alert) => ({ kind: 'alert', alert }));
    this.alerts = await this.runtime.request(AlertsListRequest.type, { limit: LIMIT });
    this.updateBadge();
    const byRun = new Map<string, Alert[]>();
    for (const a of [...this.alerts].reverse()) {
      if (!byRun.has(a.run_id)) byRun.set(a.run_id, []);
      byRun.get(a.run_id)!.push(a);
    }
    return [...byRun.values()].map((list) => ({ kind: 'alertRun', runId: list[0].run_id, runName: list[0].run_name, project: list[0].project, alerts: list }));
  }

  private updateBadge(): void {
    if (!this.view) return;
    const n = this.alerts.filter((a) => !a.acknowledged).length;
    this.view.badge = n ? { value: n, tooltip: `${n} unacknowledged alert${n === 1 ? '' : 's'}` } : undefined;
  }

  getParent(node: AlertNode): AlertNode | undefined {
    if (node.kind === 'alertRun') return undefined;
    const list = this.alerts.filter((a) => a.run_id === node.alert.run_id).reverse();
    return { kind: 'alertRun', runId: node.alert.run_id, runName: node.alert.run_name, project: node.alert.project, alerts: list };
  }

  getTreeItem(node: AlertNode): vscode.TreeItem {
    if (node.kind === 'alertRun') {
      const open = node.alerts.filter((a) => !a.acknowledged).length;
      const item = new vscode.TreeItem(node.runName, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `alertRun:${node.runId}`;
      item.iconPath = new vscode.ThemeIcon('pulse');
      item.description = `${node.alerts.length} alert${node.alerts.length === 1 ? '' : 's'}${open && open !== node.alerts.length ? ` · ${open} new` : ''} · ${node.project}`;
      item.tooltip = `Run ${node.runName} (${node.runId})`;
      item.contextValue = 'alertRun';
      return item;
    }
    const a = node.alert;
    const item = new vscode.TreeItem(a.title, vscode.TreeItemCollapsibleState.None);
    item.id = `alert:${a.id}`;
    item.iconPath = alertIcon(a);
    item.description = alertWhere(a) + (a.acknowledged ? ' · acknowledged' : '');
    item.tooltip = alertTooltip(a);
    item.contextValue = a.acknowledged ? 'alert.acknowledged' : 'alert.new';
    item.accessibilityInformation = { label: `${a.level} alert: ${a.title}, ${item.description}` };
    item.command = { command: 'tuneStudio.openAlert', title: 'Show in Dashboard', arguments: [node] };
    return item;
  }
}

export function alertTooltip(a: Alert): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`$(${alertIcon(a).id}) **${esc(a.title)}** — ${a.level}, ${esc(a.reason)}\n\n`);
  if (a.text) md.appendMarkdown(`${esc(a.text)}\n\n`);
  md.appendMarkdown(`Run ${esc(a.run_name)} (\`${a.run_id}\`)`);
  if (a.metric) md.appendMarkdown(` · ${esc(a.metric)}`);
  if (a.step !== null) md.appendMarkdown(` · step ${a.step}`);
  md.appendMarkdown(`  \n${new Date(a.created_at).toLocaleString()}${a.acknowledged ? ' · acknowledged' : ''}`);
  const data = Object.keys(a.data).length ? JSON.stringify(a.data, null, 1) : '';
  if (data) md.appendCodeblock(data.length > 800 ? data.slice(0, 800) + '…' : data, 'json');
  md.appendMarkdown('Click to show this step in the run dashboard.');
  return md;
}
