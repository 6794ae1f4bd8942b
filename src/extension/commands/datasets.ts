// Dataset commands: New Dataset, Add Audio Files, Validate, Caption All /
// Caption Selected (a job: progress notification and Jobs view, cancellable), Edit Prompt / Edit
// Lyrics, Play (a small webview with an <audio> element), Export, Reveal.
// Each turns a gesture into a runtime request; the runtime does the work.
import * as vscode from 'vscode';
import * as path from 'node:path';
import {
  AUDIO_EXTENSIONS,
  CaptionJobRequest,
  CreateDatasetRequest,
  ExportDatasetRequest,
  ImportAudioRequest,
  ListDatasetsRequest,
  ListSamplesRequest,
  SampleInfoRequest,
  ValidateDatasetRequest,
  type DatasetSummary,
  type SampleSummary,
} from '../../protocol/datasets';
import { JobCancelRequest, JobGetRequest, type Job } from '../../protocol/jobs';
import { PlayerPanel } from '../panels/player/playerPanel';
import type { DatasetNode, DatasetsTreeNode, SampleNode } from '../views/datasetsTree';
import type { Ctx } from '../ctx';


function errorMessage(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

/** Runs a command body; a failure becomes an error notification instead of a silent rejection. */
function guarded<A extends unknown[]>(fn: (...args: A) => Promise<unknown>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      void vscode.window.showErrorMessage(`Tune Studio: ${errorMessage(e)}`);
    }
  };
}

