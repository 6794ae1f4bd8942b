// Entry point of the runtime process: a language server over stdio that owns
// the store and all work. Each service registers its requests in `SERVICES`.
import {
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SetLogLevelNotification,
  SetSettingsNotification,
  SetTrustNotification,
  type RuntimeInitOptions,
} from '../protocol/runtime';
import { connectionNotifier, type RuntimeContext } from './context';
import { Logger } from './log';
import { Store, STORE_DIR_NAME } from './store/store';
import { registerServices } from './services';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const log = new Logger(connection.console, 'info');
const shutdownHooks: Array<() => void | Promise<void>> = [];
const settingsHooks: Array<() => void> = [];
let ctx: RuntimeContext | null = null;

connection.onInitialize((params): InitializeResult => {
  const init = (params.initializationOptions ?? {}) as Partial<RuntimeInitOptions>;
  const folders = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter((p): p is string => !!p);
  const storeDir = init.storeDir || path.join(folders[0] ?? process.cwd(), STORE_DIR_NAME);
  const options: RuntimeInitOptions = {
    storeDir,
    workspaceFolders: init.workspaceFolders ?? folders,
    logLevel: init.logLevel ?? 'info',
    trusted: init.trusted ?? false,
    extensionPath: init.extensionPath ?? path.resolve(__dirname, '..'),
    settings: init.settings ?? {},
  };
  log.setLevel(options.logLevel);
  let trusted = options.trusted;
  const notifier = connectionNotifier(connection);
  ctx = {
    connection,
    documents,
    log,
    options,
    settings: { ...options.settings },
    store: new Store(storeDir),
    trusted: () => trusted,
    notifyChanged: (p) => notifier.notify(p),
    onSettingsChanged: (fn) => settingsHooks.push(fn),
    onShutdown: (fn) => shutdownHooks.push(fn),
  };
  connection.onNotification(SetTrustNotification.type, ({ trusted: t }) => {
    trusted = t;
    log.info(`workspace trust: ${t ? 'trusted' : 'untrusted'}`);
    settingsHooks.forEach((fn) => fn());
  });
  registerServices(ctx);
  log.info(`runtime ${process.pid} started on Node ${process.version} (${process.execPath}); store ${storeDir}`);
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
    },
    serverInfo: { name: 'tune-studio-runtime' },
  };
});

connection.onNotification(SetLogLevelNotification.type, ({ level }) => {
  log.setLevel(level);
  log.info(`log level set to ${level}`);
});

connection.onNotification(SetSettingsNotification.type, (settings) => {
  if (!ctx) return;
  Object.assign(ctx.settings, settings);
  settingsHooks.forEach((fn) => fn());
});

connection.onShutdown(async () => {
  for (const fn of shutdownHooks.reverse()) {
    try {
      await fn();
    } catch (e) {
      log.error('shutdown hook failed', e);
    }
  }
  ctx?.store.close();
});

process.on('uncaughtException', (e) => log.error('uncaught exception in runtime', e));
process.on('unhandledRejection', (e) => log.error('unhandled rejection in runtime', e));

function uriToPath(uri: string): string | null {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : null;
  } catch {
    return null;
  }
}

documents.listen(connection);
connection.listen();
