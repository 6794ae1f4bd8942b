// Finds datasets (folders with a dataset.json) in the workspace and lists a
// dataset's samples with one readdir and one lstat per file: no file is
// opened here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LYRICS_SUFFIX, MANIFEST_FILE, PROMPT_SUFFIX } from '../../protocol/datasets';
import { audioExtension } from './names';
import { isInside, realpathOrNull } from './paths';

const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '.tunestudio', 'dist', 'out', '__pycache__', '.venv', 'venv']);
const MAX_DEPTH = 5;
const MAX_DIRS = 10_000;

/** Dataset folders below the roots (symlinked folders are not followed). */
export function discoverDatasets(roots: string[]): string[] {
  const found: string[] = [];
  let visited = 0;
  const walk = (dir: string, depth: number) => {
    if (visited++ > MAX_DIRS) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === MANIFEST_FILE)) {
      found.push(dir);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIP_DIRS.has(e.name)) walk(path.join(dir, e.name), depth + 1);
    }
  };
  for (const r of roots) {
    const real = realpathOrNull(r);
    if (real) walk(real, 0);
  }
  return [...new Set(found)].sort();
}

export interface TextFile {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface SampleFiles {
  stem: string;
  audio: string;
  audioName: string;
  ext: string;
  size: number;
  mtimeMs: number;
  prompt: string;
  lyrics: string;
  promptFile: TextFile | null;
  lyricsFile: TextFile | null;
  /** A symlink whose target is outside the dataset folder. */
  linkOutside?: string;
}

export interface DatasetFiles {
  dir: string;
  samples: SampleFiles[];
  /** `_prompt.txt` / `_lyrics.txt` files with no audio of the same stem. */
  orphans: string[];
}

function statInside(dir: string, name: string): { st: fs.Stats; outside?: string } | null {
  const p = path.join(dir, name);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return null;
  }
  if (!st.isSymbolicLink()) return { st };
  const real = realpathOrNull(p);
  if (!real) return null;
  if (!isInside(dir, real)) return { st: fs.statSync(real), outside: real };
  return { st: fs.statSync(real) };
}

/** Lists a dataset folder (already resolved with realpath). */
export function scanDataset(dir: string): DatasetFiles {
  const names = fs.readdirSync(dir);
  const samples: SampleFiles[] = [];
  const textFiles = new Map<string, TextFile>();
  for (const name of names) {
    if (name.endsWith(PROMPT_SUFFIX) || name.endsWith(LYRICS_SUFFIX)) {
      const s = statInside(dir, name);
      if (s?.st.isFile() && !s.outside) textFiles.set(name, { path: path.join(dir, name), size: s.st.size, mtimeMs: s.st.mtimeMs });
    }
  }
  const used = new Set<string>();
  for (const name of names) {
    const ext = audioExtension(name);
    if (!ext || name.startsWith('.')) continue;
    const s = statInside(dir, name);
    if (!s || !s.st.isFile()) continue;
    const stem = name.slice(0, name.length - ext.length);
    const promptName = stem + PROMPT_SUFFIX;
    const lyricsName = stem + LYRICS_SUFFIX;
    used.add(promptName).add(lyricsName);
    samples.push({
      stem,
      audio: path.join(dir, name),
      audioName: name,
      ext,
      size: s.st.size,
      mtimeMs: s.st.mtimeMs,
      prompt: path.join(dir, promptName),
      lyrics: path.join(dir, lyricsName),
      promptFile: textFiles.get(promptName) ?? null,
      lyricsFile: textFiles.get(lyricsName) ?? null,
      ...(s.outside ? { linkOutside: s.outside } : {}),
    });
  }
  samples.sort((a, b) => (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : a.audioName < b.audioName ? -1 : 1));
  const orphans = [...textFiles.keys()].filter((n) => !used.has(n)).map((n) => path.join(dir, n)).sort();
  return { dir, samples, orphans };
}

/** Reads at most `max` bytes from the start of a file (text checks never need more). */
export function readHead(file: string, max: number): { text: string; truncated: boolean } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, max));
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return { text: buf.subarray(0, n).toString('utf8'), truncated: size > n };
  } finally {
    fs.closeSync(fd);
  }
}
