// Run commands: open dashboards, compare, stop, rename, delete, copy id, show logs,
// filter the Runs view by status. Commands take tree nodes (one or the
// multi-selection), run ids, or nothing (then a quick pick asks).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JobsListRequest } from '../../protocol/jobs';
import { RuntimeStatusRequest } from '../../protocol/runtime';
import { statusCodicon } from '../../protocol/status';
import { MetricsAppendedNotification } from '../../protocol/live';
import { RunDeleteRequest, RunRenameRequest, RunsListRequest, type RunListItem, type RunStatus } from '../../protocol/tracking';
import type { CompareState, DashboardState } from '../../protocol/webview';
import { stopRunWithFeedback } from '../alertNotifications';
import type { Ctx } from '../ctx';
import { COMPARE_VIEW_TYPE, ComparePanel } from '../panels/comparePanel';
import { DASHBOARD_VIEW_TYPE, DashboardPanel } from '../panels/dashboardPanel';
import type { Runtime } from '../runtime';
import type { AlertNode } from '../views/alertsTree';
import type { JobNode } from '../views/jobsTree';
import { ALL_RUN_STATUSES, headlineText, runDuration, type RunNode } from '../views/runsTree';

type RunArg = RunNode | JobNode | AlertNode | string | string[] | { runId: string } | undefined;

/** Run ids from a command's arguments: (clicked node, selected nodes) from a tree, ids, or nothing. */
export function runIdsFrom(arg?: unknown, selection?: unknown): string[] {
  const list = Array.isArray(selection) && selection.length ? selection : Array.isArray(arg) ? arg : arg === undefined ? [] : [arg];
  const ids: string[] = [];
  for (const a of list as RunArg[]) {
    if (!a) continue;
    if (typeof a === 'string') ids.push(a);
    else if (Array.isArray(a)) ids.push(...a.filter((x): x is string => typeof x === 'string'));
    else if ('kind' in a) {
      if (a.kind === 'run') ids.push(a.run.id);
      else if (a.kind === 'project') ids.push(...a.runs.map((r) => r.id));
      else if (a.kind === 'job' && a.job.run_id) ids.push(a.job.run_id);
      else if (a.kind === 'alert') ids.push(a.alert.run_id);
      else if (a.kind === 'alertRun') ids.push(a.runId);
    } else if ('runId' in a && typeof a.runId === 'string') ids.push(a.runId);
  }
  return [...new Set(ids)];
}

export async function pickRuns(runtime: Runtime, o: { many: boolean; title: string; status?: RunStatus[]; preselect?: string[] }): Promise<string[]> {
  const runs = await runtime.request(RunsListRequest.type, o.status ? { status: o.status } : {});
  if (!runs.length) {
    void vscode.window.showInformationMessage(o.status ? `Tune Studio: no ${o.status.join(' or ')} runs.` : 'Tune Studio: no runs yet. Start a job or run `tunestudio run -- python train.py`.');
    return [];
  }
  type Item = vscode.QuickPickItem & { id: string };
  const items: Item[] = runs.map((r: RunListItem) => ({
    id: r.id,
    label: `$(${statusCodicon(r.status)}) ${r.name}`,
    description: `${r.status} · ${headlineText(r)}`,
    detail: `${r.project} · ${r.id}${runDuration(r) ? ` · ${runDuration(r)}` : ''}`,
    picked: o.preselect?.includes(r.id),
  }));
  if (o.many) {
    const picked = await vscode.window.showQuickPick(items, { canPickMany: true, title: o.title, placeHolder: 'Pick runs (type to filter by name, status or metric)', matchOnDescription: true, matchOnDetail: true });
    return picked?.map((p) => p.id) ?? [];
  }
  const one = await vscode.window.showQuickPick(items, { title: o.title, placeHolder: 'Pick a run', matchOnDescription: true, matchOnDetail: true });
  return one ? [one.id] : [];
}

