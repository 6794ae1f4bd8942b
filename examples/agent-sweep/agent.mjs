#!/usr/bin/env node
// An example agent that finds a good learning rate using only Tune Studio's
// MCP tools, through the MCP SDK's client over stdio — what trackio's
// agent_runner.py meant to be, without its defects (seed review):
//   - S7: each trial's learning rate is the value it was submitted with, kept
//     in its run config; nothing is back-calculated from a mutated variable;
//   - M6: alerts are read by id (list_alerts {after: next_after}), never by a
//     time window, so none is missed or read twice whatever the clocks say;
//   - M7: no pipe can fill up: the server's stderr is ignored, trials write to
//     their own log files (the supervisor's), and the SDK drains stdio;
//   - N3: one way to start things: the same Node (process.execPath) runs
//     `tunestudio mcp` and every trial, by absolute path, no PATH lookup;
//   - N7: the trials are a plain list of learning rates (--lrs), no sentinel.
// It also waits with `wait` (woken by the store) instead of sleeping in a
// polling loop, trusts the statuses the supervisor recorded, ranks only
// finished trials (`best`), and prints each decision with its numbers.
//
//   node agent.mjs [--tunestudio PATH/bin/tunestudio.js] [--dir STORE] [--lrs 0.0003,0.001,0.003,0.01,0.3]
//                  [--steps 60] [--interval-ms 40] [--halving-step 10] [--halving-factor 1.2] [--json]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const json = args.includes('--json');
const tunestudio = opt('tunestudio', path.join(here, '..', '..', 'bin', 'tunestudio.js'));
const lrs = opt('lrs', '0.0003,0.001,0.003,0.01,0.3').split(',').map(Number);
const steps = Number(opt('steps', '60'));
const intervalMs = Number(opt('interval-ms', '40'));
const halvingStep = Number(opt('halving-step', '10'));
const halvingFactor = Number(opt('halving-factor', '1.2'));
const project = opt('project', 'agent-sweep');
const say = (s) => process.stderr.write(`agent: ${s}\n`);

const transport = new StdioClientTransport({
  command: process.execPath,
  args: [tunestudio, 'mcp', '--allow', 'submit,stop', '--slots', String(lrs.length), ...(opt('dir') ? ['--dir', opt('dir')] : [])],
  env: process.env,
  stderr: 'ignore',
});
const client = new Client({ name: 'tunestudio-agent-sweep', version: '1.0.0' });
await client.connect(transport);

/** Calls a tool; a tool error is thrown with its message (it names the cause and the fix). */
async function tool(name, input = {}) {
  const r = await client.callTool({ name, arguments: input }, undefined, { timeout: 120_000 });
  if (r.isError) throw new Error(`${name}: ${r.content.map((c) => c.text).join(' ')}`);
  return r.structuredContent;
}

// 1. Submit one trial per learning rate, each with a NaN watcher that stops it if it diverges.
const trials = [];
for (const lr of lrs) {
  const { job } = await tool('submit_job', {
    command: [process.execPath, path.join(here, 'trainer.js'), '--lr', String(lr), '--steps', String(steps), '--interval-ms', String(intervalMs)],
    name: `lr-${lr}`,
    project,
    config: { lr },
    watchers: [{ metric: 'train/loss', nan: true }],
  });
  trials.push({ lr, job: job.id, run: null, status: null, reason: null, stoppedByAgent: false });
  say(`submitted lr=${lr} as job ${job.id}`);
}

// 2. Read alerts exactly once each, by id.
let afterAlert = 0;
const alertsRead = [];
async function readAlerts() {
  for (;;) {
    const page = await tool('list_alerts', { after: afterAlert, project });
    for (const a of page.alerts) {
      alertsRead.push(a.id);
      const t = trials.find((x) => x.run === a.run_id);
      say(`alert #${a.id} on ${a.run_name}: ${a.title}${a.step !== null ? ` at step ${a.step}` : ''}${t ? ` (lr=${t.lr})` : ''}`);
    }
    afterAlert = page.next_after;
    if (!page.cursor) return;
  }
}

// 3. Successive halving at one step: every live trial reaches it (or ends), then the clearly worse ones stop.
for (const t of trials) {
  for (;;) {
    const w = await tool('wait', { job: t.job, until: ['step'], step: halvingStep, metric: 'train/loss', after_alert: afterAlert, timeout_s: 60 });
    t.run = w.run?.id ?? null;
    if (w.event !== 'timeout') break;
  }
}
await readAlerts();
const atStep = [];
for (const t of trials) {
  if (!t.run) continue;
  const { run } = await tool('get_run', { run: t.run });
  if (run.status !== 'running') continue;
  const h = await tool('get_history', { run: t.run, metric: 'train/loss', from: halvingStep, to: halvingStep });
  const v = h.values[0];
  if (typeof v === 'number') atStep.push({ t, v });
}
if (atStep.length > 1) {
  const bestNow = Math.min(...atStep.map((x) => x.v));
  for (const { t, v } of atStep) {
    if (v > halvingFactor * bestNow) {
      say(`lr=${t.lr}: train/loss ${v} at step ${halvingStep} is more than ${halvingFactor} × the best ${bestNow}; stopping it`);
      await tool('stop_run', { run: t.run, reason: `halving at step ${halvingStep}: loss ${v} > ${halvingFactor} × ${bestNow}` });
      t.stoppedByAgent = true;
    } else say(`lr=${t.lr}: train/loss ${v} at step ${halvingStep}; keeping it`);
  }
}

// 4. Wait for every trial to end, reading alerts as they come.
for (const t of trials) {
  for (;;) {
    const w = await tool('wait', { job: t.job, until: ['status', 'alert'], after_alert: afterAlert, timeout_s: 60 });
    if (w.alerts.length) await readAlerts();
    if (w.job && ['completed', 'failed', 'cancelled', 'stopped'].includes(w.job.state)) {
      t.run = w.run?.id ?? t.run;
      t.status = w.run?.status ?? w.job.state;
      t.reason = w.run?.reason ?? w.job.reason;
      break;
    }
  }
  // The recorded status is the truth: a stop that arrived after the last step leaves the trial finished.
  say(`lr=${t.lr}: ${t.status}${t.reason ? ` (${t.reason})` : ''}${t.stoppedByAgent && t.status === 'finished' ? ' (it finished all its steps before the stop request reached it)' : ''}`);
}
await readAlerts();

// 5. Ask for the best run among those that ended on purpose.
const best = await tool('best', { metric: 'train/loss', project, status: ['finished'] });
const bestTrial = trials.find((t) => t.run === best.run?.id) ?? null;
if (bestTrial) say(`best: lr=${bestTrial.lr} (run ${best.run.name}), final train/loss ${best.value} among ${best.candidates} finished trial(s)`);
else say('no trial finished with a finite train/loss; no learning rate to recommend');

await client.close();
const summary = { best: bestTrial ? { lr: bestTrial.lr, run: best.run.id, value: best.value } : null, trials, alerts_read: alertsRead };
if (json) process.stdout.write(JSON.stringify(summary) + '\n');
