// GPU utilisation and memory from nvidia-smi, as system metrics of a run
// (`system/gpu0/util`, `system/gpu0/mem_used_mb`, ...) and for runtime status.
// nvidia-smi is run with an argument array (no shell) and a timeout; where it
// is missing or fails, the poller reports why once and keeps quiet.
import { execFile } from 'node:child_process';
import { executableAt, findOnPath } from '../os/path';

export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'];

export interface GpuReading {
  index: number;
  name: string;
  /** Percent busy over the driver's last sample period; null when the driver says [N/A] or [Not Supported]. */
  utilPercent: number | null;
  memUsedMb: number | null;
  memTotalMb: number | null;
}

export interface GpuParseResult {
  gpus: GpuReading[];
  /** Lines that were not GPU rows, with why (garbage, an error message from the driver). */
  problems: string[];
}

function field(s: string): number | null {
  const t = s.trim();
  if (t === '' || t.startsWith('[')) return null; // [N/A], [Not Supported], [Unknown Error]
  const v = Number(t.replace(/\s*(?:%|MiB)$/, ''));
  return Number.isFinite(v) ? v : null;
}

/** Parses the CSV that NVIDIA_SMI_ARGS produce. Never throws. */
export function parseNvidiaSmiCsv(text: string): GpuParseResult {
  const gpus: GpuReading[] = [];
  const problems: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    // GPU names do not contain commas, so a plain split is enough; a row
    // with another shape is an error message or garbage.
    const parts = line.split(',');
    const index = parts.length === 5 ? Number(parts[0].trim()) : NaN;
    if (!Number.isInteger(index) || index < 0 || parts[1].trim() === '') {
      problems.push(line.length > 200 ? `${line.slice(0, 200)}…` : line);
      continue;
    }
    gpus.push({ index, name: parts[1].trim(), utilPercent: field(parts[2]), memUsedMb: field(parts[3]), memTotalMb: field(parts[4]) });
  }
  return { gpus, problems };
}

/** Metric names and values for a run: system/gpu<i>/util, mem_used_mb, mem_total_mb, mem_percent. Unknown values are left out. */
export function gpuMetrics(gpus: GpuReading[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of gpus) {
    const p = `system/gpu${g.index}`;
    if (g.utilPercent !== null) out[`${p}/util`] = g.utilPercent;
    if (g.memUsedMb !== null) out[`${p}/mem_used_mb`] = g.memUsedMb;
    if (g.memTotalMb !== null) out[`${p}/mem_total_mb`] = g.memTotalMb;
    if (g.memUsedMb !== null && g.memTotalMb) out[`${p}/mem_percent`] = Math.round((g.memUsedMb / g.memTotalMb) * 1000) / 10;
  }
  return out;
}

/** nvidia-smi on PATH (or at `explicit`), or null. */
export function findNvidiaSmi(explicit?: string, envPath = process.env.PATH ?? ''): string | null {
  return explicit ? executableAt(explicit) : findOnPath('nvidia-smi', envPath);
}

export type GpuQueryResult = { available: true; gpus: GpuReading[]; problems: string[] } | { available: false; reason: string };

/** Runs nvidia-smi once. Never rejects: a missing tool, a timeout or garbage output becomes `available: false` with the reason. */
export function queryGpus(opts: { nvidiaSmi?: string; timeoutMs?: number } = {}): Promise<GpuQueryResult> {
  const exe = findNvidiaSmi(opts.nvidiaSmi);
  if (!exe) {
    return Promise.resolve({
      available: false,
      reason: opts.nvidiaSmi ? `nvidia-smi at '${opts.nvidiaSmi}' is not an executable file` : 'nvidia-smi is not on PATH (no NVIDIA driver): GPU metrics are off',
    });
  }
  return new Promise((resolve) => {
    execFile(exe, NVIDIA_SMI_ARGS, { timeout: opts.timeoutMs ?? 5000, maxBuffer: 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
        const why = e.killed ? `timed out after ${opts.timeoutMs ?? 5000} ms` : `failed: ${(String(stderr).trim() || String(stdout).trim() || e.message).split('\n')[0]}`;
        resolve({ available: false, reason: `nvidia-smi ${why}` });
        return;
      }
      const r = parseNvidiaSmiCsv(String(stdout));
      if (r.gpus.length === 0) {
        resolve({ available: false, reason: `nvidia-smi printed no GPU rows${r.problems.length ? `: ${r.problems[0]}` : ''}` });
        return;
      }
      resolve({ available: true, gpus: r.gpus, problems: r.problems });
    });
  });
}

export interface GpuPollerOptions {
  /** Default 10,000 ms. */
  intervalMs?: number;
  timeoutMs?: number;
  nvidiaSmi?: string;
  onReading(gpus: GpuReading[], metrics: Record<string, number>): void;
  /** Called when GPU metrics stop being available (and again only after they came back). */
  onUnavailable?(reason: string): void;
  /** Replaces nvidia-smi (tests, remote hosts). */
  query?: () => Promise<GpuQueryResult>;
}

/**
 * Queries every `intervalMs`, never two queries at once. stop() clears the
 * timer and waits for a query in flight, so no reading arrives after it.
 */
export class GpuPoller {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = true;
  private lastUnavailable: string | null = null;
  /** Bumped by stop(): a query started before it delivers nothing. */
  private generation = 0;
  readonly intervalMs: number;

  constructor(private readonly opts: GpuPollerOptions) {
    this.intervalMs = opts.intervalMs ?? 10_000;
    if (!(this.intervalMs > 0)) throw new RangeError(`GPU poll interval must be positive, got ${opts.intervalMs}`);
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** Starts polling; the first query runs at once. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  /** Runs one query now (unless one is in flight) and delivers its result. */
  async pollNow(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const generation = this.generation;
    const run = (async () => {
      const r = await (this.opts.query ?? (() => queryGpus({ nvidiaSmi: this.opts.nvidiaSmi, timeoutMs: this.opts.timeoutMs })))().catch(
        (e): GpuQueryResult => ({ available: false, reason: `GPU query failed: ${(e as Error).message}` }),
      );
      if (generation !== this.generation) return; // stop() was called meanwhile
      if (r.available) {
        this.lastUnavailable = null;
        this.opts.onReading(r.gpus, gpuMetrics(r.gpus));
      } else if (this.lastUnavailable !== r.reason) {
        this.lastUnavailable = r.reason;
        this.opts.onUnavailable?.(r.reason);
      }
    })();
    this.inFlight = run.finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
    this.timer.unref();
    void this.pollNow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight) await this.inFlight;
  }
}