/** The run commands, the run panels' serializers and the live points' fan-out to open dashboards. */
export function register(ctx: Ctx): void {
  const { context, runtime } = ctx;
  // The language client keeps one handler per notification method (a second registration replaces
  // the first), so live points are heard once here and fanned out.
  runtime.onNotification(MetricsAppendedNotification.type, (p) => DashboardPanel.onMetricsAppended(p));
  const showError = (e: unknown) => void vscode.window.showErrorMessage(`Tune Studio: ${(e as Error).message}`);

  const openDashboard = async (arg?: unknown, selection?: unknown) => {
    let ids = runIdsFrom(arg, selection);
    if (!ids.length) ids = await pickRuns(runtime, { many: true, title: 'Tune Studio: Open Run Dashboard' });
    if (!ids.length) return undefined;
    // The walkthrough's "Watch the dashboard" step is done.
    void vscode.commands.executeCommand('setContext', 'tuneStudio.walkthrough.dashboardOpened', true);
    return DashboardPanel.show(context, runtime, ids);
  };

  const compare = async (arg?: unknown, selection?: unknown) => {
    let ids = runIdsFrom(arg, selection);
    if (ids.length < 2) ids = await pickRuns(runtime, { many: true, title: 'Tune Studio: Compare Runs', preselect: ids });
    if (!ids.length) return undefined;
    return ComparePanel.show(context, runtime, ids);
  };

  const stop = async (arg?: unknown, selection?: unknown) => {
    let ids = runIdsFrom(arg, selection);
    if (!ids.length) ids = await pickRuns(runtime, { many: false, title: 'Tune Studio: Stop Run', status: ['running'] });
    for (const run of ids) {
      try {
        await stopRunWithFeedback(runtime, run, undefined, 'Stop Run in VS Code');
      } catch (e) {
        showError(e);
      }
    }
  };

  const del = async (arg?: unknown, selection?: unknown) => {
    let ids = runIdsFrom(arg, selection);
    if (!ids.length) ids = await pickRuns(runtime, { many: true, title: 'Tune Studio: Delete Runs' });
    if (!ids.length) return;
    const runs = (await runtime.request(RunsListRequest.type, {})).filter((r) => ids.includes(r.id));
    const running = runs.filter((r) => r.status === 'running');
    if (running.length) {
      void vscode.window.showWarningMessage(`Tune Studio: ${running.map((r) => `'${r.name}'`).join(', ')} ${running.length === 1 ? 'is' : 'are'} still running; stop ${running.length === 1 ? 'it' : 'them'} before deleting.`);
      return;
    }
    const what = runs.length === 1 ? `run '${runs[0].name}' (${runs[0].id})` : `${runs.length} runs`;
    const ok = await vscode.window.showWarningMessage(`Delete ${what} with all its metrics and alerts? This cannot be undone.`, { modal: true }, 'Delete');
    if (ok !== 'Delete') return;
    for (const r of runs) {
      try {
        await runtime.request(RunDeleteRequest.type, { run: r.id });
        for (const d of [...DashboardPanel.open]) if (d.ids.length === 1 && d.ids[0] === r.id) d.dispose();
      } catch (e) {
        showError(e);
      }
    }
    ctx.runsTree.refreshNow();
  };

  // Rename… acts on the clicked run (not the whole selection: one name for one run).
  // A string second argument is the new name (other extensions, tests); a tree passes its selection there.
  const rename = async (arg?: unknown, newName?: unknown) => {
    let [id] = runIdsFrom(arg);
    if (!id) [id] = await pickRuns(runtime, { many: false, title: 'Tune Studio: Rename Run' });
    if (!id) return;
    const run = (await runtime.request(RunsListRequest.type, {})).find((r) => r.id === id);
    if (!run) return showError(new Error(`run ${id} is gone (deleted?); refresh the Runs view`));
    const name = typeof newName === 'string' ? newName : await vscode.window.showInputBox({
      title: `Tune Studio: Rename Run '${run.name}'`,
      prompt: `A new name for ${run.id} (names need not be unique; the id stays)`,
      value: run.name,
      valueSelection: [0, run.name.length],
      // The runtime's rule decides; this only spares a round trip for the obvious cases.
      validateInput: (v) => (!v.trim() ? 'The name is empty: type at least one visible character.' : /\p{Cc}/u.test(v) ? 'Use one line of plain text.' : undefined),
    });
    if (name === undefined || name.trim() === run.name) return;
    try {
      await runtime.request(RunRenameRequest.type, { run: run.id, name });
    } catch (e) {
      showError(e);
    }
    ctx.runsTree.refreshNow();
  };

  const copyId = async (arg?: unknown, selection?: unknown) => {
    const ids = runIdsFrom(arg, selection);
    if (!ids.length) return;
    await vscode.env.clipboard.writeText(ids.join('\n'));
    void vscode.window.setStatusBarMessage(`Tune Studio: copied ${ids.length === 1 ? ids[0] : `${ids.length} run ids`}`, 4000);
  };

  const showLogs = async (arg?: unknown) => {
    let ids = runIdsFrom(arg);
    if (!ids.length) ids = await pickRuns(runtime, { many: false, title: 'Tune Studio: Show Run Logs' });
    const id = ids[0];
    if (!id) return;
    try {
      await showRunLog(ctx, id);
    } catch (e) {
      showError(e);
    }
  };

  const filter = async () => {
    const current = ctx.runsTree.filter;
    const picked = await vscode.window.showQuickPick(
      // None ticked means no filter (every run shows), so an unfiltered view starts with none ticked.
      ALL_RUN_STATUSES.map((s) => ({ label: `$(${statusCodicon(s)}) ${s}`, status: s, picked: current.includes(s) })),
      { canPickMany: true, title: 'Tune Studio: Filter Runs by Status', placeHolder: 'Tick the statuses to show; none (or all) ticked shows every run' },
    );
    if (!picked) return;
    await ctx.runsTree.setFilter(picked.map((p) => p.status));
  };

  void vscode.commands.executeCommand('setContext', 'tuneStudio.runs.filtered', ctx.runsTree.filter.length > 0);
  ctx.subscribe(
    vscode.commands.registerCommand('tuneStudio.openDashboard', openDashboard),
    vscode.commands.registerCommand('tuneStudio.compareRuns', compare),
    vscode.commands.registerCommand('tuneStudio.compareSelected', compare),
    vscode.commands.registerCommand('tuneStudio.stopRun', stop),
    vscode.commands.registerCommand('tuneStudio.deleteRun', del),
    vscode.commands.registerCommand('tuneStudio.renameRun', rename),
    vscode.commands.registerCommand('tuneStudio.copyRunId', copyId),
    vscode.commands.registerCommand('tuneStudio.showRunLogs', showLogs),
    vscode.commands.registerCommand('tuneStudio.filterRuns', filter),
    vscode.commands.registerCommand('tuneStudio.clearRunsFilter', () => ctx.runsTree.setFilter([])),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        DashboardPanel.revive(panel, context, runtime, state as DashboardState | undefined);
      },
    }),
    vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        ComparePanel.revive(panel, context, runtime, state as CompareState | undefined);
      },
    }),
    { dispose: () => [...DashboardPanel.open].forEach((d) => d.dispose()) },
  );
  ctx.runsTree.updateDescription();
}

