// Training text for the trainer: from a dataset folder in ACE-Step's layout
// (<stem>_prompt.txt tags, <stem>_lyrics.txt, dataset.json with a trigger
// word) or from .txt / .jsonl files; tokenised, packed into fixed-size blocks
// (documents joined by EOS, the remainder dropped, as Hugging Face's run_clm
// does) and split into train and eval blocks deterministically by seed.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng, RNG_PURPOSE } from './rng';
import type { TextTokenizer } from './tokenizer';

export interface TrainingTexts {
  texts: string[];
  kind: 'dataset' | 'files';
  triggerWord: string | null;
  /** Files the texts came from (for the run config and error messages). */
  files: string[];
}

const TEXT_EXTS = new Set(['.txt', '.jsonl', '.md']);

/** The trigger word of a dataset.json (trigger_word, triggerWord or trigger). */
export function readTriggerWord(datasetJson: string): string | null {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(datasetJson, 'utf8'));
  } catch (e) {
    throw new Error(`Dataset file '${datasetJson}' is not valid JSON: ${(e as Error).message}. Fix or remove it.`, { cause: e });
  }
  for (const k of ['trigger_word', 'triggerWord', 'trigger']) {
    const v = raw[k];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return null;
}

/** True when a folder looks like an ACE-Step dataset (dataset.json or any *_prompt.txt / *_lyrics.txt). */
export function isDatasetFolder(dir: string): boolean {
  if (fs.existsSync(path.join(dir, 'dataset.json'))) return true;
  return fs.readdirSync(dir).some((f) => f.endsWith('_prompt.txt') || f.endsWith('_lyrics.txt'));
}

/**
 * One training text per sample: the tags line (trigger word first, unless the
 * tags already contain it) and the lyrics.
 */
export function sampleText(triggerWord: string | null, prompt: string, lyrics: string): string {
  const tags = prompt
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (triggerWord && !tags.some((t) => t.toLowerCase() === triggerWord.toLowerCase())) tags.unshift(triggerWord);
  const parts = [`[tags] ${tags.join(', ')}`];
  if (lyrics.trim()) parts.push(`[lyrics]\n${lyrics.trim()}`);
  return parts.join('\n');
}

function readText(file: string): string {
  return fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
}

function readDatasetFolder(dir: string): TrainingTexts {
  const dj = path.join(dir, 'dataset.json');
  const trigger = fs.existsSync(dj) ? readTriggerWord(dj) : null;
  const stems = new Set<string>();
  for (const f of fs.readdirSync(dir)) {
    const m = /^(.*)_(prompt|lyrics)\.txt$/.exec(f);
    if (m) stems.add(m[1]);
  }
  const texts: string[] = [];
  const files: string[] = [];
  for (const stem of [...stems].sort()) {
    const pf = path.join(dir, `${stem}_prompt.txt`);
    const lf = path.join(dir, `${stem}_lyrics.txt`);
    const prompt = fs.existsSync(pf) ? readText(pf) : '';
    const lyrics = fs.existsSync(lf) ? readText(lf) : '';
    if (!prompt.trim() && !lyrics.trim()) continue;
    texts.push(sampleText(trigger, prompt, lyrics));
    if (fs.existsSync(pf)) files.push(pf);
    if (fs.existsSync(lf)) files.push(lf);
  }
  if (!texts.length) throw new Error(`Dataset '${dir}' has no sample with a non-empty _prompt.txt or _lyrics.txt; add prompts or lyrics first.`);
  return { texts, kind: 'dataset', triggerWord: trigger, files };
}

