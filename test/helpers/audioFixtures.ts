// Synthetic audio for tests, made with the real ffmpeg: sine tones and
// seeded noise in any container, plus corrupt and empty files.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ToneOptions {
  seconds?: number;
  /** Hz; ignored for noise. */
  freq?: number;
  kind?: 'sine' | 'noise';
  /** Noise seed: the same seed gives the same file. */
  seed?: number;
  sampleRate?: number;
  channels?: 1 | 2;
}

/** Writes an audio file whose format follows the extension (.mp3, .wav, .flac, .ogg). */
export function makeAudio(file: string, o: ToneOptions = {}): string {
  const seconds = o.seconds ?? 2;
  const rate = o.sampleRate ?? 44100;
  const src =
    o.kind === 'noise'
      ? `anoisesrc=color=pink:amplitude=0.3:duration=${seconds}:sample_rate=${rate}:seed=${o.seed ?? 7}`
      : `sine=frequency=${o.freq ?? 440}:duration=${seconds}:sample_rate=${rate}`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const ext = path.extname(file).toLowerCase();
  const codec = ext === '.mp3' ? ['-codec:a', 'libmp3lame', '-b:a', '128k'] : ext === '.ogg' ? ['-codec:a', 'libvorbis'] : [];
  execFileSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', src, '-ac', String(o.channels ?? 2), ...codec, '-fflags', '+bitexact', '-map_metadata', '-1', file]);
  return file;
}

/** A file with an audio extension that holds no audio. */
export function makeCorrupt(file: string, bytes = 4096): string {
  const buf = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buf[i] = (i * 7919 + 13) & 0xff;
  fs.writeFileSync(file, buf);
  return file;
}

/** A complete ACE-Step sample: audio + prompt + lyrics. */
export function makeSample(dir: string, stem: string, o: ToneOptions & { ext?: string; prompt?: string; lyrics?: string } = {}): string {
  const audio = makeAudio(path.join(dir, `${stem}${o.ext ?? '.mp3'}`), o);
  if (o.prompt !== undefined) fs.writeFileSync(path.join(dir, `${stem}_prompt.txt`), o.prompt);
  if (o.lyrics !== undefined) fs.writeFileSync(path.join(dir, `${stem}_lyrics.txt`), o.lyrics);
  return audio;
}

/** Every file below a folder with its size (to prove nothing was written). */
export function snapshot(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isDirectory()) {
        out[rel + '/'] = 0;
        walk(p);
      } else out[rel] = fs.lstatSync(p).size;
    }
  };
  walk(dir);
  return out;
}
