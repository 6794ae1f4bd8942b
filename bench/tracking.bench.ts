// Tracking benchmarks (issue 3), each beside a baseline in the same run:
//  1. ingest points/s through the SDK and through `tunestudio run`, beside raw
//     better-sqlite3 inserts of the same rows;
//  2. best / compare / summary latency at 200 runs × 20 metrics × 4,000 steps,
//     beside trackio's layout (one JSON blob per step, parsed per query).
// TUNESTUDIO_BENCH_SCALE=0.1 shrinks the second part for a quick look.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDatabase } from '../src/runtime/store/db';
import { Queries } from '../src/runtime/tracking/queries';
import { Tracker } from '../src/runtime/tracking/tracker';
import { median, ratio, saveResults, timeIt, workDir } from './lib';

const ROOT = path.resolve(__dirname, '..');
const scale = Number(process.env.TUNESTUDIO_BENCH_SCALE ?? 1);

function ingest(): Record<string, unknown> {
  const dir = workDir('tracking-ingest');
  const N = 200_000; // points: 20,000 steps × 10 metrics
  const metricsPerStep = 10;
  const steps = N / metricsPerStep;
  const names = Array.from({ length: metricsPerStep }, (_, i) => `train/m${i}`);

  // Raw better-sqlite3: the same narrow rows, prepared insert, 1,000 per transaction, no summaries.
  const raw = new Database(path.join(dir, 'raw.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec(`CREATE TABLE metrics(run_id TEXT, metric_id INTEGER, step INTEGER, value REAL, wall_time REAL); CREATE INDEX i ON metrics(run_id, metric_id, step);`);
  const ins = raw.prepare(`INSERT INTO metrics VALUES (?, ?, ?, ?, ?)`);
  const rawMs = median(
    timeToRun(3, () => {
      raw.exec('DELETE FROM metrics');
      const tx = raw.transaction((from: number) => {
        for (let s = from; s < Math.min(steps, from + 100); s++) for (let m = 0; m < metricsPerStep; m++) ins.run('r', m, s, Math.sin(s + m), Date.now() / 1000);
      });
      for (let s = 0; s < steps; s += 100) tx(s);
    }),
  );
  raw.close();

  // The SDK, in this process (direct mode: batches, summaries, watchers).
  process.env.TUNESTUDIO_DIR = path.join(dir, 'sdk');
  const { init } = require(path.join(ROOT, 'dist', 'sdk.js')) as typeof import('../src/sdk');
  const sdkMs = median(
    timeToRun(3, () => {
      const run = init({ project: 'bench' });
      run.watch('train/m0', { nan: true });
      const row: Record<string, number> = {};
      for (let s = 0; s < steps; s++) {
        for (let m = 0; m < metricsPerStep; m++) row[names[m]] = Math.sin(s + m);
        run.log(row, s);
      }
      run.finish();
    }),
  );

  // `tunestudio run`: a child prints protocol lines; the CLI supervises, parses and writes.
  const script = path.join(dir, 'emit.js');
  fs.writeFileSync(
    script,
    `let out = []; for (let s = 0; s < ${steps}; s++) { const m = {}; for (let i = 0; i < ${metricsPerStep}; i++) m['train/m' + i] = Math.sin(s + i);
       out.push('@tunestudio ' + JSON.stringify({ step: s, metrics: m })); if (out.length === 1000) { process.stdout.write(out.join('\\n') + '\\n'); out = []; } }
     process.stdout.write(out.join('\\n') + '\\n');`,
  );
  const emitOnlyMs = median(timeToRun(3, () => spawnSync(process.execPath, [script], { stdio: 'ignore' })));
  const cliMs = median(
    timeToRun(3, () => {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tunestudio.js'), 'run', '--parser', 'protocol', '--', process.execPath, script], {
        env: { ...process.env, TUNESTUDIO_DIR: path.join(dir, 'cli') },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      if (r.status !== 0) throw new Error('tunestudio run failed');
    }),
  );
  const pps = (ms: number) => Math.round(N / (ms / 1000));
  const out = {
    points: N,
    raw_insert_points_per_s: pps(rawMs),
    sdk_points_per_s: pps(sdkMs),
    cli_run_points_per_s: pps(cliMs),
    cli_run_emitter_alone_ms: Math.round(emitOnlyMs),
    sdk_vs_raw: ratio(rawMs, sdkMs),
    cli_vs_raw: ratio(rawMs, cliMs),
  };
  console.log(`ingest of ${N} points: raw inserts ${out.raw_insert_points_per_s}/s; SDK ${out.sdk_points_per_s}/s (${out.sdk_vs_raw}× raw speed, with summaries and watchers); tunestudio run ${out.cli_run_points_per_s}/s (${out.cli_vs_raw}× raw, end to end incl. process start)`);
  return out;
}

function timeToRun(reps: number, fn: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

async function queries(): Promise<Record<string, unknown>> {
  const dir = workDir('tracking-queries');
  const RUNS = Math.max(2, Math.round(200 * scale));
  const METRICS = 20;
  const STEPS = Math.max(10, Math.round(4000 * scale));
  const names = Array.from({ length: METRICS }, (_, i) => (i === 0 ? 'train/loss' : `train/m${i}`));
  console.log(`building ${RUNS} runs × ${METRICS} metrics × ${STEPS} steps (${(RUNS * METRICS * STEPS / 1e6).toFixed(1)}M points) in both layouts…`);

  // Ours.
  const db = openDatabase(path.join(dir, 'ours'));
  const tracker = new Tracker(db, { flushPoints: 20_000, flushIntervalMs: 60_000 });
  const ids: string[] = [];
  // trackio's layout: one row per (run, step) with every metric in a JSON blob.
  const blob = new Database(path.join(dir, 'trackio.db'));
  blob.pragma('journal_mode = WAL');
  blob.exec(`CREATE TABLE metrics (id INTEGER PRIMARY KEY, run_name TEXT, step INTEGER, timestamp TEXT, metrics TEXT); CREATE INDEX idx_run_step ON metrics(run_name, step);
             CREATE TABLE configs (run_name TEXT PRIMARY KEY, status TEXT)`);
  const insBlob = blob.prepare(`INSERT INTO metrics(run_name, step, timestamp, metrics) VALUES (?, ?, ?, ?)`);
  const t0 = performance.now();
  for (let r = 0; r < RUNS; r++) {
    const run = tracker.createRun({ project: 'bench', name: `run-${r}` });
    ids.push(run.id);
    blob.prepare(`INSERT INTO configs VALUES (?, 'finished')`).run(`run-${r}`);
    const rows: Array<[number, string]> = [];
    const vals: Record<string, number> = {};
    for (let s = 0; s < STEPS; s++) {
      for (let m = 0; m < METRICS; m++) vals[names[m]] = (1 + r / RUNS) * Math.exp(-s / 1000) + 0.01 * Math.sin(s * (m + 1));
      tracker.log(run.id, vals, s);
      rows.push([s, JSON.stringify(vals)]);
    }
    blob.transaction(() => {
      for (const [s, j] of rows) insBlob.run(`run-${r}`, s, '2026-01-01T00:00:00', j);
    })();
    tracker.flush();
    tracker.finishRun(run.id, 'finished');
  }
  console.log(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const q = new Queries(db);

  // Baseline queries, as trackio does them: fetch every blob of a run, parse each, pull one value.
  const finalOf = (run: string, metric: string): number | undefined => {
    let last: number | undefined;
    for (const row of blob.prepare(`SELECT metrics FROM metrics WHERE run_name = ? ORDER BY step`).iterate(run) as Iterable<{ metrics: string }>) {
      const v = JSON.parse(row.metrics)[metric];
      if (typeof v === 'number') last = v;
    }
    return last;
  };
  const runNames = (blob.prepare(`SELECT run_name FROM configs WHERE status = 'finished'`).pluck().all() as string[]);
  const baseBest = () => {
    let best: { run: string; v: number } | null = null;
    for (const r of runNames) {
      const v = finalOf(r, 'train/loss');
      if (v !== undefined && Number.isFinite(v) && (!best || v < best.v)) best = { run: r, v };
    }
    return best;
  };
  const cmpRuns = runNames.slice(0, 10);
  const baseCompare = () => cmpRuns.map((r) => names.map((m) => finalOf(r, m)));
  const baseSummary = () => runNames.map((r) => finalOf(r, 'train/loss'));

  const oursBest = () => q.best({ metric: 'train/loss' });
  const oursCompare = () => q.compare(ids.slice(0, 10), names);
  const oursSummary = () => q.summary({ project: 'bench' });
  // Same answers.
  const b1 = baseBest()!;
  const b2 = oursBest()!;
  if (b1.run !== b2.run.name || Math.abs(b1.v - b2.value) > 1e-12) throw new Error(`best differs: ${JSON.stringify(b1)} vs ${b2.run.name} ${b2.value}`);

  const reps = 3;
  const res: Record<string, unknown> = { runs: RUNS, metrics: METRICS, steps: STEPS, points: RUNS * METRICS * STEPS };
  for (const [name, ours, base] of [
    ['best', oursBest, baseBest],
    ['compare_10_runs_x_20_metrics', oursCompare, baseCompare],
    ['summary', oursSummary, baseSummary],
  ] as const) {
    const o = median(await timeIt(ours, reps, 1));
    const bl = median(await timeIt(base, Math.min(reps, 2), 0));
    res[`${name}_ms`] = Math.round(o * 100) / 100;
    res[`${name}_baseline_ms`] = Math.round(bl);
    res[`${name}_speedup`] = ratio(bl, o);
    console.log(`${name}: ours ${o.toFixed(2)} ms, trackio layout ${bl.toFixed(0)} ms → ${ratio(bl, o)}× faster`);
  }
  tracker.close();
  db.close();
  blob.close();
  return res;
}

/**
 * 3. Progress frames (issue 13): a tqdm bar redraws many times a second. Ours:
 * Tracker.heartbeat per frame, written with the next batched flush. Baseline:
 * what the writer did before, one UPDATE of the run (its own transaction) per frame.
 */
function progress(): Record<string, unknown> {
  const dir = workDir('tracking-progress');
  const frames = 20_000;
  const pointsEvery = 10;
  const baseDb = openDatabase(path.join(dir, 'base'));
  const base = new Tracker(baseDb);
  const baseRun = base.createRun({ project: 'bench' });
  const perFrame = baseDb.prepare(`UPDATE runs SET heartbeat_at = ?, progress_current = ?, progress_total = ?, updated_at = ? WHERE id = ?`);
  const [baseMs] = timeToRun(1, () => {
    for (let i = 0; i < frames; i++) {
      perFrame.run(Date.now() / 1000, i, frames, new Date().toISOString(), baseRun.id);
      if (i % pointsEvery === 0) base.log(baseRun.id, { loss: 1 / (i + 1) }, i / pointsEvery);
    }
    base.flush();
  });
  base.close();
  baseDb.close();
  const oursDb = openDatabase(path.join(dir, 'ours'));
  const ours = new Tracker(oursDb);
  const run = ours.createRun({ project: 'bench' });
  const [oursMs] = timeToRun(1, () => {
    for (let i = 0; i < frames; i++) {
      ours.heartbeat(run.id, { current: i, total: frames });
      if (i % pointsEvery === 0) ours.log(run.id, { loss: 1 / (i + 1) }, i / pointsEvery);
    }
    ours.flush();
  });
  ours.close();
  oursDb.close();
  const res = { frames, points: frames / pointsEvery, ours_ms: Math.round(oursMs), per_frame_update_ms: Math.round(baseMs), ratio: ratio(baseMs, oursMs) };
  console.log(`progress: ${frames} frames + ${frames / pointsEvery} points: ours ${res.ours_ms} ms, one UPDATE per frame ${res.per_frame_update_ms} ms (${res.ratio}×)`);
  return res;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'sdk.js'))) throw new Error('run npm run build first');
  // TUNESTUDIO_BENCH_ONLY=progress runs only that part (the others take minutes).
  if (process.env.TUNESTUDIO_BENCH_ONLY === 'progress') {
    console.log(JSON.stringify(progress()));
    return;
  }
  const i = ingest();
  const q = await queries();
  const p = progress();
  saveResults('tracking', { ingest: i, queries: q, progress: p, scale });
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
