// `tunestudio run -- CMD ARGS...`: runs a command under the same supervisor
// the runtime uses for jobs — no shell, output passed through, protocol lines
// and log formats ingested, watchers applied, a stop request honoured (control
// channel, then SIGTERM, then SIGKILL) — and exits with the command's exit code.
import { Command } from 'commander';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { createParsers, ParserSpecError } from '../runtime/ingest/spec';
import type { ParserSpec } from '../runtime/ingest/types';
import { Supervisor } from '../runtime/jobs/supervisor';
import { runStatusFor } from '../runtime/jobs/scheduler';
import { Tracker } from '../runtime/tracking/tracker';
import { CliError, type CliContext } from './context';
import { collect, parseJsonArg, parseWatchArgs, seconds } from './options';
import { launcherPath } from '../runtime/jobs/paths';



export function registerRunCommand(program: Command, ctx: CliContext): void {
  ctx
    .command(program, 'run', 'run a command and track it: no shell, output passed through, exit code kept')
    .usage('[options] -- COMMAND [ARGS...]')
    .option('--project <name>', 'project', 'default')
    .option('--name <name>', 'run name (default: generated)')
    .option('--config <json>', 'run config as a JSON object')
    .option('--watch <json>', 'a watcher as JSON, e.g. {"metric":"train/loss","nan":true} (repeatable)', collect, [])
    .option('--parser <spec>', 'parsers to use: protocol, hf, regex:lightning, regex:ace-step, tfevents:DIR (repeatable; default protocol, regex:lightning, hf)', collect, [])
    .option('--stall-timeout <seconds>', 'stop the command after this long without output or progress (default 600)')
    .option('--grace <seconds>', 'seconds between asking to stop, SIGTERM and SIGKILL (default 10)')
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .action(async (argv: string[], o: { project: string; name?: string; config?: string; watch: string[]; parser: string[]; stallTimeout?: string; grace?: string }) => {
      const config = o.config ? parseJsonArg('--config', o.config) : undefined;
      if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) throw new CliError('--config must be a JSON object', 2);
      const watches = parseWatchArgs(o.watch);
      await superviseInForeground(ctx, {
        argv,
        cwd: process.cwd(),
        project: o.project,
        name: o.name,
        config: config as Record<string, unknown> | undefined,
        watches,
        parsers: o.parser.length ? o.parser.map(parserSpec) : undefined,
        stallTimeoutS: seconds('--stall-timeout', o.stallTimeout),
        graceS: seconds('--grace', o.grace),
      });
    });
}

export interface ForegroundOptions {
  argv: string[];
  cwd: string;
  project: string;
  name?: string;
  config?: Record<string, unknown>;
  watches: Array<{ metric: string; opts: Record<string, unknown> }>;
  parsers?: ParserSpec[];
  stallTimeoutS?: number;
  graceS?: number;
  env?: Record<string, string>;
}

/**
 * Runs a command under the job supervisor in this process (`tunestudio run`,
 * `tunestudio train`): a run is created, output is passed through, Ctrl-C
 * cancels, and process.exitCode becomes the command's exit code.
 */
export async function superviseInForeground(ctx: CliContext, f: ForegroundOptions): Promise<void> {
  let parsers;
  try {
    parsers = createParsers(f.parsers, { cwd: f.cwd, since: Date.now() });
  } catch (e) {
    if (e instanceof ParserSpecError) throw new CliError(e.message, 2);
    throw e;
  }
  const db = ctx.database();
  const tracker = new Tracker(db, { onError: (e) => process.stderr.write(`tunestudio: cannot write the store: ${e.message}\n`) });
  const run = tracker.createRun({ project: f.project, name: f.name, config: { ...(f.config ?? {}), command: f.argv } });
  for (const w of f.watches) tracker.watch(run.id, w.metric, w.opts);
  const jobDir = path.join(ctx.storeDir, 'jobs', `run-${run.id}`);
  const sup = new Supervisor({
    command: { argv: f.argv, cwd: f.cwd, env: f.env, stallTimeoutS: f.stallTimeoutS, graceS: f.graceS },
    jobDir,
    runId: run.id,
    tracker,
    parsers: parsers.lines,
    tailers: parsers.tailers,
    launcher: launcherPath(),
    echo: (chunk) => process.stdout.write(chunk),
    log: (m) => process.stderr.write(`tunestudio: ${m}\n`),
  });
  let started: { pid: number; startToken: string | null };
  try {
    started = sup.start();
  } catch (e) {
    tracker.finishRun(run.id, 'failed', { reason: (e as Error).message });
    throw new CliError((e as Error).message);
  }
  db.prepare(`UPDATE runs SET pid = ?, pid_start = ? WHERE id = ?`).run(started.pid, started.startToken, run.id);
  // Ctrl-C reaches only our process group (the job has its own): pass it on as a cancel.
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\ntunestudio: cancelling (Ctrl-C again to kill at once)…\n');
      sup.cancel('interrupted (Ctrl-C)');
    } else {
      try {
        process.kill(-started.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const outcome = await sup.done;
  process.removeListener('SIGINT', onSigint);
  process.removeListener('SIGTERM', onSigint);
  tracker.finishRun(run.id, runStatusFor(outcome.state), { exitCode: outcome.exitCode, signal: outcome.signal, reason: outcome.reason });
  tracker.close();
  if (outcome.state !== 'completed') {
    process.stderr.write(`tunestudio: run ${run.name} (${run.id}) ${runStatusFor(outcome.state)}${outcome.reason ? `: ${outcome.reason}` : ''}\n`);
  }
  if (ctx.json) process.stderr.write(JSON.stringify({ run: run.id, status: runStatusFor(outcome.state), exit_code: outcome.exitCode, signal: outcome.signal, reason: outcome.reason }) + '\n');
  fs.rmSync(path.join(jobDir, 'control.json'), { force: true });
  process.exitCode = outcome.exitCode ?? (outcome.signal ? 128 + (signalNumber(outcome.signal) ?? 0) : 1);
}

function signalNumber(sig: string): number | undefined {
  return (os.constants.signals as Record<string, number>)[sig];
}

/** `protocol`, `hf`, `regex:lightning`, `tfevents:DIR`, or a JSON spec. */
export function parserSpec(s: string): ParserSpec {
  if (s === 'protocol' || s === 'hf') return s;
  if (s.startsWith('regex:')) return { regex: s.slice(6) as 'lightning' };
  if (s.startsWith('tfevents:')) return { tfevents: s.slice(9) };
  if (s.trim().startsWith('{')) return parseJsonArg('--parser', s) as ParserSpec;
  throw new CliError(`unknown parser '${s}': use protocol, hf, regex:lightning, regex:ace-step, tfevents:DIR or a JSON spec`, 2);
}
