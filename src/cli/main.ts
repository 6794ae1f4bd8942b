// The `tunestudio` command line: the same services as the runtime, in-process
// on the same store. Exit codes: 0 ok, 1 error, 2 usage.
import { Command, CommanderError } from 'commander';

declare const TUNESTUDIO_VERSION: string;
export const VERSION = typeof TUNESTUDIO_VERSION === 'string' ? TUNESTUDIO_VERSION : '0.0.0-dev';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tunestudio')
    .description('Tune Studio: track, supervise and compare fine-tuning runs from the command line.')
    .version(VERSION, '-v, --version')
    .option('--dir <dir>', 'store folder (default: $TUNESTUDIO_DIR, else the nearest .tunestudio/ upward, else ./.tunestudio)')
    .showHelpAfterError('(run "tunestudio --help" for usage)');
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    process.stderr.write(`tunestudio: ${(e as Error).message}\n`);
    return 1;
  }
}
