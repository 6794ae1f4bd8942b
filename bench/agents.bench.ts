// Agents (issue 16), through the real `tunestudio mcp` child process and the
// MCP SDK's client:
//  1. latency of `wait` from a metric's write (committed by another process's
//     Tracker, here this one) to the tool's answer, beside the baseline an
//     agent without `wait` has: calling get_run every 250 ms until it sees the
//     step (its latency, and how many calls it made);
//  2. a trial's overhead through the agent tools (submit_job + wait until the
//     job ends) beside running the same trainer bare, one after another;
//  3. a full `tunestudio sweep` (one slot, no halving) per trial beside the
//     same trainers run bare one after another.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { openDatabase } from '../src/runtime/store/db';
import { Tracker } from '../src/runtime/tracking/tracker';
import { median, ratio, saveResults, workDir } from './lib';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'tunestudio.js');
const TRAINER = path.join(ROOT, 'examples', 'agent-sweep', 'trainer.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(dir: string, extra: string[] = []): Promise<{ client: Client; call: (name: string, args: Record<string, unknown>) => Promise<Record<string, unknown>> }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', ...extra], cwd: dir, env: { ...(process.env as Record<string, string>), TUNESTUDIO_DIR: path.join(dir, '.tunestudio') }, stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as { isError?: boolean; structuredContent?: Record<string, unknown>; content: Array<{ text?: string }> };
    if (r.isError) throw new Error(`${name}: ${r.content.map((c) => c.text).join(' ')}`);
    return r.structuredContent!;
  };
  return { client, call };
}

async function waitLatency(): Promise<Record<string, number>> {
  const dir = workDir('agents-wait');
  const db = openDatabase(path.join(dir, '.tunestudio'));
  const tracker = new Tracker(db);
  const run = tracker.createRun({ project: 'bench', name: 'live', pid: process.pid });
  tracker.log(run.id, { 'train/loss': 1 }, 0);
  tracker.flush();
  const { client, call } = await connect(dir);
  const ours: number[] = [];
  const polled: number[] = [];
  const pollCalls: number[] = [];
  let step = 0;
  for (let i = 0; i < 15; i++) {
    step++;
    const answered = call('wait', { run: run.id, until: ['step'], step, timeout_s: 30 }).then(() => performance.now());
    await sleep(150); // the call is waiting by now
    const wrote = performance.now();
    tracker.log(run.id, { 'train/loss': 1 / step }, step);
    tracker.flush();
    ours.push((await answered) - wrote);

    // Baseline: get_run every 250 ms until the step shows.
    step++;
    let calls = 0;
    const target = step;
    const poll = (async () => {
      for (;;) {
        calls++;
        const r = (await call('get_run', { run: run.id })) as { run: { summary: Record<string, { last_step: number }> } };
        if ((r.run.summary['train/loss']?.last_step ?? -1) >= target) return performance.now();
        await sleep(250);
      }
    })();
    await sleep(150 + Math.random() * 250); // a write lands anywhere in the poll's cycle
    const wrote2 = performance.now();
    tracker.log(run.id, { 'train/loss': 1 / step }, step);
    tracker.flush();
    polled.push((await poll) - wrote2);
    pollCalls.push(calls);
  }
  await client.close();
  tracker.close();
  db.close();
  return { wait_latency_ms: Math.round(median(ours)), poll_250ms_latency_ms: Math.round(median(polled)), poll_calls_per_event: median(pollCalls), wait_calls_per_event: 1 };
}

function bare(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'ignore', 'inherit'] });
    p.stdin.end();
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
}

async function trialOverhead(): Promise<Record<string, number>> {
  const dir = workDir('agents-trials');
  const argv = (lr: number) => [process.execPath, TRAINER, '--lr', String(lr), '--steps', '20', '--interval-ms', '5'];
  const n = 6;
  const bareMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await bare(argv(0.001 * (i + 1)));
    bareMs.push(performance.now() - t0);
  }
  const { client, call } = await connect(dir, ['--allow', 'submit,stop']);
  const toolMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const { job } = (await call('submit_job', { command: argv(0.001 * (i + 1)), config: { lr: 0.001 * (i + 1) }, watchers: [{ metric: 'train/loss', nan: true }] })) as { job: { id: string } };
    for (;;) {
      const w = (await call('wait', { job: job.id, until: ['status'], timeout_s: 60 })) as { job: { state: string } };
      if (['completed', 'failed', 'stopped', 'cancelled'].includes(w.job.state)) break;
    }
    toolMs.push(performance.now() - t0);
  }
  await client.close();
  const b = median(bareMs);
  const o = median(toolMs);
  return { bare_trial_ms: Math.round(b), agent_trial_ms: Math.round(o), overhead_per_trial_ms: Math.round(o - b) };
}

async function sweepOverhead(): Promise<Record<string, number>> {
  const dir = workDir('agents-sweep');
  const lrs = [0.001, 0.002, 0.003, 0.004, 0.005, 0.006];
  const cmd = [process.execPath, TRAINER, '--lr', '${lr}', '--steps', '20', '--interval-ms', '5'];
  let t0 = performance.now();
  for (const lr of lrs) await bare(cmd.map((a) => (a === '${lr}' ? String(lr) : a)));
  const bareMs = (performance.now() - t0) / lrs.length;
  fs.writeFileSync(path.join(dir, 's.json'), JSON.stringify({ name: 'b', command: cmd, parameters: { lr: { values: lrs } }, metric: 'train/loss', watchers: [{ metric: 'train/loss', nan: true }] }));
  t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'sweep', 's.json', '--slots', '1', '--json', '--dir', path.join(dir, '.tunestudio')], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sweep failed: ${r.stderr}`);
  const sweepMs = (performance.now() - t0) / lrs.length;
  return { sweep_bare_trial_ms: Math.round(bareMs), sweep_trial_ms: Math.round(sweepMs), sweep_overhead_per_trial_ms: Math.round(sweepMs - bareMs) };
}

async function main(): Promise<void> {
  const w = await waitLatency();
  const t = await trialOverhead();
  const sw = await sweepOverhead();
  const res = { ...w, wait_vs_poll_latency_ratio: ratio(w.poll_250ms_latency_ms, w.wait_latency_ms), ...t, bare_vs_agent_trial_ratio: ratio(t.bare_trial_ms, t.agent_trial_ms), ...sw, bare_vs_sweep_trial_ratio: ratio(sw.sweep_bare_trial_ms, sw.sweep_trial_ms) };
  console.log(
    [
      `wait: ${w.wait_latency_ms} ms from write to answer (1 call) vs get_run every 250 ms: ${w.poll_250ms_latency_ms} ms (${w.poll_calls_per_event} calls) — ${res.wait_vs_poll_latency_ratio}× faster`,
      `trial: bare ${t.bare_trial_ms} ms, through submit_job + wait ${t.agent_trial_ms} ms (+${t.overhead_per_trial_ms} ms per trial)`,
      `sweep (1 slot, 6 trials, includes the CLI's start): ${sw.sweep_trial_ms} ms per trial vs bare ${sw.sweep_bare_trial_ms} ms (+${sw.sweep_overhead_per_trial_ms} ms per trial)`,
    ].join('\n'),
  );
  saveResults('agents', res);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
