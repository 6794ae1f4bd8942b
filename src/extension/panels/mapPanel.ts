// Host of the Embedding Map panel: one panel per dataset folder or run. It
// lists the source's embedding spaces, asks the runtime for a layout when the
// page does (one at a time: a newer request cancels the older one in the
// runtime), forwards that layout's progress, turns clip paths inside the
// dataset folder into webview URIs (the page may load nothing else:
// localResourceRoots are the bundle folder and the dataset folder), and
// saves the PNG the page exports.
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { ProjectionCancelRequest, ProjectionLayoutRequest, ProjectionProgressNotification, ProjectionSpacesRequest } from '../../protocol/projection';
import { MapLayoutRequest, type MapLayout, type MapToHost, type MapToWebview } from '../../protocol/webview';
import type { Runtime } from '../runtime';
import { WebviewPanelHost } from './host/webviewPanelHost';
import { renderPage, webviewOptions } from './webviewHtml';

export const MAP_VIEW_TYPE = 'tuneStudio.embeddingMap';

export type MapSource = { datasetDir: string; runId?: undefined; runName?: undefined } | { runId: string; datasetDir?: undefined; /** Shown in the title. */ runName?: string };

/** True when `file` is `root` itself or inside it (both absolute). */
export function isInside(root: string, file: string): boolean {
  const r = path.resolve(root);
  const f = path.resolve(file);
  return f === r || f.startsWith(r.endsWith(path.sep) ? r : r + path.sep);
}

/** The map's source from a command argument: a dataset or run tree node, `{datasetDir}`/`{runId}`, or a folder Uri. */
export function mapSourceFrom(arg: unknown): MapSource | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  const a = arg as { kind?: string; dataset?: { dir?: string }; run?: { id?: string; name?: string }; datasetDir?: unknown; runId?: unknown; fsPath?: unknown; scheme?: unknown };
  if (typeof a.datasetDir === 'string') return { datasetDir: a.datasetDir };
  if (typeof a.runId === 'string') return { runId: a.runId };
  if ((a.kind === 'dataset' || a.kind === 'sample') && typeof a.dataset?.dir === 'string') return { datasetDir: a.dataset.dir };
  if (a.kind === 'run' && typeof a.run?.id === 'string') return { runId: a.run.id, ...(typeof a.run.name === 'string' && a.run.name ? { runName: a.run.name } : {}) };
  if (a.scheme === 'file' && typeof a.fsPath === 'string') return { datasetDir: a.fsPath };
  return undefined;
}

export class MapPanel extends WebviewPanelHost<MapToHost, MapToWebview> {
  private static readonly open = new Map<string, MapPanel>();
  /** The runtime request of the layout being computed for this panel (progress is forwarded for it only). */
  private requestId: string | undefined;

  static show(context: vscode.ExtensionContext, runtime: Runtime, source: MapSource): MapPanel {
    const key = source.datasetDir ? `dataset:${path.resolve(source.datasetDir)}` : `run:${source.runId}`;
    const existing = MapPanel.open.get(key);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const roots = source.datasetDir ? [vscode.Uri.file(path.resolve(source.datasetDir))] : [];
    const title = source.datasetDir ? `Embedding Map: ${path.basename(source.datasetDir)}` : `Embedding Map: ${source.runName ? `run ${source.runName} (${source.runId})` : `run ${source.runId}`}`;
    const panel = vscode.window.createWebviewPanel(MAP_VIEW_TYPE, title, vscode.ViewColumn.Active, webviewOptions(context.extensionUri, roots));
    const p = new MapPanel(panel, context, runtime, source, key, title);
    MapPanel.open.set(key, p);
    return p;
  }

  /** The open panels (tests read them). */
  static get all(): MapPanel[] {
    return [...MapPanel.open.values()];
  }

  private constructor(
    panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    private readonly runtime: Runtime,
    readonly source: MapSource,
    private readonly key: string,
    private readonly title: string,
  ) {
    super(panel, context);
    panel.webview.html = renderPage(panel.webview, context.extensionUri, 'map', title);
    this.disposables.push(
      runtime.onNotification(ProjectionProgressNotification.type, (p) => {
        if (p.requestId === this.requestId) void this.post({ type: 'progress', stage: p.stage, done: p.done });
      }),
    );
  }

