// The agent tools inside the runtime: the `tunestudio/tools/call` request
// that VS Code's language-model tools (src/extension/lmTools.ts) send. The
// same handlers as the MCP server, over the runtime's own tracking services
// (its connection, its Tracker); jobs are queued for the runtime's scheduler.
// Submit/train/stop/cancel are allowed here because VS Code asks the user to
// confirm each one first (prepareInvocation), and jobs still need a trusted
// workspace (the jobs service's rule).
import * as path from 'node:path';
import { ToolCallRequest, type ToolCallResult } from '../../protocol/tools';
import type { RuntimeContext } from '../context';
import type { TrackingService } from '../tracking/service';
import { agentServicesOver, type AgentServices } from './services';
import { callTool, ToolError } from './tools';

const ALLOW = new Set(['submit', 'stop'] as const);

export function register(ctx: RuntimeContext, tracking: TrackingService): void {
  let services: AgentServices | null = null;
  const ensure = (): AgentServices =>
    (services ??= agentServicesOver({
      storeDir: ctx.store.dir,
      root: ctx.options.workspaceFolders[0] ?? path.dirname(ctx.store.dir),
      db: tracking.db,
      queries: () => tracking.queries,
      runs: tracking.runs,
      alerts: tracking.alerts,
      trusted: () => ctx.trusted(),
      supervised: tracking.supervised,
    }));
  ctx.connection.onRequest(ToolCallRequest.type, async (p, token): Promise<ToolCallResult> => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    try {
      const result = await callTool(p.name, p.arguments ?? {}, { services: ensure(), allow: ALLOW, howToAllow: () => 'Confirm the action when VS Code asks.', signal: abort.signal });
      if (p.name === 'submit_job' || p.name === 'train' || p.name === 'cancel_job' || p.name === 'stop_run') ctx.notifyChanged({ kinds: ['jobs', 'runs'] });
      return { ok: true, result };
    } catch (e) {
      return { ok: false, error: e instanceof ToolError ? e.message : `${p.name}: ${(e as Error)?.message ?? String(e)}` };
    }
  });
  ctx.onShutdown(() => services?.close());
}
