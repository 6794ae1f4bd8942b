// Decodes audio with ffmpeg to mono float32 PCM (48 kHz by default) streamed
// through a pipe: callers keep only the sample ranges they need, so memory
// stays bounded whatever the file's length, and ffmpeg is stopped as soon as
// the last needed sample has arrived.
import { spawn } from 'node:child_process';
import { type AudioTools, spawnError } from './ffmpeg';

export const CLAP_SAMPLE_RATE = 48_000;

export class AudioDecodeError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'AudioDecodeError';
  }
}

export interface DecodeOptions {
  sampleRate?: number;
  signal?: AbortSignal;
}

/**
 * Streams decoded samples to `onSamples` (a view valid only during the call).
 * `onSamples` returns false to stop early. Resolves with the number of
 * samples delivered.
 */
export function streamPcm(
  file: string,
  tools: AudioTools,
  onSamples: (samples: Float32Array, offset: number) => boolean | void,
  opts: DecodeOptions = {},
): Promise<number> {
  const rate = opts.sampleRate ?? CLAP_SAMPLE_RATE;
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(rate), '-f', 'f32le', '-acodec', 'pcm_f32le', 'pipe:1'];
  return new Promise((resolve, reject) => {
    const child = spawn(tools.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let delivered = 0;
    let stopped = false;
    let stderr = '';
    // Chunks need not end on a 4-byte boundary: carry the remainder over.
    let carry = Buffer.alloc(0);
    const onAbort = () => stop();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    function stop() {
      if (stopped) return;
      stopped = true;
      child.stdout.destroy();
      child.kill('SIGKILL');
    }
    child.stdout.on('data', (chunk: Buffer) => {
      if (stopped) return;
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const usable = buf.length - (buf.length % 4);
      carry = Buffer.from(buf.subarray(usable));
      if (usable === 0) return;
      // Copy into an aligned Float32Array (the Buffer's offset may not be 4-aligned).
      const samples = new Float32Array(usable / 4);
      Buffer.from(samples.buffer).set(buf.subarray(0, usable));
      const more = onSamples(samples, delivered);
      delivered += samples.length;
      if (more === false) stop();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += d.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(spawnError(tools, 'ffmpeg', e));
    });
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted) return reject(opts.signal.reason ?? new Error('cancelled'));
      if (stopped || code === 0) return resolve(delivered);
      const msg = stderr.trim().split('\n').pop()?.replace(`${file}: `, '') || `ffmpeg exited with code ${code}`;
      reject(new AudioDecodeError(file, `cannot decode '${file}': ${msg}`));
    });
  });
}

/** Decodes the first `maxSeconds` (default: all) of a file into one array. */
export async function decodeAudio(file: string, tools: AudioTools, opts: DecodeOptions & { maxSeconds?: number } = {}): Promise<Float32Array> {
  const rate = opts.sampleRate ?? CLAP_SAMPLE_RATE;
  const cap = opts.maxSeconds !== undefined ? Math.floor(opts.maxSeconds * rate) : Infinity;
  const parts: Float32Array[] = [];
  let total = 0;
  await streamPcm(
    file,
    tools,
    (s) => {
      const take = Math.min(s.length, cap - total);
      parts.push(take === s.length ? s : s.slice(0, take));
      total += take;
      return total < cap;
    },
    opts,
  );
  const out = new Float32Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Where to take analysis windows from a clip of `duration` seconds: one
 * window for a short clip, else up to `maxWindows` evenly spread windows
 * (deterministic, unlike CLAP's random crop).
 */
export function windowStarts(durationSeconds: number, windowSamples: number, sampleRate: number, maxWindows: number): number[] {
  const total = Math.max(0, Math.round(durationSeconds * sampleRate));
  if (total <= windowSamples) return [0];
  const n = Math.max(1, Math.min(maxWindows, Math.ceil(total / windowSamples)));
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    const centre = ((i + 0.5) / n) * total;
    starts.push(Math.max(0, Math.min(total - windowSamples, Math.round(centre - windowSamples / 2))));
  }
  return starts;
}

/**
 * Decodes only the windows starting at `starts` (each `windowSamples` long,
 * shorter if the audio ends first). Memory: the windows, nothing else.
 */
export async function decodeWindows(
  file: string,
  tools: AudioTools,
  starts: number[],
  windowSamples: number,
  opts: DecodeOptions = {},
): Promise<Float32Array[]> {
  const bufs = starts.map(() => new Float32Array(windowSamples));
  const filled = starts.map(() => 0);
  const end = Math.max(...starts) + windowSamples;
  await streamPcm(
    file,
    tools,
    (s, offset) => {
      const chunkEnd = offset + s.length;
      starts.forEach((start, i) => {
        const from = Math.max(start, offset);
        const to = Math.min(start + windowSamples, chunkEnd);
        if (to > from) {
          bufs[i].set(s.subarray(from - offset, to - offset), from - start);
          filled[i] = Math.max(filled[i], to - start);
        }
      });
      return chunkEnd < end;
    },
    opts,
  );
  const out: Float32Array[] = [];
  bufs.forEach((b, i) => {
    if (filled[i] > 0) out.push(filled[i] === windowSamples ? b : b.slice(0, filled[i]));
  });
  if (out.length === 0) throw new AudioDecodeError(file, `cannot decode '${file}': it holds no audio samples`);
  return out;
}
