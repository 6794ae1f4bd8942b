// In the real extension host: "Tune Studio: Show Runtime Status" opens the
// panel, its page (a real webview in Chromium) says ready, and the host sends
// it a running status; after a runtime crash the panel shows the new runtime;
// once the store exists, the panel is told that this window schedules jobs
// (run after the suites that create the store, see suite.ts).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { RuntimeStatusRequest } from '../../src/protocol/runtime';
import type { StatusToWebview } from '../../src/protocol/webview';
import { JobGetRequest, type Job } from '../../src/protocol/jobs';
import { schedulerLine } from '../../src/webviews/status/scheduler';
import { api, extension, waitUntil, within } from './util';

type Running = Extract<StatusToWebview, { state: 'running' }>;

export function statusPanelTests(): void {
  suite('Runtime Status panel', () => {
    test('the command opens the panel and its host sends a running status', async () => {
      const a = await api();
      await a.runtime.whenRunning(60_000);
      await vscode.commands.executeCommand('tuneStudio.showRuntimeStatus');
      const panel = await waitUntil(() => a.statusPanel(), 'the status panel to exist', 30_000);
      assert.equal(panel.panel.viewType, 'tuneStudio.runtimeStatus');
      assert.equal(panel.panel.title, 'Tune Studio: Runtime Status');
      const sent = await waitUntil(
        () => (panel.lastSent?.state === 'running' ? (panel.lastSent as Running) : undefined),
        'the panel page to say ready and receive a running status',
      );
      const live = await within(a.runtime.request(RuntimeStatusRequest.type, undefined), 15_000, 'Runtime Status');
      assert.equal(sent.status.pid, live.pid);
      assert.equal(sent.client.extensionVersion, String(extension().packageJSON.version));
    });

    test('the panel follows a runtime crash to the new runtime', async () => {
      const a = await api();
      await vscode.commands.executeCommand('tuneStudio.showRuntimeStatus');
      const panel = await waitUntil(() => a.statusPanel(), 'the status panel to exist', 30_000);
      const first = await waitUntil(
        () => (panel.lastSent?.state === 'running' ? (panel.lastSent as Running) : undefined),
        'a running status in the panel',
      );
      process.kill(first.status.pid, 'SIGKILL');
      const next = await waitUntil(
        () => (panel.lastSent?.state === 'running' && panel.lastSent.status.pid !== first.status.pid ? (panel.lastSent as Running) : undefined),
        'the panel to show the restarted runtime',
      );
      assert.ok(next.client.restarts >= 1, 'the panel counts the automatic restart');
      panel.dispose();
      assert.equal(a.statusPanel(), undefined, 'closing the panel forgets it');
    });
  });
}

export function statusSchedulerTests(): void {
  suite('Runtime Status panel: who schedules jobs', () => {
    test('with a store, the panel is told this window holds the scheduler lease, and says so', async () => {
      const a = await api();
      await a.runtime.whenRunning(60_000);
      const status = () => within(a.runtime.request(RuntimeStatusRequest.type, undefined), 15_000, 'Runtime Status');
      if (!(await status()).scheduler) {
        // No store yet (this suite run alone): a short demo job creates it.
        const job = await vscode.commands.executeCommand<Job>('tuneStudio.startDemoJob', { steps: 3 });
        await waitUntil(async () => (await a.runtime.request(JobGetRequest.type, { id: job.id })).run_id ?? undefined, 'the demo job to get its run');
      }
      const live = await waitUntil(async () => {
        const s = await status();
        return s.scheduler?.holder ? s : undefined;
      }, 'this window to hold the scheduler lease');
      await vscode.commands.executeCommand('tuneStudio.showRuntimeStatus');
      const panel = await waitUntil(() => a.statusPanel(), 'the status panel to exist', 30_000);
      await panel.push();
      const sent = await waitUntil(
        () => (panel.lastSent?.state === 'running' && panel.lastSent.status.scheduler ? (panel.lastSent as Running) : undefined),
        'the panel to be sent the scheduler',
      );
      assert.equal(sent.status.scheduler!.holder, true);
      assert.match(schedulerLine(sent.status), new RegExp(`^Jobs are scheduled by this window \\(its runtime, pid ${live.pid}, holds the scheduler lease\\): this VS Code schedules jobs`));
      panel.dispose();
    });
  });
}
