// Job and run logs as read-only documents that show the end of the file and
// follow it as the job writes (like `tail -f`). One per activation, held by
// the extension's context (src/extension/ctx.ts).
import * as fs from 'node:fs';
import * as vscode from 'vscode';

export const LOG_SCHEME = 'tunestudio-log';
/** The end of the log shown (a log can be gigabytes; the full file is one click away). */
const TAIL_BYTES = 2 * 1024 * 1024;

/**
 * Read-only documents showing the end of a log file, refreshed as it grows.
 * Editors scrolled to the bottom stay at the bottom (like `tail -f`);
 * editors scrolled up stay where they are.
 */
export class LogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly watching = new Map<string, { file: string; listener: (cur: fs.Stats, prev: fs.Stats) => void }>();
  /** Editors (by document uri) whose last line is visible: they follow the end. */
  private readonly following = new WeakMap<vscode.TextEditor, boolean>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, this),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => {
        if (e.textEditor.document.uri.scheme !== LOG_SCHEME) return;
        const last = e.textEditor.document.lineCount - 1;
        this.following.set(e.textEditor, e.visibleRanges.some((r) => r.end.line >= last - 1));
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme !== LOG_SCHEME) return;
        for (const ed of vscode.window.visibleTextEditors) {
          if (ed.document === e.document && this.following.get(ed) !== false) revealEnd(ed);
        }
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.scheme === LOG_SCHEME) this.unwatch(d.uri.toString());
      }),
    );
  }

  uriFor(file: string, title: string, jobId?: string): vscode.Uri {
    const name = title.replace(/[\\/:*?"<>|#%]+/g, '_');
    const query = new URLSearchParams({ file, ...(jobId ? { job: jobId } : {}) }).toString();
    return vscode.Uri.from({ scheme: LOG_SCHEME, path: `/${name}.log`, query });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const file = new URLSearchParams(uri.query).get('file') ?? '';
    this.watch(uri.toString(), file);
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      const size = fs.fstatSync(fd).size;
      const start = Math.max(0, size - TAIL_BYTES);
      const buf = Buffer.alloc(size - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      let text = buf.toString('utf8');
      if (start > 0) {
        text = text.slice(text.indexOf('\n') + 1);
        text = `[Tune Studio: the last ${mb(TAIL_BYTES)} of ${mb(size)} — the whole log is ${file}]\n${text}`;
      }
      return text || '(no output yet — lines appear here as the job writes them)\n';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return `(no output yet — the log ${file} appears when the job starts)\n`;
      return `Cannot read the log ${file}: ${(e as Error).message}\n`;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  // A stat watch works for files that do not exist yet, outside the workspace and on any file system.
  private watch(key: string, file: string): void {
    if (this.watching.has(key) || !file) return;
    let timer: NodeJS.Timeout | undefined;
    const listener = (cur: fs.Stats, prev: fs.Stats) => {
      if (cur.size === prev.size && cur.mtimeMs === prev.mtimeMs) return;
      clearTimeout(timer);
      timer = setTimeout(() => this.emitter.fire(vscode.Uri.parse(key)), 150);
    };
    fs.watchFile(file, { interval: 500, persistent: false }, listener);
    this.watching.set(key, { file, listener });
  }

  private unwatch(key: string): void {
    const w = this.watching.get(key);
    if (!w) return;
    fs.unwatchFile(w.file, w.listener);
    this.watching.delete(key);
  }

  async open(file: string, title: string, jobId?: string): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(this.uriFor(file, title, jobId));
    const typed = doc.languageId === 'log' ? doc : await vscode.languages.setTextDocumentLanguage(doc, 'log').then(
      (d) => d,
      () => doc,
    );
    const ed = await vscode.window.showTextDocument(typed, { preview: false });
    this.following.set(ed, true);
    revealEnd(ed);
    return ed;
  }

  dispose(): void {
    for (const key of [...this.watching.keys()]) this.unwatch(key);
    this.disposables.forEach((d) => d.dispose());
    this.emitter.dispose();
  }
}

function revealEnd(ed: vscode.TextEditor): void {
  const last = ed.document.lineAt(Math.max(0, ed.document.lineCount - 1)).range.end;
  ed.revealRange(new vscode.Range(last, last), vscode.TextEditorRevealType.Default);
}

function mb(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
