// What a runtime service gets when it registers: the connection, the store,
// the logger, the settings, and a coalescing "data changed" notifier.
import type { Connection, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { DataChangedParams, DataKind, RuntimeInitOptions, RuntimeSettings } from '../protocol/runtime';
import { DataChangedNotification } from '../protocol/runtime';
import type { Logger } from './log';
import type { Store } from './store/store';

export interface RuntimeContext {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  log: Logger;
  options: RuntimeInitOptions;
  settings: RuntimeSettings;
  store: Store;
  /** Workspace trust; jobs refuse to start while false. */
  trusted(): boolean;
  notifyChanged(params: DataChangedParams): void;
  /** Called when settings or trust change. */
  onSettingsChanged(fn: () => void): void;
  onShutdown(fn: () => void | Promise<void>): void;
}

/** Coalesces change notifications so a burst of writes sends one message per tick. */
export class ChangeNotifier {
  private kinds = new Set<DataKind>();
  private runIds = new Set<string>();
  private allRuns = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (p: DataChangedParams) => void,
    private readonly delayMs = 50,
  ) {}

  notify(p: DataChangedParams): void {
    for (const k of p.kinds) this.kinds.add(k);
    if (p.runIds) for (const r of p.runIds) this.runIds.add(r);
    else this.allRuns = true;
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.kinds.size === 0) return;
    const params: DataChangedParams = { kinds: [...this.kinds] };
    if (!this.allRuns && this.runIds.size) params.runIds = [...this.runIds];
    this.kinds.clear();
    this.runIds.clear();
    this.allRuns = false;
    this.send(params);
  }
}

export function connectionNotifier(connection: Connection): ChangeNotifier {
  return new ChangeNotifier((p) => void connection.sendNotification(DataChangedNotification.type, p));
}