function readJsonl(file: string): string[] {
  const out: string[] = [];
  readText(file)
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message}); each line must be an object like {"text": "..."}.`, { cause: e });
      }
      const t = (v as { text?: unknown } | null)?.text;
      if (typeof t !== 'string') throw new Error(`${file}:${i + 1}: no string "text" field; each line must be an object like {"text": "..."}.`);
      if (t.trim()) out.push(t);
    });
  return out;
}

function readTextFile(file: string): string[] {
  if (file.endsWith('.jsonl')) return readJsonl(file);
  const t = readText(file);
  return t.trim() ? [t] : [];
}

/**
 * Reads the training texts. `inputs` is one dataset folder, one folder of
 * text files, or a list of .txt/.jsonl files; relative paths resolve against
 * `baseDir` (the config file's folder).
 */
export function readTrainingTexts(inputs: string | string[], baseDir: string): TrainingTexts {
  const list = (Array.isArray(inputs) ? inputs : [inputs]).map((p) => path.resolve(baseDir, p));
  if (!list.length) throw new Error('No training data given: set "dataset" to a dataset folder or a list of .txt/.jsonl files.');
  for (const p of list) if (!fs.existsSync(p)) throw new Error(`Training data '${p}' does not exist; check "dataset" in the config.`);
  if (list.length === 1 && fs.statSync(list[0]).isDirectory()) {
    const dir = list[0];
    if (isDatasetFolder(dir)) return readDatasetFolder(dir);
    const files = fs
      .readdirSync(dir)
      .filter((f) => TEXT_EXTS.has(path.extname(f)))
      .sort()
      .map((f) => path.join(dir, f));
    if (!files.length) throw new Error(`Folder '${dir}' has no dataset.json, *_prompt.txt, *_lyrics.txt, .txt or .jsonl files to train on.`);
    list.splice(0, 1, ...files);
  }
  const texts: string[] = [];
  for (const f of list) {
    if (fs.statSync(f).isDirectory()) throw new Error(`'${f}' is a folder; list files, or give a single dataset folder as "dataset".`);
    if (!TEXT_EXTS.has(path.extname(f))) throw new Error(`'${f}' is not a .txt, .md or .jsonl file; the trainer reads text only.`);
    texts.push(...readTextFile(f));
  }
  if (!texts.length) throw new Error(`The training files (${list.join(', ')}) contain no text.`);
  return { texts, kind: 'files', triggerWord: null, files: list };
}

export interface PackedData {
  blocks: Int32Array[];
  totalTokens: number;
  /** Tokens past the last full block (dropped). */
  droppedTokens: number;
}

/** Tokenises every text, joins them with EOS and cuts the stream into blocks of `blockSize` tokens. */
export function packTexts(texts: string[], tok: TextTokenizer, blockSize: number): PackedData {
  if (!Number.isInteger(blockSize) || blockSize < 2) throw new Error(`block_size must be an integer of at least 2, got ${blockSize}`);
  const stream: number[] = [];
  for (const t of texts) {
    for (const id of tok.encode(t)) stream.push(id);
    if (tok.eosId !== null) stream.push(tok.eosId);
  }
  const n = Math.floor(stream.length / blockSize);
  if (n === 0) {
    throw new Error(`The training text is ${stream.length} tokens, fewer than one block of ${blockSize}; lower "block_size" or add more text.`);
  }
  const blocks: Int32Array[] = [];
  for (let i = 0; i < n; i++) blocks.push(Int32Array.from(stream.slice(i * blockSize, (i + 1) * blockSize)));
  return { blocks, totalTokens: stream.length, droppedTokens: stream.length - n * blockSize };
}

/**
 * Deterministic split of block indices: a permutation seeded by `seed` puts
 * round(n·fraction) blocks (at least 1 when fraction > 0 and n ≥ 2, never all)
 * in eval. Both lists come back in ascending order.
 */
export function splitBlocks(n: number, evalFraction: number, seed: number): { train: number[]; eval: number[] } {
  const perm = Rng.derive(seed, RNG_PURPOSE.split).permutation(n);
  let nEval = evalFraction > 0 && n >= 2 ? Math.min(n - 1, Math.max(1, Math.round(n * evalFraction))) : 0;
  if (nEval < 0) nEval = 0;
  const ev = Array.from(perm.subarray(0, nEval)).sort((a, b) => a - b);
  const tr = Array.from(perm.subarray(nEval)).sort((a, b) => a - b);
  return { train: tr, eval: ev };
}

/** sha256 over the blocks: a resumed run checks it trains on the same data. */
export function blocksFingerprint(blocks: Int32Array[]): string {
  const h = createHash('sha256');
  for (const b of blocks) h.update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  return h.digest('hex').slice(0, 16);
}

/**
 * The training order: sample c (counting from 0 over the whole run) is
 * train[perm_epoch[c mod n]] with epoch = ⌊c / n⌋ and perm_epoch a permutation
 * seeded by (seed, epoch) — a function of the counter alone, so resuming at any
 * step reproduces the same batches.
 */
export class BatchOrder {
  private cache: { epoch: number; perm: Int32Array } | null = null;
  constructor(
    private readonly train: number[],
    private readonly seed: number,
  ) {
    if (!train.length) throw new Error('No training blocks');
  }
  blockAt(counter: number): number {
    const n = this.train.length;
    const epoch = Math.floor(counter / n);
    if (!this.cache || this.cache.epoch !== epoch) this.cache = { epoch, perm: Rng.derive(this.seed, RNG_PURPOSE.shuffle, epoch).permutation(n) };
    return this.train[this.cache.perm[counter % n]];
  }
  epochOf(counter: number): number {
    return Math.floor(counter / this.train.length);
  }
}
