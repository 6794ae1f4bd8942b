// Copies audio files into a dataset. The whole import is checked first —
// names (paths, NUL bytes, Windows separators, reserved names are refused;
// the rest sanitised), every target resolved inside the real dataset folder
// (symlinks refused), sources readable and decodable, duplicates found by
// content hash — and only then is anything written. A failure while copying
// removes what this import already wrote.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImportAudioParams, ImportAudioResult } from '../../protocol/datasets';
import type { AudioTools } from '../audio/ffmpeg';
import type { FileFacts } from './facts';
import { audioExtension, lyricsName, promptName, refuseReason, sanitizeStem } from './names';
import { PathRefusedError, checkNewFile } from './paths';
import { scanDataset } from './scan';

export class ImportRefusedError extends Error {
  constructor(
    readonly problems: string[],
    datasetName: string,
  ) {
    super(`Import into dataset '${datasetName}' refused; nothing was copied:\n- ${problems.slice(0, 20).join('\n- ')}${problems.length > 20 ? `\n- … and ${problems.length - 20} more` : ''}`);
    this.name = 'ImportRefusedError';
  }
}

interface PlannedFile {
  source: string;
  target: string;
  kind: 'audio' | 'prompt' | 'lyrics';
}

interface PlannedSample {
  source: string;
  stem: string;
  audio: PlannedFile;
  prompt?: PlannedFile;
  lyrics?: PlannedFile;
}

function regularFile(p: string): fs.Stats | null {
  try {
    const st = fs.statSync(p);
    return st.isFile() ? st : null;
  } catch {
    return null;
  }
}

/**
 * Imports `params.files` into the dataset at `realDir` (already resolved
 * with realpath and checked to be a dataset). Returns what was copied.
 */
