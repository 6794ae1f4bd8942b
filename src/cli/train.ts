// `tunestudio train CONFIG.tunetrain.json`: the built-in LoRA trainer as a
// tracked run — in the foreground under the job supervisor (output passed
// through, Ctrl-C cancels), or queued as a job with --submit.
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJsonWithNonFinite } from '../protocol/lines';
import { JobsService } from '../runtime/jobs/jobsService';
import { builtinArgv, trainerEnv } from '../runtime/jobs/paths';
import { resolveJobSpec } from '../runtime/jobs/spec';
import { checkTrainConfig } from '../runtime/training/config';
import { CliError, type CliContext } from './context';
import { superviseInForeground } from './run';

export function registerTrainCommand(program: Command, ctx: CliContext): void {
  ctx
    .command(program, 'train', 'train a LoRA adapter with the built-in trainer (tfjs) from a *.tunetrain.json config')
    .argument('<config>', 'a *.tunetrain.json file')
    .option('--resume <checkpoint>', "resume from a checkpoint folder, or 'latest'")
    .option('--backend <name>', 'auto, tfjs-node-gpu, tfjs-node, wasm or cpu (default: the config, else auto)')
    .option('--project <name>', 'project', 'training')
    .option('--submit', 'queue it as a job (the scheduler runs it) instead of running it here')
    .action(async (file: string, o: { resume?: string; backend?: string; project: string; submit?: boolean }) => {
      const config = path.resolve(file);
      let raw: unknown;
      try {
        raw = parseJsonWithNonFinite(fs.readFileSync(config, 'utf8'));
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
      }
      const problems = checkTrainConfig(raw, path.dirname(config), { skipMemory: true });
      for (const p of problems) process.stderr.write(`${file}${p.path ? ` ${p.path}` : ''}: ${p.severity}: ${p.message}\n`);
      const errors = problems.filter((p) => p.severity === 'error');
      if (errors.length) throw new CliError(`${errors.length} problem${errors.length === 1 ? '' : 's'} in ${file}; fix ${errors.length === 1 ? 'it' : 'them'} and try again`);
      const name = ((raw as { name?: string }).name ?? path.basename(config).replace(/\.tunetrain\.json$|\.json$/i, '')) || 'training';
      const extra = [...(o.resume ? ['--resume', o.resume] : []), ...(o.backend ? ['--backend', o.backend] : [])];
      const watches = [{ metric: 'train/loss', opts: { nan: true } }];
      if (o.submit) {
        const spec = resolveJobSpec(
          { name, project: o.project, command: [...builtinArgv(config), ...extra], parsers: ['protocol'], watchers: watches.map((w) => ({ metric: w.metric, ...w.opts })) },
          { baseDir: path.dirname(config) },
        );
        const job = new JobsService({ db: ctx.database(), storeDir: ctx.storeDir, trusted: () => true, baseDir: () => path.dirname(config) }).enqueue(spec);
        if (ctx.json) process.stdout.write(JSON.stringify(job, null, 2) + '\n');
        else console.log(job.id);
        return;
      }
      await superviseInForeground(ctx, {
        argv: [...builtinArgv(config), ...extra],
        cwd: path.dirname(config),
        project: o.project,
        name,
        watches,
        parsers: ['protocol'],
        stallTimeoutS: 1800,
        env: trainerEnv(ctx.storeDir),
      });
    });
}
