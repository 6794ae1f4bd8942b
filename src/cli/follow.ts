// `tunestudio follow`: ingests the run files of unsupervised trainers (the
// Python client outside a job) until none is active, then exits. The Python
// client starts it (detached, no shell) when no follower holds the store; the
// VS Code runtime follows the same files while it is open, and only one
// follower holds a store at a time (a lease row).
import { Command } from 'commander';
import { Follower } from '../runtime/follow/follower';
import { Tracker } from '../runtime/tracking/tracker';
import { CliError, type CliContext } from './context';

export function registerFollowCommand(program: Command, ctx: CliContext): void {
  ctx
    .command(program, 'follow', 'ingest the run files of unsupervised trainers (Python client) until none is active')
    .option('--idle <ms>', 'exit after this long with no active run file (default 1000)')
    .option('--poll <ms>', 'how often files are read when no file event woke us (default 200)')
    .action(async (o: { idle?: string; poll?: string }) => {
      const idleMs = msOption('--idle', o.idle, 1000);
      const pollMs = msOption('--poll', o.poll, 200);
      await follow(ctx, { idleMs, pollMs });
    });
}

function msOption(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag} must be a whole number of milliseconds ≥ 0, got '${v}'`, 2);
  return n;
}

async function follow(ctx: CliContext, o: { idleMs: number; pollMs: number }): Promise<void> {
  const db = ctx.database();
  const tracker = new Tracker(db, { onError: (e) => process.stderr.write(`tunestudio follow: cannot write the store (kept in memory, retrying): ${e.message}\n`) });
  const follower = new Follower({ db, tracker, storeDir: ctx.storeDir, label: 'cli', pollMs: o.pollMs, log: (m) => process.stderr.write(`tunestudio follow: ${m}\n`) });
  let stopping = false;
  const onSignal = () => (stopping = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  follower.start();
  let idleSince = Date.now();
  try {
    while (!stopping) {
      await new Promise((r) => setTimeout(r, Math.min(o.pollMs, 250)));
      if (!follower.isHolder) {
        // VS Code follows for as long as it is open: nothing for us to do.
        const h = follower.leaseHolder();
        if (h?.alive && h.label === 'runtime') break;
      }
      if (follower.activeFiles().length) {
        idleSince = Date.now();
        continue;
      }
      if (Date.now() - idleSince < o.idleMs) continue;
      // Release first, then look once more: a client that saw our follower file wrote its
      // run file before it looked, so that file is seen here (and we go on following).
      follower.release();
      if (follower.activeFiles().length) {
        idleSince = Date.now();
        follower.tick();
        continue;
      }
      break;
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    follower.stop();
    tracker.close();
  }
}