export function register(ctx: Ctx): void {
  const { context, runtime } = ctx;
  const tree = ctx.datasetsTree;
  /** The dataset a command acts on: the clicked node's, else one picked from the list. */
  async function datasetOf(node?: DatasetsTreeNode): Promise<DatasetSummary | undefined> {
    if (node) return node.dataset;
    const all = await runtime.request(ListDatasetsRequest.type, undefined);
    if (all.length === 0) {
      const pick = await vscode.window.showInformationMessage('No datasets in this workspace yet.', 'New Dataset');
      if (pick) await vscode.commands.executeCommand('tuneStudio.newDataset');
      return undefined;
    }
    if (all.length === 1) return all[0];
    const pick = await vscode.window.showQuickPick(
      all.map((d) => ({ label: d.name, description: vscode.workspace.asRelativePath(d.dir), d })),
      { placeHolder: 'Dataset' },
    );
    return pick?.d;
  }

  function samplesOf(node: DatasetsTreeNode | undefined, selection: readonly DatasetsTreeNode[] | undefined): SampleNode[] {
    const chosen = selection && selection.length ? selection : node ? [node] : (tree.view?.selection ?? []);
    return chosen.filter((n): n is SampleNode => n.kind === 'sample');
  }

  async function caption(dataset: DatasetSummary, stems: string[] | undefined, samples: SampleSummary[]): Promise<void> {
    let overwrite = false;
    if (samples.some((s) => s.promptState === 'ok')) {
      const pick = await vscode.window.showQuickPick(
        [
          { label: 'Keep my tags', description: 'add the captioner tags after the tags you wrote (default)', overwrite: false },
          { label: 'Replace all tags', description: 'the prompt becomes the trigger word and the captioner tags', overwrite: true },
        ],
        { placeHolder: `Some prompts in '${dataset.name}' already have tags` },
      );
      if (!pick) return;
      overwrite = pick.overwrite;
    }
    // Captioning runs as a job: its own process (the runtime stays responsive), in the Jobs view, cancellable there too.
    const job = await runtime.request(CaptionJobRequest.type, { dir: dataset.dir, stems, overwrite });
    const final = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Captioning '${dataset.name}'`, cancellable: true },
      (progress, token) =>
        new Promise<Job>((resolve) => {
          let reported = 0;
          const update = async () => {
            let j: Job;
            try {
              j = await runtime.request(JobGetRequest.type, { id: job.id });
            } catch {
              return;
            }
            if (j.progress?.total) {
              const pct = (100 * j.progress.current) / j.progress.total;
              progress.report({ increment: pct - reported, message: `${j.progress.current}/${j.progress.total} ${j.status_text ?? ''}` });
              reported = pct;
            } else progress.report({ message: j.state === 'queued' ? `queued${j.queue_position ? ` (#${j.queue_position})` : ''}` : j.status_text ?? j.state });
            if (['completed', 'failed', 'cancelled', 'stopped'].includes(j.state)) {
              sub.dispose();
              cancel.dispose();
              resolve(j);
            }
          };
          const sub = runtime.onDidChangeData((d) => d.kinds.includes('jobs') && void update());
          const cancel = token.onCancellationRequested(() => void runtime.request(JobCancelRequest.type, { id: job.id, reason: 'cancelled from the progress notification' }));
          void update();
        }),
    );
    tree.refresh();
    const actions = ['Show Log'];
    const show = (a?: string) => a === 'Show Log' && vscode.commands.executeCommand('vscode.open', vscode.Uri.file(final.log_path));
    if (final.state === 'completed') void vscode.window.showInformationMessage(`Captioning '${dataset.name}': ${final.status_text ?? 'done'}.`);
    else if (final.state === 'cancelled') void vscode.window.showInformationMessage(`Captioning '${dataset.name}' cancelled: ${final.status_text ?? 'samples done so far keep their tags'}.`, ...actions).then(show);
    else {
      // The job's last line repeats what failed ("tunestudio: captioning failed: …"); say it once.
      const why = captionFailure(final.error_summary, final.reason);
      const a = await vscode.window.showErrorMessage(`Captioning '${dataset.name}' ${final.state}: ${why}`, 'Open Settings', ...actions);
      if (a === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'tuneStudio.captioning');
      else void show(a);
    }
  }

  async function openText(file: string): Promise<void> {
    const uri = vscode.Uri.file(file);
    let exists = true;
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      exists = false;
    }
    // A missing file opens as an untitled editor at its path: saving creates it.
    const doc = await vscode.workspace.openTextDocument(exists ? uri : uri.with({ scheme: 'untitled' }));
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  async function reveal(target: string): Promise<void> {
    const uri = vscode.Uri.file(target);
    const local = vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName;
    if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
    else if (local) await vscode.commands.executeCommand('revealFileInOS', uri);
    else void vscode.window.showInformationMessage(target);
  }

  async function play(node: SampleNode): Promise<void> {
    const info = await runtime.request(SampleInfoRequest.type, { dir: node.dataset.dir, stem: node.sample.stem });
    PlayerPanel.show(context.extensionUri, node.dataset.dir, node.dataset.name, info);
  }

  // Re-validate a dataset when one of its text files is saved, so the Problems panel follows the edit.
  const pending = new Map<string, NodeJS.Timeout>();
  context.subscriptions.push(
    vscode.workspace.onDidSaveTextDocument((doc) => {
      const name = path.basename(doc.uri.fsPath);
      if (doc.uri.scheme !== 'file' || !/(_prompt|_lyrics)\.txt$/.test(name)) return;
      const dir = path.dirname(doc.uri.fsPath);
      clearTimeout(pending.get(dir));
      pending.set(
        dir,
        setTimeout(() => {
          pending.delete(dir);
          runtime.request(ValidateDatasetRequest.type, { dir }).then(
            () => tree.refresh(),
            () => undefined, // not a dataset folder
          );
        }, 300),
      );
    }),
    { dispose: () => pending.forEach((t) => clearTimeout(t)) },
  );

  const reg = (id: string, fn: (...args: never[]) => Promise<unknown>) => context.subscriptions.push(vscode.commands.registerCommand(id, guarded(fn)));

  reg('tuneStudio.newDataset', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) throw new Error('Open a folder first: datasets live in the workspace.');
    const parent =
      folders.length === 1
        ? folders[0].uri
        : (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Workspace folder to create the dataset in' }))?.uri;
    if (!parent) return;
    const name = await vscode.window.showInputBox({
      title: 'New Dataset (1/2)',
      prompt: 'Dataset name (the folder name is made from it)',
      // A click elsewhere (the walkthrough, a file) must not throw the name away.
      ignoreFocusOut: true,
      validateInput: (v) => (!v.trim() ? 'Enter a name.' : /[\\/\0]/.test(v) ? 'A name, not a path: no / or \\.' : undefined),
    });
    if (!name) return;
    const triggerWord = await vscode.window.showInputBox({
      title: 'New Dataset (2/2)',
      ignoreFocusOut: true,
      prompt: 'Trigger word: put first in every prompt so the LoRA learns to answer to it (optional)',
      validateInput: (v) => (/[,\n]/.test(v) ? 'No commas: prompts are comma-separated tags.' : undefined),
    });
    if (triggerWord === undefined) return;
    const d = await runtime.request(CreateDatasetRequest.type, { parent: parent.fsPath, name, triggerWord });
    tree.refresh();
    const pick = await vscode.window.showInformationMessage(`Dataset '${d.name}' created in ${vscode.workspace.asRelativePath(d.dir)}.`, 'Add Audio Files');
    if (pick) await vscode.commands.executeCommand('tuneStudio.addAudioFiles', { kind: 'dataset', dataset: d } satisfies DatasetNode);
  });

  reg('tuneStudio.addAudioFiles', async (node?: DatasetsTreeNode) => {
    const d = await datasetOf(node);
    if (!d) return;
    // Many files and folders per dialog; a folder brings in the audio files under it. Filters list
    // both cases: some dialogs match extensions case-sensitively (".MP3").
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: true,
      canSelectFiles: true,
      canSelectFolders: true,
      openLabel: `Copy into '${d.name}'`,
      title: `Add audio files or folders to '${d.name}'`,
      filters: { 'Audio (mp3, wav, flac, ogg)': AUDIO_EXTENSIONS.flatMap((e) => [e.slice(1), e.slice(1).toUpperCase()]) },
    });
    if (!picked?.length) return;
    const files = await audioFilesIn(picked, d.dir);
    if (!files.length) throw new Error(`No audio files (${AUDIO_EXTENSIONS.join(', ')}) in ${picked.map((f) => `'${path.basename(f.fsPath)}'`).join(', ')}; nothing was copied into '${d.name}'.`);
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Adding ${plural(files.length, 'file')} to '${d.name}'` }, () =>
      runtime.request(ImportAudioRequest.type, { dir: d.dir, files: files.map((f) => ({ source: f })) }),
    );
    tree.refresh();
    const dup = r.duplicates.length ? `; ${r.duplicates.length} skipped as duplicates (${r.duplicates.map((x) => path.basename(x.source)).join(', ')})` : '';
    void vscode.window.showInformationMessage(`Copied ${plural(r.imported.length, 'audio file')} into '${d.name}'${dup}.`);
  });

  reg('tuneStudio.validateDataset', async (node?: DatasetsTreeNode) => {
    const d = await datasetOf(node);
    if (!d) return;
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Validating '${d.name}'` }, () =>
      runtime.request(ValidateDatasetRequest.type, { dir: d.dir }),
    );
    tree.refresh();
    if (r.ok) void vscode.window.showInformationMessage(`Dataset '${r.name}' is valid: ${plural(r.samples, 'sample')}${r.warnings ? `, ${plural(r.warnings, 'warning')}` : ''}.`);
    // The command ends with the validation; the message stays until the user acts on it.
    else
      void vscode.window
        .showErrorMessage(`Dataset '${r.name}': ${plural(r.errors, 'error')}, ${plural(r.warnings, 'warning')}.`, 'Show Problems')
        .then((a) => a && vscode.commands.executeCommand('workbench.actions.view.problems'));
  });

  reg('tuneStudio.captionAll', async (node?: DatasetsTreeNode) => {
    const d = await datasetOf(node);
    if (!d) return;
    const samples = await runtime.request(ListSamplesRequest.type, { dir: d.dir });
    if (samples.length === 0) throw new Error(`Dataset '${d.name}' has no samples to caption. Add audio files first.`);
    await caption(d, undefined, samples);
  });

  reg('tuneStudio.captionSelected', async (node?: DatasetsTreeNode, selection?: readonly DatasetsTreeNode[]) => {
    const chosen = samplesOf(node, selection);
    if (chosen.length === 0) throw new Error('Select one or more samples in the Datasets view first.');
    const byDataset = new Map<string, SampleNode[]>();
    for (const s of chosen) byDataset.set(s.dataset.dir, [...(byDataset.get(s.dataset.dir) ?? []), s]);
    for (const group of byDataset.values()) {
      await caption(
        group[0].dataset,
        group.map((g) => g.sample.stem),
        group.map((g) => g.sample),
      );
    }
  });

  reg('tuneStudio.editPrompt', async (node?: DatasetsTreeNode) => {
    const s = samplesOf(node, undefined)[0];
    if (!s) throw new Error('Select a sample in the Datasets view first.');
    await openText(s.sample.prompt);
  });

  reg('tuneStudio.editLyrics', async (node?: DatasetsTreeNode) => {
    const s = samplesOf(node, undefined)[0];
    if (!s) throw new Error('Select a sample in the Datasets view first.');
    await openText(s.sample.lyrics);
  });

  reg('tuneStudio.playSample', async (node?: DatasetsTreeNode) => {
    const s = samplesOf(node, undefined)[0];
    if (!s) throw new Error('Select a sample in the Datasets view first.');
    await play(s);
  });

  reg('tuneStudio.exportDataset', async (node?: DatasetsTreeNode) => {
    const d = await datasetOf(node);
    if (!d) return;
    // Validate before asking format and path: an export of a dataset with errors would be refused anyway.
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Validating '${d.name}'` }, () =>
      runtime.request(ValidateDatasetRequest.type, { dir: d.dir }),
    );
    tree.refresh();
    if (!report.ok) {
      const a = await vscode.window.showErrorMessage(
        `Dataset '${d.name}' cannot be exported: it has ${plural(report.errors, 'error')}. Fix them (listed in the Problems panel), then export again.`,
        'Show Problems',
      );
      if (a) await vscode.commands.executeCommand('workbench.actions.view.problems');
      return;
    }
    const kind = await vscode.window.showQuickPick(
      [
        { label: 'Parquet file', description: 'for Hugging Face datasets: audio {bytes, path}, prompt, lyrics', format: 'parquet' as const },
        { label: 'ACE-Step folder', description: 'mp3 + _prompt.txt + _lyrics.txt (other formats converted to mp3)', format: 'folder' as const },
      ],
      { placeHolder: `Export '${d.name}' as` },
    );
    if (!kind) return;
    const parent = vscode.Uri.file(path.dirname(d.dir));
    const target = await vscode.window.showSaveDialog({
      title: kind.format === 'parquet' ? 'Parquet file to write' : 'New folder for the ACE-Step layout',
      defaultUri: vscode.Uri.joinPath(parent, kind.format === 'parquet' ? `${path.basename(d.dir)}.parquet` : `${path.basename(d.dir)}-acestep`),
      filters: kind.format === 'parquet' ? { Parquet: ['parquet'] } : undefined,
      saveLabel: 'Export',
    });
    if (!target) return;
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting '${d.name}'` }, () =>
      runtime.request(ExportDatasetRequest.type, { dir: d.dir, format: kind.format, out: target.fsPath }),
    );
    const a = await vscode.window.showInformationMessage(
      `Exported ${plural(r.samples, 'sample')} of '${d.name}' to ${path.basename(r.out)} (${(r.bytes / 1e6).toFixed(1)} MB${r.transcoded ? `, ${r.transcoded} converted to mp3` : ''}).`,
      'Reveal',
    );
    if (a) await reveal(r.out);
  });

  reg('tuneStudio.revealDataset', async (node?: DatasetsTreeNode) => {
    if (node?.kind === 'sample') return reveal(node.sample.audio);
    const d = await datasetOf(node);
    if (d) await reveal(d.dir);
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The picked audio files, and the audio files under picked folders (any case of extension; hidden entries and the dataset itself skipped). */
export async function audioFilesIn(picked: readonly vscode.Uri[], datasetDir: string): Promise<string[]> {
  const isAudio = (name: string) => (AUDIO_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase());
  const out: string[] = [];
  const walk = async (uri: vscode.Uri, depth: number): Promise<void> => {
    if (path.resolve(uri.fsPath) === path.resolve(datasetDir)) return;
    for (const [name, type] of (await vscode.workspace.fs.readDirectory(uri)).sort(([a], [b]) => a.localeCompare(b))) {
      if (name.startsWith('.')) continue;
      const child = vscode.Uri.joinPath(uri, name);
      if (type & vscode.FileType.Directory) {
        if (depth < 8) await walk(child, depth + 1);
      } else if (isAudio(name)) out.push(child.fsPath);
    }
  };
  for (const uri of picked) {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.type & vscode.FileType.Directory) await walk(uri, 0);
    else out.push(uri.fsPath);
  }
  return [...new Set(out)];
}

/** What a failed caption job's output says went wrong, without the CLI's "tunestudio: captioning failed:" prefix. */
export function captionFailure(errorSummary: string | null, reason: string | null): string {
  const lines = (errorSummary ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines.pop() ?? reason ?? 'see the log';
  return last.replace(/^tunestudio:\s*/i, '').replace(/^captioning (failed|stopped|cancelled):\s*/i, '');
}
