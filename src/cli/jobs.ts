// Job commands of the `tunestudio` CLI: submit, jobs, cancel, logs, serve —
// a thin face over JobsService (the same rules as the runtime's requests).
// They work on the store's persistent queue; the scheduler (VS Code's runtime
// or `tunestudio serve`) starts the jobs.
import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JOB_STATES, type JobState } from '../protocol/jobs';
import { JobsService, JobSpecError } from '../runtime/jobs/jobsService';
import { Tracker } from '../runtime/tracking/tracker';
import { duration, num, table, when } from './format';
import { CliError, type CliContext } from './context';
import { parserSpec } from './run';
import { collect, parseWatchArgs, seconds } from './options';

function jsonOut(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}


interface SlurmCliOptions {
  slurm?: boolean;
  local?: boolean;
  partition?: string;
  gpus?: string;
  gres?: string;
  cpus?: string;
  mem?: string;
  time?: string;
  account?: string;
  qos?: string;
  constraint?: string;
  sbatchArg: string[];
}

/** `--slurm --partition gpu --time 4:00:00 …` → {backend: 'slurm', slurm: {…}} (each option one sbatch option). */
export function slurmOverrides(o: SlurmCliOptions): Record<string, unknown> {
  if (o.slurm && o.local) throw new CliError('give --slurm or --local, not both', 2);
  const slurm: Record<string, unknown> = {};
  for (const k of ['partition', 'gpus', 'gres', 'mem', 'time', 'account', 'qos', 'constraint'] as const) if (o[k] !== undefined) slurm[k] = o[k];
  if (o.cpus !== undefined) {
    const n = Number(o.cpus);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`--cpus must be a whole number of CPUs, got '${o.cpus}'`, 2);
    slurm.cpus = n;
  }
  if (o.sbatchArg.length) slurm.extra_args = o.sbatchArg;
  if (o.local) {
    if (Object.keys(slurm).length) throw new CliError('Slurm options (--partition, --time, …) were given with --local; drop --local to run on Slurm', 2);
    return { backend: 'local' };
  }
  if (!o.slurm && !Object.keys(slurm).length) return {};
  return { backend: 'slurm', ...(Object.keys(slurm).length ? { slurm } : {}) };
}

