// The MCP face: a Model Context Protocol server (the SDK's low-level Server,
// so the tool catalogue's JSON schemas in src/protocol/tools.ts are served as
// they are) over the agent tool handlers, plus one resource per run (its
// summary). A handler's failure becomes a tool error result (isError) whose
// text names the cause and the fix; the server itself never dies of it.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { TOOLS, type ToolPermission } from '../protocol/tools';
import { callTool, ToolError, type ToolContext } from '../runtime/agents/tools';
import type { AgentServices } from '../runtime/agents/services';

export const RUN_RESOURCE_PREFIX = 'tunestudio://runs/';
const RESOURCE_LIST_MAX = 100;

export interface McpServerOptions {
  services: AgentServices;
  allow: ReadonlySet<Exclude<ToolPermission, 'read'>>;
  version: string;
  budgetChars?: number;
}

export function howToAllow(permission: Exclude<ToolPermission, 'read'>): string {
  return `To allow it, restart the server with \`tunestudio mcp --allow ${permission}\` (both: \`--allow submit,stop\`; in mcp.json: "args": ["mcp", "--allow", "submit,stop"]).`;
}

export function createMcpServer(o: McpServerOptions): Server {
  const server = new Server(
    { name: 'tunestudio', title: 'Tune Studio', version: o.version },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        'Tune Studio tracks fine-tuning runs in this workspace. Read with list_runs/get_run/get_history/best/compare/summary/list_alerts; ' +
        'lists are paged (follow `cursor` until it is null). Start work with submit_job or train (they return a job handle at once), ' +
        'then call wait instead of polling; read alerts with list_alerts {after: next_after} so none is missed or read twice.',
    },
  );
  const ctx = (signal?: AbortSignal): ToolContext => ({ services: o.services, allow: o.allow, howToAllow, budgetChars: o.budgetChars, signal });

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((t) => ({ name: t.name, title: t.title, description: t.description, inputSchema: t.inputSchema, outputSchema: t.outputSchema, annotations: t.annotations })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    try {
      const result = await callTool(req.params.name, req.params.arguments ?? {}, ctx(extra.signal));
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
    } catch (e) {
      const msg = e instanceof ToolError ? e.message : `${req.params.name} failed: ${(e as Error)?.message ?? String(e)}`;
      return { content: [{ type: 'text', text: msg }], isError: true };
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    const runs = o.services.runs.list({ limit: RESOURCE_LIST_MAX });
    return {
      resources: runs.map((r) => ({
        uri: `${RUN_RESOURCE_PREFIX}${r.id}/summary`,
        name: `${r.project}/${r.name}`,
        title: `${r.name} (${r.status})`,
        description: `Run ${r.id} in ${r.project}: status, config and metric summary (the newest ${RESOURCE_LIST_MAX} runs are listed; read any run through the template)`,
        mimeType: 'application/json',
      })),
    };
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [{ uriTemplate: `${RUN_RESOURCE_PREFIX}{run}/summary`, name: 'run-summary', title: 'Run summary', description: 'A run (id or unique name): status, config and metric summary, as get_run returns it.', mimeType: 'application/json' }],
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const m = /^tunestudio:\/\/runs\/([^/]+)\/summary$/.exec(req.params.uri);
    if (!m) throw new McpError(ErrorCode.InvalidParams, `unknown resource '${req.params.uri}': run summaries are ${RUN_RESOURCE_PREFIX}{run}/summary`);
    try {
      const result = await callTool('get_run', { run: decodeURIComponent(m[1]) }, ctx());
      return { contents: [{ uri: req.params.uri, mimeType: 'application/json', text: JSON.stringify(result) }] };
    } catch (e) {
      throw new McpError(ErrorCode.InvalidParams, (e as Error).message);
    }
  });

  return server;
}

/** Serves until the transport closes (stdin ends); resolves then. */
export async function serve(o: McpServerOptions, transport: Transport): Promise<void> {
  const server = createMcpServer(o);
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  await server.connect(transport);
  await closed;
}
