// Shared helpers for benchmarks: timing, medians, ratios, and merging figures
// into bench/results.json (one section per benchmark, replaced on each run).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const RESULTS = path.join(__dirname, 'results.json');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs fn `reps` times (after `warmup` runs) and returns each duration in ms. */
export async function timeIt(fn: () => unknown | Promise<unknown>, reps = 5, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export function ratio(baseline: number, ours: number): number {
  return Math.round((baseline / ours) * 100) / 100;
}

/** A scratch folder under bench/.work (git-ignored), removed and recreated. */
export function workDir(name: string): string {
  const d = path.join(__dirname, '.work', name);
  fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export function saveResults(section: string, data: Record<string, unknown>): void {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(fs.readFileSync(RESULTS, 'utf8'));
  } catch {
    /* first run */
  }
  all[section] = {
    ...data,
    measured_at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.arch()}` },
  };
  fs.writeFileSync(RESULTS, JSON.stringify(all, null, 2) + '\n');
  console.log(`bench/${section}: results saved to bench/results.json`);
}

export function printTable(rows: Array<Record<string, string | number>>): void {
  console.table(rows);
}
