// Dataset validation: the problems the Problems panel shows. Existence and
// emptiness come from stat; text files are read only up to a small bound;
// audio is probed from its headers (cached by size and mtime), never decoded;
// content hashes are computed only for files whose size equals another's.
import * as path from 'node:path';
import type { DatasetManifest, DatasetProblem, ValidationReport } from '../../protocol/datasets';
import type { AudioTools } from '../audio/ffmpeg';
import type { FileFacts } from './facts';
import { manifestPath, parseManifest } from './manifest';
import { unreadableNameReason } from './names';
import { readHead, scanDataset, type DatasetFiles, type SampleFiles } from './scan';
import { hasTag, parseTags } from './tags';

/** Bytes read from a prompt to check its tags and trigger word. */
export const PROMPT_HEAD_BYTES = 64 * 1024;
/** Bytes read from a lyrics file to tell whitespace-only from real text. */
export const LYRICS_HEAD_BYTES = 4 * 1024;
const PROBE_CONCURRENCY = 4;

export interface ValidateInput {
  dir: string;
  /** dataset.json text (from the editor when open), or null to read it from disk. */
  manifestText: string | null;
  facts: FileFacts;
  /** null: ffmpeg is missing; `toolsError` says why. */
  tools: AudioTools | null;
  toolsError?: string;
  signal?: AbortSignal;
}

export interface ValidateOutput {
  report: ValidationReport;
  manifest: DatasetManifest;
  files: DatasetFiles;
  /** Probed durations by audio path. */
  durations: Map<string, number | null>;
}

async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

const firstLine = { line: 0, character: 0, endLine: 0, endCharacter: 1000 };

