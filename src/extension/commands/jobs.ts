// Job commands: New Job… (a preset's fields asked one by one, optionally saved
// as a *.tunejob.json), Submit Job File, Cancel, Retry, Save Checkpoint Now,
// Sample Now (the control channel), Open Run, Show Log. Logs open as
// read-only documents that follow the file as the job writes it.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  FINAL_JOB_STATES,
  JobCancelRequest,
  JobControlRequest,
  JobFromPresetRequest,
  JobPresetsRequest,
  JobRetryRequest,
  JobsListRequest,
  JobSubmitRequest,
  type Job,
  type JobPreset,
  type PresetField,
} from '../../protocol/jobs';
import type { ControlCommandName } from '../../protocol/control';
import { DashboardPanel } from '../panels/dashboardPanel';
import type { JobNode } from '../views/jobsTree';
import type { Ui } from './runs';

export const LOG_SCHEME = 'tunestudio-log';
/** The end of the log shown (a log can be gigabytes; the full file is one click away). */
const TAIL_BYTES = 2 * 1024 * 1024;

/**
 * Read-only documents showing the end of a log file, refreshed as it grows.
 * Editors scrolled to the bottom stay at the bottom (like `tail -f`);
 * editors scrolled up stay where they are.
 */
export class LogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private static instance: LogDocuments | undefined;
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly watching = new Map<string, { file: string; listener: (cur: fs.Stats, prev: fs.Stats) => void }>();
  /** Editors (by document uri) whose last line is visible: they follow the end. */
  private readonly following = new WeakMap<vscode.TextEditor, boolean>();
  private readonly disposables: vscode.Disposable[] = [];

  static get(): LogDocuments {
    if (!LogDocuments.instance) throw new Error('log documents are not registered');
    return LogDocuments.instance;
  }

  constructor() {
    LogDocuments.instance = this;
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
    if (LogDocuments.instance === this) LogDocuments.instance = undefined;
  }
}

function revealEnd(ed: vscode.TextEditor): void {
  const last = ed.document.lineAt(Math.max(0, ed.document.lineCount - 1)).range.end;
  ed.revealRange(new vscode.Range(last, last), vscode.TextEditorRevealType.Default);
}

