// In the real extension host: the agent tools are registered as VS Code
// language-model tools under the names package.json contributes, and
// vscode.lm.invokeTool runs one in the runtime (the same handlers as
// `tunestudio mcp`). Actions ask for confirmation first (prepareInvocation).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { LM_TOOL_PREFIX, TOOLS, toolByName } from '../../src/protocol/tools';
import { PREPARED_KEY, confirmationFor } from '../../src/extension/lmTools';
import { api, waitUntil, within } from './util';

function textOf(r: vscode.LanguageModelToolResult): string {
  return r.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
}

export function lmToolsTests(): void {
  suite('language-model tools', () => {
    test('every catalogue tool is registered under its contributed name', async () => {
      await (await api()).runtime.whenRunning(60_000);
      const names = await waitUntil(() => {
        const ours = vscode.lm.tools.filter((t) => t.name.startsWith(LM_TOOL_PREFIX)).map((t) => t.name);
        return ours.length === TOOLS.length ? ours : undefined;
      }, 'the Tune Studio tools to be registered', 30_000);
      assert.deepEqual([...names].sort(), TOOLS.map((t) => LM_TOOL_PREFIX + t.name).sort());
    });

    test('vscode.lm.invokeTool runs a read tool in the runtime and returns its JSON', async () => {
      const r = await within(Promise.resolve(vscode.lm.invokeTool(`${LM_TOOL_PREFIX}list_projects`, { input: {}, toolInvocationToken: undefined })), 30_000, 'invokeTool list_projects');
      const body = JSON.parse(textOf(r)) as { projects: unknown[]; total: number };
      assert.ok(Array.isArray(body.projects));
      assert.equal(body.total, body.projects.length);
      const runs = JSON.parse(textOf(await vscode.lm.invokeTool(`${LM_TOOL_PREFIX}list_runs`, { input: { limit: 5 }, toolInvocationToken: undefined }))) as { total: number; cursor: string | null };
      assert.equal(typeof runs.total, 'number');
    });

    test('a bad reference is an error naming the cause, from the runtime', async () => {
      await assert.rejects(
        Promise.resolve(vscode.lm.invokeTool(`${LM_TOOL_PREFIX}get_run`, { input: { run: 'no-such-run-anywhere' }, toolInvocationToken: undefined })),
        /no run with id or name 'no-such-run-anywhere'/,
      );
    });

    test('submit, train, stop and cancel ask for confirmation first; reads do not', async () => {
      // What VS Code got from our prepareInvocation, recorded by lmTools.ts (see PREPARED_KEY).
      const prepared = () => ((globalThis as Record<symbol, unknown>)[PREPARED_KEY] ?? []) as Array<{ tool: string; confirmation: boolean }>;
      const before = prepared().length;
      // Outside a chat request (no toolInvocationToken) VS Code asks prepareInvocation but shows no dialog: the
      // cancel is then refused by the runtime (unknown job), so nothing is touched either way.
      await assert.rejects(Promise.resolve(vscode.lm.invokeTool(`${LM_TOOL_PREFIX}cancel_job`, { input: { job: 'no-such-job' }, toolInvocationToken: undefined })), /no job with id or name 'no-such-job'/);
      await vscode.lm.invokeTool(`${LM_TOOL_PREFIX}summary`, { input: {}, toolInvocationToken: undefined });
      assert.deepEqual(prepared().slice(before), [
        { tool: 'cancel_job', confirmation: true },
        { tool: 'summary', confirmation: false },
      ]);
      for (const t of TOOLS) {
        const c = confirmationFor(t, { command: ['python', 'train.py'], config: 'a.tunetrain.json', run: 'r1', job: 'j1' });
        if (t.permission === 'read') assert.equal(c, undefined, t.name);
        else assert.ok(c && c.title.endsWith('?') && String(typeof c.message === 'string' ? c.message : c.message.value).length > 10, t.name);
      }
      const submit = confirmationFor(toolByName('submit_job')!, { command: ['python', 'train.py', '--lr', '0.1'] })!;
      assert.match((submit.message as vscode.MarkdownString).value, /python train\.py --lr 0\.1/);
    });
  });
}
