// `tunestudio mcp` as a real child process through the MCP SDK's own client
// (Client + StdioClientTransport), on each test's own store, with real jobs
// (the seeded trainer in examples/agent-sweep/). Needs the build
// (node scripts/build.mjs): it runs bin/tunestudio.js.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { TOOLS } from '../../src/protocol/tools';
import { openDatabase } from '../../src/runtime/store/db';
import { Tracker } from '../../src/runtime/tracking/tracker';
import { CLI, ROOT, cliJson } from '../helpers/cli';

export const TRAINER = path.join(ROOT, 'examples', 'agent-sweep', 'trainer.js');

interface Ws {
  dir: string;
  store: string;
  /** Run before the folder is removed, newest first: clients close, then leftover jobs are killed. */
  cleanups: Array<() => Promise<void> | void>;
}

export function workspace(t: TestContext): Ws {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunestudio-mcp-'));
  const ws: Ws = { dir, store: path.join(dir, '.tunestudio'), cleanups: [] };
  t.after(async () => {
    for (const c of ws.cleanups.reverse()) await c();
    killLeftoverJobs(ws.store);
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  });
  return ws;
}

/** A failed test may leave jobs running (jobs outlive the server by design): their process groups are ended here. */
function killLeftoverJobs(store: string): void {
  if (!fs.existsSync(path.join(store, 'studio.db'))) return;
  const db = openDatabase(store);
  try {
    const pids = db.prepare(`SELECT pid FROM jobs WHERE pid IS NOT NULL AND state IN ('starting', 'running')`).pluck().all() as number[];
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  } finally {
    db.close();
  }
}

type Reply = { isError?: boolean; structuredContent?: Record<string, unknown>; content: Array<{ type: string; text?: string }> };