function mb(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function openLog(file: string, title: string, jobId?: string): Promise<vscode.TextEditor> {
  return LogDocuments.get().open(file, title, jobId);
}

// ------------------------------------------------------------------ commands

function jobsFrom(arg?: unknown, selection?: unknown): Job[] {
  const list = Array.isArray(selection) && selection.length ? selection : arg === undefined ? [] : [arg];
  const out: Job[] = [];
  for (const a of list as Array<JobNode | Job | undefined>) {
    if (!a) continue;
    if ('kind' in a && a.kind === 'job') out.push(a.job);
    else if ('kind' in a && a.kind === 'group') out.push(...a.jobs);
    else if ('id' in a && 'state' in a) out.push(a);
  }
  return out;
}

async function pickJob(ui: Ui, title: string, filter: (j: Job) => boolean): Promise<Job[]> {
  const jobs = (await ui.runtime.request(JobsListRequest.type, {})).filter(filter);
  if (!jobs.length) {
    void vscode.window.showInformationMessage('Tune Studio: no job to pick.');
    return [];
  }
  const pick = await vscode.window.showQuickPick(
    jobs.map((j) => ({ label: j.name, description: `${j.state}${j.reason ? ': ' + j.reason : ''}`, detail: `${j.project} · ${j.id}`, job: j })),
    { title, matchOnDescription: true, matchOnDetail: true },
  );
  return pick ? [pick.job] : [];
}

export function registerJobCommands(ui: Ui): vscode.Disposable[] {
  const { runtime, context } = ui;
  const logs = new LogDocuments();
  const fail = (e: unknown) => void vscode.window.showErrorMessage(`Tune Studio: ${(e as Error).message}`);
  const isActive = (j: Job) => !(FINAL_JOB_STATES as readonly string[]).includes(j.state);

  const cancel = async (arg?: unknown, selection?: unknown) => {
    let jobs = jobsFrom(arg, selection).filter(isActive);
    if (!jobs.length) jobs = await pickJob(ui, 'Tune Studio: Cancel Job', isActive);
    if (!jobs.length) return;
    const running = jobs.filter((j) => j.state !== 'queued');
    if (running.length) {
      const what = running.length === 1 ? `job '${running[0].name}'` : `${running.length} running jobs`;
      const ok = await vscode.window.showWarningMessage(
        `Cancel ${what}? The trainer is asked to stop, then terminated after its grace period.`,
        { modal: true },
        'Cancel Job',
      );
      if (ok !== 'Cancel Job') return;
    }
    for (const j of jobs) {
      try {
        await runtime.request(JobCancelRequest.type, { id: j.id, reason: 'cancelled from VS Code' });
      } catch (e) {
        fail(e);
      }
    }
    ui.jobs.refreshNow();
  };

  const retry = async (arg?: unknown, selection?: unknown) => {
    let jobs = jobsFrom(arg, selection).filter((j) => !isActive(j));
    if (!jobs.length) jobs = await pickJob(ui, 'Tune Studio: Retry Job', (j) => !isActive(j));
    for (const j of jobs) {
      try {
        const next = await runtime.request(JobRetryRequest.type, { id: j.id });
        void vscode.window.setStatusBarMessage(`Tune Studio: job '${next.name}' queued again`, 5000);
      } catch (e) {
        fail(e);
      }
    }
    ui.jobs.refreshNow();
  };

  const control = (command: ControlCommandName, what: string) => async (arg?: unknown, selection?: unknown) => {
    let jobs = jobsFrom(arg, selection).filter((j) => j.state === 'running');
    if (!jobs.length) jobs = await pickJob(ui, `Tune Studio: ${what}`, (j) => j.state === 'running');
    for (const j of jobs) {
      try {
        const r = await runtime.request(JobControlRequest.type, { id: j.id, command });
        void vscode.window.showInformationMessage(`Tune Studio: ${j.name}: ${r.message}`);
      } catch (e) {
        fail(e);
      }
    }
  };

  const openRun = async (arg?: unknown) => {
    let jobs = jobsFrom(arg).filter((j) => j.run_id);
    if (!jobs.length) jobs = await pickJob(ui, 'Tune Studio: Open Job Run', (j) => !!j.run_id);
    const runIds = jobs.map((j) => j.run_id!).filter(Boolean);
    if (!runIds.length) {
      if (jobs.length) void vscode.window.showInformationMessage(`Tune Studio: job '${jobs[0].name}' has no run yet; it gets one when it starts.`);
      return;
    }
    DashboardPanel.show(context, runtime, runIds);
  };

  const showLog = async (arg?: unknown) => {
    let jobs = jobsFrom(arg);
    if (!jobs.length) jobs = await pickJob(ui, 'Tune Studio: Show Job Log', () => true);
    const j = jobs[0];
    if (!j) return;
    await logs.open(j.log_path, `${j.name} (${j.id})`, j.id);
  };

  return [
    logs,
    vscode.commands.registerCommand('tuneStudio.newJob', () => newJob(ui).catch(fail)),
    vscode.commands.registerCommand('tuneStudio.submitJobFile', (uri?: vscode.Uri) => submitJobFile(ui, uri).catch(fail)),
    vscode.commands.registerCommand('tuneStudio.cancelJob', cancel),
    vscode.commands.registerCommand('tuneStudio.retryJob', retry),
    vscode.commands.registerCommand('tuneStudio.saveCheckpoint', control('save', 'Save Checkpoint Now')),
    vscode.commands.registerCommand('tuneStudio.sampleNow', control('sample', 'Sample Now')),
    vscode.commands.registerCommand('tuneStudio.openJobRun', openRun),
    vscode.commands.registerCommand('tuneStudio.showJobLog', showLog),
  ];
}

// ------------------------------------------------------------------ New Job…

async function newJob(ui: Ui): Promise<void> {
  const presets = await ui.runtime.request(JobPresetsRequest.type, undefined);
  if (!presets.length) throw new Error('the runtime offers no job presets');
  const preset = await vscode.window.showQuickPick(
    presets.map((p) => ({ label: p.label, detail: p.description, preset: p })),
    { title: 'Tune Studio: New Job', placeHolder: 'What kind of job?', matchOnDetail: true },
  );
  if (!preset) return;
  const values = await askFields(preset.preset);
  if (!values) return;
  const spec = await ui.runtime.request(JobFromPresetRequest.type, { preset: preset.preset.id, values });
  const choice = await vscode.window.showQuickPick(
    [
      { label: '$(play) Submit', detail: 'Queue the job now', id: 'submit' },
      { label: '$(save) Save as .tunejob.json and Submit', detail: 'Keep the spec in the workspace (run it again with "Submit Job File")', id: 'save-submit' },
      { label: '$(save-as) Save as .tunejob.json', detail: 'Only write the file; submit it later', id: 'save' },
    ],
    { title: `Tune Studio: New Job — ${spec.name ?? preset.preset.label}`, placeHolder: 'Submit or save the job' },
  );
  if (!choice) return;
  let specFile: string | undefined;
  if (choice.id !== 'submit') {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const base = (spec.name ?? preset.preset.id).replace(/[^\w.-]+/g, '-');
    const uri = await vscode.window.showSaveDialog({
      title: 'Save job spec',
      defaultUri: folder ? vscode.Uri.joinPath(folder, `${base}.tunejob.json`) : undefined,
      // Dialogs know single extensions only: with 'tunejob.json' some append it to "x.tunejob.json" again.
      filters: { 'Tune Studio job (*.tunejob.json)': ['json'] },
    });
    if (!uri) return;
    const target = uri.with({ path: jobFileName(uri.path) });
    await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(spec, null, 2) + '\n', 'utf8'));
    specFile = target.fsPath;
    if (choice.id === 'save') {
      await vscode.window.showTextDocument(target);
      return;
    }
  }
  const job = await ui.runtime.request(JobSubmitRequest.type, specFile ? { specFile } : { spec });
  announce(ui, job);
}

