// Waveform peaks of an audio file for the dataset editor: ffmpeg decodes the
// file once at a low rate through the streaming decoder (memory bounded by
// the block list, not the file), the min/max of each bucket is kept as int8,
// and the result is cached in the store by path, size and mtime (migration
// 9), so the page draws every waveform from a few hundred bytes and never
// decodes audio itself. Long files are where waveform tools break; here an
// hour of audio costs the same few hundred bytes.
import * as fs from 'node:fs';
import type Database from 'better-sqlite3';
import type { AudioTools } from './ffmpeg';
import type { SamplePeaks, SamplePeaksParams } from '../../protocol/datasetEditor';
import { scanDataset } from '../datasets/scan';
import { streamPcm } from './decode';

/** Decode rate for peaks: enough for an envelope, cheap to decode. */
export const PEAKS_SAMPLE_RATE = 4000;
const BLOCK = 32;
export const DEFAULT_BUCKETS = 400;
export const MAX_BUCKETS = 4000;

export interface Peaks {
  /** Seconds of decoded audio. */
  duration: number;
  buckets: number;
  /** base64 of an Int8Array of 2 × buckets: min then max of each bucket, scaled to ±127. */
  peaks: string;
}

/** Decodes `file` and returns its peaks in `buckets` buckets. */
export async function computePeaks(file: string, tools: AudioTools, buckets = DEFAULT_BUCKETS, signal?: AbortSignal): Promise<Peaks> {
  // Min/max of every BLOCK samples first (the length is not known up front), then folded into the buckets.
  let mins = new Float32Array(1024);
  let maxs = new Float32Array(1024);
  let blocks = 0;
  let inBlock = 0;
  let lo = Infinity;
  let hi = -Infinity;
  const push = () => {
    if (blocks === mins.length) {
      const m = new Float32Array(mins.length * 2);
      m.set(mins);
      mins = m;
      const x = new Float32Array(maxs.length * 2);
      x.set(maxs);
      maxs = x;
    }
    mins[blocks] = lo;
    maxs[blocks] = hi;
    blocks++;
    inBlock = 0;
    lo = Infinity;
    hi = -Infinity;
  };
  const total = await streamPcm(
    file,
    tools,
    (s) => {
      for (let i = 0; i < s.length; i++) {
        const v = s[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        if (++inBlock === BLOCK) push();
      }
    },
    { sampleRate: PEAKS_SAMPLE_RATE, signal },
  );
  if (inBlock > 0) push();
  const n = Math.max(1, Math.min(MAX_BUCKETS, Math.floor(buckets)));
  const out = new Int8Array(2 * n);
  const q = (v: number) => Math.max(-127, Math.min(127, Math.round(v * 127)));
  for (let b = 0; b < n; b++) {
    const from = Math.floor((b * blocks) / n);
    const to = Math.max(from + 1, Math.floor(((b + 1) * blocks) / n));
    let mn = 0;
    let mx = 0;
    for (let k = from; k < Math.min(to, blocks); k++) {
      if (mins[k] < mn) mn = mins[k];
      if (maxs[k] > mx) mx = maxs[k];
    }
    out[2 * b] = q(mn);
    out[2 * b + 1] = q(mx);
  }
  return { duration: total / PEAKS_SAMPLE_RATE, buckets: n, peaks: Buffer.from(out.buffer).toString('base64') };
}

/** Peaks kept in the store while a file's size and mtime are unchanged. */
export class PeaksCache {
  /** Files actually decoded (not served from the store): tests and benches read it. */
  readonly counters = { computed: 0 };
  private readonly inflight = new Map<string, Promise<Peaks>>();

  constructor(private readonly db: () => Database.Database | null) {}

  async get(file: string, tools: AudioTools, buckets = DEFAULT_BUCKETS): Promise<Peaks> {
    const n = Math.max(1, Math.min(MAX_BUCKETS, Math.floor(buckets)));
    const st = fs.statSync(file);
    const db = this.db();
    const row = db?.prepare(`SELECT size, mtime_ms, duration, peaks FROM waveform_peaks WHERE path = ? AND buckets = ?`).get(file, n) as { size: number; mtime_ms: number; duration: number; peaks: Buffer } | undefined;
    if (row && row.size === st.size && row.mtime_ms === st.mtimeMs) return { duration: row.duration, buckets: n, peaks: row.peaks.toString('base64') };
    const key = `${file}\0${n}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const work = (async () => {
      this.counters.computed++;
      const p = await computePeaks(file, tools, n);
      this.db()
        ?.prepare(
          `INSERT INTO waveform_peaks(path, buckets, size, mtime_ms, duration, peaks) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(path, buckets) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, duration = excluded.duration, peaks = excluded.peaks`,
        )
        .run(file, n, st.size, st.mtimeMs, p.duration, Buffer.from(p.peaks, 'base64'));
      return p;
    })().finally(() => this.inflight.delete(key));
    this.inflight.set(key, work);
    return work;
  }
}

/**
 * Peaks of a dataset's samples by stem (`realDir` already resolved inside the
 * workspace by the dataset service). A sample that is a link outside the
 * folder, empty, or undecodable gets an error instead, and the others still
 * come back; files are decoded one after another (the runtime shares 2 cores).
 */
export async function samplePeaks(p: SamplePeaksParams, o: { realDir: string; tools: () => AudioTools; cache: PeaksCache }): Promise<SamplePeaks[]> {
  if (!Array.isArray(p.stems)) throw new Error('peaks: `stems` must be a list of sample stems.');
  const byStem = new Map(scanDataset(o.realDir).samples.map((s) => [s.stem, s]));
  const out: SamplePeaks[] = [];
  let tools: AudioTools | null = null;
  for (const stem of p.stems.slice(0, 500)) {
    const s = byStem.get(stem);
    if (!s) out.push({ stem, error: `no sample '${stem}' in this dataset` });
    else if (s.linkOutside) out.push({ stem, error: `'${s.audioName}' links outside the dataset folder; refused` });
    else if (s.size === 0) out.push({ stem, error: 'the audio file is empty' });
    else {
      try {
        tools ??= o.tools();
        out.push({ stem, ...(await o.cache.get(s.audio, tools, p.buckets)) });
      } catch (e) {
        out.push({ stem, error: (e as Error).message });
      }
    }
  }
  return out;
}
