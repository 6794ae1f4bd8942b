// Extension entry: activate() only wires — the runtime client, the views, the
// commands and the panels. All state and work live in the runtime process.
import * as vscode from 'vscode';
import { Runtime } from './runtime';
import { StatusPanel, STATUS_VIEW_TYPE } from './panels/statusPanel';
import { RunsTree } from './views/runsTree';
import { JobsTree } from './views/jobsTree';
import { AlertsTree } from './views/alertsTree';
import { registerRunUi, type RunUiApi } from './commands/runs';
import { RuntimeTree } from './views/runtimeTree';
import { DatasetsTree } from './views/datasetsTree';
import { registerDatasetCommands } from './commands/datasets';
import { registerTrainingCommands } from './commands/training';
import { RuntimeStatusRequest } from '../protocol/runtime';

/** What activate() returns: used by the in-extension-host tests and by other extensions. */
export interface TuneStudioApi {
  runtime: Runtime;
  /** Number of times the runtime came back after a crash or restart. */
  restarts(): number;
  statusPanel(): StatusPanel | undefined;
  /** Runs, Jobs and Alerts views, dashboards, compare panel, status bar, alert toasts. */
  ui: RunUiApi;
  /** The Datasets view. */
  datasetsTree: DatasetsTree;
  /** Startup marks in the extension host's performance.now() clock (bench/startup reads them). */
  timings(): StartupTimings;
}

export interface StartupTimings {
  moduleLoaded: number;
  activated: number;
  /** First time the runtime answered (undefined until then). */
  runtimeReady?: number;
}

const startup: StartupTimings = { moduleLoaded: performance.now(), activated: 0 };

export async function activate(context: vscode.ExtensionContext): Promise<TuneStudioApi> {
  const output = vscode.window.createOutputChannel('Tune Studio');
  const runtime = new Runtime(context, output);
  context.subscriptions.push(output, runtime);

  let runningCount = 0;
  context.subscriptions.push(
    runtime.onDidChangeState((s) => {
      if (s !== 'running') return;
      runningCount++;
      startup.runtimeReady ??= performance.now();
    }),
  );
  const restarts = () => Math.max(0, runningCount - 1);

  const datasetsTree = new DatasetsTree(runtime);
  const runsTree = new RunsTree(runtime, context.workspaceState);
  const jobsTree = new JobsTree(runtime);
  const alertsTree = new AlertsTree(runtime);
  const trees: Array<[string, RuntimeTree<unknown>]> = [
    ['tuneStudio.datasets', datasetsTree as RuntimeTree<unknown>],
    ['tuneStudio.jobs', jobsTree as RuntimeTree<unknown>],
    ['tuneStudio.runs', runsTree as RuntimeTree<unknown>],
    ['tuneStudio.alerts', alertsTree as RuntimeTree<unknown>],
  ];
  for (const [id, provider] of trees) {
    const view = vscode.window.createTreeView(id, { treeDataProvider: provider, showCollapseAll: true, canSelectMany: true });
    provider.view = view;
    context.subscriptions.push(view, provider);
  }
  registerDatasetCommands(context, runtime, datasetsTree);
  registerTrainingCommands(context, runtime);
  const ui = registerRunUi(context, runtime, { runs: runsTree, jobs: jobsTree, alerts: alertsTree });

  context.subscriptions.push(
    vscode.commands.registerCommand('tuneStudio.showRuntimeStatus', () => StatusPanel.show(context, runtime, restarts)),
    vscode.commands.registerCommand('tuneStudio.restartRuntime', () =>
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Tune Studio: restarting runtime' },
        () => runtime.restart(),
      ),
    ),
    vscode.commands.registerCommand('tuneStudio.openStoreFolder', async () => {
      const status = await runtime.request(RuntimeStatusRequest.type, undefined);
      const uri = vscode.Uri.file(status.storeDir);
      try {
        await vscode.workspace.fs.createDirectory(uri);
      } catch {
        /* exists or cannot be made: revealing will say so */
      }
      // In a browser (code-server) or remote window there is no OS file manager: reveal in the Explorer.
      const local = vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName;
      const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
      if (local) await vscode.commands.executeCommand('revealFileInOS', uri);
      else if (inWorkspace) await vscode.commands.executeCommand('revealInExplorer', uri);
      else {
        const pick = await vscode.window.showInformationMessage(`Tune Studio store: ${status.storeDir}`, 'Copy Path');
        if (pick) await vscode.env.clipboard.writeText(status.storeDir);
      }
    }),
    vscode.commands.registerCommand('tuneStudio.refresh', () => trees.forEach(([, t]) => t.refresh())),
    vscode.commands.registerCommand('tuneStudio.showOutput', () => output.show()),
    // The user guides ship with the extension (docs/*.md): open one as a rendered preview.
    vscode.commands.registerCommand('tuneStudio.openGuide', async (topic?: string) => {
      const guides: Record<string, string> = { datasets: 'Datasets and captioning', training: 'The built-in LoRA trainer', parsers: 'Metrics from any trainer', ui: 'Views, dashboard and compare', spine: 'Install, run and test' };
      const pick = topic && guides[topic] ? topic : (await vscode.window.showQuickPick(Object.entries(guides).map(([id, label]) => ({ label, id }))))?.id;
      if (!pick) return;
      await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(context.extensionUri, 'docs', `${pick}.md`));
    }),
    vscode.window.registerWebviewPanelSerializer(STATUS_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        StatusPanel.revive(panel, context, runtime, restarts);
      },
    }),
  );

  // Not awaited: activation stays fast; views and commands wait for the runtime themselves.
  void runtime.start();
  active = runtime;
  startup.activated = performance.now();
  return { runtime, restarts, statusPanel: () => StatusPanel.instance, ui, datasetsTree, timings: () => ({ ...startup }) };
}

let active: Runtime | undefined;

export function deactivate(): Thenable<void> | undefined {
  return active?.stop();
}
