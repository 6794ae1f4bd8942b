// The dataset editor: a custom editor on dataset.json whose document is the
// dataset (every sample's prompt and lyrics files and the trigger word, see
// model.ts). Edits are VS Code edits (onDidChangeCustomDocument), so dirty
// state, Save, Revert, Undo/Redo and hot exit (backups) are the editor's own.
// The sample list, validation and imports come from the runtime's
// DatasetService (one validator, one safe importer); this file only moves
// values between the page, the document and the files. A file changed on
// disk under unsaved edits is said at once, and Save asks before
// overwriting it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ImportAudioRequest, ListSamplesRequest, ValidateDatasetRequest, type DatasetProblem, type ImportAudioResult, type ImportFile } from '../../protocol/datasets';
import { applyBulk, PeaksPageRequest, type DatasetEditorToHost, type DatasetEditorToPage, type EditorRow, type FieldChange } from '../../protocol/datasetEditor';
import { SamplePeaksRequest } from '../../protocol/peaks';
import { postToPanel, renderPage, webviewRoot } from '../panels/webviewHtml';
import type { Runtime } from '../runtime';
import { DatasetModel, type BackupData, type ModelEdit, type SampleEntry } from './model';

export const DATASET_EDITOR_VIEW_TYPE = 'tuneStudio.datasetEditor';

export class DatasetDocument implements vscode.CustomDocument {
  readonly model: DatasetModel;
  problems = new Map<string, Array<Pick<DatasetProblem, 'code' | 'severity' | 'message'>>>();
  readonly panels = new Set<vscode.WebviewPanel>();
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;
  watcher?: vscode.Disposable;

  constructor(readonly uri: vscode.Uri) {
    this.model = new DatasetModel(uri.fsPath);
  }

  dispose(): void {
    this.watcher?.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
  }
}

export class DatasetEditorProvider implements vscode.CustomEditorProvider<DatasetDocument> {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<DatasetDocument>>();
  readonly onDidChangeCustomDocument = this.changeEmitter.event;
  /** Open documents (tests read them). */
  static readonly documents = new Set<DatasetDocument>();

  static register(context: vscode.ExtensionContext, runtime: Runtime): vscode.Disposable {
    const provider = new DatasetEditorProvider(context, runtime);
    return vscode.Disposable.from(
      vscode.window.registerCustomEditorProvider(DATASET_EDITOR_VIEW_TYPE, provider, { webviewOptions: { retainContextWhenHidden: true }, supportsMultipleEditorsPerDocument: false }),
      vscode.commands.registerCommand('tuneStudio.openDatasetEditor', (arg?: unknown) => provider.openCommand(arg)),
    );
  }

