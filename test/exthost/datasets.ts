// In the real extension host: the Datasets view and its commands. A dataset
// folder written on disk (as a copy or a script would) appears in the view
// with its samples; Validate puts the problems in the Problems panel; Edit
// Lyrics opens the sample's text file; Caption Selected runs the captioner
// as a job with a tiny CLAP model the test builds, writes the prompt with
// the trigger word first, and the view shows the sample as captioned.
// Problems follow files changed on disk (no Validate needed).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetNode, DatasetsTreeNode, SampleNode } from '../../src/extension/views/datasetsTree';
import { makeSample } from '../helpers/audioFixtures';
import { writeTinyClap } from '../helpers/tinyClap';
import { api, waitUntil } from './util';

export function datasetTests(): void {
  suite('datasets', () => {
    const made: string[] = [];
    suiteTeardown(async () => {
      const c = vscode.workspace.getConfiguration('tuneStudio.captioning');
      await c.update('modelPath', undefined, vscode.ConfigurationTarget.Workspace);
      await c.update('offline', undefined, vscode.ConfigurationTarget.Workspace);
      // Only what this suite made: a dataset in the workspace, a tunestudio-* temp folder.
      const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
      for (const d of made) {
        if (!(d.startsWith(ws + path.sep) || path.basename(d).startsWith('tunestudio-exthost-'))) throw new Error(`refusing to delete ${d}`);
        fs.rmSync(d, { recursive: true, force: true });
      }
    });

    test('the Datasets view follows folders on disk; Validate → Problems; Edit Lyrics; Caption Selected writes the prompt through a job', async () => {
      const a = await api();
      const tree = a.datasetsTree;
      const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
      // A dataset written on disk, not through the extension: the file watcher brings it in.
      const dir = path.join(ws, 'beats');
      made.push(dir);
      fs.mkdirSync(dir);
      makeSample(dir, 'kick', { seconds: 2, freq: 200, prompt: 'bt, drums, punchy', lyrics: '[instrumental]' });
      makeSample(dir, 'snare', { seconds: 3, freq: 600 });
      fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ version: 1, name: 'beats', triggerWord: 'bt' }, null, 2));

      const dataset = await waitUntil(async () => {
        const roots = (await tree.getChildren()) as DatasetsTreeNode[];
        return roots.find((n): n is DatasetNode => n.kind === 'dataset' && n.dataset.name === 'beats' && n.dataset.sampleCount === 2);
      }, 'the beats dataset with 2 samples in the Datasets view');
      const item = tree.getTreeItem(dataset);
      assert.match(String(item.description), /^2 samples/);
      assert.equal(item.contextValue, 'dataset');
      const samples = async () => (await tree.getChildren(dataset)) as SampleNode[];
      const sample = async (stem: string) => (await samples()).find((s) => s.sample.stem === stem)!;
      assert.deepEqual((await samples()).map((s) => s.sample.stem).sort(), ['kick', 'snare']);
      assert.match(String(tree.getTreeItem(await sample('kick')).description), /prompt ✓ {2}lyrics ✓/);
      const snareItem = tree.getTreeItem(await sample('snare'));
      assert.match(String(snareItem.description), /prompt ✗ {2}lyrics ✗/);
      assert.equal((snareItem.iconPath as vscode.ThemeIcon).id, 'error', 'an incomplete sample is marked as an error (validation calls it one)');

      // Validate: the problems land in the Problems panel, on the sample they concern.
      await vscode.commands.executeCommand('tuneStudio.validateDataset', dataset);
      const snareAudio = vscode.Uri.file(path.join(fs.realpathSync(dir), 'snare.mp3'));
      const problems = await waitUntil(() => {
        const d = vscode.languages.getDiagnostics(snareAudio);
        return d.length >= 2 && d;
      }, 'diagnostics on snare.mp3');
      const messages = problems.map((d) => d.message).join('\n');
      assert.match(messages, /no prompt file 'snare_prompt\.txt'/);
      assert.match(messages, /no lyrics file 'snare_lyrics\.txt'/);
      assert.ok(problems.every((d) => d.severity === vscode.DiagnosticSeverity.Error));
      assert.deepEqual(vscode.languages.getDiagnostics(vscode.Uri.file(path.join(fs.realpathSync(dir), 'kick.mp3'))).filter((d) => d.severity === vscode.DiagnosticSeverity.Error), [], 'the complete sample has no errors');
      const validated = await waitUntil(async () => {
        const roots = (await tree.getChildren()) as DatasetsTreeNode[];
        const d = roots.find((n): n is DatasetNode => n.kind === 'dataset' && n.dataset.name === 'beats');
        return d?.dataset.problems ? d : undefined;
      }, 'the validation counts in the view');
      assert.match(String(tree.getTreeItem(validated).description), /2 errors/);

      // Edit Lyrics on a sample without lyrics: an editor at the lyrics path (saving creates it).
      await vscode.commands.executeCommand('tuneStudio.editLyrics', await sample('snare'));
      const editor = await waitUntil(() => vscode.window.activeTextEditor, 'the lyrics editor');
      assert.equal(path.basename(editor.document.uri.fsPath), 'snare_lyrics.txt');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');

      // Caption Selected with a local model (offline): a job, then the prompt with the trigger word first.
      const model = writeTinyClap(fs.mkdtempSync(path.join(os.tmpdir(), 'tunestudio-exthost-clap-')));
      made.push(model);
      const c = vscode.workspace.getConfiguration('tuneStudio.captioning');
      await c.update('modelPath', model, vscode.ConfigurationTarget.Workspace);
      await c.update('offline', true, vscode.ConfigurationTarget.Workspace);
      const snare = await sample('snare');
      await vscode.commands.executeCommand('tuneStudio.captionSelected', snare, [snare]);
      const prompt = path.join(dir, 'snare_prompt.txt');
      await waitUntil(() => fs.existsSync(prompt) && fs.readFileSync(prompt, 'utf8'), 'snare_prompt.txt', 120_000);
      const tags = fs.readFileSync(prompt, 'utf8').split(',').map((t) => t.trim());
      assert.equal(tags[0], 'bt', 'the trigger word first');
      assert.ok(tags.length > 1, `captioner tags follow: ${tags.join(', ')}`);
      assert.equal(fs.readFileSync(path.join(dir, 'kick_prompt.txt'), 'utf8'), 'bt, drums, punchy', 'an unselected sample is untouched');
      const jobs = a.ui.jobsTree;
      await waitUntil(async () => {
        await jobs.getChildren(); // what the view shows when it is open
        return jobs.items.find((j) => j.name === 'caption beats' && j.state === 'completed');
      }, 'the caption job completed in the Jobs view');
      await waitUntil(async () => {
        const d = tree.getTreeItem(await sample('snare')).description;
        return /prompt ✓ {2}lyrics ✗ {2}✦/.test(String(d)) && d;
      }, 'the snare sample shown as captioned');
    });

    test('problems follow the files: a file added on disk clears its problem, a deleted file\'s entries go, without Validate', async () => {
      const a = await api();
      const tree = a.datasetsTree;
      const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
      const dir = path.join(ws, 'loops');
      made.push(dir);
      fs.mkdirSync(dir);
      makeSample(dir, 'pad', { seconds: 2, freq: 300, prompt: 'lp, pad', lyrics: '[instrumental]' });
      makeSample(dir, 'bass', { seconds: 2, freq: 90, prompt: 'lp, bass' });
      makeSample(dir, 'hat', { seconds: 1, freq: 900, prompt: 'lp, hat', lyrics: '[instrumental]' });
      fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ version: 1, name: 'loops', triggerWord: 'lp' }, null, 2));
      const row = async () => {
        const roots = (await tree.getChildren()) as DatasetsTreeNode[];
        return roots.find((n): n is DatasetNode => n.kind === 'dataset' && n.dataset.name === 'loops');
      };
      const dataset = await waitUntil(async () => {
        const d = await row();
        return d?.dataset.sampleCount === 3 && d;
      }, 'the loops dataset');
      await vscode.commands.executeCommand('tuneStudio.validateDataset', dataset);
      const real = fs.realpathSync(dir);
      const bass = vscode.Uri.file(path.join(real, 'bass.mp3'));
      await waitUntil(() => vscode.languages.getDiagnostics(bass).some((d) => /no lyrics file 'bass_lyrics\.txt'/.test(d.message)), 'the missing-lyrics problem on bass.mp3');
      await waitUntil(async () => /1 error/.test(String(tree.getTreeItem((await row())!).description)), 'the row says 1 error');

      // The lyrics written on disk (as an editor or a script would): the problem goes, the count follows.
      const before = tree.revalidations.length;
      fs.writeFileSync(path.join(dir, 'bass_lyrics.txt'), '[instrumental]');
      await waitUntil(() => !vscode.languages.getDiagnostics(bass).some((d) => /no lyrics file/.test(d.message)), 'the missing-lyrics problem to clear without Validate');
      await waitUntil(async () => {
        const d = await row();
        return d?.dataset.problems?.errors === 0 && !/error/.test(String(tree.getTreeItem(d).description));
      }, 'the row to drop its error count');
      assert.ok(tree.revalidations.length > before, 'the watcher re-validated the dataset');

      // An orphaned prompt is a warning on its own file; deleting the file takes its entry away.
      const orphan = path.join(dir, 'gone_prompt.txt');
      fs.writeFileSync(orphan, 'lp, nothing');
      const orphanUri = vscode.Uri.file(path.join(real, 'gone_prompt.txt'));
      await waitUntil(() => vscode.languages.getDiagnostics(orphanUri).some((d) => /belongs to no audio file/.test(d.message)), 'the orphan-text warning');
      fs.rmSync(orphan);
      await waitUntil(() => vscode.languages.getDiagnostics(orphanUri).length === 0, 'the deleted file\'s Problems entries to go');
    });
  });
}
