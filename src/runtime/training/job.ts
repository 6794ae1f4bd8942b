// Entry point of the built-in trainer process (bundled to dist/trainer.js):
//   node dist/trainer.js CONFIG.tunetrain.json [--resume CHECKPOINT|latest] [--backend NAME]
// Exit code 0 when training finished or was stopped (after a checkpoint),
// 1 on an error (with a message naming the cause), 2 on bad usage.
import { trainerMain } from './trainerMain';

const signals = ['SIGTERM', 'SIGINT'] as const;

trainerMain(process.argv.slice(2), {
  env: process.env,
  stdout: (line) => process.stdout.write(line + '\n'),
  stderr: (line) => process.stderr.write(line + '\n'),
  // a terminal is not a control channel; a pipe from the supervisor is
  stdin: process.stdin.isTTY ? null : process.stdin,
  onSignal: (handler) => {
    const fns = signals.map((s) => {
      const fn = () => handler(s);
      process.on(s, fn);
      return [s, fn] as const;
    });
    return () => fns.forEach(([s, fn]) => process.off(s, fn));
  },
}).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`tunestudio trainer: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
