// The Python client (issue 15): `log()` calls per second with 10 metrics a
// call, beside a bare `json.dumps` + buffered write loop of the same lines in
// the same Python process (goal: within 1.5× of it); and points per second
// end to end — from the first log() until finish() returns with every point
// in the store, ingested by the `tunestudio follow` process the client starts.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { saveResults, workDir } from './lib';

const ROOT = path.resolve(__dirname, '..');
const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['--version']).status === 0) ?? 'python3';
const CALLS = Number(process.env.BENCH_PY_CALLS ?? 200_000);
const E2E_CALLS = Number(process.env.BENCH_PY_E2E_CALLS ?? 50_000);

const SCRIPT = String.raw`
import json, os, sys, time
mode, n = sys.argv[1], int(sys.argv[2])
names = [f"train/m{i}" for i in range(10)]
def metrics(i):
    return {k: i * 0.001 + j for j, k in enumerate(names)}
import tunestudio as ts
if mode == "pair":
    # Alternating reps in one process, so a busy machine slows both sides alike.
    ts.init(project="bench", name="log")
    f = open(os.path.join(sys.argv[3], "bare.log"), "ab", buffering=1 << 16)
    bare, ours = [], []
    for rep in range(5):
        t0 = time.perf_counter()
        for i in range(n):
            f.write(("@tunestudio " + json.dumps({"step": i, "metrics": metrics(i)}) + "\n").encode())
        f.flush()
        bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for i in range(n):
            ts.log(metrics(i), step=rep * n + i)
        ours.append(time.perf_counter() - t0)
    ts.finish()
    ratios = sorted(o / b for o, b in zip(ours, bare))
    print(json.dumps({"bare_s": min(bare), "ours_s": min(ours), "median_ratio": ratios[len(ratios) // 2]}))
else:
    ts.init(project="bench", name=mode)
    t0 = time.perf_counter()
    for i in range(n):
        ts.log(metrics(i), step=i)
    ts.finish()
    print(json.dumps({"with_finish_s": time.perf_counter() - t0}))
`;

function py<T>(dir: string, args: string[], env: NodeJS.ProcessEnv): T {
  const r = spawnSync(PYTHON, ['-c', SCRIPT, ...args], { cwd: dir, env: { ...process.env, PYTHONPATH: path.join(ROOT, 'python'), ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

const dir = workDir('python');
// log() alone: no follower competes for the cores (no Node on PATH: its run file just waits), beside the bare loop.
const noFollower = { TUNESTUDIO_DIR: path.join(dir, 'alone'), PATH: dir, TUNESTUDIO_CLI: '', TUNESTUDIO_NODE: '' };
const pair = py<{ bare_s: number; ours_s: number; median_ratio: number }>(dir, ['pair', String(CALLS), dir], noFollower);
fs.rmSync(path.join(dir, 'alone'), { recursive: true, force: true });
// End to end: the client starts the follower; finish() returns once every point is stored.
const e2e = py<{ with_finish_s: number }>(dir, ['e2e', String(E2E_CALLS)], { TUNESTUDIO_DIR: path.join(dir, 'e2e'), TUNESTUDIO_CLI: path.join(ROOT, 'bin', 'tunestudio.js'), TUNESTUDIO_NODE: process.execPath });
const rows = {
  python: PYTHON,
  log_calls_per_s: Math.round(CALLS / pair.ours_s),
  bare_dumps_write_per_s: Math.round(CALLS / pair.bare_s),
  // The time one log() call takes in bare-loop times (median of 5 alternating reps; goal ≤ 1.5).
  log_slowdown_x: Math.round(pair.median_ratio * 100) / 100,
  e2e_points_per_s: Math.round((E2E_CALLS * 10) / e2e.with_finish_s),
  e2e_log_calls: E2E_CALLS,
};
console.table(rows);
saveResults('python', rows);