  private constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly runtime: Runtime,
  ) {}

  /** "Tune Studio: Open Dataset Editor": a dataset.json (explorer, Datasets view node, active editor) or a pick. */
  private async openCommand(arg?: unknown): Promise<void> {
    let uri: vscode.Uri | undefined;
    if (arg instanceof vscode.Uri) uri = arg;
    else if (arg && typeof arg === 'object' && 'dataset' in arg) uri = vscode.Uri.file(path.join((arg as { dataset: { dir: string } }).dataset.dir, 'dataset.json'));
    else {
      const active = vscode.window.activeTextEditor?.document.uri;
      if (active && path.basename(active.fsPath) === 'dataset.json') uri = active;
    }
    if (!uri) {
      const found = await vscode.workspace.findFiles('**/dataset.json', '**/node_modules/**', 200);
      if (!found.length) {
        void vscode.window.showInformationMessage('No dataset.json in this workspace. Create a dataset with "Tune Studio: New Dataset…" first.');
        return;
      }
      const pick = found.length === 1 ? { uri: found[0] } : await vscode.window.showQuickPick(found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { title: 'Open Dataset Editor' });
      uri = pick?.uri;
    }
    if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, DATASET_EDITOR_VIEW_TYPE);
  }

  private async entries(doc: DatasetDocument): Promise<SampleEntry[]> {
    const samples = await this.runtime.request(ListSamplesRequest.type, { dir: doc.model.dir });
    return samples.map((s) => ({ stem: s.stem, audio: s.audio, promptPath: s.prompt, lyricsPath: s.lyrics, duration: s.duration, captionState: s.captionState }));
  }

  async openCustomDocument(uri: vscode.Uri, ctx: vscode.CustomDocumentOpenContext): Promise<DatasetDocument> {
    const doc = new DatasetDocument(uri);
    doc.model.load(await this.entries(doc));
    const backup = ctx.untitledDocumentData ? undefined : ctx.backupId;
    if (backup) {
      try {
        doc.model.restore(JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.parse(backup)))) as BackupData);
      } catch (e) {
        void vscode.window.showWarningMessage(`The unsaved edits of dataset '${doc.model.name}' could not be restored from their backup (${(e as Error).message}); the dataset opened as it is on disk.`);
      }
    }
    this.watch(doc);
    DatasetEditorProvider.documents.add(doc);
    doc.onDidDispose(() => DatasetEditorProvider.documents.delete(doc));
    void this.validate(doc);
    return doc;
  }

  /** Files of the dataset changed on disk: text files follow disk unless edited (then the user is told); new or gone audio relists. */
  private watch(doc: DatasetDocument): void {
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(doc.model.dir), '*'));
    let relist: NodeJS.Timeout | undefined;
    const onFile = (u: vscode.Uri) => {
      const file = u.fsPath;
      if (/\.(mp3|wav|flac|ogg)$/i.test(file) || !fs.existsSync(file)) {
        clearTimeout(relist);
        relist = setTimeout(() => void this.relist(doc), 200);
      }
      let changed: ReturnType<DatasetModel['reread']> = null;
      try {
        changed = doc.model.reread(file);
      } catch {
        return; // a manifest mid-write; the next event reads it
      }
      if (!changed) return;
      if (changed.dirty) {
        void vscode.window
          .showWarningMessage(
            `'${path.basename(file)}' changed on disk while the dataset editor has unsaved edits to it. Save will ask before overwriting it; Revert loads the version on disk.`,
            'Revert',
          )
          .then((a) => {
            if (a === 'Revert') void this.revertCustomDocument(doc);
          });
      }
      this.pushRows(doc, changed.stem ? [changed.stem] : []);
    };
    // Durations probed in the background, captions written by a job: the runtime says datasets changed.
    const onData = this.runtime.onDidChangeData((p) => {
      if (!p.kinds.includes('datasets')) return;
      clearTimeout(relist);
      relist = setTimeout(() => void this.relist(doc, false), 300);
    });
    doc.watcher = vscode.Disposable.from(w, onData, w.onDidChange(onFile), w.onDidCreate(onFile), w.onDidDelete(onFile), { dispose: () => clearTimeout(relist) });
  }

  private async relist(doc: DatasetDocument, revalidate = true): Promise<void> {
    try {
      doc.model.updateEntries(await this.entries(doc));
      this.pushState(doc);
      if (revalidate) void this.validate(doc);
    } catch (e) {
      this.notice(doc, 'error', (e as Error).message);
    }
  }

  private async validate(doc: DatasetDocument): Promise<void> {
    try {
      const report = await this.runtime.request(ValidateDatasetRequest.type, { dir: doc.model.dir });
      const byStem = new Map<string, Array<Pick<DatasetProblem, 'code' | 'severity' | 'message'>>>();
      for (const p of report.problems) {
        if (!p.stem) continue;
        const list = byStem.get(p.stem) ?? [];
        list.push({ code: p.code, severity: p.severity, message: p.message });
        byStem.set(p.stem, list);
      }
      doc.problems = byStem;
      this.pushState(doc);
    } catch (e) {
      this.notice(doc, 'error', `Validation of dataset '${doc.model.name}' failed: ${(e as Error).message}`);
    }
  }

  async resolveCustomEditor(doc: DatasetDocument, panel: vscode.WebviewPanel): Promise<void> {
    doc.panels.add(panel);
    panel.onDidDispose(() => doc.panels.delete(panel));
    // The page reads the extension's bundle and plays audio from the dataset folder, nothing else.
    panel.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot(this.context.extensionUri), vscode.Uri.file(doc.model.dir)] };
    panel.webview.html = this.html(panel.webview, doc.model.name);
    panel.webview.onDidReceiveMessage((m: DatasetEditorToHost) => {
      try {
        this.onMessage(doc, panel, m);
      } catch (e) {
        this.notice(doc, 'error', (e as Error).message);
      }
    });
  }

  private html(webview: vscode.Webview, title: string): string {
    return renderPage(webview, this.context.extensionUri, 'datasetEditor', title, ['datasetEditor.css']);
  }

  private onMessage(doc: DatasetDocument, panel: vscode.WebviewPanel, m: DatasetEditorToHost): void {
    switch (m.type) {
      case 'request':
        if (m.method === PeaksPageRequest.method) {
          const params = m.params as { stems: string[]; buckets?: number };
          void this.runtime.request(SamplePeaksRequest.type, { dir: doc.model.dir, stems: params.stems, buckets: params.buckets }).then(
            (result) => postToPanel(panel, { type: 'response', id: m.id, result } satisfies DatasetEditorToPage),
            (e: Error) => postToPanel(panel, { type: 'response', id: m.id, error: e.message } satisfies DatasetEditorToPage),
          );
        } else void postToPanel(panel, { type: 'response', id: m.id, error: `unknown request '${m.method}'` } satisfies DatasetEditorToPage);
        return;
      case 'ready':
        void postToPanel(panel, { type: 'state', state: this.state(doc, panel.webview) } satisfies DatasetEditorToPage);
        return;
      case 'edit':
        this.commit(doc, doc.model.makeEdit(m.label, m.changes));
        return;
      case 'bulk': {
        const changes: FieldChange[] = [];
        for (const stem of m.stems) {
          const next = applyBulk(m.bulk, doc.model.value(stem, 'prompt'), doc.model.value(stem, 'lyrics'));
          if (next) changes.push({ stem, ...next });
        }
        if (!changes.length) this.notice(doc, 'info', `Nothing to change in the ${m.stems.length} selected sample${m.stems.length === 1 ? '' : 's'}.`);
        this.commit(doc, doc.model.makeEdit(bulkLabel(m.bulk.op, changes.length), changes));
        return;
      }
      case 'setTriggerWord':
        this.commit(doc, doc.model.makeTriggerEdit(m.value));
        return;
      case 'drop':
        void this.importDropped(doc, m.files, m.uris);
        return;
      case 'importFiles':
        void this.importPicked(doc);
        return;
      case 'deleteSamples':
        void this.deleteSamples(doc, m.stems);
        return;
      case 'validate':
        void this.validate(doc);
        return;
    }
  }

  /** Applies an edit and hands VS Code its undo and redo. */
  private commit(doc: DatasetDocument, edit: ModelEdit | null): void {
    if (!edit) return;
    const stems = doc.model.apply(edit, 'redo');
    this.pushRows(doc, stems);
    this.changeEmitter.fire({
      document: doc,
      label: edit.label,
      undo: () => this.pushRows(doc, doc.model.apply(edit, 'undo')),
      redo: () => this.pushRows(doc, doc.model.apply(edit, 'redo')),
    });
  }

  private row(doc: DatasetDocument, webview: vscode.Webview, e: SampleEntry): EditorRow {
    return {
      stem: e.stem,
      file: path.basename(e.audio),
      src: webview.asWebviewUri(vscode.Uri.file(e.audio)).toString(),
      duration: e.duration,
      prompt: doc.model.value(e.stem, 'prompt'),
      lyrics: doc.model.value(e.stem, 'lyrics'),
      captionState: e.captionState,
      dirty: doc.model.dirtyFields(e.stem),
      problems: doc.problems.get(e.stem) ?? [],
    };
  }

  private state(doc: DatasetDocument, webview: vscode.Webview) {
    return { name: doc.model.name, triggerWord: doc.model.triggerWord, triggerDirty: doc.model.triggerDirty, rows: [...doc.model.entries.values()].map((e) => this.row(doc, webview, e)) };
  }

  private pushState(doc: DatasetDocument): void {
    for (const p of doc.panels) void postToPanel(p, { type: 'state', state: this.state(doc, p.webview) } satisfies DatasetEditorToPage);
  }

  private pushRows(doc: DatasetDocument, stems: string[]): void {
    for (const p of doc.panels) {
      const rows = stems.map((s) => doc.model.entries.get(s)).filter((e): e is SampleEntry => !!e).map((e) => this.row(doc, p.webview, e));
      void postToPanel(p, { type: 'rows', rows, triggerWord: doc.model.triggerWord, triggerDirty: doc.model.triggerDirty } satisfies DatasetEditorToPage);
    }
  }

  private notice(doc: DatasetDocument, level: 'info' | 'error', message: string): void {
    if (level === 'error') void vscode.window.showErrorMessage(message);
    for (const p of doc.panels) void postToPanel(p, { type: 'notice', level, message } satisfies DatasetEditorToPage);
  }

  async saveCustomDocument(doc: DatasetDocument): Promise<void> {
    const conflicts = doc.model.conflicts();
    if (conflicts.length) {
      const names = conflicts.map((c) => path.basename(c.file));
      const answer = await vscode.window.showWarningMessage(
        `${names.length === 1 ? `'${names[0]}' has` : `${names.length} files have`} changed on disk since the dataset editor read ${names.length === 1 ? 'it' : 'them'}${names.length > 1 ? ` (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})` : ''}. Overwrite with your unsaved edits?`,
        { modal: true, detail: 'Overwrite replaces what is on disk now. Cancel keeps both: use Revert to load the disk version.' },
        'Overwrite',
      );
      if (answer !== 'Overwrite') throw new Error(`Dataset '${doc.model.name}' not saved: ${names.join(', ')} changed on disk. Save again and choose Overwrite, or Revert to load the disk version.`);
    }
    const written = doc.model.save();
    this.pushRows(doc, [...new Set(written.map((f) => [...doc.model.entries.values()].find((e) => e.promptPath === f || e.lyricsPath === f)?.stem).filter((s): s is string => !!s))]);
    void this.validate(doc);
  }

  async saveCustomDocumentAs(doc: DatasetDocument, destination: vscode.Uri): Promise<void> {
    void destination;
    throw new Error(`Save As is not available for dataset '${doc.model.name}': a dataset is a folder of files. Save it, then copy the folder (or export it with "Tune Studio: Export Dataset…").`);
  }

  async revertCustomDocument(doc: DatasetDocument): Promise<void> {
    doc.model.load(await this.entries(doc));
    this.pushState(doc);
    void this.validate(doc);
  }

  async backupCustomDocument(doc: DatasetDocument, ctx: vscode.CustomDocumentBackupContext): Promise<vscode.CustomDocumentBackup> {
    await vscode.workspace.fs.writeFile(ctx.destination, new TextEncoder().encode(JSON.stringify(doc.model.backup())));
    return {
      id: ctx.destination.toString(),
      delete: () => void Promise.resolve(vscode.workspace.fs.delete(ctx.destination)).catch(() => undefined),
    };
  }

  private async importPicked(doc: DatasetDocument): Promise<void> {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: 'Import', filters: { Audio: ['mp3', 'wav', 'flac', 'ogg'] } });
    if (picked?.length) await this.runImport(doc, picked.map((u) => ({ source: u.fsPath })));
  }

  /**
   * Files dropped from the desktop arrive as bytes with the name the page saw; each is
   * written under a fresh temp folder (a name of our own) and imported under its own name,
   * which the importer checks like any other (a path or a hostile name: refused, nothing copied).
   */
  private async importDropped(doc: DatasetDocument, files: Array<{ name: string; data: string }>, uris: string[]): Promise<void> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tunestudio-drop-'));
    try {
      const list: ImportFile[] = files.map((f, i) => {
        const ext = /\.[A-Za-z0-9]{1,5}$/.exec(String(f.name))?.[0] ?? '';
        const source = path.join(tmp, `dropped-${i}${ext}`);
        fs.writeFileSync(source, Buffer.from(String(f.data), 'base64'));
        return { source, name: String(f.name) };
      });
      for (const u of uris) {
        const uri = vscode.Uri.parse(u);
        if (uri.scheme === 'file') list.push({ source: uri.fsPath });
      }
      if (list.length) await this.runImport(doc, list);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  private async runImport(doc: DatasetDocument, files: ImportFile[]): Promise<ImportAudioResult | undefined> {
    try {
      const r = await this.runtime.request(ImportAudioRequest.type, { dir: doc.model.dir, files });
      const dup = r.duplicates.length ? `; ${r.duplicates.length} duplicate${r.duplicates.length === 1 ? '' : 's'} not copied` : '';
      this.notice(doc, 'info', `Imported ${r.imported.length} file${r.imported.length === 1 ? '' : 's'} into '${doc.model.name}'${dup}.`);
      await this.relist(doc);
      return r;
    } catch (e) {
      this.notice(doc, 'error', (e as Error).message);
      return undefined;
    }
  }

  /** Deletes samples' files (to the trash where there is one) after asking; not an editor edit (audio is not part of the document). */
  private async deleteSamples(doc: DatasetDocument, stems: string[]): Promise<void> {
    if (!stems.length) return;
    const answer = await vscode.window.showWarningMessage(`Delete ${stems.length} sample${stems.length === 1 ? '' : 's'} from '${doc.model.name}' (audio, prompt and lyrics files)?`, { modal: true, detail: 'The files go to the trash where the system has one. This is not undone with Undo.' }, 'Delete');
    if (answer !== 'Delete') return;
    for (const stem of stems) {
      const e = doc.model.entries.get(stem);
      if (!e) continue;
      for (const f of [e.audio, e.promptPath, e.lyricsPath]) {
        if (!fs.existsSync(f)) continue;
        await vscode.workspace.fs.delete(vscode.Uri.file(f), { useTrash: true }).then(undefined, () => vscode.workspace.fs.delete(vscode.Uri.file(f)));
      }
    }
    await this.relist(doc);
  }
}

function bulkLabel(op: string, n: number): string {
  const what = { addTags: 'Add Tags', removeTags: 'Remove Tags', replaceTag: 'Replace Tag', findReplacePrompt: 'Replace in Prompts', setInstrumental: 'Set Lyrics to [inst]' }[op] ?? op;
  return `${what} (${n} sample${n === 1 ? '' : 's'})`;
}
