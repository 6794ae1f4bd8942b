// Job commands: New Job… (a preset's fields asked one by one, optionally saved
// as a *.tunejob.json), Submit Job File, Cancel, Retry, Save Checkpoint Now,
// Sample Now (the control channel), Open Run, Show Log (a read-only document
// that follows the file as the job writes it: ../logDocuments.ts).
import * as vscode from 'vscode';
import {
  FINAL_JOB_STATES,
  JobCancelRequest,
  JobControlRequest,
  JobFromPresetRequest,
  JobPresetsRequest,
  JobRetryRequest,
  JobsClearFinishedRequest,
  JobsListRequest,
  JobSubmitRequest,
  type Job,
  type JobPreset,
  type JobSpec,
  type PresetField,
} from '../../protocol/jobs';
import type { ControlCommandName } from '../../protocol/control';
import { DashboardPanel } from '../panels/dashboardPanel';
import type { JobNode } from '../views/jobsTree';
import type { Ctx } from '../ctx';
import { fieldNamed } from './fieldOwner';

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

async function pickJob(ctx: Ctx, title: string, filter: (j: Job) => boolean): Promise<Job[]> {
  const jobs = (await ctx.runtime.request(JobsListRequest.type, {})).filter(filter);
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

export function register(ctx: Ctx): void {
  const { runtime, context, logs } = ctx;
  const fail = (e: unknown) => void vscode.window.showErrorMessage(`Tune Studio: ${(e as Error).message}`);
  const isActive = (j: Job) => !(FINAL_JOB_STATES as readonly string[]).includes(j.state);

  const cancel = async (arg?: unknown, selection?: unknown) => {
    let jobs = jobsFrom(arg, selection).filter(isActive);
    if (!jobs.length) jobs = await pickJob(ctx, 'Tune Studio: Cancel Job', isActive);
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
    ctx.jobsTree.refreshNow();
  };

  const retry = async (arg?: unknown, selection?: unknown) => {
    let jobs = jobsFrom(arg, selection).filter((j) => !isActive(j));
    if (!jobs.length) jobs = await pickJob(ctx, 'Tune Studio: Retry Job', (j) => !isActive(j));
    for (const j of jobs) {
      try {
        const next = await runtime.request(JobRetryRequest.type, { id: j.id });
        void vscode.window.setStatusBarMessage(`Tune Studio: job '${next.name}' queued again`, 5000);
      } catch (e) {
        fail(e);
      }
    }
    ctx.jobsTree.refreshNow();
  };

  const control = (command: ControlCommandName, what: string) => async (arg?: unknown, selection?: unknown) => {
    let jobs = jobsFrom(arg, selection).filter((j) => j.state === 'running');
    if (!jobs.length) jobs = await pickJob(ctx, `Tune Studio: ${what}`, (j) => j.state === 'running');
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
    if (!jobs.length) jobs = await pickJob(ctx, 'Tune Studio: Open Job Run', (j) => !!j.run_id);
    const runIds = jobs.map((j) => j.run_id!).filter(Boolean);
    if (!runIds.length) {
      if (jobs.length) void vscode.window.showInformationMessage(`Tune Studio: job '${jobs[0].name}' has no run yet; it gets one when it starts.`);
      return;
    }
    DashboardPanel.show(context, runtime, runIds);
  };

  const showLog = async (arg?: unknown) => {
    let jobs = jobsFrom(arg);
    if (!jobs.length) jobs = await pickJob(ctx, 'Tune Studio: Show Job Log', () => true);
    const j = jobs[0];
    if (!j) return;
    await logs.open(j.log_path, `${j.name} (${j.id})`, j.id);
  };

  ctx.subscribe(
    vscode.commands.registerCommand('tuneStudio.newJob', () => newJob(ctx).catch(fail)),
    vscode.commands.registerCommand('tuneStudio.submitJobFile', (uri?: vscode.Uri) => submitJobFile(ctx, uri).catch(fail)),
    vscode.commands.registerCommand('tuneStudio.cancelJob', cancel),
    vscode.commands.registerCommand('tuneStudio.retryJob', retry),
    vscode.commands.registerCommand('tuneStudio.saveCheckpoint', control('save', 'Save Checkpoint Now')),
    vscode.commands.registerCommand('tuneStudio.sampleNow', control('sample', 'Sample Now')),
    vscode.commands.registerCommand('tuneStudio.openJobRun', openRun),
    vscode.commands.registerCommand('tuneStudio.showJobLog', showLog),
    // One click from the walkthrough: the "Demo trainer" preset, optionally with a NaN at a step.
    vscode.commands.registerCommand('tuneStudio.startDemoJob', async (o?: { nanAt?: number; steps?: number }) => {
      try {
        const values: Record<string, number> = { steps: o?.steps ?? 200, ...(o?.nanAt ? { nan_at: o.nanAt } : {}) };
        const spec = await ctx.runtime.request(JobFromPresetRequest.type, { preset: 'demo', values, check: true });
        const job = await ctx.runtime.request(JobSubmitRequest.type, { spec });
        announce(ctx, job);
        return job;
      } catch (e) {
        fail(e);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('tuneStudio.clearFinishedJobs', async () => {
      try {
        const { removed } = await ctx.runtime.request(JobsClearFinishedRequest.type, undefined);
        ctx.jobsTree.refreshNow();
        void vscode.window.setStatusBarMessage(`Tune Studio: ${removed ? `cleared ${removed} finished job${removed === 1 ? '' : 's'} (their runs stay)` : 'no finished jobs to clear'}`, 5000);
        return removed;
      } catch (e) {
        fail(e);
        return 0;
      }
    }),
  );
}

// ------------------------------------------------------------------ New Job…

async function newJob(ctx: Ctx): Promise<void> {
  const presets = await ctx.runtime.request(JobPresetsRequest.type, undefined);
  if (!presets.length) throw new Error('the runtime offers no job presets');
  const preset = await vscode.window.showQuickPick(
    presets.map((p) => ({ label: p.label, detail: p.description, preset: p })),
    { title: 'Tune Studio: New Job', placeHolder: 'What kind of job?', matchOnDetail: true },
  );
  if (!preset) return;
  const built = await askFields(preset.preset, (values) => ctx.runtime.request(JobFromPresetRequest.type, { preset: preset.preset.id, values, check: true }));
  if (!built) return;
  const spec = built.spec;
  const choice = await vscode.window.showQuickPick(
    [
      { label: '$(play) Submit', detail: 'Queue the job now', id: 'submit' },
      { label: '$(save) Save as .tunejob.json and Submit', detail: 'Keep the spec in the workspace (run it again with "Submit Job File")', id: 'save-submit' },
      { label: '$(save-as) Save as .tunejob.json', detail: 'Only write the file; submit it later', id: 'save' },
    ],
    { title: `New Job: ${preset.preset.label} (${preset.preset.fields.length + 1}/${preset.preset.fields.length + 1}) — ${spec.name ?? preset.preset.label}`, placeHolder: 'Submit or save the job' },
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
  const job = await ctx.runtime.request(JobSubmitRequest.type, specFile ? { specFile } : { spec });
  announce(ctx, job);
}

/** "x", "x.json", "x.tunejob.json", "x.tunejob.json.tunejob.json" → "x.tunejob.json". */
export function jobFileName(p: string): string {
  return p.replace(/(\.tunejob)?(\.json)?(\.tunejob\.json)*$/i, '') + '.tunejob.json';
}

/**
 * One input box per preset field (Back goes to the previous one); path fields have a Browse button.
 * Each accepted step builds and checks the spec so far (`build`): a problem with what was just typed
 * (a program not on PATH, a missing script) is shown at that step with the input kept; a problem
 * with an earlier field goes back to it. Problems with fields not filled in yet wait for their step.
 */
async function askFields(preset: JobPreset, build: (values: Record<string, string | number>) => Promise<JobSpec>): Promise<{ values: Record<string, string | number>; spec: JobSpec } | undefined> {
  const values: Record<string, string | number> = {};
  const fields = preset.fields;
  let i = 0;
  let message: string | undefined;
  let spec: JobSpec | undefined;
  if (!fields.length) return { values, spec: await build(values) };
  while (i < fields.length || !spec) {
    if (i >= fields.length) i = fields.length - 1;
    const check = async (value: string | number): Promise<{ field: number; message: string } | undefined> => {
      const trial = { ...values };
      if (value === '' && !fields[i].required) delete trial[fields[i].key];
      else trial[fields[i].key] = value;
      try {
        spec = await build(trial);
        return undefined;
      } catch (e) {
        spec = undefined;
        const m = (e as Error).message;
        const owner = fieldNamed(fields, trial, m, i);
        // Problems of fields still to come are asked at their step; at the last step every problem counts.
        if (owner === undefined) return i === fields.length - 1 ? { field: i, message: m } : undefined;
        return { field: owner, message: m };
      }
    };
    const r = await askField(fields[i], i, fields.length, preset.label, values[fields[i].key], message, check);
    message = undefined;
    if (r === undefined) return undefined;
    if (r === 'back') {
      i = Math.max(0, i - 1);
      continue;
    }
    if ('goto' in r) {
      i = r.goto;
      message = r.message;
      continue;
    }
    if (r.value === '' && !fields[i].required) delete values[fields[i].key];
    else values[fields[i].key] = r.value;
    i++;
  }
  return { values, spec };
}

type Step = { value: string | number } | { goto: number; message: string } | 'back' | undefined;

function askField(
  f: PresetField,
  index: number,
  total: number,
  title: string,
  previous: string | number | undefined,
  message: string | undefined,
  checkSpec: (value: string | number) => Promise<{ field: number; message: string } | undefined>,
): Promise<Step> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    const browse: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon(f.kind === 'folder' ? 'folder-opened' : 'file'), tooltip: f.kind === 'folder' ? 'Browse for a folder' : 'Browse for a file' };
    box.title = `New Job: ${title}`;
    box.step = index + 1;
    // The last step is "Submit or save", so a preset with 3 fields has 4 steps.
    box.totalSteps = total + 1;
    // Labels may say "(optional)" themselves; never twice.
    box.prompt = `${f.label}${f.required || /\(optional\)/i.test(f.label) ? '' : ' (optional)'}${f.description ? ` — ${f.description}` : ''}`;
    box.placeholder = f.placeholder ?? (f.default !== undefined ? String(f.default) : '');
    box.value = previous !== undefined ? String(previous) : f.default !== undefined ? String(f.default) : '';
    box.ignoreFocusOut = true;
    if (message) box.validationMessage = message;
    box.buttons = [...(index > 0 ? [vscode.QuickInputButtons.Back] : []), ...(['path', 'folder', 'file'].includes(f.kind) ? [browse] : [])];
    const check = (v: string): string | undefined => {
      if (!v.trim()) return f.required ? `${f.label} is required.` : undefined;
      if (f.kind === 'number' && !Number.isFinite(Number(v))) return `${f.label} must be a number, e.g. ${f.default ?? 1}.`;
      return undefined;
    };
    let done = false;
    const finish = (r: Step) => {
      if (done) return;
      done = true;
      resolve(r);
      box.dispose();
    };
    box.onDidChangeValue((v) => (box.validationMessage = check(v)));
    box.onDidAccept(async () => {
      if (box.busy) return;
      const v = box.value.trim();
      const err = check(v);
      if (err) {
        box.validationMessage = err;
        return;
      }
      const value = f.kind === 'number' && v !== '' ? Number(v) : v;
      box.busy = true;
      box.enabled = false;
      const problem = await checkSpec(value).catch((e: Error) => ({ field: index, message: e.message }));
      box.busy = false;
      box.enabled = true;
      if (done) return;
      if (!problem) return finish({ value });
      // The input stays as typed; the message says what is wrong and how to fix it.
      if (problem.field === index) box.validationMessage = problem.message;
      else finish({ goto: problem.field, message: problem.message });
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

function announce(ctx: Ctx, job: Job): void {
  const where = job.state === 'queued' ? (job.queue_position ? ` (#${job.queue_position} in the queue)` : '') : ` (${job.state})`;
  void vscode.window.showInformationMessage(`Tune Studio: job '${job.name}' submitted${where}.`, 'Show Log', 'Open Dashboard').then(async (a) => {
    if (a === 'Show Log') await ctx.logs.open(job.log_path, `${job.name} (${job.id})`, job.id);
    if (a === 'Open Dashboard') {
      // The job gets its run when it starts.
      const fresh = (await ctx.runtime.request(JobsListRequest.type, {})).find((j) => j.id === job.id);
      if (fresh?.run_id) DashboardPanel.show(ctx.context, ctx.runtime, [fresh.run_id]);
      else void vscode.window.showInformationMessage(`Tune Studio: job '${job.name}' has not started yet, so it has no run to show.`);
    }
  });
  ctx.jobsTree.refreshNow();
}

// ------------------------------------------------------------------ Submit Job File

async function submitJobFile(ctx: Ctx, uri?: vscode.Uri): Promise<void> {
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
  const job = await ctx.runtime.request(JobSubmitRequest.type, { specFile: target.fsPath });
  announce(ctx, job);
}
