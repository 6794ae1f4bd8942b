// Host of the Compare Runs panel: one panel, its runs replaced when it is
// opened again. The page shows a sortable table (status, duration, last/best
// of chosen metrics, alert counts, differing config keys); rows picked there
// are overlaid in a dashboard this panel keeps up to date.
import * as vscode from 'vscode';
import { RunCompareRequest, RunsListRequest } from '../../protocol/tracking';
import type { CompareState, CompareToHost, CompareToWebview } from '../../protocol/webview';
import type { Runtime } from '../runtime';
import { DashboardPanel } from './dashboardPanel';
import { WebviewPanelHost } from './host/webviewPanelHost';
import { renderPage, webviewOptions } from './webviewHtml';

export const COMPARE_VIEW_TYPE = 'tuneStudio.compare';

export class ComparePanel extends WebviewPanelHost<CompareToHost, CompareToWebview> {
  private static current: ComparePanel | undefined;
  private overlay: DashboardPanel | undefined;

  static get instance(): ComparePanel | undefined {
    return ComparePanel.current;
  }

  static show(context: vscode.ExtensionContext, runtime: Runtime, runIds: string[]): ComparePanel {
    const cur = ComparePanel.current;
    if (cur) {
      cur.runIds = [...new Set(runIds)];
      cur.panel.reveal();
      void cur.push();
      return cur;
    }
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, 'Compare Runs', vscode.ViewColumn.Active, webviewOptions(context.extensionUri));
    return new ComparePanel(panel, context, runtime, runIds);
  }

  static revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, runtime: Runtime, state: CompareState | undefined): ComparePanel {
    panel.webview.options = webviewOptions(context.extensionUri);
    return new ComparePanel(panel, context, runtime, state?.runIds ?? []);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    private readonly runtime: Runtime,
    private runIds: string[],
  ) {
    super(panel, context);
    panel.webview.html = renderPage(panel.webview, context.extensionUri, 'compare', 'Tune Studio: Compare Runs');
    ComparePanel.current?.dispose();
    ComparePanel.current = this;
    this.runIds = [...new Set(runIds)];
    this.disposables.push(
      runtime.onDidChangeData((p) => {
        if (p.kinds.some((k) => k === 'runs' || k === 'alerts' || k === 'metrics')) this.schedule();
      }),
      runtime.onDidChangeState((s) => s === 'running' && this.schedule()),
    );
    this.updateTitle();
  }

  get ids(): readonly string[] {
    return this.runIds;
  }

  private updateTitle(): void {
    this.panel.title = `Compare Runs (${this.runIds.length})`;
  }

  protected async onMessage(m: CompareToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        await this.push();
        break;
      case 'refresh':
        await this.push();
        break;
      case 'overlay':
        if (m.runIds.length) this.overlay = DashboardPanel.show(this.context, this.runtime, m.runIds, { reuse: this.overlay });
        break;
      case 'openDashboard':
        DashboardPanel.show(this.context, this.runtime, [m.runId]);
        break;
    }
  }

  private schedule(): void {
    // Metrics stream in while runs train: the table need not follow every point.
    this.debounce('data', 2000, () => this.push());
  }

  async push(): Promise<void> {
    this.updateTitle();
    if (!this.ready) return;
    let msg: CompareToWebview;
    try {
      // Runs deleted since the panel opened drop out instead of failing the whole table.
      const known = new Set((await this.runtime.request(RunsListRequest.type, {})).map((r) => r.id));
      this.runIds = this.runIds.filter((id) => known.has(id));
      this.updateTitle();
      const data = await this.runtime.request(RunCompareRequest.type, { runIds: this.runIds });
      msg = { type: 'data', runIds: this.runIds, data };
    } catch (e) {
      msg = { type: 'error', message: `Cannot compare these runs: ${(e as Error).message}` };
    }
    await this.post(msg);
  }

  protected override onDispose(): void {
    if (ComparePanel.current === this) ComparePanel.current = undefined;
  }
}
