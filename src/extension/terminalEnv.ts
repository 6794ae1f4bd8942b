// Puts Tune Studio on the environment of the workspace's terminals (VS Code's
// EnvironmentVariableCollection), so `python train.py` with `import
// tunestudio` is tracked in the workspace store with no setup:
//   PYTHONPATH += the bundled python/ folder (the client),
//   PATH       += a folder with a `tunestudio` launcher that runs the bundled
//                 CLI on the runtime's Node (found as runtimeNode.ts does),
//   TUNESTUDIO_DIR, TUNESTUDIO_CLI, TUNESTUDIO_NODE (the store, the CLI and
//                 its Node, so the client needs nothing on PATH).
// Terminals opened before a change show VS Code's "relaunch" hint.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Runtime } from './runtime';
import { readSettings, resolveStoreDir } from './settings';
import { terminalEnvironment, writeLauncher } from './terminalEnvironment';

export function registerTerminalEnv(context: vscode.ExtensionContext, runtime: Runtime): vscode.Disposable {
  const apply = () => {
    const node = runtime.node;
    if (!node) return;
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const env = terminalEnvironment({
      extensionPath: context.extensionPath,
      nodePath: node.path,
      storeDir: resolveStoreDir(readSettings().storePath, folders, context.globalStorageUri.fsPath),
      binDir: path.join(context.globalStorageUri.fsPath, 'bin'),
    });
    try {
      writeLauncher(env);
    } catch {
      delete env.prepend.PATH; // no launcher: the Python client still finds the CLI through TUNESTUDIO_CLI's Node below
      env.replace.TUNESTUDIO_CLI = path.join(context.extensionPath, 'bin', 'tunestudio.js');
    }
    const c = context.environmentVariableCollection;
    c.clear();
    c.description = 'Tune Studio: `import tunestudio` in Python, the `tunestudio` command, and this workspace\'s run store';
    for (const [k, v] of Object.entries(env.prepend)) c.prepend(k, v);
    for (const [k, v] of Object.entries(env.replace)) c.replace(k, v);
  };
  const subs = [
    runtime.onDidChangeState((s) => {
      if (s === 'running') apply();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('tuneStudio.storePath') || e.affectsConfiguration('tuneStudio.runtime.nodePath')) apply();
    }),
  ];
  apply();
  return vscode.Disposable.from(...subs);
}
