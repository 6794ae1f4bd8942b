// `tunestudio run -- CMD ARGS...`: runs a command through the same job runner
// the runtime uses for jobs — no shell, stdout and stderr passed through apart
// (protocol lines not echoed), protocol lines and log formats ingested,
// watchers applied and their alerts printed as they fire, a stop request
// honoured (control channel, then SIGTERM, then SIGKILL) — and exits with the
// command's exit code.
import { Command } from 'commander';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { createParsers, ParserSpecError } from '../runtime/ingest/spec';
import type { ParserSpec } from '../runtime/ingest/types';
import { JobRunner, createJobRun, runStatusFor } from '../runtime/jobs/jobRunner';
import { foregroundRunDir } from '../runtime/jobs/jobStore';
import { Queries } from '../runtime/tracking/queries';
import { Tracker } from '../runtime/tracking/tracker';
import type { Alert } from '../protocol/tracking';
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
 * Runs a command through the job runner in this process (`tunestudio run`,
 * `tunestudio train`): a run is created, the command's stdout is passed
 * through to our stdout and its stderr to our stderr (protocol lines left
 * out), each alert is printed on stderr as it is raised, Ctrl-C cancels, and
 * process.exitCode becomes the command's exit code.
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
  let echoAlerts: () => void = () => undefined;
  const tracker = new Tracker(db, {
    onError: (e) => process.stderr.write(`tunestudio: cannot write the store: ${e.message}\n`),
    onFlush: (info) => info.alerts > 0 && echoAlerts(),
  });
  let run;
  try {
    run = createJobRun(tracker, { project: f.project, name: f.name, config: { ...(f.config ?? {}), command: f.argv }, watchers: f.watches });
  } catch (e) {
    tracker.close();
    throw new CliError((e as Error).message, 2);
  }
  echoAlerts = alertEcho(new Queries(db), run.id);
  const jobDir = foregroundRunDir(ctx.storeDir, run.id);
  const runner = new JobRunner({
    tracker,
    runId: run.id,
    jobDir,
    command: { argv: f.argv, cwd: f.cwd, env: f.env, stallTimeoutS: f.stallTimeoutS, graceS: f.graceS },
    parsers,
    launcher: launcherPath(),
    splitStderr: true,
    on: { onOutput: (stream, text) => (stream === 'stderr' ? process.stderr : process.stdout).write(text) },
    log: (m) => process.stderr.write(`tunestudio: ${m}\n`),
  });
  let started: { pid: number | null; startToken: string | null };
  try {
    started = runner.start();
  } catch (e) {
    tracker.finishRun(run.id, 'failed', { reason: (e as Error).message });
    tracker.close();
    throw new CliError((e as Error).message);
  }
  // Ctrl-C reaches only our process group (the job has its own): pass it on as a cancel.
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\ntunestudio: cancelling (Ctrl-C again to kill at once)…\n');
      runner.cancel('interrupted (Ctrl-C)');
    } else {
      try {
        if (started.pid !== null) process.kill(-started.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const outcome = await runner.settled;
  process.removeListener('SIGINT', onSigint);
  process.removeListener('SIGTERM', onSigint);
  echoAlerts();
  tracker.close();
  const status = runStatusFor(outcome.state);
  if (outcome.state !== 'completed') process.stderr.write(`tunestudio: run ${run.name} (${run.id}) ${finalWords(status, outcome.reason)}\n`);
  if (ctx.json) process.stderr.write(JSON.stringify({ run: run.id, status, exit_code: outcome.exitCode, signal: outcome.signal, reason: outcome.reason }) + '\n');
  fs.rmSync(path.join(jobDir, 'control.json'), { force: true });
  process.exitCode = outcome.exitCode ?? (outcome.signal ? 128 + (signalNumber(outcome.signal) ?? 0) : 1);
}

/** "stopped: enough", "failed: exit code 7" — the status once, even when the reason starts with it. */
export function finalWords(status: string, reason: string | null): string {
  if (!reason) return status;
  return reason.startsWith(`${status}:`) || reason === status ? reason : `${status}: ${reason}`;
}

/**
 * Prints each alert of the run on stderr once, when it is raised, as
 * trackio does (`[TRACKIO WARN] …`): `[tunestudio warn] train/loss is NaN at
 * step 60 — stopping the run`. Returns the function to call after each flush.
 */
export function alertEcho(queries: Queries, runId: string, write: (s: string) => void = (s) => process.stderr.write(s)): () => void {
  let lastId = 0;
  return () => {
    const fresh = queries.alerts({ run: runId, after: lastId }).sort((a, b) => a.id - b.id);
    for (const a of fresh) {
      lastId = Math.max(lastId, a.id);
      write(`${formatAlertLine(a)}\n`);
    }
  };
}

export function formatAlertLine(a: Pick<Alert, 'level' | 'title' | 'step' | 'data'>): string {
  const at = a.step !== null && a.step !== undefined && !a.title.includes(`step ${a.step}`) ? ` at step ${a.step}` : '';
  const stops = a.data?.stop === true ? ' — stopping the run' : '';
  return `[tunestudio ${a.level}] ${a.title}${at}${stops}`;
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