/** "x", "x.json", "x.tunejob.json", "x.tunejob.json.tunejob.json" → "x.tunejob.json". */
export function jobFileName(p: string): string {
  return p.replace(/(\.tunejob)?(\.json)?(\.tunejob\.json)*$/i, '') + '.tunejob.json';
}

/** One input box per preset field (Back goes to the previous one); path fields have a Browse button. */
async function askFields(preset: JobPreset): Promise<Record<string, string | number> | undefined> {
  const values: Record<string, string | number> = {};
  const fields = preset.fields;
  let i = 0;
  while (i < fields.length) {
    const r = await askField(fields[i], i, fields.length, preset.label, values[fields[i].key]);
    if (r === undefined) return undefined;
    if (r === 'back') {
      i = Math.max(0, i - 1);
      continue;
    }
    if (r.value === '' && !fields[i].required) delete values[fields[i].key];
    else values[fields[i].key] = r.value;
    i++;
  }
  return values;
}

function askField(f: PresetField, index: number, total: number, title: string, previous?: string | number): Promise<{ value: string | number } | 'back' | undefined> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    const browse: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon(f.kind === 'folder' ? 'folder-opened' : 'file'), tooltip: f.kind === 'folder' ? 'Browse for a folder' : 'Browse for a file' };
    box.title = `New Job: ${title}`;
    box.step = index + 1;
    box.totalSteps = total;
    box.prompt = `${f.label}${f.required ? '' : ' (optional)'}${f.description ? ` — ${f.description}` : ''}`;
    box.placeholder = f.placeholder ?? (f.default !== undefined ? String(f.default) : '');
    box.value = previous !== undefined ? String(previous) : f.default !== undefined ? String(f.default) : '';
    box.ignoreFocusOut = true;
    box.buttons = [...(index > 0 ? [vscode.QuickInputButtons.Back] : []), ...(['path', 'folder', 'file'].includes(f.kind) ? [browse] : [])];
    const check = (v: string): string | undefined => {
      if (!v.trim()) return f.required ? `${f.label} is required.` : undefined;
      if (f.kind === 'number' && !Number.isFinite(Number(v))) return `${f.label} must be a number, e.g. ${f.default ?? 1}.`;
      return undefined;
    };
    let done = false;
    const finish = (r: { value: string | number } | 'back' | undefined) => {
      if (done) return;
      done = true;
      resolve(r);
      box.dispose();
    };
    box.onDidChangeValue((v) => (box.validationMessage = check(v)));
    box.onDidAccept(() => {
      const v = box.value.trim();
      const err = check(v);
      if (err) {
        box.validationMessage = err;
        return;
      }
      finish({ value: f.kind === 'number' && v !== '' ? Number(v) : v });
    });
    let browsing = false;
    box.onDidTriggerButton(async (b) => {
      if (b === vscode.QuickInputButtons.Back) return finish('back');
      // The file dialog may hide the input box; that is not a cancel.
      browsing = true;
      const picked = await vscode.window.showOpenDialog({
        canSelectFiles: f.kind !== 'folder',
        canSelectFolders: f.kind !== 'file',
        canSelectMany: false,
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        title: f.label,
      });
      browsing = false;
      if (picked?.[0]) box.value = picked[0].fsPath;
      box.show();
    });
    box.onDidHide(() => {
      if (!browsing) finish(undefined);
    });
    box.show();
  });
}

