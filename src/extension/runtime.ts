// Owns the runtime process: start, restart (automatic and bounded after a
// crash), typed requests, and the events views listen to. While the runtime is
// down, requests fail with a message that says so instead of hanging.
import * as vscode from 'vscode';
import * as path from 'node:path';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { RequestType, type NotificationType } from 'vscode-languageclient';
import {
  DataChangedNotification,
  SetLogLevelNotification,
  SetSettingsNotification,
  SetTrustNotification,
  type DataChangedParams,
  type LogLevel,
  type RuntimeInitOptions,
  type RuntimeSettings,
} from '../protocol/runtime';
import { findRuntimeNode, type NodeChoice } from './runtimeNode';
import { readSettings, resolveStoreDir } from './settings';

export type RuntimeState = 'stopped' | 'starting' | 'running' | 'failed';

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 3 * 60_000;

export class Runtime implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private _state: RuntimeState = 'stopped';
  private _error: string | undefined;
  private _node: NodeChoice | undefined;
  private crashes: number[] = [];
  private readonly stateEmitter = new vscode.EventEmitter<RuntimeState>();
  private readonly dataEmitter = new vscode.EventEmitter<DataChangedParams>();
  /** Handlers by method: the language client keeps one handler per method, so we fan out ourselves. */
  private readonly notificationHandlers = new Map<string, { type: NotificationType<unknown>; handlers: Array<(p: unknown) => void> }>();
  private readyWaiters: Array<() => void> = [];
  private disposables: vscode.Disposable[] = [];

  /** Fires on every state change; 'running' after a restart means views should re-request their data. */
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDidChangeData = this.dataEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly output: vscode.OutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.sendIfRunning(SetTrustNotification.type, { trusted: true })),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('tuneStudio.logLevel')) {
          this.sendIfRunning(SetLogLevelNotification.type, { level: readSettings().logLevel });
        }
        if (
          e.affectsConfiguration('tuneStudio.jobs') ||
          e.affectsConfiguration('tuneStudio.audio') ||
          e.affectsConfiguration('tuneStudio.captioning') ||
          e.affectsConfiguration('tuneStudio.training')
        ) {
          this.sendIfRunning(SetSettingsNotification.type, runtimeSettings());
        }
        if (e.affectsConfiguration('tuneStudio.storePath') || e.affectsConfiguration('tuneStudio.runtime.nodePath')) {
          void vscode.window
            .showInformationMessage('Tune Studio: restart the runtime to use the changed setting.', 'Restart Runtime')
            .then((a) => a && this.restart());
        }
      }),
    );
  }

  get state(): RuntimeState {
    return this._state;
  }
  get lastError(): string | undefined {
    return this._error;
  }
  get node(): NodeChoice | undefined {
    return this._node;
  }

  private setState(s: RuntimeState): void {
    if (s === this._state) return;
    this._state = s;
    this.output.appendLine(`[client] runtime ${s}`);
    if (s === 'running') {
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      waiters.forEach((w) => w());
    }
    this.stateEmitter.fire(s);
  }

  async start(): Promise<void> {
    if (this.client) return;
    this.setState('starting');
    this._error = undefined;
    const settings = readSettings();
    try {
      this._node = await findRuntimeNode({ setting: settings.nodePath, extensionPath: this.context.extensionPath });
    } catch (e) {
      this.fail((e as Error).message);
      return;
    }
    const serverModule = this.context.asAbsolutePath(path.join('dist', 'runtime.js'));
    const serverOptions: ServerOptions = {
      command: this._node.path,
      args: [serverModule, '--stdio'],
      options: { env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined } },
    };
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const init: RuntimeInitOptions = {
      storeDir: resolveStoreDir(settings.storePath, folders, this.context.globalStorageUri.fsPath),
      workspaceFolders: folders,
      logLevel: settings.logLevel,
      trusted: vscode.workspace.isTrusted,
      extensionPath: this.context.extensionPath,
      settings: runtimeSettings(),
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', pattern: '**/*.tunejob.json' },
        { scheme: 'file', pattern: '**/*.tunetrain.json' },
        { scheme: 'file', pattern: '**/dataset.json' },
      ],
      initializationOptions: init,
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => {
          const now = Date.now();
          this.crashes = this.crashes.filter((t) => now - t < RESTART_WINDOW_MS);
          this.crashes.push(now);
          if (this.crashes.length > MAX_RESTARTS) {
            const msg = `The Tune Studio runtime stopped ${this.crashes.length} times in 3 minutes and will not be restarted automatically. See the "Tune Studio" output, then run "Tune Studio: Restart Runtime".`;
            this._error = msg;
            return { action: CloseAction.DoNotRestart, message: msg };
          }
          this.output.appendLine(`[client] runtime exited; restarting (${this.crashes.length}/${MAX_RESTARTS})`);
          return { action: CloseAction.Restart, handled: true };
        },
      },
    };
    const client = new LanguageClient('tuneStudio', 'Tune Studio Runtime', serverOptions, clientOptions);
    this.client = client;
    client.onNotification(DataChangedNotification.type, (p) => this.dataEmitter.fire(p));
    for (const { type, handlers } of this.notificationHandlers.values()) client.onNotification(type, (p) => handlers.forEach((h) => h(p)));
    client.onDidChangeState((e) => {
      if (this.client !== client) return;
      if (e.newState === State.Running) this.setState('running');
      else if (e.newState === State.Starting) this.setState('starting');
      else if (e.newState === State.Stopped) this.setState(this._error ? 'failed' : 'stopped');
    });
    try {
      await client.start();
      this.setState('running');
    } catch (e) {
      this.fail(`The Tune Studio runtime did not start: ${(e as Error).message}. See the "Tune Studio" output.`);
    }
  }

  private fail(message: string): void {
    this._error = message;
    this.output.appendLine(`[client] ${message}`);
    this.client = undefined;
    this.setState('failed');
    void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output').then((a) => {
      if (a === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'tuneStudio.runtime');
      if (a === 'Show Output') this.output.show();
    });
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) {
      try {
        await c.stop(5000);
      } catch {
        /* already gone */
      }
    }
    this.setState('stopped');
  }

  async restart(): Promise<void> {
    this.crashes = [];
    await this.stop();
    await this.start();
  }

  /** Resolves when the runtime is running (waits across an automatic restart). */
  whenRunning(timeoutMs = 30_000): Promise<void> {
    if (this._state === 'running') return Promise.resolve();
    if (this._state === 'failed' || (this._state === 'stopped' && !this.client)) {
      return Promise.reject(new Error(this._error ?? 'The Tune Studio runtime is not running. Run "Tune Studio: Restart Runtime".'));
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('The Tune Studio runtime did not become ready in time; see the "Tune Studio" output.')), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R> {
    await this.whenRunning();
    const c = this.client;
    if (!c) throw new Error('The Tune Studio runtime is not running. Run "Tune Studio: Restart Runtime".');
    // A type made in another bundle (the extension-host tests, other extensions using the API) carries
    // its own copy of vscode-jsonrpc's ParameterStructures, which the client compares by identity and
    // rejects ("Unknown parameter structure auto"): send such requests under a type of our own.
    const own = type instanceof RequestType ? type : new RequestType<P, R, void>((type as { method: string }).method);
    try {
      return await c.sendRequest(own, params);
    } catch (e) {
      throw userFacingError(e);
    }
  }

  /** Adds a handler for a runtime notification; several handlers of one method all run (and survive restarts). */
  onNotification<P>(type: NotificationType<P>, handler: (p: P) => void): vscode.Disposable {
    let entry = this.notificationHandlers.get(type.method);
    if (!entry) {
      const created = { type: type as NotificationType<unknown>, handlers: [] as Array<(p: unknown) => void> };
      this.notificationHandlers.set(type.method, created);
      this.client?.onNotification(created.type, (p) => created.handlers.forEach((h) => h(p)));
      entry = created;
    }
    const h = handler as (p: unknown) => void;
    entry.handlers.push(h);
    const list = entry.handlers;
    return new vscode.Disposable(() => {
      const k = list.indexOf(h);
      if (k >= 0) list.splice(k, 1);
    });
  }

  private sendIfRunning<P>(type: NotificationType<P>, params: P): void {
    if (this._state === 'running' && this.client) void this.client.sendNotification(type, params);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
    void this.stop();
    this.stateEmitter.dispose();
    this.dataEmitter.dispose();
  }
}

