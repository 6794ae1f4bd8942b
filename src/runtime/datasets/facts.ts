// Content hashes and audio probes of files, kept in the store while a file's
// size, mtime and inode are unchanged, so validating or listing a dataset
// again neither re-reads audio nor re-runs ffprobe.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type Database from 'better-sqlite3';
import type { AudioTools } from '../audio/ffmpeg';
import { probeAudio, type AudioProbe } from '../audio/probe';

interface FactRow {
  path: string;
  size: number;
  mtime_ms: number;
  ino: string;
  sha256: string | null;
  probe: string | null;
}

/** Streams a file through sha256 (bounded memory). */
export function hashFile(file: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = crypto.createHash('sha256');
    const s = fs.createReadStream(file, { highWaterMark: 1 << 20, signal });
    s.on('data', (d) => h.update(d));
    s.on('error', reject);
    s.on('end', () => resolve(h.digest('hex')));
  });
}

export class FileFacts {
  /** Work actually done (not served from the store): tests and benches read these. */
  readonly counters = { hashed: 0, probed: 0 };
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(private readonly db: () => Database.Database | null) {}

  private row(file: string, st: fs.Stats): FactRow | null {
    const db = this.db();
    if (!db) return null;
    const r = db.prepare(`SELECT path, size, mtime_ms, ino, sha256, probe FROM file_facts WHERE path = ?`).get(file) as FactRow | undefined;
    if (!r || r.size !== st.size || r.mtime_ms !== st.mtimeMs || r.ino !== String(st.ino)) return null;
    return r;
  }

  private save(file: string, st: fs.Stats, patch: { sha256?: string; probe?: string }): void {
    const db = this.db();
    if (!db) return;
    const prev = this.row(file, st);
    db.prepare(
      `INSERT INTO file_facts(path, size, mtime_ms, ino, sha256, probe, checked_at) VALUES (@path, @size, @mtime, @ino, @sha, @probe, @at)
       ON CONFLICT(path) DO UPDATE SET size=@size, mtime_ms=@mtime, ino=@ino, sha256=@sha, probe=@probe, checked_at=@at`,
    ).run({
      path: file,
      size: st.size,
      mtime: st.mtimeMs,
      ino: String(st.ino),
      sha: patch.sha256 ?? prev?.sha256 ?? null,
      probe: patch.probe ?? prev?.probe ?? null,
      at: new Date().toISOString(),
    });
  }

  /** One computation per file at a time, even when two requests ask together. */
  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = fn().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Cached probe result without running anything (null when not known for this version of the file). */
  cachedProbe(file: string, st: fs.Stats): AudioProbe | null {
    const r = this.row(file, st);
    return r?.probe ? (JSON.parse(r.probe) as AudioProbe) : null;
  }

  async sha256(file: string, signal?: AbortSignal): Promise<string> {
    return this.once(`hash:${file}`, async () => {
      const st = fs.statSync(file);
      const cached = this.row(file, st)?.sha256;
      if (cached) return cached;
      this.counters.hashed++;
      const h = await hashFile(file, signal);
      // Only trust the hash if the file did not change while it was read.
      const after = fs.statSync(file);
      if (after.size === st.size && after.mtimeMs === st.mtimeMs) this.save(file, after, { sha256: h });
      return h;
    });
  }

  async probe(file: string, tools: AudioTools, signal?: AbortSignal): Promise<AudioProbe> {
    return this.once(`probe:${file}`, async () => {
      const st = fs.statSync(file);
      const cached = this.cachedProbe(file, st);
      if (cached) return cached;
      this.counters.probed++;
      const p = await probeAudio(file, tools, signal);
      this.save(file, st, { probe: JSON.stringify(p) });
      return p;
    });
  }
}