function announce(ui: Ui, job: Job): void {
  const where = job.state === 'queued' ? (job.queue_position ? ` (#${job.queue_position} in the queue)` : '') : ` (${job.state})`;
  void vscode.window.showInformationMessage(`Tune Studio: job '${job.name}' submitted${where}.`, 'Show Log', 'Open Dashboard').then(async (a) => {
    if (a === 'Show Log') await openLog(job.log_path, `${job.name} (${job.id})`, job.id);
    if (a === 'Open Dashboard') {
      // The job gets its run when it starts.
      const fresh = (await ui.runtime.request(JobsListRequest.type, {})).find((j) => j.id === job.id);
      if (fresh?.run_id) DashboardPanel.show(ui.context, ui.runtime, [fresh.run_id]);
      else void vscode.window.showInformationMessage(`Tune Studio: job '${job.name}' has not started yet, so it has no run to show.`);
    }
  });
  ui.jobs.refreshNow();
}

// ------------------------------------------------------------------ Submit Job File

async function submitJobFile(ui: Ui, uri?: vscode.Uri): Promise<void> {
  let target = uri instanceof vscode.Uri ? uri : undefined;
  const active = vscode.window.activeTextEditor?.document;
  if (!target && active?.uri.path.endsWith('.tunejob.json')) target = active.uri;
  if (!target) {
    const files = await vscode.workspace.findFiles('**/*.tunejob.json', '**/{node_modules,.tunestudio}/**', 200);
    if (files.length) {
      const pick = await vscode.window.showQuickPick(
        files.map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f })),
        { title: 'Tune Studio: Submit Job File', placeHolder: 'Which job file?' },
      );
      target = pick?.uri;
    } else {
      const picked = await vscode.window.showOpenDialog({ title: 'Submit Job File', filters: { 'Tune Studio job': ['tunejob.json', 'json'] }, canSelectMany: false });
      target = picked?.[0];
    }
  }
  if (!target) return;
  if (!target.path.endsWith('.tunejob.json')) throw new Error(`'${target.fsPath}' is not a job file: job files are named *.tunejob.json.`);
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target!.toString());
  if (doc?.isDirty) await doc.save();
  const job = await ui.runtime.request(JobSubmitRequest.type, { specFile: target.fsPath });
  announce(ui, job);
}
