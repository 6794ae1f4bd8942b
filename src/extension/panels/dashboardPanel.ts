// Host of the Run Dashboard panels: one panel per set of runs (opening the
// same runs again reveals it). The page asks for history itself; the host
// answers from the runtime, forwards live "metrics appended" and alert
// notifications for its runs, saves exports, and revives panels after a
// reload from the page's saved state (WebviewPanelSerializer).
import * as vscode from 'vscode';
import {
  AlertsListRequest,
  RunHistoryRequest,
  RunShowRequest,
  RunsListRequest,
  type RunListItem,
} from '../../protocol/tracking';
import { MetricsSubscribeRequest, type AppendedMetric } from '../../protocol/live';
import { DashboardHistoryRequest, type DashboardFocus, type DashboardOverview, type DashboardRun, type DashboardState, type DashboardToHost, type DashboardToWebview } from '../../protocol/webview';
import type { Runtime } from '../runtime';
import { EarlyPoints, firstOverviewParams, noteOverviewRequest } from './host/dashboardPrefetch';
import { WebviewPanelHost } from './host/webviewPanelHost';
import { renderPage, webviewOptions } from './webviewHtml';
import { csvField } from '../../protocol/csv';

export const DASHBOARD_VIEW_TYPE = 'tuneStudio.dashboard';

/** Most points per series an export asks for (an export is explicit, so it is not downsampled below this). */
const EXPORT_MAX_POINTS = 5_000_000;

let nextKey = 1;

export class DashboardPanel extends WebviewPanelHost<DashboardToHost, DashboardToWebview> {
  static readonly open = new Set<DashboardPanel>();

  /** This panel's subscription in the runtime (the runs whose points it gets pushed). */
  private readonly subscriptionKey = `dashboard-${process.pid}-${nextKey++}`;
  private runs: DashboardRun[] = [];
  private pendingFocus: DashboardFocus | undefined;
  /** The runs, metric names and first charts' overview being fetched for the page's init (see prefetch). */
  private opening: Promise<Prefetched> | undefined;
  /** Live points flushed from the panel's creation until the page has its init (posted right after it). */
  private early: EarlyPoints | undefined = new EarlyPoints();

  /** Opens (or reveals) the dashboard of `runIds`; `focus` scrolls to and highlights a step. */
  static show(context: vscode.ExtensionContext, runtime: Runtime, runIds: string[], o: { focus?: DashboardFocus; reuse?: DashboardPanel } = {}): DashboardPanel {
    const ids = [...new Set(runIds)];
    const key = ids.slice().sort().join(',');
    const existing = [...DashboardPanel.open].find((p) => p.key === key) ?? (o.reuse && DashboardPanel.open.has(o.reuse) ? o.reuse : undefined);
    if (existing) {
      existing.panel.reveal();
      if (existing.key !== key) void existing.setRunIds(ids);
      if (o.focus) existing.focus(o.focus);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Dashboard', vscode.ViewColumn.Active, dashboardOptions(context.extensionUri));
    return new DashboardPanel(panel, context, runtime, ids, o.focus);
  }

  static revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, runtime: Runtime, state: DashboardState | undefined): DashboardPanel {
    panel.webview.options = dashboardOptions(context.extensionUri);
    return new DashboardPanel(panel, context, runtime, state?.runIds ?? [], undefined, state?.collapsed);
  }

  /** Live points for every open dashboard (one runtime listener, fanned out by registerRunUi). */
  static onMetricsAppended(p: { appended: AppendedMetric[] }): void {
    for (const d of DashboardPanel.open) d.onAppended(p.appended);
  }

  static onAlertRaised(alert: { run_id: string }): void {
    for (const d of DashboardPanel.open) if (d.runIds.includes(alert.run_id)) d.scheduleAlerts();
  }