export async function validateDataset(input: ValidateInput): Promise<ValidateOutput> {
  const { dir, facts } = input;
  const parsed = parseManifest(dir, input.manifestText);
  const m = parsed.manifest;
  const problems: DatasetProblem[] = [...parsed.problems];
  const files = scanDataset(dir);
  const durations = new Map<string, number | null>();
  const mfile = manifestPath(dir);
  const add = (p: DatasetProblem) => problems.push(p);

  if (files.samples.length === 0) {
    add({ code: 'no-samples', severity: 'warning', file: mfile, range: firstLine, message: `Dataset '${m.name}' has no audio files (.mp3, .wav, .flac, .ogg). Add some with "Tune Studio: Add Audio Files".` });
  }
  if (!input.tools && files.samples.length) {
    add({ code: 'undecodable-audio', severity: 'error', file: mfile, range: firstLine, message: `Cannot check the audio of dataset '${m.name}': ${input.toolsError ?? 'ffmpeg is missing'}` });
  }

  const byStem = new Map<string, SampleFiles>();
  const checkAudio: SampleFiles[] = [];
  for (const s of files.samples) {
    const label = `Sample '${s.audioName}'`;
    if (s.linkOutside) {
      add({ code: 'link-outside', severity: 'error', file: s.audio, stem: s.stem, message: `${label} is a link to '${s.linkOutside}', outside the dataset folder. Copy the file in instead (Add Audio Files).` });
      continue;
    }
    const first = byStem.get(s.stem);
    if (first) {
      add({ code: 'duplicate-stem', severity: 'error', file: s.audio, stem: s.stem, related: first.audio, message: `${label} has the same name as '${first.audioName}', so both would share '${s.stem}_prompt.txt' and '${s.stem}_lyrics.txt'. Rename one of them.` });
    } else byStem.set(s.stem, s);
    const unreadable = unreadableNameReason(s.audioName);
    if (unreadable) add({ code: 'unreadable-name', severity: 'error', file: s.audio, stem: s.stem, message: `${label}: the trainer cannot read this name: ${unreadable}. Rename the file (and its text files).` });
    if (s.ext !== '.mp3') add({ code: 'not-mp3', severity: 'info', file: s.audio, stem: s.stem, message: `${label} is ${s.ext.slice(1)}; ACE-Step's own converter reads only .mp3. Tune Studio's folder export converts it to mp3.` });
    if (s.size === 0) add({ code: 'empty-audio', severity: 'error', file: s.audio, stem: s.stem, message: `${label} is an empty file (0 bytes). Replace it or delete it.` });
    else if (input.tools) checkAudio.push(s);

    // Prompt: stat for presence, a bounded read for tags.
    if (!s.promptFile) {
      add({ code: 'missing-prompt', severity: 'error', file: s.audio, stem: s.stem, message: `${label} has no prompt file '${path.basename(s.prompt)}'. Create it with comma-separated tags, or run "Caption".` });
    } else if (s.promptFile.size === 0) {
      add({ code: 'empty-prompt', severity: 'error', file: s.prompt, stem: s.stem, range: firstLine, message: `Prompt '${path.basename(s.prompt)}' is empty. Write comma-separated tags, or run "Caption".` });
    } else {
      const tags = parseTags(readHead(s.prompt, PROMPT_HEAD_BYTES).text);
      if (tags.length === 0) add({ code: 'empty-prompt', severity: 'error', file: s.prompt, stem: s.stem, range: firstLine, message: `Prompt '${path.basename(s.prompt)}' has no tags (only spaces or commas). Write comma-separated tags, or run "Caption".` });
      else if (m.triggerWord && !hasTag(tags, m.triggerWord)) {
        add({ code: 'missing-trigger-word', severity: 'warning', file: s.prompt, stem: s.stem, range: firstLine, message: `Prompt '${path.basename(s.prompt)}' does not contain the trigger word '${m.triggerWord}'. Add it as the first tag (Caption does this).` });
      }
    }
    // Lyrics: stat for presence; whitespace-only is checked only for small files.
    if (!s.lyricsFile) {
      add({ code: 'missing-lyrics', severity: 'error', file: s.audio, stem: s.stem, message: `${label} has no lyrics file '${path.basename(s.lyrics)}'. Create it with the lyrics, or '[instrumental]' for a piece without vocals.` });
    } else if (s.lyricsFile.size === 0 || (s.lyricsFile.size <= LYRICS_HEAD_BYTES && !readHead(s.lyrics, LYRICS_HEAD_BYTES).text.trim())) {
      add({ code: 'empty-lyrics', severity: 'error', file: s.lyrics, stem: s.stem, range: firstLine, message: `Lyrics '${path.basename(s.lyrics)}' are empty. Write the lyrics, or '[instrumental]' for a piece without vocals.` });
    }
  }
  for (const o of files.orphans) {
    add({ code: 'orphan-text', severity: 'warning', file: o, range: firstLine, message: `'${path.basename(o)}' belongs to no audio file (no '${path.basename(o).replace(/_(prompt|lyrics)\.txt$/, '')}.mp3'). Rename it to match its audio, or delete it.` });
  }

  // Audio headers, a few at a time, cached by size and mtime.
  const { min = 0, max = Infinity } = m.duration ?? {};
  if (input.tools) {
    const tools = input.tools;
    await pool(checkAudio, PROBE_CONCURRENCY, async (s) => {
      const p = await facts.probe(s.audio, tools, input.signal);
      durations.set(s.audio, p.duration);
      const label = `Sample '${s.audioName}'`;
      if (!p.ok) {
        add({ code: 'undecodable-audio', severity: 'error', file: s.audio, stem: s.stem, message: `${label} cannot be decoded: ${p.error}. Re-export it from your audio editor, or delete it.` });
      } else if (!p.duration || p.duration <= 0) {
        add({ code: 'undecodable-audio', severity: 'error', file: s.audio, stem: s.stem, message: `${label} holds no audio samples (duration 0). Replace it or delete it.` });
      } else if (p.duration < min || p.duration > max) {
        add({
          code: 'duration-out-of-range',
          severity: 'error',
          file: s.audio,
          stem: s.stem,
          message: `${label} is ${p.duration.toFixed(1)} s long, outside the dataset's range ${min}–${max} s ("duration" in dataset.json). Trim it, or widen the range.`,
        });
      }
    });
  }

  // Duplicates: only files whose size equals another's can be equal; hash just those.
  const bySize = new Map<number, SampleFiles[]>();
  for (const s of files.samples) if (s.size > 0 && !s.linkOutside) bySize.set(s.size, [...(bySize.get(s.size) ?? []), s]);
  for (const group of bySize.values()) {
    if (group.length < 2) continue;
    const byHash = new Map<string, SampleFiles>();
    for (const s of group) {
      const h = await facts.sha256(s.audio, input.signal);
      const first = byHash.get(h);
      if (first) {
        add({ code: 'duplicate-audio', severity: 'error', file: s.audio, stem: s.stem, related: first.audio, message: `Sample '${s.audioName}' has the same audio as '${first.audioName}'. Delete one of them; duplicates weigh one piece twice in training.` });
      } else byHash.set(h, s);
    }
  }

  const order = { error: 0, warning: 1, info: 2 } as const;
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : order[a.severity] - order[b.severity] || a.code.localeCompare(b.code)));
  const count = (sev: string) => problems.filter((p) => p.severity === sev).length;
  const report: ValidationReport = {
    dir,
    name: m.name,
    ok: count('error') === 0,
    errors: count('error'),
    warnings: count('warning'),
    infos: count('info'),
    samples: files.samples.length,
    problems,
  };
  return { report, manifest: m, files, durations };
}
