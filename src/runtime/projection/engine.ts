// LayoutEngine: the runtime's handle on the layout worker thread. One request
// per map key at a time: a newer request for the same key cancels the stale
// one (its promise rejects with LayoutCancelledError) and the newer one runs.
// A crashed worker fails its jobs with the cause and is restarted on the next
// request.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LayoutOptions, LayoutStage } from '../../protocol/projection';
import type { LayoutInput, LayoutOutput, WarmStart } from './layout';
import { LayoutCancelledError, type WorkerReply, type WorkerRequest } from './messages';

export interface LayoutJobOptions {
  options?: LayoutOptions;
  warm?: WarmStart;
  progress?: (stage: LayoutStage, done: number) => void;
  /** Hand the input's buffer to the worker instead of copying it (the caller's array becomes empty). */
  transfer?: boolean;
}

interface Pending {
  resolve: (out: LayoutOutput) => void;
  reject: (e: Error) => void;
  flag: Int32Array;
  key: string;
  progress?: (stage: LayoutStage, done: number) => void;
}

/** Where the worker's code is: beside the bundle (dist/projectionWorker.js), or the source file under tsx. */
export function workerFile(): string {
  const bundled = path.join(__dirname, 'projectionWorker.js');
  if (!__filename.endsWith('.ts') && fs.existsSync(bundled)) return bundled;
  const source = path.join(__dirname, 'worker.ts');
  if (fs.existsSync(source)) return source;
  throw new Error(`Layout worker not found at ${bundled}. Rebuild with \`node scripts/build.mjs\` (it writes dist/projectionWorker.js).`);
}

export class LayoutEngine {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly current = new Map<string, number>();

  constructor(private readonly file: string = workerFile()) {}

  /** Lays out `input`; a later call with the same key cancels this one. */
  layout(key: string, input: LayoutInput, job: LayoutJobOptions = {}): Promise<LayoutOutput> {
    this.cancel(key);
    const jobId = this.nextId++;
    const cancel = new SharedArrayBuffer(4);
    const flag = new Int32Array(cancel);
    const data = job.transfer ? input.data : input.data.slice();
    const req: WorkerRequest = { jobId, data, n: input.n, dims: input.dims, options: job.options ?? {}, warm: job.warm, cancel };
    return new Promise<LayoutOutput>((resolve, reject) => {
      this.pending.set(jobId, { resolve, reject, flag, key, progress: job.progress });
      this.current.set(key, jobId);
      const w = this.ensureWorker();
      w.ref();
      w.postMessage(req, [data.buffer as ArrayBuffer]);
    });
  }

  /** Cancels the running or queued request for `key`; true when there was one. */
  cancel(key: string): boolean {
    const id = this.current.get(key);
    if (id === undefined) return false;
    const p = this.pending.get(id);
    if (p) Atomics.store(p.flag, 0, 1);
    this.current.delete(key);
    return p !== undefined;
  }

  /** Number of jobs not yet settled (for tests and status). */
  get busy(): number {
    return this.pending.size;
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) Atomics.store(p.flag, 0, 1);
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    for (const p of this.pending.values()) p.reject(new LayoutCancelledError('Layout cancelled: the layout engine was closed.'));
    this.pending.clear();
    this.current.clear();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // From source (tests, benches under tsx) the worker needs tsx's loader too; the bundle needs nothing.
    const w = this.file.endsWith('.ts') ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(this.file)});`, { eval: true }) : new Worker(this.file);
    w.on('message', (msg: WorkerReply) => this.onMessage(msg));
    w.on('error', (e) => this.failAll(w, `Layout worker crashed: ${e.message}. The layout was not computed; try again (the worker restarts).`));
    w.on('exit', (code) => {
      if (code !== 0) this.failAll(w, `Layout worker exited with code ${code}. The layout was not computed; try again (the worker restarts).`);
    });
    // An idle worker must not keep the runtime (or a CLI run) alive.
    w.unref();
    this.worker = w;
    return w;
  }

  private failAll(w: Worker, message: string): void {
    if (this.worker !== w) return;
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error(message));
    this.pending.clear();
    this.current.clear();
  }

  private onMessage(msg: WorkerReply): void {
    const p = this.pending.get(msg.jobId);
    if (!p) return;
    if (msg.type === 'progress') {
      p.progress?.(msg.stage, msg.done);
      return;
    }
    this.pending.delete(msg.jobId);
    if (this.current.get(p.key) === msg.jobId) this.current.delete(p.key);
    if (this.pending.size === 0) this.worker?.unref();
    if (msg.type === 'done') p.resolve({ layout: msg.layout, info: msg.info });
    else p.reject(msg.cancelled ? new LayoutCancelledError() : new Error(msg.message));
  }
}
