// The Datasets view: dataset folders of the workspace, each with its samples.
// A sample's icon sums up its prompt / lyrics / caption state (details in the
// description and tooltip); duration in the description. Refreshed by the
// runtime's change notifications, caption progress and a file watcher on
// dataset files; never polled.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  AUDIO_EXTENSIONS,
  CaptionProgressNotification,
  ListDatasetsRequest,
  MANIFEST_FILE,
  ListSamplesRequest,
  ValidateDatasetRequest,
  type DatasetSummary,
  type SampleSummary,
} from '../../protocol/datasets';
import type { Runtime } from '../runtime';
import { RuntimeTree } from './runtimeTree';

export type DatasetNode = { kind: 'dataset'; dataset: DatasetSummary };
export type SampleNode = { kind: 'sample'; dataset: DatasetSummary; sample: SampleSummary };
export type DatasetsTreeNode = DatasetNode | SampleNode;

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–:––';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const MARK = { ok: '✓', missing: '✗', empty: '○' } as const;

export class DatasetsTree extends RuntimeTree<DatasetsTreeNode> {
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(runtime: Runtime) {
    super(runtime, ['datasets']);
    // Caption progress moves the "n/m" of a dataset: refresh at most a few times a second.
    runtime.onNotification(CaptionProgressNotification.type, () => this.refreshSoon());
    // Folders copied in, audio dropped into a dataset, prompts edited in the editor or by a
    // script: the view follows the files (the runtime rescans on each request).
    // Extensions in any case (".MP3" too): a glob is case-sensitive on Linux.
    const anyCase = (e: string) => `*${[...e].map((ch) => (/[a-z]/i.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : ch)).join('')}`;
    const watcher = vscode.workspace.createFileSystemWatcher(`**/{${MANIFEST_FILE},*_prompt.txt,*_lyrics.txt,${AUDIO_EXTENSIONS.map(anyCase).join(',')}}`);
    const changed = (uri: vscode.Uri) => {
      this.refreshSoon();
      this.revalidateSoon(uri);
    };
    this.disposables.push(watcher, watcher.onDidCreate(changed), watcher.onDidChange(changed), watcher.onDidDelete(changed));
  }

  /** The datasets as last listed (the watcher maps a changed file to its dataset with them). */
  private known: DatasetSummary[] = [];
  private readonly revalidateTimers = new Map<string, NodeJS.Timeout>();
  /** Re-validations run because files changed (tests read it). */
  readonly revalidations: string[] = [];

  /**
   * A file of a validated dataset changed on disk: validate that dataset again, so its row's error
   * count and its Problems entries follow the files (a deleted file's entries go). Datasets never
   * validated have nothing to go stale. Bursts (a folder copied in) become one validation.
   */
  private revalidateSoon(uri: vscode.Uri): void {
    const file = uri.fsPath;
    const d = this.known.filter((k) => file === k.dir || file.startsWith(k.dir.endsWith(path.sep) ? k.dir : k.dir + path.sep)).sort((a, b) => b.dir.length - a.dir.length)[0];
    if (!d?.problems) return;
    clearTimeout(this.revalidateTimers.get(d.dir));
    this.revalidateTimers.set(
      d.dir,
      setTimeout(() => {
        this.revalidateTimers.delete(d.dir);
        this.revalidations.push(d.dir);
        void this.runtime.request(ValidateDatasetRequest.type, { dir: d.dir }).then(
          () => this.refresh(),
          () => undefined, // the dataset may be gone; the next listing shows why
        );
      }, 300),
    );
  }

