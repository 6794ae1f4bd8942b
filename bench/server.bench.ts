// Team server ingest (issue 17): points/s pushed through HTTP on the loopback
// to a real `tunestudio server` process on SQLite, in batches, beside direct
// local ingest (Tracker.log + flush on a store in this process) of the same
// points in the same run. Goal: ≥ 200k points/s through HTTP.
// Run: npm run bench server   (POINTS=… BATCH=… to change the size)
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { openDatabase } from '../src/runtime/store/db';
import { Tracker } from '../src/runtime/tracking/tracker';
import { RemoteClient, runPath } from '../src/runtime/remote/client';
import { TokenStore } from '../src/server/tokens';
import { median, ratio, saveResults, workDir } from './lib';

const POINTS = Number(process.env.POINTS ?? 1_000_000);
const BATCH = Number(process.env.BATCH ?? 20_000); // points per request (10 steps × 2,000 metrics … here 4 metrics a step)
const METRICS = 4;
const REPS = 3;

function batches(): Array<{ points: Array<{ step: number; metrics: Record<string, number> }> }> {
  const out = [];
  const stepsPerBatch = BATCH / METRICS;
  for (let s0 = 0; s0 < POINTS / METRICS; s0 += stepsPerBatch) {
    const points = [];
    for (let s = s0; s < s0 + stepsPerBatch; s++) points.push({ step: s, metrics: { 'train/loss': 1 / (s + 1), 'train/acc': s / 1e6, lr: 1e-4, grad_norm: Math.sin(s) } });
    out.push({ points });
  }
  return out;
}

async function main(): Promise<void> {
  const dir = workDir('server');
  const storeDir = path.join(dir, 'server-store');
  const tokenDb = openDatabase(storeDir);
  const token = new TokenStore(tokenDb).create('bench', 'write').token;
  tokenDb.close();
  const cliPath = path.resolve(__dirname, '..', 'bin', 'tunestudio.js');
  const proc = spawn(process.execPath, [cliPath, 'server', '--store', `sqlite:${storeDir}`, '--bind', '127.0.0.1:0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
  });
  try {
    await measure(dir, url, token);
  } finally {
    proc.kill('SIGTERM');
  }
}

async function measure(dir: string, url: string, token: string): Promise<void> {
  const api = new RemoteClient({ url, token, timeoutMs: 600_000 });
  const data = batches();

  const local: number[] = [];
  const http: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    // Direct local ingest: the same points through a Tracker on a local store.
    const db = openDatabase(path.join(dir, `local-${rep}`));
    const tracker = new Tracker(db, { flushPoints: 1_000_000 });
    const run = tracker.createRun({ project: 'bench' });
    let t0 = performance.now();
    for (const b of data) {
      tracker.batch(() => {
        for (const p of b.points) tracker.log(run.id, p.metrics, p.step);
      });
      tracker.flush();
    }
    local.push(POINTS / ((performance.now() - t0) / 1000));
    tracker.close();
    db.close();

    // Through HTTP: one request per batch, each acknowledged after its commit, with (client, seq) as a client sends them.
    const r = await api.call<{ id: string }>('POST', '/runs', { body: { project: 'bench' } });
    t0 = performance.now();
    let seq = 0;
    for (const b of data) await api.call('POST', runPath(r.id, '/metrics'), { body: { client: 'bench', seq: ++seq, ...b } });
    http.push(POINTS / ((performance.now() - t0) / 1000));
    const shown = await api.call<{ summary: Record<string, { count: number }> }>('GET', runPath(r.id));
    if (shown.summary['train/loss'].count !== POINTS / METRICS) throw new Error(`lost points: ${shown.summary['train/loss'].count}`);
  }
  const figures = {
    points: POINTS,
    batch_points: BATCH,
    local_points_per_s: Math.round(median(local)),
    http_points_per_s: Math.round(median(http)),
    http_vs_local: ratio(median(local), median(http)),
    goal_points_per_s: 200_000,
  };
  console.log(figures);
  saveResults('server', figures);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
