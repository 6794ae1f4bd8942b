// Base of the Tune Studio tree views: data comes from the runtime and is
// re-requested when the runtime says it changed or after it restarts
// (never polled). While the runtime is down the view shows why.
import * as vscode from 'vscode';
import type { DataKind } from '../../protocol/runtime';
import type { Runtime } from '../runtime';

export abstract class RuntimeTree<T> implements vscode.TreeDataProvider<T>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<T | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  protected readonly disposables: vscode.Disposable[] = [];
  /** Set by the owner once the TreeView exists (for messages and badges). */
  view: vscode.TreeView<T> | undefined;

  constructor(
    protected readonly runtime: Runtime,
    kinds: DataKind[],
  ) {
    this.disposables.push(
      runtime.onDidChangeData((p) => {
        if (p.kinds.some((k) => kinds.includes(k))) this.refresh();
      }),
      runtime.onDidChangeState((s) => {
        if (s === 'running' || s === 'failed') this.refresh();
      }),
    );
  }

  refresh(element?: T): void {
    this.emitter.fire(element);
  }

  abstract getTreeItem(element: T): vscode.TreeItem | Thenable<vscode.TreeItem>;

  /** Children of an element, or the roots; errors are shown as the view's message. */
  protected abstract load(element?: T): Promise<T[]>;

  async getChildren(element?: T): Promise<T[]> {
    if (this.runtime.state === 'failed') {
      this.setMessage(this.runtime.lastError ?? 'The Tune Studio runtime is not running.');
      return [];
    }
    try {
      const items = await this.load(element);
      if (!element) this.setMessage(undefined);
      return items;
    } catch (e) {
      this.setMessage((e as Error).message);
      return [];
    }
  }

  protected setMessage(message: string | undefined): void {
    if (this.view && this.view.message !== message) this.view.message = message;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
    this.emitter.dispose();
  }
}