  private refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh();
    }, 250);
  }

  protected async load(element?: DatasetsTreeNode): Promise<DatasetsTreeNode[]> {
    if (!element) {
      const datasets = await this.runtime.request(ListDatasetsRequest.type, undefined);
      this.known = datasets;
      return datasets.map((dataset) => ({ kind: 'dataset', dataset }));
    }
    if (element.kind === 'dataset') {
      const samples = await this.runtime.request(ListSamplesRequest.type, { dir: element.dataset.dir });
      return samples.map((sample) => ({ kind: 'sample', dataset: element.dataset, sample }));
    }
    return [];
  }

  getTreeItem(node: DatasetsTreeNode): vscode.TreeItem {
    return node.kind === 'dataset' ? this.datasetItem(node.dataset) : this.sampleItem(node);
  }

  getParent(node: DatasetsTreeNode): DatasetsTreeNode | undefined {
    return node.kind === 'sample' ? { kind: 'dataset', dataset: node.dataset } : undefined;
  }

  private datasetItem(d: DatasetSummary): vscode.TreeItem {
    const item = new vscode.TreeItem(d.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `dataset:${d.dir}`;
    item.resourceUri = vscode.Uri.file(d.dir);
    const parts = [`${d.sampleCount} sample${d.sampleCount === 1 ? '' : 's'}`];
    if (d.totalDuration !== null) parts.push(formatDuration(d.totalDuration));
    if (d.captioning) parts.push(d.captioning.state === 'queued' ? 'caption queued' : `captioning ${d.captioning.done}/${d.captioning.total}`);
    if (d.problems?.errors) parts.push(`${d.problems.errors} error${d.problems.errors === 1 ? '' : 's'}`);
    item.description = parts.join(' · ');
    item.iconPath = d.captioning
      ? new vscode.ThemeIcon('sync~spin')
      : d.manifestError || d.problems?.errors
        ? new vscode.ThemeIcon('database', new vscode.ThemeColor('problemsErrorIcon.foreground'))
        : d.problems && !d.problems.errors
          ? new vscode.ThemeIcon('database', new vscode.ThemeColor('testing.iconPassed'))
          : new vscode.ThemeIcon('database');
    item.contextValue = d.captioning ? 'dataset.captioning' : 'dataset';
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${escapeMd(d.name)}**\n\n`);
    md.appendMarkdown(`${escapeMd(d.dir)}\n\n`);
    md.appendMarkdown(`Trigger word: ${d.triggerWord ? `\`${escapeMd(d.triggerWord)}\`` : '_none_'}\n\n`);
    if (d.problems) md.appendMarkdown(`Last validation: ${plural(d.problems.errors, 'error')}, ${plural(d.problems.warnings, 'warning')} (kept up to date as files change)\n\n`);
    else md.appendMarkdown('Not validated yet (run **Validate**).\n\n');
    if (d.manifestError) md.appendMarkdown(`$(error) ${escapeMd(d.manifestError)}`);
    item.tooltip = md;
    return item;
  }

  private sampleItem(n: SampleNode): vscode.TreeItem {
    const s = n.sample;
    const item = new vscode.TreeItem(s.stem, vscode.TreeItemCollapsibleState.None);
    item.id = `sample:${s.audio}`;
    item.resourceUri = vscode.Uri.file(s.audio);
    item.description = `${formatDuration(s.duration)}  prompt ${MARK[s.promptState]}  lyrics ${MARK[s.lyricsState]}${s.captionState === 'captioned' ? '  ✦' : s.captionState === 'edited' ? '  ✎' : ''}`;
    const incomplete = s.promptState !== 'ok' || s.lyricsState !== 'ok';
    // A missing or empty prompt or lyrics file is an error for validation, so the icon says error.
    item.iconPath = incomplete
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'))
      : s.captionState === 'captioned'
        ? new vscode.ThemeIcon('sparkle', new vscode.ThemeColor('testing.iconPassed'))
        : s.captionState === 'edited'
          ? new vscode.ThemeIcon('edit', new vscode.ThemeColor('testing.iconPassed'))
          : new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    item.contextValue = 'sample';
    const word = { ok: 'present', missing: 'missing', empty: 'empty' } as const;
    const caption = { none: 'not captioned by Tune Studio', captioned: 'captioned (unchanged since)', edited: 'captioned, then edited' } as const;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${escapeMd(s.stem)}** — ${formatDuration(s.duration)}, ${(s.size / 1e6).toFixed(1)} MB\n\n`);
    md.appendMarkdown(`- Prompt: ${word[s.promptState]}\n- Lyrics: ${word[s.lyricsState]}\n- Caption: ${caption[s.captionState]}\n`);
    item.tooltip = md;
    item.command = { command: 'tuneStudio.editPrompt', title: 'Edit Prompt', arguments: [n] };
    return item;
  }

  override dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const t of this.revalidateTimers.values()) clearTimeout(t);
    super.dispose();
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
