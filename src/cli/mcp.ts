// `tunestudio mcp`: the Model Context Protocol server over stdio, for agents
// (VS Code's mcp.json, Claude Desktop, Cursor, any MCP client). stdout
// carries only protocol messages; notes go to stderr. Actions that start or
// stop work are off unless --allow names them; with submit allowed the server
// also schedules (takes the store's scheduler lease when it is free) so a
// submitted job starts without VS Code.
import { Command } from 'commander';
import * as path from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { ToolPermission } from '../protocol/tools';
import { openAgentServices } from '../runtime/agents/services';
import { createMcpServer } from '../mcp/server';
import { CliError, type CliContext } from './context';

declare const TUNESTUDIO_VERSION: string;

export function parseAllow(v: string | undefined): Set<Exclude<ToolPermission, 'read'>> {
  const out = new Set<Exclude<ToolPermission, 'read'>>();
  for (const part of (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (part !== 'submit' && part !== 'stop') throw new CliError(`--allow: unknown action '${part}'; allow submit, stop or both (--allow submit,stop)`, 2);
    out.add(part);
  }
  return out;
}

export function registerMcpCommand(program: Command, ctx: CliContext): void {
  ctx
    .command(program, 'mcp', 'serve the agent tools over the Model Context Protocol (stdio) for MCP clients')
    .option('--allow <actions>', 'let agents start and stop work: submit, stop or submit,stop (default: read only)')
    .option('--root <dir>', 'workspace folder: relative paths resolve here and must stay inside (default: the folder holding the store)')
    .option('--no-schedule', 'with --allow submit, only queue jobs (another scheduler — VS Code, tunestudio serve — starts them)')
    .option('--slots <n>', 'with scheduling: jobs at once (default 1)', '1')
    .option('--budget <chars>', 'cut replies to about this many characters of JSON (default 20000)')
    .action(async (o: { allow?: string; root?: string; schedule: boolean; slots: string; budget?: string }) => {
      const allow = parseAllow(o.allow);
      const slots = Number(o.slots);
      if (!Number.isInteger(slots) || slots < 1) throw new CliError('--slots must be a whole number ≥ 1', 2);
      const budget = o.budget === undefined ? undefined : Number(o.budget);
      if (budget !== undefined && (!Number.isInteger(budget) || budget < 1000)) throw new CliError('--budget must be a whole number of characters ≥ 1000', 2);
      const storeDir = ctx.storeDir;
      const root = path.resolve(o.root ?? (path.basename(storeDir) === '.tunestudio' ? path.dirname(storeDir) : process.cwd()));
      const services = openAgentServices({
        storeDir,
        root,
        schedule: allow.has('submit') && o.schedule,
        slots,
        log: (level, msg) => process.stderr.write(`tunestudio mcp: ${level}: ${msg}\n`),
      });
      const server = createMcpServer({ services, allow, budgetChars: budget, version: typeof TUNESTUDIO_VERSION === 'string' ? TUNESTUDIO_VERSION : '0.0.0-dev' });
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => (server.onclose = () => resolve()));
      await server.connect(transport);
      process.stderr.write(`tunestudio mcp: store ${storeDir}; workspace ${root}; ${allow.size ? `allowed: ${[...allow].join(', ')}` : 'read only (start with --allow submit,stop to let agents start and stop work)'}\n`);
      // The SDK's stdio transport does not notice the end of stdin: the client closing it ends the server.
      const end = () => void server.close();
      process.stdin.once('end', end);
      process.stdin.once('close', end);
      process.once('SIGINT', end);
      process.once('SIGTERM', end);
      await closed;
      // Running jobs go on (they are their own process groups) and are adopted by the next scheduler.
      services.close();
    });
}
