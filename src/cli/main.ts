// The `tunestudio` command line: the same services as the runtime, in-process
// on the same store. Exit codes: 0 ok, 1 error, 2 usage.
import { Command, CommanderError } from 'commander';
import { CliContext, CliError } from './context';
import { registerTrackingCommands } from './tracking';
import { registerRunCommand } from './run';
import { registerJobCommands } from './jobs';
import { registerTrainCommand } from './train';
import { registerDatasetCommands } from './dataset';
import { registerFollowCommand } from './follow';
import { registerImportCommand } from './import';
import { registerMcpCommand } from './mcp';
import { registerSweepCommand } from './sweep';
import { refuseLocalWhenRemote, registerServerCommand } from './server';

declare const TUNESTUDIO_VERSION: string;
export const VERSION = typeof TUNESTUDIO_VERSION === 'string' ? TUNESTUDIO_VERSION : '0.0.0-dev';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command();
  program
    .name('tunestudio')
    .description('Tune Studio: track, supervise and compare fine-tuning runs from the command line.\nEvery command takes --json; exit codes: 0 ok, 1 error, 2 usage.')
    .version(VERSION, '-v, --version')
    .option('--json', 'machine-readable output')
    .option('--dir <dir>', 'store folder (default: $TUNESTUDIO_DIR, else the nearest .tunestudio/ upward, else ./.tunestudio)')
    .option('--server <url>', 'a team server (default: $TUNESTUDIO_SERVER; the token comes from $TUNESTUDIO_TOKEN)')
    .showHelpAfterError('(run "tunestudio --help" for usage)')
    .configureHelp({ helpWidth: 100 });
  program.hook('preAction', (_root, action) => {
    const all = { ...program.opts(), ...action.opts() } as { json?: boolean; dir?: string; server?: string };
    ctx.json = !!all.json;
    ctx.dir = all.dir;
    ctx.server = all.server;
    refuseLocalWhenRemote(ctx, action);
  });
  registerTrackingCommands(program, ctx);
  registerRunCommand(program, ctx);
  registerJobCommands(program, ctx);
  registerTrainCommand(program, ctx);
  registerDatasetCommands(program, ctx);
  registerFollowCommand(program, ctx);
  registerImportCommand(program, ctx);
  registerMcpCommand(program, ctx);
  registerSweepCommand(program, ctx);
  registerServerCommand(program, ctx);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const ctx = new CliContext();
  const program = buildProgram(ctx);
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    const code = e instanceof CliError ? e.exitCode : 1;
    const msg = (e as Error).message;
    if (ctx.json) process.stderr.write(JSON.stringify({ error: msg }) + '\n');
    else process.stderr.write(`tunestudio: ${msg}\n`);
    return code;
  } finally {
    ctx.close();
  }
}
