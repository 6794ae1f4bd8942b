// A view whose service has not landed yet: always empty, so VS Code shows the
// view's welcome content.
import * as vscode from 'vscode';
import type { DataKind } from '../../protocol/runtime';
import type { Runtime } from '../runtime';
import { RuntimeTree } from './runtimeTree';

export class PlaceholderTree extends RuntimeTree<never> {
  constructor(runtime: Runtime, kinds: DataKind[]) {
    super(runtime, kinds);
  }
  getTreeItem(): vscode.TreeItem {
    throw new Error('no items');
  }
  protected async load(): Promise<never[]> {
    return [];
  }
}