  private constructor(
    panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    private readonly runtime: Runtime,
    private runIds: string[],
    focus: DashboardFocus | undefined,
    /** Sections the revived page keeps collapsed (their charts are not prefetched). */
    private readonly collapsed?: string[],
  ) {
    super(panel, context);
    panel.webview.html = renderPage(panel.webview, context.extensionUri, 'dashboard', 'Tune Studio: Run Dashboard');
    DashboardPanel.open.add(this);
    this.pendingFocus = focus;
    this.disposables.push(
      // A flush says 'metrics' (its points are pushed); 'runs' means a status or name may have changed.
      runtime.onDidChangeData((p) => {
        if (p.kinds.includes('runs') && (!p.runIds || p.runIds.some((id) => this.runIds.includes(id)))) this.scheduleRuns();
        if (p.kinds.includes('alerts')) this.scheduleAlerts();
      }),
      runtime.onDidChangeState((s) => {
        // After a runtime restart: its subscriptions are gone and notifications may have been missed, so catch up.
        if (s === 'running')
          void this.subscribe().then(async () => {
            if (this.ready) await this.catchUp();
          });
      }),
    );
    this.updateTitle();
    // Before the page's first pull: every flush after this is pushed, what came before is in the pull.
    void this.subscribe();
    this.opening = this.prefetch();
  }

  /** Tells the runtime which runs this dashboard shows (it pushes their points after each flush). */
  private async subscribe(): Promise<void> {
    if (this.runtime.state !== 'running') return;
    try {
      await this.runtime.request(MetricsSubscribeRequest.type, { key: this.subscriptionKey, runIds: DashboardPanel.open.has(this) ? this.runIds : [] });
    } catch (e) {
      this.runtime.output.appendLine(`[dashboard] cannot subscribe to live points: ${(e as Error).message}`);
    }
  }

  get key(): string {
    return this.runIds.slice().sort().join(',');
  }

  get ids(): readonly string[] {
    return this.runIds;
  }

  focus(f: DashboardFocus): void {
    if (this.ready) this.post({ type: 'focus', focus: f });
    else this.pendingFocus = f;
  }

  async setRunIds(ids: string[]): Promise<void> {
    this.runIds = ids;
    this.opening = undefined;
    await this.subscribe();
    if (this.ready) await this.pushRuns();
  }

  protected async onMessage(m: DashboardToHost): Promise<void> {
    switch (m.type) {
      case 'ready': {
        // A page loaded again: hold live points until it has its init (see early).
        this.early ??= new EarlyPoints();
        // Fetched before the runtime was up (a panel revived at start-up): ask again now.
        let pre = this.opening ? await this.opening : undefined;
        this.opening = undefined;
        if (!pre?.listed) pre = await this.prefetch();
        // A focus scrolls the page elsewhere: the first charts' overview would not be what it draws first.
        const overview = this.pendingFocus ? undefined : pre.overview;
        this.post({ type: 'init', runs: this.runs, metrics: pre.metrics, focus: this.pendingFocus, overviewFor: overview?.params });
        this.pendingFocus = undefined;
        // The page lays out its cards while the overview is still being read.
        if (overview) this.post({ type: 'overview', overview: await overview.result });
        this.postEarly();
        await this.pushAlerts();
        break;
      }
      case 'request':
        if (m.method === DashboardHistoryRequest.method)
          await this.answer(DashboardHistoryRequest, m, (p) => {
            noteOverviewRequest(p);
            return this.runtime.request(RunHistoryRequest.type, p);
          });
        else this.refuse(m);
        break;
      case 'exportPng':
        await this.exportPng(m.metric, m.dataUrl);
        break;
      case 'exportCsv':
        await this.exportCsv(m.metric, m.from, m.to);
        break;
      case 'stopRun':
        await vscode.commands.executeCommand('tuneStudio.stopRun', m.runId);
        break;
      case 'showLogs':
        await vscode.commands.executeCommand('tuneStudio.showRunLogs', m.runId);
        break;
      case 'compare':
        await vscode.commands.executeCommand('tuneStudio.compareRuns', this.runIds);
        break;
      case 'log':
        this.runtime.output.appendLine(`[dashboard] ${m.message}`);
        break;
    }
  }

  // ------------------------------------------------------------ runs and alerts

