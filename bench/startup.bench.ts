// `npm run bench startup`: how fast Tune Studio starts in a real extension
// host (the VS Code server bundled with code-server; `npm run setup` first).
// Each run is a fresh extension host activating the extension once, cold:
//   activation     activate() called → returned (includes loading dist/extension.js)
//   runtime ready  activate() called → the runtime process answered initialize
// Baseline, measured in the same extension host: a bare Node process started
// until its first output — the floor for any runtime kept in its own process.
// Medians of RUNS runs go to bench/results.json.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { median, printTable, ratio, saveResults, workDir } from './lib';

const ROOT = path.resolve(__dirname, '..');
const RUNS = Number(process.env.TUNESTUDIO_BENCH_RUNS || 5);

interface Sample {
  activationMs: number;
  activateBodyMs: number;
  runtimeReadyMs: number;
  bareNodeStartMs: number;
  runtimeNode: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function main(): void {
  // What users get: the production bundles (and the bench entry in out/test/suite.js).
  run(['scripts/build.mjs', '--production']);
  const dir = workDir('startup');
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = path.join(dir, `run-${i}.json`);
    run(['scripts/exthost.mjs', '--timeout', '300'], { TUNESTUDIO_BENCH_OUT: out });
    const s = JSON.parse(fs.readFileSync(out, 'utf8')) as Sample;
    samples.push(s);
    console.log(`run ${i + 1}/${RUNS}: activation ${s.activationMs.toFixed(1)} ms, runtime ready ${s.runtimeReadyMs.toFixed(1)} ms, bare node ${s.bareNodeStartMs.toFixed(1)} ms`);
  }
  const m = (k: keyof Omit<Sample, 'runtimeNode'>) => Math.round(median(samples.map((s) => s[k])) * 10) / 10;
  const activation = m('activationMs');
  const body = m('activateBodyMs');
  const ready = m('runtimeReadyMs');
  const bare = m('bareNodeStartMs');
  printTable([
    { measure: 'activation (activate() call → return)', median_ms: activation },
    { measure: 'activate() body (module loaded → return)', median_ms: body },
    { measure: 'runtime ready (activate() call → initialize answered)', median_ms: ready },
    { measure: 'baseline: bare Node process start → first output', median_ms: bare },
  ]);
  const readyVsBare = ratio(ready, bare);
  console.log(`runtime ready takes ${readyVsBare}× a bare Node process start`);
  saveResults('startup', {
    runs: RUNS,
    activation_ms: activation,
    activate_body_ms: body,
    runtime_ready_ms: ready,
    baseline_bare_node_start_ms: bare,
    runtime_ready_over_bare_node: readyVsBare,
    runtime_node: samples[0].runtimeNode,
    samples,
  });
}

main();
