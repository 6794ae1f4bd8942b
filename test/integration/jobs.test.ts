// Jobs through the real runtime process (JSON-RPC) and the CLI, with real
// child processes: queue, stall, cancel, signals, restart recovery, two
// runtimes on one store, trust, diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobGetRequest, JobSubmitRequest, JobsListRequest, JobCancelRequest, JobRetryRequest, type Job, type JobSpec } from '../../src/protocol/jobs';
import { RunShowRequest } from '../../src/protocol/tracking';
import { RuntimeStatusRequest } from '../../src/protocol/runtime';
import { readProcStat } from '../../src/runtime/os/process';
import { startRuntime, type RuntimeHandle } from '../helpers/runtime';
import { cli, cliJson } from '../helpers/cli';
import { tmpDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait';
import { eventFile, eventRecord, scalarEvent } from '../helpers/tfevents';

interface Ws {
  dir: string;
  store: string;
}

function workspace(t: Parameters<typeof tmpDir>[0]): Ws {
  const dir = tmpDir(t);
  return { dir, store: path.join(dir, '.tunestudio') };
}

function writeScript(ws: Ws, name: string, body: string): string {
  fs.writeFileSync(path.join(ws.dir, name), body);
  return name;
}

async function runtime(t: Parameters<typeof tmpDir>[0], ws: Ws, o: { trusted?: boolean } = {}): Promise<RuntimeHandle> {
  const rt = await startRuntime({ storeDir: ws.store, workspaceFolders: [ws.dir], trusted: o.trusted ?? true });
  t.after(() => rt.stop());
  return rt;
}

async function submit(rt: RuntimeHandle, ws: Ws, spec: JobSpec): Promise<Job> {
  return rt.request(JobSubmitRequest.type, { spec: { ...spec, cwd: spec.cwd ?? ws.dir } });
}

async function until(rt: RuntimeHandle, id: string, states: string[], timeoutMs = 30_000): Promise<Job> {
  return waitFor(async () => {
    const j = await rt.request(JobGetRequest.type, { id });
    return states.includes(j.state) ? j : null;
  }, `job ${id} to reach ${states.join('/')}`, timeoutMs);
}

const node = process.execPath;

test('a job runs its command, tracks metrics into a run, completes; the queue is FIFO with priority and goes on after a failure', async (t) => {
  const ws = workspace(t);
  const rt = await runtime(t, ws);
  writeScript(ws, 'ok.js', `for (let s = 0; s < 20; s++) console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: { 'train/loss': 1 / (s + 1) }, progress: { current: s + 1, total: 20 } }));`);
  writeScript(ws, 'fail.js', `console.log('working'); console.error('Traceback (most recent call last):\\n  File "train.py", line 3\\nValueError: bad batch'); process.exit(2);`);
  writeScript(ws, 'gate.js', `const fs = require('fs'); const t = setInterval(() => { if (fs.existsSync('open-gate')) { clearInterval(t); } }, 20);`);
  const gate = await submit(rt, ws, { name: 'gate', command: [node, 'gate.js'] });
  await until(rt, gate.id, ['running']);
  // While the single slot is busy: low, failing, then a high-priority job.
  const low = await submit(rt, ws, { name: 'low', command: [node, 'ok.js'] });
  const failing = await submit(rt, ws, { name: 'failing', command: [node, 'fail.js'], priority: 1 });
  const high = await submit(rt, ws, { name: 'high', command: [node, 'ok.js'], priority: 5 });
  const queued = await rt.request(JobsListRequest.type, { states: ['queued'] });
  assert.deepEqual(queued.map((j) => [j.name, j.queue_position]), [['high', 1], ['failing', 2], ['low', 3]]);
  fs.writeFileSync(path.join(ws.dir, 'open-gate'), '');
  const done = await until(rt, low.id, ['completed', 'failed']);
  const order = (await rt.request(JobsListRequest.type, undefined)).filter((j) => j.id !== gate.id).sort((a, b) => Date.parse(a.started_at!) - Date.parse(b.started_at!));
  assert.deepEqual(order.map((j) => j.name), ['high', 'failing', 'low']);
  assert.equal(done.state, 'completed');
  const f = await rt.request(JobGetRequest.type, { id: failing.id });
  assert.equal(f.state, 'failed');
  assert.equal(f.exit_code, 2);
  assert.match(f.reason ?? '', /exit code 2/);
  assert.match(f.error_summary ?? '', /ValueError: bad batch/);
  const run = await rt.request(RunShowRequest.type, { run: done.run_id! });
  assert.equal(run.status, 'finished');
  assert.equal(run.summary['train/loss'].count, 20);
  assert.deepEqual(done.progress && [done.progress.current, done.progress.total], [20, 20]);
  const failedRun = await rt.request(RunShowRequest.type, { run: f.run_id! });
  assert.equal(failedRun.status, 'failed');
  assert.ok((await rt.request(JobGetRequest.type, { id: high.id })).state === 'completed');
  // The CLI sees the same queue.
  const jobs = cliJson<Array<{ id: string; state: string; reason: string | null; run_id: string; pid: number; exit_code: number | null }>>(['jobs'], { dir: ws.store });
  assert.equal(jobs.length, 4);
  for (const j of jobs) for (const k of ['id', 'state', 'reason', 'run_id', 'pid', 'exit_code']) assert.ok(k in j, k);
});

test('stall: no output or progress for stall_timeout_s → SIGTERM, grace, SIGKILL → failed "stalled" with a stalled alert', async (t) => {
  const ws = workspace(t);
  const rt = await runtime(t, ws);
  writeScript(ws, 'stall.js', `console.log('loading'); process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000);`);
  const job = await submit(rt, ws, { name: 'stuck', command: [node, 'stall.js'], stall_timeout_s: 1, grace_s: 0.5 });
  const j = await until(rt, job.id, ['failed', 'completed', 'cancelled', 'stopped']);
  assert.equal(j.state, 'failed');
  assert.match(j.reason ?? '', /^stalled: no progress for 1 s/);
  assert.equal(j.signal, 'SIGKILL', 'it ignored SIGTERM, so SIGKILL ended it');
  const alerts = cliJson<Array<{ reason: string; level: string }>>(['alerts', '--run', j.run_id!], { dir: ws.store });
  assert.deepEqual(alerts.map((a) => [a.reason, a.level]), [['stalled', 'error']]);
  const log = fs.readFileSync(j.log_path, 'utf8');
  assert.match(log, /ignoring SIGTERM/);
});

test('progress.json updates count as heartbeats: a quiet job that writes it is not stalled', async (t) => {
  const ws = workspace(t);
  const rt = await runtime(t, ws);
  writeScript(ws, 'quiet.js', `const fs = require('fs'); let i = 0; const t = setInterval(() => { fs.writeFileSync(process.env.TUNESTUDIO_PROGRESS, JSON.stringify({ current: ++i, total: 40, updated_at: Date.now() })); if (i === 40) { clearInterval(t); } }, 100);`);
  // Silent for ~4 s, longer than its 3 s stall timeout: only the progress.json updates (every 100 ms) keep it alive.
  const job = await submit(rt, ws, { name: 'quiet', command: [node, 'quiet.js'], stall_timeout_s: 3, grace_s: 0.5 });
  const j = await until(rt, job.id, ['failed', 'completed']);
  assert.equal(j.state, 'completed', j.reason ?? '');
  assert.deepEqual(j.progress && [j.progress.current, j.progress.total], [40, 40]);
});

test('cancel: control stop, then SIGTERM, then SIGKILL; no process of the group survives (grandchildren included)', async (t) => {
  const ws = workspace(t);
  const rt = await runtime(t, ws);
  writeScript(
    ws,
    'tree.js',
    `const { spawn } = require('child_process');
     const kid = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
     console.log('grandchild ' + kid.pid); process.on('SIGTERM', () => {}); setInterval(() => console.log('tick'), 100);`,
  );
  const job = await submit(rt, ws, { name: 'tree', command: [node, 'tree.js'], grace_s: 0.3 });
  const running = await until(rt, job.id, ['running']);
  const grandchild = Number(await waitFor(() => /grandchild (\d+)/.exec(fs.existsSync(running.log_path) ? fs.readFileSync(running.log_path, 'utf8') : '')?.[1], 'the grandchild'));
  await rt.request(JobCancelRequest.type, { id: job.id });
  const j = await until(rt, job.id, ['cancelled', 'failed', 'completed']);
  assert.equal(j.state, 'cancelled');
  const control = JSON.parse(fs.readFileSync(path.join(path.dirname(j.log_path), 'control.json'), 'utf8'));
  assert.equal(control.commands[0].cmd, 'stop', 'asked through the control channel first');
  for (const pid of [j.pid!, grandchild]) {
    const st = readProcStat(pid);
    assert.ok(st === null || st.state === 'Z', `process ${pid} of the group survived (${st?.state})`);
  }
  const run = await rt.request(RunShowRequest.type, { run: j.run_id! });
  assert.equal(run.status, 'cancelled');
  // A queued job is cancelled at once and never starts.
  writeScript(ws, 'long.js', `setInterval(() => console.log('x'), 100);`);
  const blocker = await submit(rt, ws, { name: 'blocker', command: [node, 'long.js'], grace_s: 0.2 });
  await until(rt, blocker.id, ['running']);
  const queued = await submit(rt, ws, { name: 'never', command: [node, 'long.js'] });
  const c = cliJson<{ immediate: boolean; job: { state: string } }>(['cancel', queued.id], { dir: ws.store });
  assert.equal(c.immediate, true);
  assert.equal(c.job.state, 'cancelled');
  await rt.request(JobCancelRequest.type, { id: blocker.id });
  await until(rt, blocker.id, ['cancelled']);
  assert.equal((await rt.request(JobGetRequest.type, { id: queued.id })).started_at, null);
});

test('SIGKILL of the job → failed with the signal', async (t) => {
  const ws = workspace(t);
  const rt = await runtime(t, ws);
  writeScript(ws, 'victim.js', `console.log('pid ' + process.pid); setInterval(() => {}, 1000);`);
  const job = await submit(rt, ws, { name: 'victim', command: [node, 'victim.js'] });
  const running = await until(rt, job.id, ['running']);
  const pid = Number(await waitFor(() => /pid (\d+)/.exec(fs.existsSync(running.log_path) ? fs.readFileSync(running.log_path, 'utf8') : '')?.[1], 'the pid line'));
  process.kill(pid, 'SIGKILL');
  const j = await until(rt, job.id, ['failed', 'completed']);
  assert.equal(j.state, 'failed');
  assert.equal(j.signal, 'SIGKILL');
  assert.match(j.reason ?? '', /killed by SIGKILL/);
});

test('SIGKILL of the runtime with a job running → the restarted runtime adopts it and the job completes with all its metrics', async (t) => {
  const ws = workspace(t);
  const rt1 = await startRuntime({ storeDir: ws.store, workspaceFolders: [ws.dir], trusted: true });
  writeScript(
    ws,
    'slow.js',
    `const fs = require('fs'); let s = 0;
     const t = setInterval(() => { console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: { loss: s } })); s++;
       if (s >= 30 && fs.existsSync('finish')) { clearInterval(t); console.log('bye'); } }, 20);`,
  );
  const job = await submit(rt1, ws, { name: 'survivor', command: [node, 'slow.js'] });
  const running = await until(rt1, job.id, ['running']);
  // Killed while points are committed and more keep coming: the offset the next runtime resumes
  // from must be the one committed with the last points written (no step lost or read twice).
  await waitFor(async () => ((await rt1.request(RunShowRequest.type, { run: running.run_id! })).summary.loss?.count ?? 0) >= 10, 'some points committed');
  rt1.proc.kill('SIGKILL');
  await new Promise((r) => rt1.proc.once('exit', r));
  assert.ok(readProcStat(running.pid!)?.state !== 'Z', 'the job survived the runtime');
  const rt2 = await runtime(t, ws);
  fs.writeFileSync(path.join(ws.dir, 'finish'), '');
  const j = await until(rt2, job.id, ['completed', 'failed']);
  assert.equal(j.state, 'completed', j.reason ?? '');
  const run = await rt2.request(RunShowRequest.type, { run: j.run_id! });
  assert.equal(run.status, 'finished');
  const count = run.summary.loss.count;
  assert.equal(count, run.summary.loss.last_step + 1, 'every step exactly once: nothing lost or read twice across the restart');
  assert.ok(count >= 30);
  const status = await rt2.request(RuntimeStatusRequest.type, undefined);
  assert.equal(status.scheduler?.holder, true);
});

test('SIGKILL of the runtime while TensorBoard files are read → the adopted job stores every scalar exactly once', async (t) => {
  const ws = workspace(t);
  // The job appends one event record every 20 ms (records made by our own encoder), then waits for "finish".
  fs.mkdirSync(path.join(ws.dir, 'chunks'));
  fs.writeFileSync(path.join(ws.dir, 'chunks', '000'), eventFile([]));
  for (let s = 0; s < 60; s++) fs.writeFileSync(path.join(ws.dir, 'chunks', String(s + 1).padStart(3, '0')), eventRecord(scalarEvent(s, { loss: 100 - s })));
  writeScript(
    ws,
    'tb.js',
    `const fs = require('fs'); fs.mkdirSync('tb', { recursive: true });
     const out = 'tb/events.out.tfevents.1700000000.host'; const files = fs.readdirSync('chunks').sort(); let i = 0;
     const t = setInterval(() => { if (i < files.length) fs.appendFileSync(out, fs.readFileSync('chunks/' + files[i++]));
       else if (fs.existsSync('finish')) clearInterval(t); }, 20);`,
  );
  const rt1 = await startRuntime({ storeDir: ws.store, workspaceFolders: [ws.dir], trusted: true });
  const job = await submit(rt1, ws, { name: 'tensorboard', command: [node, 'tb.js'], parsers: [{ tfevents: 'tb' }] });
  const running = await until(rt1, job.id, ['running']);
  await waitFor(async () => ((await rt1.request(RunShowRequest.type, { run: running.run_id! })).summary.loss?.count ?? 0) >= 10, 'some scalars committed');
  rt1.proc.kill('SIGKILL');
  await new Promise((r) => rt1.proc.once('exit', r));
  const rt2 = await runtime(t, ws);
  fs.writeFileSync(path.join(ws.dir, 'finish'), '');
  const j = await until(rt2, job.id, ['completed', 'failed']);
  assert.equal(j.state, 'completed', j.reason ?? '');
  const loss = (await rt2.request(RunShowRequest.type, { run: j.run_id! })).summary.loss;
  assert.deepEqual([loss.count, loss.last_step, loss.min], [60, 59, 41], 'every scalar exactly once: nothing lost or read twice across the restart');
});

test('a recycled pid is not adopted: the job fails "runtime restarted; process gone" and its run is crashed', async (t) => {
  const ws = workspace(t);
  const rt1 = await startRuntime({ storeDir: ws.store, workspaceFolders: [ws.dir], trusted: true });
  writeScript(ws, 'forever.js', `setInterval(() => console.log('x'), 50);`);
  const job = await submit(rt1, ws, { name: 'orphan', command: [node, 'forever.js'] });
  const running = await until(rt1, job.id, ['running']);
  rt1.proc.kill('SIGKILL');
  await new Promise((r) => rt1.proc.once('exit', r));
  t.after(() => {
    try {
      process.kill(-running.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  // Same pid, another start time: as if the pid had been reused by an unrelated process.
  const Database = require('better-sqlite3');
  const db = new Database(path.join(ws.store, 'studio.db'));
  db.prepare(`UPDATE jobs SET pid_start = 'recycled' WHERE id = ?`).run(job.id);
  db.close();
  const rt2 = await runtime(t, ws);
  const j = await until(rt2, job.id, ['failed', 'completed']);
  assert.equal(j.state, 'failed');
  assert.equal(j.reason, 'runtime restarted; process gone');
  const run = await rt2.request(RunShowRequest.type, { run: j.run_id! });
  assert.equal(run.status, 'crashed');
});

test('two runtimes on one store → one scheduler; the other reads only and takes over when the holder dies', async (t) => {
  const ws = workspace(t);
  const a = await runtime(t, ws);
  writeScript(ws, 'x.js', `console.log('hi')`);
  await until(a, (await submit(a, ws, { command: [node, 'x.js'] })).id, ['completed']);
  const b = await startRuntime({ storeDir: ws.store, workspaceFolders: [ws.dir], trusted: true });
  t.after(() => b.stop());
  const sa = await a.request(RuntimeStatusRequest.type, undefined);
  const sb = await waitFor(async () => (await b.request(RuntimeStatusRequest.type, undefined)).scheduler, 'b to see the scheduler');
  assert.equal(sa.scheduler?.holder, true);
  assert.equal(sb.holder, false);
  assert.match(sb.detail, /read-only: VS Code \(pid \d+ on .*\) schedules jobs/);
  const serve = cli(['serve', '--help'], { dir: ws.store });
  assert.equal(serve.code, 0);
  a.proc.kill('SIGKILL');
  await waitFor(async () => (await b.request(RuntimeStatusRequest.type, undefined)).scheduler?.holder, 'b to take the lease', 20_000);
  const job = await submit(b, ws, { command: [node, 'x.js'] });
  assert.equal((await until(b, job.id, ['completed'])).state, 'completed');
});

test('untrusted workspace: no job starts; the error says why and how to trust', async (t) => {
  const ws = workspace(t);
  const rt = await runtime(t, ws, { trusted: false });
  writeScript(ws, 'x.js', `console.log('hi')`);
  await assert.rejects(submit(rt, ws, { command: [node, 'x.js'] }), /not trusted.*Manage Workspace Trust/);
  // Queued from outside (the CLI): it stays queued.
  const id = cli(['submit', '--', node, 'x.js'], { dir: ws.store, cwd: ws.dir }).stdout.trim();
  assert.match(id, /^j/);
  await new Promise((r) => setTimeout(r, 0));
  const jobs = await waitFor(async () => {
    const list = await rt.request(JobsListRequest.type, undefined);
    return list.length ? list : null;
  }, 'the runtime to see the queued job');
  assert.equal(jobs[0].state, 'queued');
  assert.match(rt.logs.join('\n'), /not trusted, so queued jobs do not start/);
});

test('*.tunejob.json problems are diagnostics on the right value', async (t) => {
  const ws = workspace(t);
  const rt = await runtime(t, ws);
  const file = path.join(ws.dir, 'bad.tunejob.json');
  const text = `{\n  "command": ["${node.replace(/\\/g, '\\\\')}", "missing_train.js"],\n  "parsers": ["protocol", "tensorboardd"],\n  "watchers": [{"metric": "loss", "mode": "MIN", "patience": 3}],\n  "stall_timeout_s": -5\n}\n`;
  fs.writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const got = new Promise<{ uri: string; diagnostics: Array<{ message: string; range: { start: { line: number; character: number } } }> }>((resolve) =>
    rt.conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: [] }) => p.uri === uri && resolve(p as never)),
  );
  await rt.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'json', version: 1, text } });
  const d = await got;
  const byLine = d.diagnostics.map((x) => [x.range.start.line, x.message]);
  assert.ok(byLine.some(([l, m]) => l === 1 && /script 'missing_train.js' does not exist/.test(String(m))), JSON.stringify(byLine));
  assert.ok(byLine.some(([l, m]) => l === 2 && /Unknown parser 'tensorboardd'/.test(String(m))), JSON.stringify(byLine));
  assert.ok(byLine.some(([l, m]) => l === 3 && /'mode' must be 'min' or 'max'/.test(String(m))), JSON.stringify(byLine));
  assert.ok(byLine.some(([l, m]) => l === 4 && /positive number of seconds/.test(String(m))), JSON.stringify(byLine));
});