  /**
   * The runs, their metric names and the overview of the first charts
   * (dashboardPrefetch.ts), fetched while the page loads its script (started
   * in the constructor), so the page draws its first charts without asking.
   * The overview is still being read when this resolves (the init does not
   * wait for it). Undefined names or overview: the page asks itself.
   */
  private async prefetch(): Promise<Prefetched> {
    const listed = await this.loadRuns();
    if (!listed || !this.runs.length) return { listed };
    const runIds = this.runs.map((r) => r.id);
    let metrics: string[];
    try {
      metrics = (await this.runtime.request(RunHistoryRequest.type, { runIds, metrics: [], maxPoints: 4 })).metrics;
    } catch {
      return { listed };
    }
    const params = firstOverviewParams(runIds, metrics, { collapsed: this.collapsed });
    if (!params?.metrics) return { listed, metrics };
    const overviewFor = { metrics: params.metrics, maxPoints: params.maxPoints };
    const result = this.runtime.request(RunHistoryRequest.type, params).then(
      (r): DashboardOverview => ({ ...overviewFor, result: r }),
      (e) => {
        this.runtime.output.appendLine(`[dashboard] cannot prefetch the first charts: ${(e as Error).message}`);
        return undefined;
      },
    );
    return { listed, metrics, overview: { params: overviewFor, result } };
  }

  /** The dashboard's runs from the runtime; false when it could not list them. */
  private async loadRuns(): Promise<boolean> {
    let list: RunListItem[] = [];
    let listed = false;
    try {
      list = await this.runtime.request(RunsListRequest.type, {});
      listed = true;
    } catch (e) {
      this.runtime.output.appendLine(`[dashboard] cannot list runs: ${(e as Error).message}`);
    }
    const byId = new Map(list.map((r) => [r.id, r]));
    this.runs = this.runIds
      .map((id) => byId.get(id))
      .filter((r): r is RunListItem => !!r)
      .map((r) => ({ id: r.id, name: r.name, project: r.project, status: r.status, reason: r.reason, created_at: r.created_at, ended_at: r.ended_at }));
    this.updateTitle();
    return listed;
  }

  private updateTitle(): void {
    const n = this.runs.length || this.runIds.length;
    this.panel.title = this.runs.length === 1 ? `Dashboard: ${this.runs[0].name}` : `Dashboard: ${n} runs`;
  }

  private async pushRuns(): Promise<void> {
    await this.loadRuns();
    this.post({ type: 'runs', runs: this.runs });
  }

  private async pushAlerts(): Promise<void> {
    try {
      const lists = await Promise.all(this.runIds.map((run) => this.runtime.request(AlertsListRequest.type, { run, limit: 200 })));
      this.post({
        type: 'alerts',
        alerts: lists.flat().map(({ id, run_id, level, reason, metric, step, title, text, acknowledged, created_at }) => ({ id, run_id, level, reason, metric, step, title, text, acknowledged, created_at })),
      });
    } catch (e) {
      this.runtime.output.appendLine(`[dashboard] cannot list alerts: ${(e as Error).message}`);
    }
  }

  private scheduleRuns(): void {
    this.debounce('runs', 500, () => this.pushRuns());
  }

  scheduleAlerts(): void {
    this.debounce('alerts', 300, () => this.pushAlerts());
  }

  private onAppended(appended: AppendedMetric[]): void {
    const mine = appended.filter((a) => this.runIds.includes(a.runId));
    if (!mine.length) return;
    if (this.early) return this.early.add(mine);
    if (this.ready) this.post({ type: 'appended', appended: mine });
  }

  /** The live points held while the page opened (EarlyPoints). */
  private postEarly(): void {
    const mine = this.early?.take(this.runIds) ?? [];
    this.early = undefined;
    if (mine.length) this.post({ type: 'appended', appended: mine });
  }

  /** Tells the page the last step of every metric, so it fetches whatever it missed. */
  private async catchUp(): Promise<void> {
    await this.pushRuns();
    const appended: AppendedMetric[] = [];
    for (const id of this.runIds) {
      try {
        const r = await this.runtime.request(RunShowRequest.type, { run: id });
        for (const [metric, s] of Object.entries(r.summary)) appended.push({ runId: id, metric, lastStep: s.last_step });
      } catch {
        /* deleted meanwhile */
      }
    }
    if (appended.length) this.post({ type: 'appended', appended });
    await this.pushAlerts();
  }

