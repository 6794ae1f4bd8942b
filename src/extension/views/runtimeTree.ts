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

/** Refreshes of a live list view at most this often (each is one list request). */
const LIVE_REFRESH_MS = 1000;

/**
 * A runtime tree over one list (runs, jobs) shown as groups of items. Change
 * notifications can come several times a second while a run logs, so they
 * are coalesced; and tree nodes stay the same objects from one refresh to the
 * next: while the list keeps its shape (the same items in the same groups)
 * only the rows whose data changed are refreshed, so clicks, selections and
 * context menus on the other rows are not disturbed by a rebuild every second.
 */
export abstract class LiveListTree<Item, T> extends RuntimeTree<T> {
  protected list: Item[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;
  private shape = '';
  private prefetched: Item[] | undefined;
  private updating = false;
  private again = false;

  /** The list as the runtime gives it now. */
  protected abstract fetch(): Promise<Item[]>;
  /** A key that changes whenever the tree's structure must change. */
  protected abstract shapeOf(list: Item[]): string;
  /** Takes a list of the same shape into the existing nodes; returns the nodes whose rows changed. */
  protected abstract applyInPlace(list: Item[]): T[];
  /** The root nodes for a list (reusing existing node objects). */
  protected abstract roots(list: Item[]): T[];
  /** The children of a node. */
  protected abstract childrenOf(node: T): T[];

  override refresh(element?: T): void {
    if (element) return super.refresh(element);
    const wait = this.lastRefresh + LIVE_REFRESH_MS - Date.now();
    if (wait <= 0) return this.refreshNow();
    this.timer ??= setTimeout(() => this.refreshNow(), wait);
  }

  /** Looks for changes now: changed rows are refreshed, a changed shape rebuilds the tree. */
  refreshNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastRefresh = Date.now();
    void this.update();
  }

  /** Rebuilds the whole tree (e.g. after a filter change). */
  rebuild(): void {
    this.shape = '';
    this.prefetched = undefined;
    super.refresh();
  }

  private async update(): Promise<void> {
    if (this.updating) {
      this.again = true;
      return;
    }
    this.updating = true;
    try {
      let list: Item[];
      try {
        list = await this.fetch();
      } catch {
        return super.refresh(); // getChildren shows why
      }
      if (this.shapeOf(list) !== this.shape || this.runtime.state !== 'running') {
        this.prefetched = list;
        return super.refresh();
      }
      this.list = list;
      for (const node of this.applyInPlace(list)) super.refresh(node);
    } finally {
      this.updating = false;
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    }
  }

  protected async load(element?: T): Promise<T[]> {
    if (element) return this.childrenOf(element);
    const list = this.prefetched ?? (await this.fetch());
    this.prefetched = undefined;
    this.list = list;
    this.shape = this.shapeOf(list);
    return this.roots(list);
  }

  override dispose(): void {
    clearTimeout(this.timer);
    super.dispose();
  }
}
