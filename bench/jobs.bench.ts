// Supervision overhead per job (issue 4), beside running the same command
// bare in the same process (through JobRunner, the path scheduled jobs and
// `tunestudio run` share): the time from start to a settled outcome for a
// trivial command, and for a command printing 100,000 metric lines that the
// supervisor tails, parses and stores.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createParsers } from '../src/runtime/ingest/spec';
import { JobRunner, createJobRun } from '../src/runtime/jobs/jobRunner';
import { launcherPath } from '../src/runtime/jobs/paths';
import { openDatabase } from '../src/runtime/store/db';
import { Tracker } from '../src/runtime/tracking/tracker';
import { median, ratio, saveResults, workDir } from './lib';

function bare(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
}

async function supervised(dir: string, tracker: Tracker, argv: string[], i: number): Promise<void> {
  // The same path as a scheduled job and `tunestudio run`: JobRunner (run, supervisor, commit hook, settle).
  const run = createJobRun(tracker, { project: 'bench' });
  const runner = new JobRunner({
    tracker,
    runId: run.id,
    jobDir: path.join(dir, 'jobs', String(i)),
    command: { argv, cwd: dir },
    parsers: createParsers(undefined, { cwd: dir }),
    launcher: launcherPath(),
    saveOffsets: () => undefined,
    resourceIntervalMs: 0,
    pollMs: 50,
  });
  runner.start();
  const o = await runner.settled;
  if (o.state !== 'completed') throw new Error(`job ${o.state}: ${o.reason}`);
}

async function measure(n: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  await fn(-1);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  const dir = workDir('jobs');
  const db = openDatabase(path.join(dir, 'store'));
  const tracker = new Tracker(db);
  const trivial = [process.execPath, '-e', '0'];
  const lines = 100_000;
  const emit = path.join(dir, 'emit.js');
  fs.writeFileSync(
    emit,
    `let b = []; for (let s = 0; s < ${lines}; s++) { b.push('@tunestudio {"step":' + s + ',"metrics":{"train/loss":' + Math.exp(-s / 1e4) + '}}'); if (b.length === 1000) { process.stdout.write(b.join('\\n') + '\\n'); b = []; } }`,
  );
  const chatty = [process.execPath, emit];
  let k = 0;
  const bareTrivial = median(await measure(7, () => bare(trivial)));
  const supTrivial = median(await measure(7, () => supervised(dir, tracker, trivial, k++)));
  const bareChatty = median(await measure(3, () => bare(chatty)));
  const supChatty = median(await measure(3, () => supervised(dir, tracker, chatty, k++)));
  const res = {
    trivial_bare_ms: Math.round(bareTrivial),
    trivial_supervised_ms: Math.round(supTrivial),
    per_job_overhead_ms: Math.round(supTrivial - bareTrivial),
    lines,
    chatty_bare_ms: Math.round(bareChatty),
    chatty_supervised_ms: Math.round(supChatty),
    supervised_lines_per_s: Math.round(lines / (supChatty / 1000)),
    chatty_slowdown: ratio(supChatty, bareChatty),
  };
  console.log(
    `a trivial job: bare ${res.trivial_bare_ms} ms, supervised ${res.trivial_supervised_ms} ms (launcher, log file, tail, run, outcome: +${res.per_job_overhead_ms} ms)\n` +
      `${lines} metric lines: bare ${res.chatty_bare_ms} ms, supervised and stored ${res.chatty_supervised_ms} ms (${res.supervised_lines_per_s} lines/s; ${res.chatty_slowdown}× the bare time)`,
  );
  tracker.close();
  db.close();
  saveResults('jobs', res);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
