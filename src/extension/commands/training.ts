// Training commands: "New Training Run…" (a short quick-pick form that writes
// a *.tunetrain.json the editor then completes and checks) and "Start
// Training" (submits the config as a builtin job).
import * as vscode from 'vscode';
import * as path from 'node:path';
import { ListDatasetsRequest } from '../../protocol/datasets';
import { JobSubmitRequest } from '../../protocol/jobs';
import type { Runtime } from '../runtime';
import type { Ctx } from '../ctx';

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'lora';
}

function rel(from: string, to: string): string {
  const r = path.relative(from, to).split(path.sep).join('/');
  return r.startsWith('.') ? r : `./${r}`;
}

/** The built-in trainer makes this model from code (src/runtime/training/hub.ts DEMO_MODEL_ID). */
const DEMO_MODEL_ID = 'tunestudio/tiny-gpt2-demo';

async function pickModel(base: vscode.Uri): Promise<string | undefined> {
  const choice = await vscode.window.showQuickPick(
    [
      { label: '$(beaker) The tiny demo model', description: `${DEMO_MODEL_ID}: made on this machine, no download; trains in seconds (it learns, but writes nonsense)`, id: 'demo' },
      { label: '$(folder) A local model folder…', description: 'config.json, model.safetensors and tokenizer.json (GPT-2 family)', id: 'folder' },
      { label: '$(cloud-download) A Hugging Face model id…', description: 'e.g. gpt2, distilgpt2 — downloaded once into the store', id: 'hub' },
    ],
    { title: 'New Training Run (1/4): base model', placeHolder: 'Which model gets the LoRA adapter?', ignoreFocusOut: true },
  );
  if (!choice) return undefined;
  if (choice.id === 'demo') return DEMO_MODEL_ID;
  if (choice.id === 'hub') {
    return vscode.window.showInputBox({
      title: 'New Training Run (1/4): Hugging Face model id',
      value: 'distilgpt2',
      ignoreFocusOut: true,
      validateInput: (v) => (/^[\w.-]+(\/[\w.-]+)?$/.test(v.trim()) ? undefined : 'an id like gpt2 or owner/name'),
    });
  }
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, defaultUri: base, openLabel: 'Use this model folder' });
  return picked?.[0]?.fsPath;
}

async function pickData(runtime: Runtime, base: vscode.Uri): Promise<string[] | undefined> {
  const datasets = await runtime.request(ListDatasetsRequest.type, undefined).catch(() => []);
  const items = [
    ...datasets.map((d) => ({ label: `$(library) ${d.name}`, description: `${d.sampleCount} samples · ${vscode.workspace.asRelativePath(d.dir)}`, paths: [d.dir] })),
    { label: '$(file-text) Text or JSONL files…', description: 'plain text, or {"text": …} per line', paths: [] as string[] },
  ];
  const choice = await vscode.window.showQuickPick(items, { title: 'New Training Run (2/4): training data', placeHolder: 'Dataset texts (trigger word, tags, lyrics) or text files', ignoreFocusOut: true });
  if (!choice) return undefined;
  if (choice.paths.length) return choice.paths;
  const files = await vscode.window.showOpenDialog({ canSelectMany: true, defaultUri: base, filters: { 'Text or JSONL': ['txt', 'jsonl', 'json'] }, openLabel: 'Train on these' });
  return files?.map((f) => f.fsPath);
}

