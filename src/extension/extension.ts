// Extension entry: activate() only wires — the runtime client, the views, the
// commands and the panels. All state and work live in the runtime process.
import * as vscode from 'vscode';
import { Ctx } from './ctx';
import { Runtime } from './runtime';
import { registerTerminalEnv } from './terminalEnv';
import { DatasetEditorProvider } from './datasetEditor/provider';
import { registerLanguageModelTools } from './lmTools';
import { StatusPanel } from './panels/statusPanel';
import { ComparePanel } from './panels/comparePanel';
import { DashboardPanel } from './panels/dashboardPanel';
import { registerMapCommand } from './panels/mapPanel';
import type { AlertNotifications } from './alertNotifications';
import type { JobEndNotifications } from './jobNotifications';
import type { RunStatusBar } from './statusBar';
import type { AlertsTree } from './views/alertsTree';
import type { DatasetsTree } from './views/datasetsTree';
import type { JobsTree } from './views/jobsTree';
import type { RunsTree } from './views/runsTree';
import * as alertCommands from './commands/alerts';
import * as datasetCommands from './commands/datasets';
import * as jobCommands from './commands/jobs';
import * as runCommands from './commands/runs';
import * as runtimeCommands from './commands/runtime';
import * as trainingCommands from './commands/training';

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

/** The runs UI as the in-extension-host tests read it. */
export interface RunUiApi {
  runsTree: RunsTree;
  jobsTree: JobsTree;
  alertsTree: AlertsTree;
  dashboards(): DashboardPanel[];
  comparePanel(): ComparePanel | undefined;
  statusBar: RunStatusBar;
  notifications: AlertNotifications;
  jobEnds: JobEndNotifications;
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
  context.subscriptions.push(
    runtime.onDidChangeState((s) => {
      if (s === 'running') startup.runtimeReady ??= performance.now();
    }),
  );
  const ctx = new Ctx(context, runtime, output);
  // Terminals get the Python client, the `tunestudio` command and the store (issue 15).
  context.subscriptions.push(registerTerminalEnv(context, runtime));
  // The dataset editor (issue 20): the default editor of dataset.json.
  context.subscriptions.push(DatasetEditorProvider.register(context, runtime));
  // Agents: the tool catalogue as language-model tools (issue 16).
  context.subscriptions.push(registerLanguageModelTools(runtime));
  // The embedding map (issue 19): from a dataset or a run.
  context.subscriptions.push(registerMapCommand(context, runtime));
  for (const commands of [runtimeCommands, datasetCommands, trainingCommands, runCommands, jobCommands, alertCommands]) commands.register(ctx);

  // Not awaited: activation stays fast; views and commands wait for the runtime themselves.
  void runtime.start();
  openWalkthroughOnce(context);
  active = runtime;
  startup.activated = performance.now();
  const ui: RunUiApi = {
    runsTree: ctx.runsTree,
    jobsTree: ctx.jobsTree,
    alertsTree: ctx.alertsTree,
    dashboards: () => [...DashboardPanel.open],
    comparePanel: () => ComparePanel.instance,
    statusBar: ctx.statusBar,
    notifications: ctx.notifications,
    jobEnds: ctx.jobEnds,
  };
  return { runtime, restarts: () => ctx.restarts(), statusPanel: () => StatusPanel.instance, ui, datasetsTree: ctx.datasetsTree, timings: () => ({ ...startup }) };
}

/** Help: Get Started → "Get started with Tune Studio", opened the first time the extension activates (not under test). */
const WALKTHROUGH_SHOWN = 'tuneStudio.walkthroughShown';
function openWalkthroughOnce(context: vscode.ExtensionContext): void {
  if (context.globalState.get<boolean>(WALKTHROUGH_SHOWN) || context.extensionMode === vscode.ExtensionMode.Test) return;
  if (!vscode.workspace.getConfiguration('tuneStudio').get<boolean>('walkthrough.openOnFirstRun', true)) return;
  void context.globalState.update(WALKTHROUGH_SHOWN, true);
  void vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#firstSteps`, false);
}

let active: Runtime | undefined;

export function deactivate(): Thenable<void> | undefined {
  return active?.stop();
}