export interface Mcp {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<Reply>;
  /** The structured result of a call that must succeed. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  stderr(): string;
}

export async function startMcp(t: TestContext, ws: Ws, extra: string[] = []): Promise<Mcp> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', ...extra],
    cwd: ws.dir,
    env: { ...(process.env as Record<string, string>), TUNESTUDIO_DIR: ws.store },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d) => (err += d));
  const client = new Client({ name: 'tunestudio-test', version: '1.0.0' });
  await client.connect(transport);
  ws.cleanups.push(() => client.close());
  const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as Reply;
  return {
    client,
    call,
    async ok(name, args) {
      const r = await call(name, args);
      assert.ok(!r.isError, `${name} ${JSON.stringify(args)} failed: ${r.content.map((c) => c.text).join(' ')}`);
      assert.ok(r.structuredContent, `${name} returned no structured content`);
      return r.structuredContent as never;
    },
    stderr: () => err,
  };
}

function errorText(r: Reply): string {
  assert.equal(r.isError, true, `expected a tool error, got ${JSON.stringify(r.structuredContent)}`);
  return r.content.map((c) => c.text ?? '').join(' ');
}

const trainer = (lr: number, o: { steps?: number; intervalMs?: number } = {}) => [process.execPath, TRAINER, '--lr', String(lr), '--steps', String(o.steps ?? 40), '--interval-ms', String(o.intervalMs ?? 10)];
const nanWatch = [{ metric: 'train/loss', nan: true }];

type Job = { id: string; state: string; run_id: string | null };
type Wait = { event: string; run: { id: string; status: string } | null; job: Job | null; alerts: Array<{ id: number; metric: string }>; step: number | null; next_after: number; waited_ms: number };

async function waitEnded(m: Mcp, job: string): Promise<Wait> {
  for (;;) {
    const w = await m.ok<Wait>('wait', { job, until: ['status'], timeout_s: 60 });
    if (w.job && ['completed', 'failed', 'cancelled', 'stopped'].includes(w.job.state)) return w;
    assert.notEqual(w.event, 'timeout', `job ${job} did not end in 60 s (${JSON.stringify(w.job)})`);
  }
}

test('tools/list is the catalogue: every tool with input and output schemas and read-only/destructive hints', async (t) => {
  const m = await startMcp(t, workspace(t));
  const { tools } = await m.client.listTools();
  assert.deepEqual(tools.map((x) => x.name), TOOLS.map((x) => x.name));
  for (const tool of tools) {
    const def = TOOLS.find((d) => d.name === tool.name)!;
    assert.deepEqual(tool.inputSchema, def.inputSchema, tool.name);
    assert.deepEqual(tool.outputSchema, def.outputSchema, tool.name);
    assert.equal(tool.annotations?.readOnlyHint, def.permission === 'read', tool.name);
    assert.equal(tool.annotations?.destructiveHint, def.permission === 'stop', tool.name);
    assert.ok(tool.description && tool.description.length > 40, `${tool.name} has a real description`);
  }
});

test("every tool's real output validates against its output schema (a sweep of real jobs: finish, NaN stop, stop, cancel)", async (t) => {
  const ws = workspace(t);
  const m = await startMcp(t, ws, ['--allow', 'submit,stop']);
  const { tools } = await m.client.listTools();
  const ajv = new Ajv({ allErrors: true, strict: false });
  const checked = new Set<string>();
  const check = async (name: string, args: Record<string, unknown> = {}) => {
    const out = await m.ok(name, args);
    const schema = tools.find((x) => x.name === name)!.outputSchema!;
    const validate = ajv.compile(schema);
    assert.ok(validate(out), `${name} output does not match its schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(out).slice(0, 2000)}`);
    checked.add(name);
    return out as never;
  };

  const good = (await check('submit_job', { command: trainer(0.003), name: 'lr-0.003', project: 'sweep', config: { lr: 0.003 }, watchers: nanWatch })) as { job: Job; scheduler_running: boolean };
  assert.equal(good.job.state, 'queued', 'submit_job returns the handle at once');
  assert.equal(good.scheduler_running, true);
  const goodEnd = await waitEnded(m, good.job.id);
  assert.equal(goodEnd.job!.state, 'completed');
  assert.equal(goodEnd.run!.status, 'finished');

  // It never ends by itself: only the NaN watcher can stop it.
  const bad = (await check('submit_job', { command: trainer(0.3, { steps: 100000, intervalMs: 20 }), name: 'lr-0.3', project: 'sweep', config: { lr: 0.3 }, watchers: nanWatch })) as { job: Job };
  const alert = (await check('wait', { job: bad.job.id, until: ['alert'], after_alert: 0, timeout_s: 60 })) as Wait;
  assert.equal(alert.event, 'alert');
  assert.equal(alert.alerts[0].metric, 'train/loss');
  const badEnd = await waitEnded(m, bad.job.id);
  assert.equal(badEnd.run!.status, 'stopped', 'the NaN watcher stopped the diverging trial');

  // A long trial, stopped by the agent once it has reached step 3.
  const long = (await check('submit_job', { command: trainer(0.01, { steps: 100000, intervalMs: 20 }), name: 'long', project: 'sweep' })) as { job: Job };
  const atStep = (await check('wait', { job: long.job.id, until: ['step'], step: 3, timeout_s: 60 })) as Wait;
  assert.equal(atStep.event, 'step');
  assert.ok(atStep.step! >= 3);
  await check('stop_run', { run: atStep.run!.id, reason: 'enough' });
  const longEnd = await waitEnded(m, long.job.id);
  assert.equal(longEnd.run!.status, 'stopped');

  // Cancel a job while it is queued behind a running one (one slot).
  const blocker = (await m.ok('submit_job', { command: trainer(0.01, { steps: 100000, intervalMs: 20 }), name: 'blocker' })) as { job: Job };
  const queued = (await m.ok('submit_job', { command: trainer(0.01), name: 'never' })) as { job: Job };
  const cancelled = (await check('cancel_job', { job: queued.job.id })) as { immediate: boolean; job: Job };
  assert.equal(cancelled.immediate, true);
  await m.ok('cancel_job', { job: blocker.job.id });
  assert.equal((await waitEnded(m, blocker.job.id)).job!.state, 'cancelled');

  await check('list_projects');
  await check('list_runs', { project: 'sweep' });
  await check('list_runs', { config: { lr: 0.003 } });
  await check('get_run', { run: goodEnd.run!.id });
  await check('get_run', { job: bad.job.id });
  await check('get_history', { run: goodEnd.run!.id, metric: 'train/loss', max_points: 10 });
  await check('best', { metric: 'train/loss', project: 'sweep' });
  await check('best', { metric: 'train/loss', status: ['crashed'] });
  await check('compare', { runs: [goodEnd.run!.id, badEnd.run!.id] });
  await check('summary', { project: 'sweep' });
  await check('list_alerts', { after: 0 });
  await check('job_logs', { job: good.job.id, tail: 5 });
  await check('job_logs', { job: good.job.id, grep: 'trainer:' });
  await check('wait', { run: goodEnd.run!.id });

  // train: queued only (no scheduler), so no built-in training starts in this test.
  const cfg = path.join(ws.dir, 'tiny.tunetrain.json');
  fs.writeFileSync(cfg, JSON.stringify({ name: 'tiny' }));
  const queueOnly = await startMcp(t, ws, ['--allow', 'submit', '--no-schedule']);
  const trained = await queueOnly.ok<{ job: Job; scheduler_running: boolean }>('train', { config: 'tiny.tunetrain.json' });
  const validateTrain = ajv.compile(tools.find((x) => x.name === 'train')!.outputSchema!);
  assert.ok(validateTrain(trained), ajv.errorsText(validateTrain.errors));
  checked.add('train');
  assert.equal(trained.job.state, 'queued');
  await queueOnly.ok('cancel_job', { job: trained.job.id }).catch(() => undefined);

  assert.deepEqual([...checked].sort(), TOOLS.map((x) => x.name).sort(), 'every tool was checked');

  // The best run is the known best learning rate; the diverging one is not ranked above it.
  const best = await m.ok<{ run: { name: string } }>('best', { metric: 'train/loss', project: 'sweep' });
  assert.equal(best.run.name, 'lr-0.003');
});

test('wait returns on a timeout when nothing happens, and at once for a run that has ended', async (t) => {
  const ws = workspace(t);
  const db = openDatabase(ws.store);
  const tracker = new Tracker(db);
  ws.cleanups.push(() => {
    tracker.close();
    db.close();
  });
  const run = tracker.createRun({ project: 'p', name: 'quiet', pid: process.pid });
  tracker.log(run.id, { 'train/loss': 1 }, 1);
  tracker.flush();
  const m = await startMcp(t, ws);
  const w = await m.ok<Wait>('wait', { run: run.id, until: ['alert', 'status'], timeout_s: 0.4 });
  assert.equal(w.event, 'timeout');
  assert.ok(w.waited_ms >= 400, `waited ${w.waited_ms} ms`);
  assert.equal(w.run!.status, 'running');

  // An alert raised while the call waits wakes it (store change, not a timer of the caller).
  // after_alert: the newest alert the caller has seen (none), so an alert raised before the call starts is not missed either.
  const pending = m.ok<Wait>('wait', { run: run.id, until: ['alert'], after_alert: w.next_after, timeout_s: 60 });
  setImmediate(() => {
    tracker.alert(run.id, { title: 'loss spiked', metric: 'train/loss', step: 1, level: 'warn', reason: 'spike' });
    tracker.flush();
  });
  const woke = await pending;
  assert.equal(woke.event, 'alert');
  assert.deepEqual(woke.alerts.map((a) => a.metric), ['train/loss']);

  tracker.finishRun(run.id, 'finished');
  tracker.flush();
  const ended = await m.ok<Wait>('wait', { run: run.id, timeout_s: 60 });
  assert.equal(ended.event, 'ended');
  assert.equal(ended.run!.status, 'finished');
});

test('a refused action stays refused, says how to allow it, and changes nothing', async (t) => {
  const ws = workspace(t);
  const db = openDatabase(ws.store);
  const tracker = new Tracker(db);
  ws.cleanups.push(() => {
    tracker.close();
    db.close();
  });
  const run = tracker.createRun({ project: 'p', name: 'busy', pid: process.pid });
  tracker.flush();
  const m = await startMcp(t, ws);
  for (let i = 0; i < 2; i++) {
    assert.match(errorText(await m.call('submit_job', { command: trainer(0.003) })), /--allow submit/);
    assert.match(errorText(await m.call('train', { config: 'x.tunetrain.json' })), /--allow submit/);
    assert.match(errorText(await m.call('stop_run', { run: run.id })), /--allow stop/);
    assert.match(errorText(await m.call('cancel_job', { job: 'j1' })), /--allow stop/);
  }
  assert.deepEqual(cliJson<unknown[]>(['jobs'], { dir: ws.store }), [], 'no job was queued');
  const shown = await m.ok<{ run: { status: string; stop_request?: unknown } }>('get_run', { run: run.id });
  assert.equal(shown.run.status, 'running');
  assert.equal(shown.run.stop_request, null, 'no stop was requested');
  // Allowing one action allows only that one.
  const submitOnly = await startMcp(t, ws, ['--allow', 'submit', '--no-schedule']);
  assert.match(errorText(await submitOnly.call('stop_run', { run: run.id })), /--allow stop/);
});

test('malformed arguments and bad references are tool errors naming the fix; the server keeps answering', async (t) => {
  const ws = workspace(t);
  const m = await startMcp(t, ws, ['--allow', 'submit,stop', '--no-schedule']);
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['list_runs', { limit: 'ten' }, /limit must be integer/],
    ['list_runs', { bogus: 1 }, /additional properties 'bogus'/],
    ['list_runs', { cursor: '!!not-a-cursor' }, /cursor .* is not one this server gave/],
    ['get_history', { run: 'x' }, /must have required property 'metric'/],
    ['get_run', {}, /exactly one of `run`/],
    ['get_run', { run: 'no-such-run' }, /no run with id or name 'no-such-run'/],
    ['wait', { run: 'a', job: 'b' }, /exactly one of `run`/],
    ['wait', { run: 'a', until: ['step'] }, /needs `step`/],
    ['submit_job', {}, /exactly one of `command`, `preset` or `spec_file`/],
    ['submit_job', { spec_file: '../outside.tunejob.json' }, /outside the workspace/],
    ['submit_job', { preset: 'no-such-preset' }, /preset 'no-such-preset'/],
    ['train', { config: '/etc/passwd' }, /outside the workspace/],
    ['job_logs', { job: 'nope' }, /nope/],
    ['list_alerts', { level: 'fatal' }, /allowed values|info, warn, error/],
    ['best', { metric: 'train/loss', project: 'nope' }, /nope/],
  ];
  for (const [name, args, re] of cases) assert.match(errorText(await m.call(name, args)), re, `${name} ${JSON.stringify(args)}`);
  const unknown = await m.call('no_such_tool', {});
  assert.match(errorText(unknown), /unknown tool 'no_such_tool'/);
  assert.deepEqual(await m.ok('list_projects'), { projects: [], total: 0 });
});

test('lists are cut to the reply budget with total and a cursor; paging sees every run and alert exactly once', async (t) => {
  const ws = workspace(t);
  const db = openDatabase(ws.store);
  const tracker = new Tracker(db);
  ws.cleanups.push(() => {
    tracker.close();
    db.close();
  });
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) {
    const r = tracker.createRun({ project: i % 2 ? 'odd' : 'even', name: `run-${i}`, config: { lr: i, note: 'x'.repeat(60) }, pid: process.pid });
    tracker.log(r.id, { 'train/loss': 1 / (i + 1) }, 1);
    for (let k = 0; k < 2; k++) tracker.alert(r.id, { title: `alert ${k} of run ${i}`, metric: 'train/loss', step: 1 });
    tracker.finishRun(r.id, 'finished');
    ids.push(r.id);
  }
  tracker.flush();
  const m = await startMcp(t, ws, ['--budget', '2000']);
  const seen: string[] = [];
  let cursor: string | null | undefined;
  let pages = 0;
  do {
    const page = await m.ok<{ runs: Array<{ id: string }>; total: number; cursor: string | null }>('list_runs', cursor ? { cursor } : {});
    assert.equal(page.total, 40 + (pages > 0 ? 1 : 0));
    assert.ok(JSON.stringify(page).length <= 2000 + 600, 'the reply stays near the budget');
    seen.push(...page.runs.map((r) => r.id));
    cursor = page.cursor;
    pages++;
    // A run created between pages does not shift the pages (keyset cursor): it is newer than all of them.
    if (pages === 1) {
      tracker.createRun({ project: 'even', name: 'late', pid: process.pid });
      tracker.flush();
    }
  } while (cursor);
  assert.ok(pages > 3, `cut into pages (got ${pages})`);
  assert.deepEqual([...seen].sort(), [...ids].sort(), 'every run exactly once');

  const alertIds: number[] = [];
  let after = 0;
  for (;;) {
    const page = await m.ok<{ alerts: Array<{ id: number }>; total: number; next_after: number; cursor: string | null }>('list_alerts', { after, limit: 7 });
    alertIds.push(...page.alerts.map((a) => a.id));
    assert.equal(page.total, 80 - (alertIds.length - page.alerts.length));
    after = page.next_after;
    if (!page.cursor) break;
  }
  assert.equal(alertIds.length, 80);
  assert.equal(new Set(alertIds).size, 80, 'no alert twice');
  const filtered = await m.ok<{ runs: Array<{ name: string }>; total: number }>('list_runs', { config: { lr: 7 } });
  assert.deepEqual(filtered.runs.map((r) => r.name), ['run-7']);
  assert.equal((await m.ok<{ total: number }>('list_runs', { name: 'run-1', project: 'odd' })).total, 6); // run-1, run-11, 13, 15, 17, 19
});

test('resources: one summary per run, readable by id through the template', async (t) => {
  const ws = workspace(t);
  const db = openDatabase(ws.store);
  const tracker = new Tracker(db);
  ws.cleanups.push(() => {
    tracker.close();
    db.close();
  });
  const r = tracker.createRun({ project: 'p', name: 'r1', config: { lr: 0.1 }, pid: process.pid });
  tracker.log(r.id, { 'train/loss': 0.5 }, 3);
  tracker.finishRun(r.id, 'finished');
  tracker.flush();
  const m = await startMcp(t, ws);
  const { resources } = await m.client.listResources();
  assert.deepEqual(resources.map((x) => x.uri), [`tunestudio://runs/${r.id}/summary`]);
  const read = await m.client.readResource({ uri: resources[0].uri });
  const body = JSON.parse(String((read.contents[0] as { text: string }).text)) as { run: { status: string; config: { lr: number }; summary: Record<string, { last: number }> } };
  assert.equal(body.run.status, 'finished');
  assert.equal(body.run.config.lr, 0.1);
  assert.equal(body.run.summary['train/loss'].last, 0.5);
  await assert.rejects(m.client.readResource({ uri: 'tunestudio://runs/nope/summary' }), /nope/);
});