function runtimeSettings(): RuntimeSettings {
  const s = readSettings();
  const c = vscode.workspace.getConfiguration('tuneStudio.captioning');
  return {
    jobsSlots: s.jobsSlots,
    jobsBackend: vscode.workspace.getConfiguration('tuneStudio.jobs').get<'local' | 'slurm'>('backend', 'local'),
    ffmpegPath: s.ffmpegPath,
    trainingBackend: s.trainingBackend,
    captioningModelPath: c.get<string>('modelPath', ''),
    captioningOffline: c.get<boolean>('offline', false),
    trainingModelFolders: vscode.workspace.getConfiguration('tuneStudio.training').get<string[]>('modelFolders', []),
    trainingOffline: vscode.workspace.getConfiguration('tuneStudio.training').get<boolean>('offline', false),
  };
}

export type { LogLevel };

/**
 * vscode-jsonrpc wraps every error a request handler throws as "Request
 * tunestudio/x/y failed with message: <what the runtime said>"; users see only
 * what the runtime said (the method name is internal).
 */
export function userFacingError(e: unknown): Error {
  if (!(e instanceof Error)) return new Error(String(e));
  const stripped = e.message.replace(/^Request \S+ failed with message: /, '');
  if (stripped === e.message) return e;
  const out = new Error(stripped);
  (out as Error & { code?: unknown }).code = (e as Error & { code?: unknown }).code;
  return out;
}
