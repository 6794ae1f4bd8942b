// The extension's context: what every command module needs — the runtime
// client, the four tree views, the log documents, the status bar and the
// alert toasts — made once in activate() and handed to each
// `commands/*.ts::register(ctx)` (rust-analyzer's `Ctx`). Command modules
// import this file and the panels, never each other, so there is no cycle.
import * as vscode from 'vscode';
import type { Alert } from '../protocol/tracking';
import { AlertNotifications } from './alertNotifications';
import { JobEndNotifications } from './jobNotifications';
import { LogDocuments } from './logDocuments';
import { DashboardPanel } from './panels/dashboardPanel';
import type { Runtime } from './runtime';
import { RunStatusBar } from './statusBar';
import { AlertsTree } from './views/alertsTree';
import { DatasetsTree } from './views/datasetsTree';
import { JobsTree } from './views/jobsTree';
import { RunsTree } from './views/runsTree';
import type { RuntimeTree } from './views/runtimeTree';

export class Ctx {
  readonly datasetsTree: DatasetsTree;
  readonly runsTree: RunsTree;
  readonly jobsTree: JobsTree;
  readonly alertsTree: AlertsTree;
  readonly logs = new LogDocuments();
  readonly statusBar: RunStatusBar;
  readonly notifications: AlertNotifications;
  readonly jobEnds: JobEndNotifications;
  private runningCount = 0;

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly runtime: Runtime,
    readonly output: vscode.OutputChannel,
  ) {
    this.datasetsTree = new DatasetsTree(runtime);
    this.runsTree = new RunsTree(runtime, context.workspaceState);
    this.jobsTree = new JobsTree(runtime);
    this.alertsTree = new AlertsTree(runtime);
    for (const [id, provider] of this.trees()) {
      const view = vscode.window.createTreeView(id, { treeDataProvider: provider, showCollapseAll: true, canSelectMany: true });
      provider.view = view;
      this.subscribe(
        view,
        provider,
        // The walkthrough's first step ("Open the Tune Studio views") is done once a view is shown.
        view.onDidChangeVisibility((e) => e.visible && void vscode.commands.executeCommand('setContext', 'tuneStudio.walkthrough.viewsOpened', true)),
      );
      if (view.visible) void vscode.commands.executeCommand('setContext', 'tuneStudio.walkthrough.viewsOpened', true);
    }
    this.statusBar = new RunStatusBar(runtime);
    this.notifications = new AlertNotifications(runtime, (a) => this.openAlert(a));
    this.jobEnds = new JobEndNotifications(runtime, {
      showLog: (j) => this.logs.open(j.log_path, `${j.name} (${j.id})`, j.id),
      openRun: (runId) => DashboardPanel.show(this.context, this.runtime, [runId]),
    });
    this.subscribe(
      this.logs,
      this.statusBar,
      this.notifications,
      this.jobEnds,
      runtime.onDidChangeState((s) => {
        if (s === 'running') this.runningCount++;
      }),
    );
  }

  /** The tree views by view id. */
  trees(): Array<[string, RuntimeTree<unknown>]> {
    return [
      ['tuneStudio.datasets', this.datasetsTree as RuntimeTree<unknown>],
      ['tuneStudio.jobs', this.jobsTree as RuntimeTree<unknown>],
      ['tuneStudio.runs', this.runsTree as RuntimeTree<unknown>],
      ['tuneStudio.alerts', this.alertsTree as RuntimeTree<unknown>],
    ];
  }

  /** Number of times the runtime came back after a crash or restart. */
  restarts(): number {
    return Math.max(0, this.runningCount - 1);
  }

  /** Disposed with the extension. */
  subscribe(...disposables: vscode.Disposable[]): void {
    this.context.subscriptions.push(...disposables);
  }

  /** Opens the alert's run dashboard scrolled to its metric and step. */
  openAlert(a: Pick<Alert, 'id' | 'run_id' | 'metric' | 'step'>): DashboardPanel {
    return DashboardPanel.show(this.context, this.runtime, [a.run_id], a.step !== null ? { focus: { step: a.step, metric: a.metric, runId: a.run_id, alertId: a.id } } : {});
  }
}