test('100 MB of output and 1 MB lines: no deadlock, everything read, frames collapsed in the log', async (t) => {
  const ws = workspace(t);
  writeScript(
    ws,
    'flood.js',
    `const line = 'x'.repeat(1023) + '\\n'; const chunk = line.repeat(1024);
     for (let i = 0; i < 100; i++) process.stdout.write(chunk);
     process.stdout.write('y'.repeat(1024 * 1024) + '\\n');
     for (let i = 0; i <= 100; i++) process.stdout.write('\\rprogress ' + i + '/100');
     process.stdout.write('\\n@tunestudio {"step": 1, "metrics": {"loss": 0.5}}\\n');`,
  );
  const r = cli(['run', '--name', 'flood', '--', node, 'flood.js'], { dir: ws.store, cwd: ws.dir });
  assert.equal(r.code, 0, r.stderr.slice(0, 500));
  assert.ok(r.stdout.length > 100 * 1024 * 1024, 'output passed through');
  const jobDir = path.join(ws.store, 'jobs', fs.readdirSync(path.join(ws.store, 'jobs'))[0]);
  const log = fs.readFileSync(path.join(jobDir, 'log.txt'), 'utf8').split('\n');
  assert.equal(log.filter((l) => l.startsWith('x')).length, 100 * 1024);
  assert.equal(log.filter((l) => l.startsWith('y'))[0].length, 1024 * 1024);
  assert.deepEqual(log.filter((l) => l.includes('progress')), ['progress 100/100'], 'one line for 101 frames');
  assert.equal(cliJson<{ summary: { loss: { last: number } } }>(['show', 'flood'], { dir: ws.store }).summary.loss.last, 0.5);
});

