// Caption batches: one runs at a time (the model is shared), others wait in
// order; a second batch for a dataset that already has one is refused with a
// message saying which batch holds it. All bookkeeping happens synchronously
// between awaits, and a batch's counters are written only by its own run, so
// concurrent requests cannot interleave half-made changes.
import * as crypto from 'node:crypto';
import type { CaptionPhase, CaptionProgress, CaptionResult } from '../../protocol/datasets';

export class CaptionBusyError extends Error {
  readonly code = 'caption-busy';
  constructor(message: string) {
    super(message);
    this.name = 'CaptionBusyError';
  }
}

export interface Batch {
  readonly id: string;
  readonly dir: string;
  readonly name: string;
  readonly abort: AbortController;
  state: 'queued' | 'running' | 'finished';
  done: number;
  total: number;
  /** Reports progress (the batch's own run calls this). */
  progress(phase: CaptionPhase, extra?: Partial<CaptionProgress>): void;
}

type Runner = (b: Batch) => Promise<CaptionResult>;

interface Entry {
  batch: Batch;
  run: Runner;
  resolve: (r: CaptionResult) => void;
  reject: (e: unknown) => void;
}

export class CaptionQueue {
  private readonly entries: Entry[] = [];
  private running: Entry | null = null;
  private readonly byDir = new Map<string, Batch>();
  private readonly ids = new Set<string>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly onProgress: (p: CaptionProgress) => void) {}

  /** The batch (queued or running) of a dataset folder. */
  forDir(dir: string): Batch | undefined {
    return this.byDir.get(dir);
  }

  get active(): Batch | undefined {
    return this.running?.batch;
  }

  /**
   * Queues a batch and resolves with its result when it has run. Throws
   * CaptionBusyError at once (nothing queued) when the dataset already has one.
   */
  submit(dir: string, name: string, run: Runner, batchId?: string): Promise<CaptionResult> {
    const holder = this.byDir.get(dir);
    if (holder) {
      const what = holder.state === 'running' ? `is being captioned (batch ${holder.id}, ${holder.done}/${holder.total} done)` : `has a caption batch waiting (batch ${holder.id})`;
      throw new CaptionBusyError(`Dataset '${name}' ${what}. Wait for it to finish or cancel it, then try again.`);
    }
    const id = batchId ?? crypto.randomUUID();
    if (this.ids.has(id)) throw new CaptionBusyError(`Caption batch id '${id}' is already in use; choose a new one.`);
    const batch: Batch = {
      id,
      dir,
      name,
      abort: new AbortController(),
      state: 'queued',
      done: 0,
      total: 0,
      progress: (phase, extra = {}) => this.onProgress({ batchId: id, dir, phase, done: batch.done, total: batch.total, ...extra }),
    };
    this.byDir.set(dir, batch);
    this.ids.add(id);
    const promise = new Promise<CaptionResult>((resolve, reject) => this.entries.push({ batch, run, resolve, reject }));
    if (this.running || this.entries.length > 1) batch.progress('queued', { message: `waiting for ${this.running?.batch.name ?? 'another dataset'}` });
    queueMicrotask(() => this.pump());
    return promise;
  }

  /** Cancels a queued batch at once, or asks a running one to stop after its current sample. */
  cancel(batchId: string): boolean {
    const i = this.entries.findIndex((e) => e.batch.id === batchId);
    if (i >= 0) {
      const [e] = this.entries.splice(i, 1);
      this.finish(e.batch);
      e.batch.progress('cancelled');
      e.resolve({ batchId, dir: e.batch.dir, status: 'cancelled', captioned: [], failed: [], cacheHits: 0, cacheMisses: 0, textCacheHit: false, model: '', message: 'cancelled before it started' });
      this.pump();
      return true;
    }
    if (this.running?.batch.id === batchId) {
      this.running.batch.abort.abort(new Error('cancelled'));
      return true;
    }
    return false;
  }

  /** Resolves once no batch runs or waits. */
  idle(): Promise<void> {
    if (!this.running && this.entries.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  cancelAll(): void {
    for (const e of [...this.entries]) this.cancel(e.batch.id);
    this.running?.batch.abort.abort(new Error('cancelled'));
  }

  private finish(b: Batch): void {
    b.state = 'finished';
    if (this.byDir.get(b.dir) === b) this.byDir.delete(b.dir);
  }

  private pump(): void {
    if (this.running) return;
    const next = this.entries.shift();
    if (!next) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
      return;
    }
    this.running = next;
    next.batch.state = 'running';
    next.run(next.batch).then(
      (r) => this.settle(next, () => next.resolve(r)),
      (e) => this.settle(next, () => next.reject(e)),
    );
  }

  private settle(e: Entry, deliver: () => void): void {
    this.finish(e.batch);
    this.running = null;
    deliver();
    this.pump();
  }
}