export async function importAudio(
  realDir: string,
  datasetName: string,
  params: ImportAudioParams,
  deps: { facts: FileFacts; tools: AudioTools; signal?: AbortSignal },
): Promise<ImportAudioResult> {
  const problems: string[] = [];
  const withText = params.withText !== false;
  if (!Array.isArray(params.files) || params.files.length === 0) throw new ImportRefusedError(['no files given'], datasetName);

  // 1. Names and sources.
  const existing = scanDataset(realDir);
  const taken = new Set<string>(); // lower-cased stems in use: case-insensitive file systems
  for (const s of existing.samples) taken.add(s.stem.toLowerCase());
  for (const o of existing.orphans) taken.add(path.basename(o).replace(/_(prompt|lyrics)\.txt$/, '').toLowerCase());
  const candidates: Array<{ source: string; st: fs.Stats; stem: string; ext: string }> = [];
  for (const f of params.files) {
    const source = typeof f?.source === 'string' ? f.source : '';
    const shown = JSON.stringify(source).slice(1, -1);
    if (!source || source.includes('\0')) {
      problems.push(`source '${shown}': the path is empty or contains a NUL byte`);
      continue;
    }
    if (!path.isAbsolute(source)) {
      problems.push(`source '${shown}': not an absolute path`);
      continue;
    }
    const requested = f.name ?? path.basename(source);
    const refused = refuseReason(requested);
    if (refused) {
      problems.push(`'${JSON.stringify(requested).slice(1, -1)}': ${refused}`);
      continue;
    }
    // A name with an extension must name an audio format; a bare name takes the source's.
    const ext = /\.[^.]+$/.test(requested) ? audioExtension(requested) : audioExtension(source);
    if (!ext) {
      problems.push(`'${requested}': not a supported audio file (.mp3, .wav, .flac, .ogg)`);
      continue;
    }
    const st = regularFile(source);
    if (!st) {
      problems.push(`source '${shown}': does not exist or is not a regular file`);
      continue;
    }
    if (st.size === 0) {
      problems.push(`source '${shown}': the file is empty`);
      continue;
    }
    const rawStem = audioExtension(requested) ? requested.slice(0, requested.length - ext.length) : requested;
    candidates.push({ source, st, stem: sanitizeStem(rawStem), ext });
  }
  if (problems.length) throw new ImportRefusedError(problems, datasetName);

  // 2. Content: decodable, not a duplicate of a sample or of another file in this import.
  const existingBySize = new Map<number, string[]>();
  for (const s of existing.samples) if (s.size > 0 && !s.linkOutside) existingBySize.set(s.size, [...(existingBySize.get(s.size) ?? []), s.audio]);
  const seenHashes = new Map<string, string>();
  const duplicates: ImportAudioResult['duplicates'] = [];
  const accepted: typeof candidates = [];
  for (const c of candidates) {
    const probe = await deps.facts.probe(c.source, deps.tools, deps.signal);
    if (!probe.ok || !probe.duration) {
      problems.push(`source '${c.source}': cannot be decoded as audio (${probe.error ?? 'no audio samples'})`);
      continue;
    }
    const hash = await deps.facts.sha256(c.source, deps.signal);
    const earlier = seenHashes.get(hash);
    if (earlier) {
      duplicates.push({ source: c.source, sameAs: earlier });
      continue;
    }
    let sameAs: string | undefined;
    for (const other of existingBySize.get(c.st.size) ?? []) {
      if ((await deps.facts.sha256(other, deps.signal)) === hash) {
        sameAs = other;
        break;
      }
    }
    seenHashes.set(hash, sameAs ?? c.source);
    if (sameAs) duplicates.push({ source: c.source, sameAs });
    else accepted.push(c);
  }
  if (problems.length) throw new ImportRefusedError(problems, datasetName);

  // 3. Targets: unique stems, each path checked inside the real dataset folder.
  const plan: PlannedSample[] = [];
  for (const c of accepted) {
    let stem = c.stem;
    for (let i = 2; taken.has(stem.toLowerCase()); i++) stem = `${c.stem}-${i}`;
    taken.add(stem.toLowerCase());
    try {
      const sample: PlannedSample = { source: c.source, stem, audio: { source: c.source, target: checkNewFile(realDir, stem + c.ext, 'Import'), kind: 'audio' } };
      if (withText) {
        const srcStem = path.join(path.dirname(c.source), path.basename(c.source).replace(/\.[^.]*$/, ''));
        for (const kind of ['prompt', 'lyrics'] as const) {
          const src = `${srcStem}_${kind}.txt`;
          if (regularFile(src)) sample[kind] = { source: src, target: checkNewFile(realDir, kind === 'prompt' ? promptName(stem) : lyricsName(stem), 'Import'), kind };
        }
      }
      plan.push(sample);
    } catch (e) {
      if (e instanceof PathRefusedError) problems.push(e.message);
      else throw e;
    }
  }
  if (problems.length) throw new ImportRefusedError(problems, datasetName);

  // 4. Write. COPYFILE_EXCL opens the target with O_CREAT|O_EXCL, so a symlink
  // planted there since the check is refused rather than followed.
  const written: string[] = [];
  try {
    for (const s of plan) {
      for (const f of [s.audio, s.prompt, s.lyrics]) {
        if (!f) continue;
        if (deps.signal?.aborted) throw deps.signal.reason ?? new Error('cancelled');
        try {
          fs.copyFileSync(f.source, f.target, fs.constants.COPYFILE_EXCL);
        } catch (e) {
          // A partial copy (disk full) is ours to remove; a file that appeared meanwhile (EEXIST) is not.
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') fs.rmSync(f.target, { force: true });
          throw e;
        }
        written.push(f.target);
      }
    }
  } catch (e) {
    for (const w of written) fs.rmSync(w, { force: true });
    throw new Error(`Import into dataset '${datasetName}' failed and was undone: ${(e as Error).message}`, { cause: e });
  }
  return {
    imported: plan.map((s) => ({ source: s.source, stem: s.stem, audio: s.audio.target, prompt: s.prompt?.target, lyrics: s.lyrics?.target })),
    duplicates,
  };
}
