// Applies what parsers read from a trainer's output (line protocol, Hugging
// Face dict lines, regex presets, tfevents) to its run: every source goes
// through the same Tracker.log, so watchers see numbers from any source.
import type { IngestEvent } from '../ingest/types';
import type { EmbeddingMessage, ProtocolMessage } from '../../protocol/lines';
import { EmbeddingSnapshotStore, readEmbeddingMessage } from '../projection/sources';
import type { Tracker } from './tracker';
import { unreadableNote } from '../../protocol/unreadable';
import { WatchError } from './watchers';

export interface IngestCounters {
  metrics: number;
  malformed: number;
  lastMalformed: string | null;
}

export class RunIngest {
  readonly counters: IngestCounters = { metrics: 0, malformed: 0, lastMalformed: null };
  private pendingMalformed = 0;
  private progressTotal: number | undefined;
  /** Called with each progress update (the jobs view shows it). */
  onProgress?: (current: number, total: number | undefined) => void;
  /** Called with a free-form status text from the trainer. */
  onStatus?: (text: string) => void;
  /** Folder an `embedding` message's file is read from and confined to (the job's folder); unset: only inline vectors are read. */
  embeddingDir?: string;

  constructor(
    private readonly tracker: Tracker,
    readonly runId: string,
  ) {}

  handle(e: IngestEvent): void {
    switch (e.type) {
      case 'metrics':
        this.log(e.metrics, e.step, e.wallTime);
        break;
      case 'protocol':
        this.apply(e.message);
        break;
      case 'progress':
        this.progress(e.current, e.total);
        break;
      case 'malformed':
        this.malformed(`${e.source}: ${e.error} — ${e.line.slice(0, 200)}`);
        // A watch the program asked for and did not get is said out loud, not only counted.
        if (e.error.startsWith('"watch')) this.tracker.rejectWatch(this.runId, null, `${e.error} in ${e.line.slice(0, 200)}`);
        break;
      case 'notice':
        // Something skipped on purpose (TensorBoard files older than the job): said on the run, not counted as malformed.
        this.tracker.alert(this.runId, { title: 'Some TensorBoard events were skipped', text: e.text, level: 'info', data: { source: e.source } });
        break;
    }
  }

  private log(metrics: Record<string, unknown>, step?: number, wall?: number): void {
    const r = this.tracker.log(this.runId, metrics, step, wall);
    this.counters.metrics += r.accepted;
  }

  private malformed(msg: string): void {
    this.counters.malformed++;
    this.counters.lastMalformed = msg;
    this.pendingMalformed++;
  }

  private progress(current: number, total?: number): void {
    if (total !== undefined) this.progressTotal = total;
    this.onProgress?.(current, this.progressTotal);
    this.tracker.heartbeat(this.runId, { current, total: this.progressTotal ?? null });
  }

  apply(m: ProtocolMessage): void {
    if (m.config) this.tracker.setConfig(this.runId, m.config);
    if (m.watch) {
      const { metric, ...options } = m.watch;
      try {
        this.tracker.watch(this.runId, metric, options);
      } catch (e) {
        if (!(e instanceof WatchError)) throw e;
        this.malformed(`watch: ${e.message}`);
        this.tracker.rejectWatch(this.runId, metric, e.message);
      }
    }
    if (m.metrics) this.log(m.metrics, m.step);
    if (m.progress) this.progress(m.progress.current, m.progress.total);
    if (m.alert) {
      const a = m.alert;
      const reason = typeof a.data?.reason === 'string' ? a.data.reason : undefined;
      this.tracker.alert(this.runId, { title: a.title, text: a.text, level: a.level, data: a.data, metric: a.metric ?? null, step: a.step ?? m.step ?? null, reason });
    }
    if (m.sample) this.tracker.addSample(this.runId, { step: m.sample.step ?? m.step, prompt: m.sample.prompt, text: m.sample.text });
    if (m.checkpoint) {
      this.tracker.addArtifact(this.runId, { kind: 'checkpoint', step: m.checkpoint.step ?? m.step, path: m.checkpoint.path, data: m.checkpoint.metrics ?? {} });
    }
    if (m.embedding) this.embedding(m.embedding, m.embedding.step ?? m.step);
    if (m.status) this.onStatus?.(m.status);
    if (m.stop) this.tracker.requestStop(this.runId, 'program', m.stop.reason ?? 'the program stopped itself');
  }

  /** Stores an embedding snapshot with the run (the map reads it); a bad one is counted and said, like a malformed line. */
  private embedding(e: EmbeddingMessage, step: number | undefined): void {
    try {
      if (e.file !== undefined && this.embeddingDir === undefined) {
        throw new Error(`Embedding snapshot '${e.name}': files are read only for jobs Tune Studio runs (it needs the job folder); send the vectors inline.`);
      }
      const set = readEmbeddingMessage(e, this.embeddingDir ?? '.');
      new EmbeddingSnapshotStore(() => this.tracker.db).add(this.runId, e.name, step ?? null, set, set.source);
    } catch (err) {
      this.malformed(`embedding: ${(err as Error).message}`);
    }
  }

  /** "N lines looked like Trainer logs but none could be read: …" when that is so (no metric read, some lines malformed). */
  unreadableNote(): string | null {
    return unreadableNote({ malformed_lines: this.counters.malformed, last_warning: this.counters.lastMalformed }, this.counters.metrics);
  }

  /** Writes the malformed-line count gathered since the last call. */
  flushCounters(): void {
    if (!this.pendingMalformed) return;
    this.tracker.countMalformed(this.runId, this.pendingMalformed, this.counters.lastMalformed ?? '');
    this.pendingMalformed = 0;
  }
}