export function register(ctx: Ctx): void {
  const { context, runtime } = ctx;
  const reg = (id: string, fn: (...a: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...a: never[]) => {
        try {
          await fn(...a);
        } catch (e) {
          void vscode.window.showErrorMessage(`Tune Studio: ${(e as Error).message}`);
        }
      }),
    );

  reg('tuneStudio.newTrainingRun', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('Open a folder first: the training config is saved in the workspace.');
    const model = await pickModel(folder.uri);
    if (!model) return;
    const data = await pickData(runtime, folder.uri);
    if (!data?.length) return;
    const name = await vscode.window.showInputBox({
      title: 'New Training Run (3/4): name',
      value: slug(`${path.basename(model)}-${path.basename(data[0])}-lora`),
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'a name for the run and the output folder'),
    });
    if (!name) return;
    const size = await vscode.window.showQuickPick(
      [
        { label: 'Quick try', description: 'r 8, 200 steps, lr 2e-4', r: 8, steps: 200, lr: 2e-4 },
        { label: 'Standard', description: 'r 16, 1,000 steps, lr 2e-4', r: 16, steps: 1000, lr: 2e-4 },
        { label: 'Long', description: 'r 32, 5,000 steps, lr 1e-4', r: 32, steps: 5000, lr: 1e-4 },
      ],
      { title: 'New Training Run (4/4): size (every number can be edited in the file)', ignoreFocusOut: true },
    );
    if (!size) return;
    const dir = folder.uri.fsPath;
    const file = vscode.Uri.file(path.join(dir, `${slug(name)}.tunetrain.json`));
    const isHub = !path.isAbsolute(model);
    const config = {
      name: name.trim(),
      model: isHub ? model.trim() : rel(dir, model),
      dataset: data.length === 1 ? rel(dir, data[0]) : data.map((d) => rel(dir, d)),
      output: `./lora-out/${slug(name)}`,
      lora: { r: size.r, alpha: size.r * 2, dropout: 0.05, target_modules: ['c_attn'] },
      optimizer: { lr: size.lr, weight_decay: 0.01, max_grad_norm: 1 },
      schedule: { type: 'cosine', warmup_steps: Math.round(size.steps / 20) },
      steps: size.steps,
      batch_size: 8,
      block_size: 128,
      eval_every: Math.max(10, Math.round(size.steps / 20)),
      sample_every: Math.max(20, Math.round(size.steps / 5)),
      checkpoint_every: Math.max(50, Math.round(size.steps / 4)),
      keep_best: 2,
      seed: 42,
    };
    try {
      await vscode.workspace.fs.stat(file);
      const ok = await vscode.window.showWarningMessage(`${path.basename(file.fsPath)} exists. Replace it?`, { modal: true }, 'Replace');
      if (ok !== 'Replace') return;
    } catch {
      /* new file */
    }
    await vscode.workspace.fs.writeFile(file, Buffer.from(JSON.stringify(config, null, 2) + '\n'));
    await vscode.window.showTextDocument(file);
    const go = await vscode.window.showInformationMessage(
      `Wrote ${path.basename(file.fsPath)}. Problems (a missing tokenizer, numbers out of range, not enough memory) show in the Problems panel.`,
      'Start Training',
    );
    if (go) await vscode.commands.executeCommand('tuneStudio.startTraining', file);
  });

  reg('tuneStudio.startTraining', async (uri?: vscode.Uri) => {
    let target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target || !/\.tunetrain\.json$/i.test(target.fsPath)) {
      const found = await vscode.workspace.findFiles('**/*.tunetrain.json', '**/node_modules/**', 50);
      if (!found.length) {
        const make = await vscode.window.showInformationMessage('No *.tunetrain.json in this workspace yet.', 'New Training Run…');
        if (make) await vscode.commands.executeCommand('tuneStudio.newTrainingRun');
        return;
      }
      const pick = await vscode.window.showQuickPick(found.map((f) => ({ label: vscode.workspace.asRelativePath(f), f })), { placeHolder: 'Training config' });
      if (!pick) return;
      target = pick.f;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target!.toString());
    if (doc?.isDirty) await doc.save();
    const errors = vscode.languages.getDiagnostics(target).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    if (errors.length) {
      const go = await vscode.window.showWarningMessage(
        `${path.basename(target.fsPath)} has ${errors.length} problem${errors.length === 1 ? '' : 's'}: ${errors[0].message}`,
        'Start Anyway',
        'Show Problems',
      );
      if (go === 'Show Problems') return vscode.commands.executeCommand('workbench.actions.view.problems');
      if (go !== 'Start Anyway') return;
    }
    const job = await runtime.request(JobSubmitRequest.type, { spec: { kind: 'builtin', train_config: target.fsPath, watchers: [{ metric: 'train/loss', nan: true }] } });
    void vscode.window.showInformationMessage(`Training '${job.name}' queued as job ${job.id}${job.queue_position && job.queue_position > 1 ? ` (#${job.queue_position} in the queue)` : ''}.`);
    return job;
  });
}
