// The tree views' icon of a run status or job state, from the protocol's one
// status table (src/protocol/status.ts), so the Runs and Jobs views (and
// their tooltips) show the same outcome the same way as the webviews.
import * as vscode from 'vscode';
import { statusCodicon, statusLook } from '../../protocol/status';

/** The icon of a run status or job state; an unknown one gets a plain circle. */
export function stateIcon(state: string): vscode.ThemeIcon {
  const look = statusLook(state);
  return look ? new vscode.ThemeIcon(statusCodicon(state), new vscode.ThemeColor(look.color)) : new vscode.ThemeIcon('circle-outline');
}
