// `tunestudio sweep SPEC`: a grid or random search over a config, each trial
// a supervised job with the spec's watchers, successive halving at given
// steps (the worse trials stopped through the control channel), the sweep
// kept in the store; `--json` prints the summary with the best trial. It
// schedules its own jobs (the store's scheduler lease, as `tunestudio serve`).
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJsonWithNonFinite } from '../protocol/lines';
import { openAgentServices } from '../runtime/agents/services';
import { checkSweepSpec, expandTrials, SweepRunner, SweepSpecError } from '../runtime/agents/sweep';
import { num, table } from './format';
import { CliError, type CliContext } from './context';

export function registerSweepCommand(program: Command, ctx: CliContext): void {
  ctx
    .command(program, 'sweep', 'run a grid or random search over a config: each trial a supervised job, with successive halving')
    .argument('<spec>', 'a sweep spec (JSON): command with ${param} placeholders, parameters, metric, watchers, halving')
    .option('--slots <n>', 'trials at once (default: all of them)')
    .action(async (file: string, o: { slots?: string }) => {
      const specFile = path.resolve(file);
      let spec;
      try {
        spec = checkSweepSpec(parseJsonWithNonFinite(fs.readFileSync(specFile, 'utf8')));
      } catch (e) {
        if (e instanceof SweepSpecError) throw new CliError(`${file}: ${e.message}`, 2);
        throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
      }
      const root = path.dirname(specFile);
      // Relative paths of the spec (cwd) resolve against its folder.
      if (!spec.cwd) spec.cwd = root;
      const slots = o.slots === undefined ? undefined : Number(o.slots);
      if (slots !== undefined && (!Number.isInteger(slots) || slots < 1)) throw new CliError('--slots must be a whole number ≥ 1', 2);
      const n = expandTrials(spec).length;
      const services = openAgentServices({ storeDir: ctx.storeDir, root, schedule: true, slots: slots ?? n, log: (level, msg) => level !== 'info' && process.stderr.write(`tunestudio sweep: ${level}: ${msg}\n`) });
      let version = services.dataVersion();
      const runner = new SweepRunner({
        db: services.db,
        jobs: services.jobs,
        runs: services.runs,
        queries: () => services.queries,
        // Wake on the next commit (jobs' metrics, state changes), checked every 100 ms; at least once a second.
        changed: async () => {
          const until = Date.now() + 1000;
          while (Date.now() < until) {
            await new Promise((r) => setTimeout(r, 100));
            const v = services.dataVersion();
            if (v !== version) {
              version = v;
              return;
            }
          }
        },
        log: (m) => !ctx.json && process.stderr.write(`tunestudio sweep: ${m}\n`),
      });
      let summary;
      try {
        summary = await runner.run(spec);
      } catch (e) {
        if (e instanceof SweepSpecError) throw new CliError(`${file}: ${e.message}`, 2);
        throw e;
      } finally {
        services.close();
      }
      if (ctx.json) return void process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      console.log(
        table(
          [{ title: '#', align: 'right' }, { title: 'PARAMS', flex: true }, { title: 'STATUS' }, { title: spec.metric.toUpperCase(), align: 'right' }, { title: 'RUN' }, { title: 'REASON', flex: true, min: 8 }],
          summary.trials.map((t) => [String(t.index), JSON.stringify(t.params), t.status ?? '–', t.value === null ? '–' : num(t.value), t.run ?? '–', t.reason ?? '']),
        ),
      );
      console.log(summary.best ? `best: trial ${summary.best.index} ${JSON.stringify(summary.best.params)}, ${spec.metric} ${num(summary.best.value!)} (run ${summary.best.run})` : `no trial finished with a finite ${spec.metric}`);
    });
}
