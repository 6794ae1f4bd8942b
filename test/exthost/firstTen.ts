// In the real extension host, the first ten minutes (issue 14): Start the
// Demo Job with a NaN → the alert toast says the watcher stops the run and
// offers no Stop Run; the job's end raises a notification with its reason
// and Show Log; Add Audio Files expands folders (.MP3 too); same-named runs
// are told apart in the Runs view; Clear
// Finished Jobs empties the Finished group and keeps the runs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { audioFilesIn } from '../../src/extension/commands/datasets';
import type { Job } from '../../src/protocol/jobs';
import { JobGetRequest } from '../../src/protocol/jobs';
import { api, waitUntil } from './util';

export function firstTenTests(): void {
  suite('first ten minutes', () => {
    test('the demo job with a NaN: the toast says what the watcher does, the job end is announced with its reason', async () => {
      const a = await api();
      await a.runtime.whenRunning(60_000);
      const job = await vscode.commands.executeCommand<Job>('tuneStudio.startDemoJob', { nanAt: 8, steps: 100000 });
      assert.ok(job, 'the command returns the job');
      const run = await waitUntil(async () => (await a.runtime.request(JobGetRequest.type, { id: job.id })).run_id ?? undefined, 'the demo job to get its run');
      const toast = await waitUntil(() => a.ui.notifications.shown.find((s) => s.runId === run), 'the NaN alert toast', 60_000);
      assert.match(toast.message, /^Tune Studio: run 'demo-nan': train\/loss is NaN at step 8 — the watcher (is stopping the run: asked the trainer, SIGTERM in 10 s|stopped the run)\.$/);
      assert.ok(!toast.actions.includes('Stop Run'), `no Stop Run on a run already stopping: ${toast.actions.join(', ')}`);
      assert.ok(!toast.actions.includes('Ignore'));
      const end = await waitUntil(() => a.ui.jobEnds.shown.find((s) => s.jobId === job.id), 'the job-end notification', 60_000);
      assert.match(end.message, /^Tune Studio: job 'demo-nan' stopped after \d+s: train\/loss is NaN/);
      assert.deepEqual(end.actions, ['Show Log', 'Open Dashboard']);
      await vscode.commands.executeCommand('notifications.clearAll');
    });

    test('Add Audio Files: picked folders bring the audio files under them, any case of extension (.MP3), hidden ones and other files left out', async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tunestudio-exthost-pick-'));
      try {
        const touch = (rel: string) => {
          fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
          fs.writeFileSync(path.join(root, rel), 'x');
        };
        for (const f of ['folder/a.MP3', 'folder/b.wav', 'folder/sub/c.Flac', 'folder/.hidden.mp3', 'folder/notes.txt', 'folder/.git/d.mp3', 'single.ogg']) touch(f);
        const got = await audioFilesIn([vscode.Uri.file(path.join(root, 'folder')), vscode.Uri.file(path.join(root, 'single.ogg'))], path.join(root, 'dataset'));
        assert.deepEqual(
          got.map((f) => path.relative(root, f)).sort(),
          ['folder/a.MP3', 'folder/b.wav', 'folder/sub/c.Flac', 'single.ogg'].map((f) => path.join(...f.split('/'))).sort(),
        );
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    test('same-named runs are told apart; Clear Finished Jobs keeps the runs', async () => {
      const a = await api();
      const jobs = [
        await vscode.commands.executeCommand<Job>('tuneStudio.startDemoJob', { steps: 3 }),
        await vscode.commands.executeCommand<Job>('tuneStudio.startDemoJob', { steps: 3 }),
      ];
      const done = await waitUntil(async () => {
        const js = await Promise.all(jobs.map((j) => a.runtime.request(JobGetRequest.type, { id: j.id })));
        return js.every((j) => j.state === 'completed') && js;
      }, 'both demo jobs to complete', 60_000);
      const tree = a.ui.runsTree;
      const labels = await waitUntil(async () => {
        tree.refreshNow();
        const roots = await tree.getChildren();
        const project = roots.find((p) => p.kind === 'project' && p.name === 'demo');
        if (!project || project.kind !== 'project') return undefined;
        const mine = project.runs.filter((r) => done.some((j) => j.run_id === r.id));
        if (mine.length < 2) return undefined;
        return mine.map((r) => String(tree.getTreeItem({ kind: 'run', run: r }).label));
      }, 'both demo runs in the Runs view');
      assert.equal(new Set(labels).size, labels.length, `labels differ: ${labels.join(' | ')}`);
      assert.ok(labels.every((l) => l.startsWith('demo · ')), labels.join(' | '));

      const removed = await vscode.commands.executeCommand<number>('tuneStudio.clearFinishedJobs');
      assert.ok(removed >= 2, `removed ${removed}`);
      await waitUntil(async () => {
        a.ui.jobsTree.refreshNow();
        await a.ui.jobsTree.getChildren();
        return !a.ui.jobsTree.items.some((j) => ['completed', 'failed', 'cancelled', 'stopped'].includes(j.state));
      }, 'no finished jobs in the Jobs view');
      tree.refreshNow();
      const roots = await tree.getChildren();
      const project = roots.find((p) => p.kind === 'project' && p.name === 'demo');
      assert.ok(project && project.kind === 'project' && done.every((j) => project.runs.some((r) => r.id === j.run_id)), 'the runs stay');
    });
  });
}
