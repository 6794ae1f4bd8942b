// Host of the Runtime Status panel: one panel, revived after a reload by its
// serializer, updated live when the runtime restarts.
import * as vscode from 'vscode';
import { RuntimeStatusRequest } from '../../protocol/runtime';
import type { StatusToHost, StatusToWebview } from '../../protocol/webview';
import type { Runtime } from '../runtime';
import { WebviewPanelHost } from './host/webviewPanelHost';
import { renderPage, webviewOptions } from './webviewHtml';

export const STATUS_VIEW_TYPE = 'tuneStudio.runtimeStatus';

export class StatusPanel extends WebviewPanelHost<StatusToHost, StatusToWebview> {
  private static current: StatusPanel | undefined;

  static show(context: vscode.ExtensionContext, runtime: Runtime, restarts: () => number): StatusPanel {
    if (StatusPanel.current) {
      StatusPanel.current.panel.reveal();
      void StatusPanel.current.push();
      return StatusPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      STATUS_VIEW_TYPE,
      'Tune Studio: Runtime Status',
      vscode.ViewColumn.Active,
      webviewOptions(context.extensionUri),
    );
    return new StatusPanel(panel, context, runtime, restarts);
  }

  static revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, runtime: Runtime, restarts: () => number): StatusPanel {
    panel.webview.options = webviewOptions(context.extensionUri);
    return new StatusPanel(panel, context, runtime, restarts);
  }

  static get instance(): StatusPanel | undefined {
    return StatusPanel.current;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    private readonly runtime: Runtime,
    private readonly restarts: () => number,
  ) {
    super(panel, context);
    panel.webview.html = renderPage(panel.webview, context.extensionUri, 'status', 'Tune Studio: Runtime Status');
    StatusPanel.current = this;
    this.disposables.push(runtime.onDidChangeState(() => void this.push()));
  }

  protected async onMessage(m: StatusToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        await this.push();
        break;
      case 'refresh':
        await this.push();
        break;
      case 'restartRuntime':
        await vscode.commands.executeCommand('tuneStudio.restartRuntime');
        break;
      case 'openStoreFolder':
        await vscode.commands.executeCommand('tuneStudio.openStoreFolder');
        break;
    }
  }

  async push(): Promise<void> {
    if (!this.ready) return;
    const client = {
      extensionVersion: String(this.context.extension.packageJSON.version ?? ''),
      vscodeVersion: vscode.version,
      nodeSource: this.runtime.node ? `${this.runtime.node.path} (${this.runtime.node.source})` : undefined,
      restarts: this.restarts(),
    };
    let msg: StatusToWebview;
    if (this.runtime.state === 'running') {
      try {
        const status = await this.runtime.request(RuntimeStatusRequest.type, undefined);
        msg = { type: 'status', state: 'running', status, client };
      } catch (e) {
        msg = { type: 'status', state: 'starting', error: (e as Error).message, client };
      }
    } else {
      const state = this.runtime.state;
      msg = { type: 'status', state, error: this.runtime.lastError, client };
    }
    await this.post(msg);
  }

  protected override onDispose(): void {
    if (StatusPanel.current === this) StatusPanel.current = undefined;
  }
}
