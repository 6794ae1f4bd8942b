// VS Code's language-model tools (Copilot agent mode, `#tunestudio_…`
// references): the agent tool catalogue of src/protocol/tools.ts, registered
// under the names package.json contributes, each run in the runtime through
// one request (the same handlers as `tunestudio mcp`). Tools that start or
// stop work ask the user to confirm first (prepareInvocation); the rest only
// say what they are doing.
import * as vscode from 'vscode';
import { LM_TOOL_PREFIX, TOOLS, ToolCallRequest, type ToolDefinition } from '../protocol/tools';
import type { Runtime } from './runtime';

type Input = Record<string, unknown>;

function short(v: unknown, max = 200): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? s.slice(0, max) + '…' : s;
}

/** The confirmation VS Code shows before an action runs: what will start or stop, in the user's words. */
export function confirmationFor(t: ToolDefinition, input: Input): vscode.LanguageModelToolConfirmationMessages | undefined {
  if (t.permission === 'read') return undefined;
  const md = (s: string) => new vscode.MarkdownString(s);
  switch (t.name) {
    case 'submit_job': {
      const what = input.command ? `\`${(input.command as string[]).map((a) => short(a, 80)).join(' ')}\`` : input.preset ? `preset **${short(input.preset)}**` : `job file \`${short(input.spec_file)}\``;
      return { title: 'Queue a training job?', message: md(`Tune Studio will queue ${what}${input.name ? ` as **${short(input.name)}**` : ''}${input.watchers ? ` with watchers ${short(input.watchers)}` : ''}; it runs as soon as a slot is free.`) };
    }
    case 'train':
      return { title: 'Start built-in training?', message: md(`Tune Studio will queue the built-in trainer on \`${short(input.config)}\`.`) };
    case 'stop_run':
      return { title: 'Stop a run?', message: md(`Tune Studio will ask run **${short(input.run)}** to stop${input.reason ? ` (${short(input.reason)})` : ''}; it ends \`stopped\`.`) };
    case 'cancel_job':
      return { title: 'Cancel a job?', message: md(`Tune Studio will cancel job **${short(input.job)}**${input.reason ? ` (${short(input.reason)})` : ''}.`) };
    default:
      return { title: `${t.title}?`, message: md(`Run ${t.title} with ${short(input)}?`) };
  }
}

/**
 * The last few prepared invocations (tool, whether a confirmation was asked), for the extension-host
 * test: kept on globalThis under a registered symbol because the test bundle has its own copy of this module.
 */
export const PREPARED_KEY = Symbol.for('tunestudio.lmTools.prepared');
const preparedInvocations: Array<{ tool: string; confirmation: boolean }> = ((globalThis as Record<symbol, unknown>)[PREPARED_KEY] ??= []) as Array<{ tool: string; confirmation: boolean }>;

export function registerLanguageModelTools(runtime: Runtime): vscode.Disposable {
  // Older hosts (or ones with chat turned off) have no lm.registerTool: the tools are simply absent.
  if (typeof vscode.lm?.registerTool !== 'function') return new vscode.Disposable(() => undefined);
  const disposables = TOOLS.map((t) =>
    vscode.lm.registerTool<Input>(LM_TOOL_PREFIX + t.name, {
      prepareInvocation: (options) => {
        const confirmationMessages = confirmationFor(t, options.input ?? {});
        preparedInvocations.push({ tool: t.name, confirmation: !!confirmationMessages });
        if (preparedInvocations.length > 20) preparedInvocations.shift();
        return { invocationMessage: `Tune Studio: ${t.title.toLowerCase()}…`, confirmationMessages };
      },
      invoke: async (options) => {
        const r = await runtime.request(ToolCallRequest.type, { name: t.name, arguments: options.input ?? {} });
        // A refused or failed call: an error the model reads (cause and fix), as VS Code asks tools to report them.
        if (!r.ok) throw new Error(r.error);
        return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(JSON.stringify(r.result))]);
      },
    }),
  );
  return vscode.Disposable.from(...disposables);
}
