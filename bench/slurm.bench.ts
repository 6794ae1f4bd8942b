// Slurm backend (issue 18) on a real one-node Slurm that the bench starts
// itself (test/helpers/slurm/start-slurm.sh; root, slurm-wlm installed):
//   - submit-to-running and submit-to-settled latency of a trivial job
//     through our path (argv.json + batch script + sbatch, SlurmPoller,
//     JobRunner with a RemoteProcess), beside bare `sbatch --wrap true`
//     followed by the same squeue polling, and beside the same job run
//     locally through JobRunner;
//   - metric latency: a job on the node writes `@tunestudio` lines carrying
//     the time they were written; the time until each point is committed to
//     the store.
// The poll interval is the bench's (300 ms; a real cluster keeps the 10 s floor).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createParsers } from '../src/runtime/ingest/spec';
import { JobRunner, createJobRun } from '../src/runtime/jobs/jobRunner';
import { launcherPath } from '../src/runtime/jobs/paths';
import { SlurmPoller, slurmRemote, submitSlurmJob } from '../src/runtime/jobs/slurm';
import { openDatabase } from '../src/runtime/store/db';
import { Tracker } from '../src/runtime/tracking/tracker';
import { median, ratio, saveResults, workDir } from './lib';

const POLL_MS = 300;
const REPS = 5;
const HELPERS = path.resolve(__dirname, '..', 'test', 'helpers', 'slurm');

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  const dir = workDir('slurm');
  const cluster = path.join(dir, 'cluster');
  fs.mkdirSync(cluster);
  process.env.SLURM_CONF = path.join(cluster, 'slurm.conf');
  const env = { ...process.env, SLURM_DIR: cluster, SLURM_CTLD_ARGS: '-c' };
  execFileSync('bash', [path.join(HELPERS, 'start-slurm.sh')], { env, stdio: 'inherit' });
  try {
    const db = openDatabase(path.join(dir, 'store'));
    const tracker = new Tracker(db);
    const poller = new SlurmPoller({ minIntervalMs: POLL_MS });
    const trivial = path.join(dir, 'trivial.js');
    fs.writeFileSync(trivial, `console.log('@tunestudio ' + JSON.stringify({ step: 0, metrics: { x: 1 } }));`);

    // Baseline: bare sbatch, then the same squeue polling until it is done.
    const bare = { running: [] as number[], settled: [] as number[] };
    for (let i = 0; i < REPS; i++) {
      const t0 = performance.now();
      const id = execFileSync('sbatch', ['--parsable', `--output=${path.join(dir, `bare${i}.log`)}`, '--wrap', `${process.execPath} ${trivial}`], { encoding: 'utf8' }).trim();
      let running = 0;
      for (;;) {
        const s = execFileSync('squeue', ['-h', '-t', 'all', '-j', id, '-o', '%T'], { encoding: 'utf8' }).trim();
        if (!running && s !== 'PENDING') running = performance.now() - t0;
        if (s === 'COMPLETED' || s === 'FAILED') break;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      bare.running.push(running);
      bare.settled.push(performance.now() - t0);
    }

    // Ours: the job folder, sbatch, the poller, JobRunner following the shared files.
    const ours = { running: [] as number[], settled: [] as number[] };
    for (let i = 0; i < REPS; i++) {
      const jobDir = path.join(dir, 'jobs', `s${i}`);
      const run = createJobRun(tracker, { project: 'bench' });
      const t0 = performance.now();
      const rec = submitSlurmJob({ jobDir, jobName: 'bench', argv: [process.execPath, trivial], cwd: dir, env: {}, slurm: {}, nodePath: process.execPath, launcher: launcherPath() });
      const remote = slurmRemote(poller, rec.slurm_job_id, { jobDir });
      const runner = new JobRunner({ tracker, runId: run.id, jobDir, command: { argv: [], cwd: dir }, parsers: createParsers(undefined, { cwd: dir }), remote, resourceIntervalMs: 0, pollMs: 50, saveOffsets: () => undefined });
      runner.start();
      let running = 0;
      const seen = setInterval(() => {
        if (!running && remote.phase() !== 'queued') running = performance.now() - t0;
      }, 10);
      const o = await runner.settled;
      clearInterval(seen);
      if (o.state !== 'completed') throw new Error(`slurm job ${o.state}: ${o.reason}`);
      poller.unwatch(rec.slurm_job_id);
      ours.running.push(running || performance.now() - t0);
      ours.settled.push(performance.now() - t0);
    }

    // The same job locally through JobRunner.
    const local: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const run = createJobRun(tracker, { project: 'bench' });
      const t0 = performance.now();
      const runner = new JobRunner({ tracker, runId: run.id, jobDir: path.join(dir, 'jobs', `l${i}`), command: { argv: [process.execPath, trivial], cwd: dir }, parsers: createParsers(undefined, { cwd: dir }), launcher: launcherPath(), resourceIntervalMs: 0, pollMs: 50, saveOffsets: () => undefined });
      runner.start();
      const o = await runner.settled;
      if (o.state !== 'completed') throw new Error(`local job ${o.state}: ${o.reason}`);
      local.push(performance.now() - t0);
    }

    // Metric latency: node write → committed to the store.
    const writer = path.join(dir, 'writer.js');
    fs.writeFileSync(writer, `let s = 0; const t = setInterval(() => { console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: { sent_ms: Date.now() } })); if (++s >= 50) clearInterval(t); }, 50);`);
    const run = createJobRun(tracker, { project: 'bench' });
    const jobDir = path.join(dir, 'jobs', 'latency');
    const lat: number[] = [];
    const q = db.prepare(`SELECT m.step, m.value FROM metrics m JOIN metric_names n ON n.id = m.metric_id WHERE m.run_id = ? AND n.name = 'sent_ms' AND m.step >= ?`);
    let next = 0;
    const unhook = tracker.onCommit(() =>
      setImmediate(() => {
        const now = Date.now();
        for (const r of q.all(run.id, next) as Array<{ step: number; value: number }>) {
          lat.push(now - r.value);
          next = Math.max(next, r.step + 1);
        }
      }),
    );
    const rec = submitSlurmJob({ jobDir, jobName: 'latency', argv: [process.execPath, writer], cwd: dir, env: {}, slurm: {}, nodePath: process.execPath, launcher: launcherPath() });
    const runner = new JobRunner({ tracker, runId: run.id, jobDir, command: { argv: [], cwd: dir }, parsers: createParsers(undefined, { cwd: dir }), remote: slurmRemote(poller, rec.slurm_job_id, { jobDir }), resourceIntervalMs: 0, pollMs: 200, saveOffsets: () => undefined });
    runner.start();
    await runner.settled;
    await until(() => next >= 50, 'all latency points');
    unhook();
    poller.stop();

    const figures = {
      poll_interval_ms: POLL_MS,
      reps: REPS,
      bare_sbatch_submit_to_running_ms: Math.round(median(bare.running)),
      ours_submit_to_running_ms: Math.round(median(ours.running)),
      bare_sbatch_submit_to_done_ms: Math.round(median(bare.settled)),
      ours_submit_to_settled_ms: Math.round(median(ours.settled)),
      local_start_to_settled_ms: Math.round(median(local)),
      slurm_overhead_vs_local_ms: Math.round(median(ours.settled) - median(local)),
      ratio_bare_to_ours_settled: ratio(median(bare.settled), median(ours.settled)),
      metric_latency_median_ms: Math.round(median(lat)),
      metric_latency_max_ms: Math.round(Math.max(...lat)),
      squeue_calls: poller.calls.squeue,
    };
    console.table(figures);
    saveResults('slurm', figures);
  } finally {
    spawnSync('bash', [path.join(HELPERS, 'stop-slurm.sh')], { env, stdio: 'inherit' });
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