  protected async onMessage(m: MapToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        await this.init();
        break;
      case 'request':
        if (m.method === MapLayoutRequest.method) await this.answer(MapLayoutRequest, m, (p) => this.layout(p.space, p.step));
        else this.refuse(m);
        break;
      case 'cancel':
        if (this.requestId) await this.runtime.request(ProjectionCancelRequest.type, { requestId: this.requestId }).catch(() => undefined);
        break;
      case 'exportPng':
        await this.exportPng(m.dataUrl);
        break;
      case 'log':
        if (m.level === 'error') console.error(`[embedding map] ${m.message}`);
        break;
    }
  }

  private async init(): Promise<void> {
    try {
      const spaces = await this.runtime.request(ProjectionSpacesRequest.type, this.source.datasetDir ? { datasetDir: path.resolve(this.source.datasetDir) } : { runId: this.source.runId });
      const error = spaces.length
        ? undefined
        : this.source.datasetDir
          ? `No embeddings are cached for ${this.source.datasetDir}: caption the dataset ("Tune Studio: Caption All") to compute its CLAP audio embeddings, then reopen the map.`
          : `Run ${this.source.runId} has sent no embedding snapshots: log them with the protocol "embedding" message (or log_embeddings() in Python), then reopen the map.`;
      await this.post({ type: 'init', title: this.title, spaces, error });
    } catch (e) {
      await this.post({ type: 'init', title: this.title, spaces: [], error: `Could not list the embedding spaces: ${(e as Error).message}` });
    }
  }

  private async layout(space: string, step: number | undefined): Promise<MapLayout> {
    const requestId = `map-${randomBytes(6).toString('hex')}`;
    this.requestId = requestId;
    try {
      const r = await this.runtime.request(ProjectionLayoutRequest.type, { requestId, space, ...(step !== undefined ? { step } : {}) });
      const root = this.source.datasetDir ? path.resolve(this.source.datasetDir) : undefined;
      const files = (r.files ?? r.ids.map(() => null)).map((f) => (f && root && isInside(root, f) ? f : null));
      return {
        space,
        step,
        ids: r.ids,
        labels: r.labels,
        layout: r.layout,
        audio: files.map((f) => (f ? this.panel.webview.asWebviewUri(vscode.Uri.file(f)).toString() : null)),
        files: files.map((f) => (f && root ? path.relative(root, f) : null)),
        info: r.info,
        cached: r.cached,
      };
    } finally {
      if (this.requestId === requestId) this.requestId = undefined;
    }
  }

  private async exportPng(dataUrl: string): Promise<void> {
    const m = /^data:image\/png;base64,(.+)$/.exec(dataUrl);
    if (!m) {
      await this.post({ type: 'exported', error: 'The map did not produce a PNG image; try the export again.' });
      return;
    }
    const base = this.source.datasetDir ? path.basename(this.source.datasetDir) : `run-${this.source.runId}`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: 'Save the embedding map as PNG',
      defaultUri: folder ? vscode.Uri.joinPath(folder, `${base}-map.png`) : undefined,
      filters: { 'PNG image': ['png'] },
    });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(target, Buffer.from(m[1], 'base64'));
      await this.post({ type: 'exported', path: target.fsPath });
    } catch (e) {
      await this.post({ type: 'exported', error: `Could not write ${target.fsPath}: ${(e as Error).message}` });
    }
  }

  protected override onDispose(): void {
    if (this.requestId) void this.runtime.request(ProjectionCancelRequest.type, { requestId: this.requestId }).catch(() => undefined);
    if (MapPanel.open.get(this.key) === this) MapPanel.open.delete(this.key);
  }
}

/** "Tune Studio: Open Embedding Map": from a dataset or run node, `{datasetDir}` / `{runId}`, or (no argument) a picked dataset folder. */
export function registerMapCommand(context: vscode.ExtensionContext, runtime: Runtime): vscode.Disposable {
  return vscode.commands.registerCommand('tuneStudio.openEmbeddingMap', async (arg?: unknown) => {
    let source = mapSourceFrom(arg);
    if (!source) {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, title: 'Tune Studio: Open Embedding Map — pick a dataset folder' });
      if (!picked?.[0]) return undefined;
      source = { datasetDir: picked[0].fsPath };
    }
    return MapPanel.show(context, runtime, source);
  });
}
