// The part every webview panel host shares (Dashboard, Compare, Status):
// `ready` before anything is posted, posting
// that tolerates a closed panel, typed answers to the page's requests,
// debounced refreshes, dispose once, and what tests read (`sent`, `lastSent`).
import * as vscode from 'vscode';
import type { IpcRequest, IpcRequestMessage } from '../../../protocol/webview';
import { postToPanel } from '../webviewHtml';

export abstract class WebviewPanelHost<ToHost extends { type: string }, ToPage extends { type: string }> implements vscode.Disposable {
  /** True once the page has posted `ready` (nothing is posted before, see post()). */
  protected ready = false;
  protected readonly disposables: vscode.Disposable[] = [];
  /** Every message sent to the page, counted by type (tests read it). */
  readonly sent: Record<string, number> = {};
  /** The last message sent to the page (tests read it). */
  lastSent: ToPage | undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private disposed = false;

  /** The subclass sets the page (`panel.webview.html = renderPage(…)`, the strict-CSP builder) right after. */
  protected constructor(
    readonly panel: vscode.WebviewPanel,
    protected readonly context: vscode.ExtensionContext,
  ) {
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'tune-studio.svg');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: ToHost) => {
        if (m.type === 'ready') this.ready = true;
        void this.onMessage(m);
      }),
    );
  }

  protected abstract onMessage(m: ToHost): void | Promise<void>;

  get isDisposed(): boolean {
    return this.disposed;
  }

  protected post(m: ToPage): Promise<boolean> {
    this.sent[m.type] = (this.sent[m.type] ?? 0) + 1;
    this.lastSent = m;
    return postToPanel(this.panel, m);
  }

  /** Answers the page's request `m` of type `type` with what `fn` returns (or its error's message). */
  protected async answer<P, R>(type: IpcRequest<P, R>, m: IpcRequestMessage, fn: (params: P) => Promise<R> | R): Promise<void> {
    if (m.method !== type.method) return;
    try {
      const result = await fn(m.params as P);
      await this.post({ type: 'response', id: m.id, result } as unknown as ToPage);
    } catch (e) {
      await this.post({ type: 'response', id: m.id, error: (e as Error).message } as unknown as ToPage);
    }
  }

  /** An answer for a request no handler took (a page newer than its host, say). */
  protected refuse(m: IpcRequestMessage): void {
    void this.post({ type: 'response', id: m.id, error: `unknown request '${m.method}'` } as unknown as ToPage);
  }

  /** Runs `fn` once, `ms` after the first of any number of calls with `key` (and only once the page is ready). */
  protected debounce(key: string, ms: number, fn: () => void | Promise<void>): void {
    if (!this.ready || this.disposed || this.timers.has(key)) return;
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (!this.disposed) void fn();
      }, ms),
    );
  }

  /** Called once, before the panel goes. */
  protected onDispose(): void {}

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.disposables.forEach((d) => d.dispose());
    this.panel.dispose();
  }
}