test('tunestudio run: stdout stays on stdout and stderr on stderr (both tracked), protocol lines are not echoed, each alert is printed when raised, the last line says "stopped" once', (t) => {
  const ws = workspace(t);
  // Writes ordinary lines and protocol lines on both streams; honours the stop request of the NaN watcher.
  writeScript(
    ws,
    'two.js',
    `const fs = require('fs'); let s = 0;
     const stop = () => { try { return JSON.parse(fs.readFileSync(process.env.TUNESTUDIO_CONTROL, 'utf8')).commands.some((c) => c.cmd === 'stop'); } catch { return false; } };
     const t = setInterval(() => {
       console.log('out line ' + s);
       console.error('err line ' + s);
       console.error('@tunestudio ' + JSON.stringify({ step: s, metrics: { 'eval/acc': s / 10 } }));
       console.log('@tunestudio ' + JSON.stringify({ step: s, metrics: { loss: s < 5 ? 1 / (s + 1) : null } }).replace('null', 'NaN'));
       s++;
       if (stop()) { console.log('saving and stopping'); clearInterval(t); }
     }, 20);`,
  );
  const r = cli(['run', '--name', 'split', '--watch', '{"metric":"loss","nan":true}', '--', node, 'two.js'], { dir: ws.store, cwd: ws.dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^out line 0$/m);
  assert.match(r.stdout, /saving and stopping/);
  assert.doesNotMatch(r.stdout, /err line/, 'stderr is not merged into stdout');
  assert.match(r.stderr, /^err line 0$/m);
  assert.doesNotMatch(r.stderr, /out line/);
  assert.doesNotMatch(r.stdout + r.stderr, /@tunestudio/, 'protocol lines are consumed, not echoed');
  const alertLines = r.stderr.split('\n').filter((l) => l.startsWith('[tunestudio '));
  assert.deepEqual(alertLines, ['[tunestudio error] loss is NaN at step 5 — stopping the run']);
  const last = r.stderr.trim().split('\n').pop()!;
  assert.match(last, /^tunestudio: run split \(\w+\) stopped: loss is NaN$/);
  const show = cliJson<{ status: string; summary: Record<string, { last: number; count: number }> }>(['show', 'split'], { dir: ws.store });
  assert.equal(show.status, 'stopped');
  assert.ok(show.summary['eval/acc'].count >= 6, `protocol lines on stderr are ingested too: ${JSON.stringify(show.summary)}`);
  assert.equal(show.summary.loss.count >= 6, true);
});

test('the job rules are one: cancelling a finished job and retrying a running one are refused the same way through the runtime and the CLI', async (t) => {
  const ws = workspace(t);
  const rt = await runtime(t, ws);
  writeScript(ws, 'quick.js', `console.log('done');`);
  writeScript(ws, 'gate.js', `const fs = require('fs'); const t = setInterval(() => { if (fs.existsSync('open-gate')) clearInterval(t); }, 20);`);
  const quick = await submit(rt, ws, { name: 'quick', command: [node, 'quick.js'] });
  await until(rt, quick.id, ['completed']);
  const gate = await submit(rt, ws, { name: 'gate', command: [node, 'gate.js'] });
  await until(rt, gate.id, ['running']);
  const refusals: Array<[string, () => Promise<unknown>, string[], RegExp]> = [
    ['cancel a completed job', () => rt.request(JobCancelRequest.type, { id: quick.id }), ['cancel', quick.id], new RegExp(`job ${quick.id} \\(quick\\) is already completed`)],
    ['retry a running job', () => rt.request(JobRetryRequest.type, { id: gate.id }), ['retry', gate.id], new RegExp(`job ${gate.id} \\(gate\\) is running; only finished jobs can be retried`)],
  ];
  try {
    for (const [what, viaRuntime, viaCli, message] of refusals) {
      await assert.rejects(viaRuntime(), message, `${what} through the runtime`);
      if (viaCli[0] === 'retry') continue; // the CLI has no retry command
      const r = cli(viaCli, { dir: ws.store });
      assert.equal(r.code, 1, `${what} through the CLI: ${r.stderr}`);
      assert.match(r.stderr, message, `${what} through the CLI`);
    }
    assert.equal((await rt.request(JobGetRequest.type, { id: quick.id })).state, 'completed');
    assert.equal((await rt.request(JobGetRequest.type, { id: gate.id })).state, 'running');
  } finally {
    fs.writeFileSync(path.join(ws.dir, 'open-gate'), '');
  }
  await until(rt, gate.id, ['completed']);
});