/** The job log of a run: its job's log, else the log `tunestudio run` kept, else a message saying there is none. */
export async function showRunLog(ctx: Ctx, runId: string): Promise<void> {
  const { runtime } = ctx;
  let jobs: Awaited<ReturnType<typeof listJobs>> = [];
  try {
    jobs = await listJobs(runtime);
  } catch {
    /* a runtime without the job service: fall through to `tunestudio run` logs */
  }
  const job = jobs.filter((j) => j.run_id === runId).sort((a, b) => b.created_at.localeCompare(a.created_at))[0];
  if (job) {
    await ctx.logs.open(job.log_path, `${job.name} (${job.id})`, job.id);
    return;
  }
  const status = await runtime.request(RuntimeStatusRequest.type, undefined);
  // `tunestudio run` keeps its job folder as run-<id>: log.txt (progress-bar frames folded), else the raw output.
  const folder = path.join(status.storeDir, 'jobs', `run-${runId}`);
  const cliLog = ['log.txt', 'output.log'].map((f) => path.join(folder, f)).find((f) => fs.existsSync(f));
  const runs = await runtime.request(RunsListRequest.type, {});
  const run = runs.find((r) => r.id === runId);
  if (cliLog) {
    await ctx.logs.open(cliLog, `${run?.name ?? runId} (tunestudio run)`);
    return;
  }
  void vscode.window.showInformationMessage(
    `Tune Studio: run '${run?.name ?? runId}' has no log. Only runs started as a job or with \`tunestudio run\` have their output captured; this one logged its metrics from its own process (SDK).`,
  );
}

function listJobs(runtime: Runtime) {
  return runtime.request(JobsListRequest.type, {});
}
