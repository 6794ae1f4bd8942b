// dataset.json: defaults, and parsing with positions for diagnostics.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_FILE, type DatasetManifest, type DatasetProblem, type TextRange } from '../../protocol/datasets';

export const DEFAULT_DURATION = { min: 1, max: 600 };
export const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface ParsedManifest {
  manifest: DatasetManifest;
  problems: DatasetProblem[];
  /** False when the file is missing or is not JSON (defaults are used). */
  readable: boolean;
}

export function manifestPath(dir: string): string {
  return path.join(dir, MANIFEST_FILE);
}

export function defaultManifest(name: string, triggerWord = ''): DatasetManifest {
  return {
    version: 1,
    name,
    triggerWord,
    duration: { ...DEFAULT_DURATION },
    caption: { topK: undefined, threshold: undefined },
  };
}

/** Line/character of a character offset. */
export function offsetToPosition(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let last = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i + 1;
    }
  }
  return { line, character: Math.max(0, offset - last) };
}

function rangeOf(text: string, start: number, length: number): TextRange {
  const a = offsetToPosition(text, start);
  const b = offsetToPosition(text, start + length);
  return { line: a.line, character: a.character, endLine: b.line, endCharacter: b.character };
}

/** Range of `"key"` in the text (first occurrence), else the first line. */
export function keyRange(text: string, key: string): TextRange {
  const i = text.indexOf(`"${key}"`);
  return i >= 0 ? rangeOf(text, i, key.length + 2) : { line: 0, character: 0, endLine: 0, endCharacter: 1 };
}

/**
 * Parses a manifest's text (from disk, or from the editor when it is open)
 * into the manifest with defaults filled in and its problems.
 */
export function parseManifest(dir: string, text: string | null): ParsedManifest {
  const file = manifestPath(dir);
  const fallback = defaultManifest(path.basename(dir));
  if (text === null) {
    return {
      manifest: fallback,
      readable: false,
      problems: [
        {
          code: 'manifest-missing',
          severity: 'error',
          file: dir,
          message: `Dataset folder '${path.basename(dir)}' has no ${MANIFEST_FILE}. Run "Tune Studio: New Dataset" on it to create one.`,
        },
      ],
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const range = pos ? rangeOf(text, Number(pos[1]), 1) : { line: 0, character: 0, endLine: 0, endCharacter: 1 };
    return {
      manifest: fallback,
      readable: false,
      problems: [{ code: 'manifest-invalid', severity: 'error', file, range, message: `${MANIFEST_FILE} is not valid JSON: ${msg}. Fix the syntax; defaults are used until then.` }],
    };
  }
  const problems: DatasetProblem[] = [];
  const bad = (key: string, message: string) =>
    problems.push({ code: 'manifest-invalid', severity: 'error', file, range: keyRange(text, key), message: `${MANIFEST_FILE}: ${message}` });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ code: 'manifest-invalid', severity: 'error', file, range: rangeOf(text, 0, 1), message: `${MANIFEST_FILE} must hold a JSON object with at least "name".` });
    return { manifest: fallback, readable: false, problems };
  }
  const o = raw as Record<string, unknown>;
  const m: DatasetManifest = { ...(o as object), name: fallback.name } as DatasetManifest;
  if (typeof o.name === 'string' && o.name.trim()) m.name = o.name.trim();
  else bad('name', `"name" must be a non-empty string (using the folder name '${fallback.name}').`);
  if (o.triggerWord !== undefined && typeof o.triggerWord !== 'string') bad('triggerWord', '"triggerWord" must be a string.');
  m.triggerWord = typeof o.triggerWord === 'string' ? o.triggerWord.trim() : '';
  if (m.triggerWord.includes(',')) bad('triggerWord', '"triggerWord" must not contain a comma (prompts are comma-separated tags).');
  const d = o.duration as Record<string, unknown> | undefined;
  m.duration = { ...DEFAULT_DURATION };
  if (d !== undefined) {
    if (!d || typeof d !== 'object') bad('duration', '"duration" must be an object like {"min": 5, "max": 300} (seconds).');
    else {
      for (const k of ['min', 'max'] as const) {
        if (d[k] === undefined) continue;
        if (typeof d[k] !== 'number' || !Number.isFinite(d[k] as number) || (d[k] as number) < 0) bad('duration', `"duration.${k}" must be a number of seconds ≥ 0.`);
        else m.duration[k] = d[k] as number;
      }
      if (m.duration.min! > m.duration.max!) {
        bad('duration', `"duration.min" (${m.duration.min}) is greater than "duration.max" (${m.duration.max}); the default range is used until it is fixed.`);
        m.duration = { ...DEFAULT_DURATION };
      }
    }
  }
  const c = o.caption as Record<string, unknown> | undefined;
  m.caption = {};
  if (c !== undefined) {
    if (!c || typeof c !== 'object') bad('caption', '"caption" must be an object.');
    else {
      if (c.labels !== undefined) {
        if (typeof c.labels !== 'string' || !c.labels) bad('labels', '"caption.labels" must be a file name relative to the dataset folder.');
        else m.caption.labels = c.labels;
      }
      if (c.topK !== undefined) {
        if (!Number.isInteger(c.topK) || (c.topK as number) < 1 || (c.topK as number) > 20) bad('topK', '"caption.topK" must be an integer from 1 to 20.');
        else m.caption.topK = c.topK as number;
      }
      if (c.threshold !== undefined) {
        if (typeof c.threshold !== 'number' || c.threshold < 0 || c.threshold > 1) bad('threshold', '"caption.threshold" must be a number from 0 to 1.');
        else m.caption.threshold = c.threshold;
      }
    }
  }
  return { manifest: m, problems, readable: true };
}

/** Reads dataset.json (bounded), or null when it does not exist. */
export function readManifestText(dir: string): string | null {
  const file = manifestPath(dir);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(MAX_MANIFEST_BYTES);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