export function registerJobCommands(program: Command, ctx: CliContext): void {
  /** The CLI is its user's own hand: always trusted; inline commands resolve against the current folder. */
  const service = () => new JobsService({ db: ctx.database(), storeDir: ctx.storeDir, trusted: () => true, baseDir: () => process.cwd() });

  ctx
    .command(program, 'submit', 'queue a job: a command (after --) or a *.tunejob.json file; prints the job id')
    .usage('[options] FILE.tunejob.json | [options] -- COMMAND [ARGS...]')
    .argument('[command...]', 'a *.tunejob.json file, or the command and its arguments after --')
    .option('--name <name>', 'run name')
    .option('--project <name>', 'project')
    .option('--priority <n>', 'higher runs first (default 0)')
    .option('--watch <json>', 'a watcher as JSON (repeatable)', collect, [])
    .option('--parser <spec>', 'protocol, hf, regex:lightning, regex:ace-step, tfevents:DIR (repeatable)', collect, [])
    .option('--stall-timeout <seconds>', 'fail the job after this long without output or progress (default 600)')
    .option('--grace <seconds>', 'seconds between asking to stop, SIGTERM and SIGKILL (default 10)')
    .option('--slurm', 'run it on Slurm (sbatch); the options below imply it')
    .option('--local', 'run it on this machine, whatever the spec or the setting says')
    .option('--partition <name>', 'Slurm partition')
    .option('--gpus <n>', 'Slurm --gpus, e.g. 1 or a100:2')
    .option('--gres <spec>', 'Slurm --gres, e.g. gpu:1')
    .option('--cpus <n>', 'Slurm --cpus-per-task')
    .option('--mem <size>', 'Slurm --mem, e.g. 16G')
    .option('--time <limit>', 'Slurm --time, e.g. 4:00:00')
    .option('--account <name>', 'Slurm --account')
    .option('--qos <name>', 'Slurm --qos')
    .option('--constraint <expr>', 'Slurm --constraint')
    .option('--sbatch-arg <arg>', 'one more sbatch argument, e.g. --sbatch-arg=--exclusive (repeatable)', collect, [])
    .action((args: string[], o: { name?: string; project?: string; priority?: string; watch: string[]; parser: string[]; stallTimeout?: string; grace?: string } & SlurmCliOptions) => {
      if (!args.length) throw new CliError('give a *.tunejob.json file or a command after --, e.g. tunestudio submit -- python train.py', 2);
      const isFile = args.length === 1 && /\.tunejob\.json$/i.test(args[0]);
      const over: Record<string, unknown> = {};
      if (o.name) over.name = o.name;
      if (o.project) over.project = o.project;
      if (o.priority !== undefined) over.priority = Number(o.priority);
      if (o.stallTimeout !== undefined) over.stall_timeout_s = seconds('--stall-timeout', o.stallTimeout);
      if (o.grace !== undefined) over.grace_s = seconds('--grace', o.grace);
      if (o.parser.length) over.parsers = o.parser.map(parserSpec);
      if (o.watch.length) over.watchers = parseWatchArgs(o.watch).map((w) => ({ metric: w.metric, ...w.opts }));
      Object.assign(over, slurmOverrides(o));
      const jobs = service();
      let job;
      try {
        job = isFile ? jobs.submit({ specFile: path.resolve(args[0]), overrides: over }) : jobs.submit({ spec: { command: args, ...over } });
      } catch (e) {
        if (e instanceof JobSpecError) throw new CliError(`the job has problems: ${e.message}`);
        throw e;
      }
      const scheduled = jobs.scheduled();
      if (ctx.json) return jsonOut({ ...job, scheduler_running: scheduled });
      console.log(job.id);
      if (!scheduled) process.stderr.write('note: no scheduler is running for this store; open the workspace in VS Code with Tune Studio, or run `tunestudio serve`\n');
    });

  ctx
    .command(program, 'jobs', 'list jobs: running, queued (in order), then finished')
    .addOption(new Option('--state <state...>', 'only these states').choices([...JOB_STATES]))
    .option('--limit <n>', 'at most n jobs')
    .action((o: { state?: JobState[]; limit?: string }) => {
      if (!ctx.json && !fs.existsSync(path.join(ctx.storeDir, 'studio.db'))) return console.log(`No jobs yet (store: ${ctx.storeDir}).`);
      const jobs = fs.existsSync(path.join(ctx.storeDir, 'studio.db')) ? service().list({ states: o.state, limit: o.limit ? Number(o.limit) : undefined }) : [];
      if (ctx.json) return jsonOut(jobs);
      if (!jobs.length) return console.log('No jobs.');
      console.log(
        table(
          [{ title: 'ID' }, { title: 'NAME', flex: true }, { title: 'STATE' }, { title: 'PROGRESS', flex: true }, { title: 'RUN' }, { title: 'CREATED' }, { title: 'REASON', flex: true, min: 8 }],
          jobs.map((j) => [
            j.id,
            j.name,
            j.state + (j.queue_position ? ` #${j.queue_position}` : ''),
            j.progress ? `${num(j.progress.current)}${j.progress.total ? `/${num(j.progress.total)}` : ''}${j.progress.eta_s !== null ? ` eta ${duration(j.progress.eta_s)}` : ''}` : '–',
            j.run_id ?? '–',
            when(j.created_at),
            j.reason ?? (j.exit_code !== null ? `exit ${j.exit_code}` : ''),
          ]),
        ),
      );
    });

  ctx
    .command(program, 'cancel', 'cancel a job: queued → cancelled now; running → asked to stop, then SIGTERM, then SIGKILL')
    .argument('<job>', 'job id (or a unique prefix, or its name)')
    .option('--reason <text>', 'why', 'cancelled from the command line')
    .action((ref: string, o: { reason: string }) => {
      const r = service().cancel(ref, o.reason);
      if (ctx.json) return jsonOut({ job: r.job, immediate: r.immediate });
      console.log(r.immediate ? `cancelled ${r.job.id} (${r.job.name}) before it started` : `cancel requested for ${r.job.id} (${r.job.name}); the scheduler stops it`);
    });

  ctx
    .command(program, 'logs', "print a job's log (progress-bar frames collapsed)")
    .argument('<job>', 'job id (or a unique prefix, or its name)')
    .option('-f, --follow', 'keep printing as the log grows, until the job ends')
    .action(async (ref: string, o: { follow?: boolean }) => {
      const s = service();
      const job = s.get(ref);
      let pos = 0;
      const dump = () => {
        let fd: number;
        try {
          fd = fs.openSync(job.log_path, 'r');
        } catch {
          return;
        }
        try {
          const size = fs.fstatSync(fd).size;
          const buf = Buffer.alloc(64 * 1024);
          while (pos < size) {
            const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
            if (n <= 0) break;
            process.stdout.write(buf.subarray(0, n));
            pos += n;
          }
        } finally {
          fs.closeSync(fd);
        }
      };
      dump();
      if (!o.follow) {
        if (pos === 0 && !ctx.json) process.stderr.write(`(no output yet from ${job.id}, ${job.state})\n`);
        return;
      }
      for (;;) {
        const state = s.get(job.id).state;
        dump();
        if (['completed', 'failed', 'cancelled', 'stopped'].includes(state)) {
          dump();
          process.stderr.write(`-- job ${job.id} ${state}\n`);
          return;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    });

  ctx
    .command(program, 'serve', 'run the scheduler without VS Code: start queued jobs, supervise them, track their runs')
    .option('--slots <n>', 'jobs at once (default 1)', '1')
    .action(async (o: { slots: string }) => {
      const slots = Number(o.slots);
      if (!Number.isInteger(slots) || slots < 1) throw new CliError('--slots must be a whole number ≥ 1', 2);
      const db = ctx.database();
      const tracker = new Tracker(db, { onError: (e) => process.stderr.write(`tunestudio serve: cannot write the store: ${e.message}\n`) });
      let lastSaid = '';
      const say = () => {
        const now = jobs.schedulerStatus()?.detail ?? '';
        if (now !== lastSaid) {
          lastSaid = now;
          process.stderr.write(`${now}\n`);
        }
      };
      const jobs = new JobsService({
        db,
        storeDir: ctx.storeDir,
        trusted: () => true,
        baseDir: () => process.cwd(),
        scheduler: {
          tracker,
          slots: () => slots,
          log: (level, msg) => level !== 'debug' && process.stderr.write(`${new Date().toISOString()} ${level}: ${msg}\n`),
          onChange: () => say(),
          label: 'tunestudio serve',
        },
      });
      jobs.start();
      process.stderr.write(`tunestudio serve: store ${ctx.storeDir}; Ctrl-C to stop (running jobs go on and are adopted by the next scheduler)\n`);
      const said = setInterval(say, 1000);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      clearInterval(said);
      jobs.stop();
      tracker.close();
    });
}