  // ------------------------------------------------------------ exports

  private defaultUri(name: string): vscode.Uri | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    return folder ? vscode.Uri.joinPath(folder, name) : undefined;
  }

  private baseName(metric: string): string {
    const who = this.runs.length === 1 ? this.runs[0].name : `${this.runs.length}-runs`;
    return `${who}-${metric}`.replace(/[^\w.-]+/g, '_');
  }

  private async exportPng(metric: string, dataUrl: string): Promise<void> {
    const m = /^data:image\/png;base64,(.*)$/.exec(dataUrl);
    if (!m) {
      this.post({ type: 'exported', what: 'png', error: 'the chart gave no image' });
      return;
    }
    const uri = await vscode.window.showSaveDialog({ defaultUri: this.defaultUri(`${this.baseName(metric)}.png`), filters: { 'PNG image': ['png'] }, title: `Export ${metric} as PNG` });
    if (!uri) return;
    try {
      await vscode.workspace.fs.writeFile(uri, Buffer.from(m[1], 'base64'));
      this.post({ type: 'exported', what: 'png', path: uri.fsPath });
    } catch (e) {
      this.post({ type: 'exported', what: 'png', error: (e as Error).message });
    }
  }

  private async exportCsv(metric: string, from?: number, to?: number): Promise<void> {
    const uri = await vscode.window.showSaveDialog({ defaultUri: this.defaultUri(`${this.baseName(metric)}.csv`), filters: { CSV: ['csv'] }, title: `Export ${metric} as CSV` });
    if (!uri) return;
    try {
      const text = await this.csv(metric, from, to);
      await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
      this.post({ type: 'exported', what: 'csv', path: uri.fsPath });
    } catch (e) {
      this.post({ type: 'exported', what: 'csv', error: (e as Error).message });
    }
  }

  /** The metric's series of every run at full resolution (within the zoomed step range if any). */
  async csv(metric: string, from?: number, to?: number): Promise<string> {
    const res = await this.runtime.request(RunHistoryRequest.type, { runIds: this.runIds, metrics: [metric], from, to, maxPoints: EXPORT_MAX_POINTS });
    const names = new Map(this.runs.map((r) => [r.id, r.name]));
    const lines = ['run_id,run_name,metric,step,value,wall_time'];
    for (const s of res.series) {
      const name = csvField(names.get(s.run_id) ?? s.run_id);
      let k = 0;
      for (let i = 0; i < s.steps.length; i++) {
        const step = s.steps[i];
        let v: string;
        if (s.values[i] !== null) v = String(s.values[i]);
        else {
          while (k < s.non_finite.length && s.non_finite[k].to < step) k++;
          const r = s.non_finite[k];
          v = r && r.from <= step ? (r.kind === 'inf' ? 'Infinity' : r.kind === 'nan' ? 'NaN' : 'NaN_or_Infinity') : 'NaN';
        }
        lines.push(`${s.run_id},${name},${csvField(metric)},${step},${v},${s.wall[i]}`);
      }
      if (s.downsampled) lines.push(`# ${s.run_id}: more than ${EXPORT_MAX_POINTS} points; use \`tunestudio export ${s.run_id}\` for all of them`);
    }
    return lines.join('\n') + '\n';
  }

  protected override onDispose(): void {
    DashboardPanel.open.delete(this);
    void this.subscribe();
  }
}

/** What the host fetched for the page's init: the overview is a promise (the init goes out before it is read). */
interface Prefetched {
  listed: boolean;
  metrics?: string[];
  overview?: { params: { metrics: string[]; maxPoints: number }; result: Promise<DashboardOverview | undefined> };
}

function dashboardOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  // Kept alive while hidden: live points keep arriving and the charts need not be fetched again on every tab switch.
  return { ...webviewOptions(extensionUri), retainContextWhenHidden: true };
}

