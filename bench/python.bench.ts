// The Python client (issue 15): `log()` calls per second with 10 metrics a
// call, beside a bare `json.dumps` + buffered write loop of the same lines in
// the same Python process (goal: within 1.5× of it); and points per second
// end to end — from the first log() until finish() returns with every point
// in the store, ingested by the `tunestudio follow` process the client starts.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ratio, saveResults, workDir } from './lib';

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
if mode == "bare":
    f = open(os.path.join(sys.argv[3], "bare.log"), "ab", buffering=1 << 16)
    t0 = time.perf_counter()
    for i in range(n):
        f.write(("@tunestudio " + json.dumps({"step": i, "metrics": metrics(i)}) + "\n").encode())
    f.flush()
    print(json.dumps({"s": time.perf_counter() - t0}))
else:
    import tunestudio as ts
    ts.init(project="bench", name=mode)
    t0 = time.perf_counter()
    for i in range(n):
        ts.log(metrics(i), step=i)
    t1 = time.perf_counter()
    ts.finish()
    print(json.dumps({"s": t1 - t0, "with_finish_s": time.perf_counter() - t0}))
`;

function py(dir: string, args: string[], env: NodeJS.ProcessEnv): { s: number; with_finish_s?: number } {
  const r = spawnSync(PYTHON, ['-c', SCRIPT, ...args], { cwd: dir, env: { ...process.env, PYTHONPATH: path.join(ROOT, 'python'), ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const dir = workDir('python');
const noFollower = { TUNESTUDIO_DIR: path.join(dir, 'alone'), PATH: dir, TUNESTUDIO_CLI: '', TUNESTUDIO_NODE: '' };
const best = (f: () => number, reps = 3) => Math.min(...Array.from({ length: reps }, f));
// log() alone (no follower competing for the 2 cores: its run file waits), beside the bare loop.
const bare = best(() => py(dir, ['bare', String(CALLS), dir], {}).s);
const ours = best(() => py(dir, ['log', String(CALLS)], noFollower).s);
fs.rmSync(path.join(dir, 'alone'), { recursive: true, force: true });
// End to end: the client starts the follower; finish() returns once every point is stored.
const e2e = py(dir, ['e2e', String(E2E_CALLS)], { TUNESTUDIO_DIR: path.join(dir, 'e2e'), TUNESTUDIO_CLI: path.join(ROOT, 'bin', 'tunestudio.js'), TUNESTUDIO_NODE: process.execPath });
const rows = {
  python: PYTHON,
  log_calls_per_s: Math.round(CALLS / ours),
  bare_dumps_write_per_s: Math.round(CALLS / bare),
  // How many times the bare loop's time one log() call takes (goal ≤ 1.5).
  log_slowdown_x: ratio(ours, bare),
  e2e_points_per_s: Math.round((E2E_CALLS * 10) / e2e.with_finish_s!),
  e2e_log_calls: E2E_CALLS,
};
console.table(rows);
saveResults('python', rows);
