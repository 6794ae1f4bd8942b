// In the real extension host: "Rename Run…" (tuneStudio.renameRun, given the
// new name as its second argument, as another extension would) renames a demo
// run in the store and the Runs view shows the new name.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Job } from '../../src/protocol/jobs';
import { JobGetRequest } from '../../src/protocol/jobs';
import { RunShowRequest } from '../../src/protocol/tracking';
import { api, waitUntil } from './util';

export function runsMetaTests(): void {
  suite('Runs view: rename', () => {
    test('Rename Run… renames the run in the store and in the Runs view', async () => {
      const a = await api();
      await a.runtime.whenRunning(60_000);
      const job = await vscode.commands.executeCommand<Job>('tuneStudio.startDemoJob', { steps: 3 });
      const runId = await waitUntil(async () => {
        const j = await a.runtime.request(JobGetRequest.type, { id: job.id });
        return j.state === 'completed' && j.run_id ? j.run_id : undefined;
      }, 'the demo job to complete', 60_000);
      await vscode.commands.executeCommand('tuneStudio.renameRun', runId, '  renamed in VS Code ');
      const shown = await a.runtime.request(RunShowRequest.type, { run: runId });
      assert.equal(shown.name, 'renamed in VS Code', 'trimmed and stored');
      const tree = a.ui.runsTree;
      const label = await waitUntil(async () => {
        tree.refreshNow();
        const roots = await tree.getChildren();
        for (const p of roots) {
          if (p.kind !== 'project') continue;
          const r = p.runs.find((x) => x.id === runId);
          if (r && r.name === 'renamed in VS Code') return String(tree.getTreeItem({ kind: 'run', run: r }).label);
        }
        return undefined;
      }, 'the Runs view to show the new name');
      assert.ok(label.startsWith('renamed in VS Code'), label);
    });
  });
}
