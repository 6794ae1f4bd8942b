// One codicon and theme colour per run status and job state, so the Runs and
// Jobs views (and their tooltips) show the same outcome the same way.
import * as vscode from 'vscode';

const ICONS: Record<string, [codicon: string, color: string]> = {
  queued: ['clock', 'descriptionForeground'],
  starting: ['loading~spin', 'charts.blue'],
  running: ['sync~spin', 'charts.blue'],
  completed: ['pass', 'testing.iconPassed'],
  finished: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  crashed: ['flame', 'testing.iconErrored'],
  stopped: ['debug-stop', 'charts.orange'],
  cancelled: ['circle-slash', 'disabledForeground'],
};

/** The icon of a run status or job state; an unknown one gets a plain circle. */
export function stateIcon(state: string): vscode.ThemeIcon {
  const i = ICONS[state];
  return i ? new vscode.ThemeIcon(i[0], new vscode.ThemeColor(i[1])) : new vscode.ThemeIcon('circle-outline');
}
