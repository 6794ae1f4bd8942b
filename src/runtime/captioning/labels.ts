// Caption labels: the dimensions (genre, mood, instruments, …) with their
// candidate tags, top_k and threshold, from a JSON file users can edit. The
// built-in file is media/caption-labels.json; a dataset can name its own in
// dataset.json ("caption.labels"), and `<store>/caption-labels.json`
// overrides the built-in one for the whole workspace.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import builtIn from '../../../media/caption-labels.json';
import type { CaptionSettings } from '../../protocol/datasets';
import { PathRefusedError, resolveExistingInside } from '../datasets/paths';

export const STORE_LABELS_FILE = 'caption-labels.json';

export interface Label {
  tag: string;
  /** What the text model embeds (the template applied). */
  text: string;
}

export interface Dimension {
  name: string;
  topK: number;
  threshold: number;
  labels: Label[];
}

export interface LabelSet {
  dimensions: Dimension[];
  logitScale: number;
  /** 'built-in' or the file's path. */
  source: string;
  /** Every text the model embeds, in order (dimension by dimension). */
  texts: string[];
  /** Hash of `texts`: keys the text-embedding cache. */
  textsHash: string;
  /** Hash of everything that shapes a caption (texts, tags, top_k, thresholds, scale). */
  hash: string;
}

export class LabelsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelsError';
  }
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** Validates a labels document and expands templates. */
export function parseLabels(raw: unknown, source: string, overrides: CaptionSettings = {}): LabelSet {
  const where = source === 'built-in' ? 'the built-in labels' : `labels file '${source}'`;
  const fail = (msg: string): never => {
    throw new LabelsError(`In ${where}: ${msg}`);
  };
  if (!raw || typeof raw !== 'object') fail('the file must hold a JSON object with "dimensions".');
  const o = raw as Record<string, unknown>;
  const num = (v: unknown, dflt: number, what: string, lo: number, hi: number) => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) fail(`${what} must be a number from ${lo} to ${hi}.`);
    return v as number;
  };
  const template = typeof o.template === 'string' ? o.template : '{label}';
  const logitScale = num(o.logitScale, 33, '"logitScale"', 0.01, 1000);
  const topK = num(o.topK, 1, '"topK"', 1, 50);
  const threshold = num(o.threshold, 0.1, '"threshold"', 0, 1);
  if (!Array.isArray(o.dimensions) || o.dimensions.length === 0) fail('"dimensions" must be a non-empty array.');
  const names = new Set<string>();
  const dimensions: Dimension[] = (o.dimensions as unknown[]).map((d, i) => {
    if (!d || typeof d !== 'object') fail(`dimension ${i + 1} must be an object with "name" and "labels".`);
    const dd = d as Record<string, unknown>;
    if (typeof dd.name !== 'string' || !dd.name) fail(`dimension ${i + 1} has no "name".`);
    const name = dd.name as string;
    if (names.has(name)) fail(`dimension "${name}" appears twice.`);
    names.add(name);
    const t = typeof dd.template === 'string' ? dd.template : template;
    if (!t.includes('{label}')) fail(`the template of "${name}" has no {label}.`);
    if (!Array.isArray(dd.labels) || dd.labels.length < 2) fail(`dimension "${name}" needs at least 2 labels.`);
    const tags = new Set<string>();
    const labels = (dd.labels as unknown[]).map((l) => {
      const tag = typeof l === 'string' ? l : (l as Record<string, unknown>)?.tag;
      const text = typeof l === 'string' ? l : ((l as Record<string, unknown>)?.text ?? tag);
      if (typeof tag !== 'string' || !tag.trim() || typeof text !== 'string' || !text.trim()) fail(`dimension "${name}" has a label that is neither a string nor {"tag", "text"}.`);
      if ((tag as string).includes(',')) fail(`label "${tag}" in "${name}" contains a comma (prompts are comma-separated).`);
      if (tags.has((tag as string).toLowerCase())) fail(`label "${tag}" appears twice in "${name}".`);
      tags.add((tag as string).toLowerCase());
      return { tag: (tag as string).trim(), text: t.replace('{label}', (text as string).trim()) };
    });
    return {
      name,
      topK: overrides.topK ?? num(dd.topK, topK, `"topK" of "${name}"`, 1, 50),
      threshold: overrides.threshold ?? num(dd.threshold, threshold, `"threshold" of "${name}"`, 0, 1),
      labels,
    };
  });
  const texts = dimensions.flatMap((d) => d.labels.map((l) => l.text));
  const textsHash = sha256(JSON.stringify(texts));
  const hash = sha256(JSON.stringify({ logitScale, dimensions }));
  return { dimensions, logitScale, source, texts, textsHash, hash };
}

function readJson(file: string): unknown {
  const st = fs.statSync(file);
  if (st.size > 4 * 1024 * 1024) throw new LabelsError(`Labels file '${file}' is larger than 4 MiB.`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new LabelsError(`Labels file '${file}' is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The labels for a dataset: its own file (dataset.json "caption.labels",
 * which must stay inside the dataset folder), else the store's, else built-in.
 */
export function loadLabels(opts: { datasetDir?: string; settings?: CaptionSettings; storeDir?: string }): LabelSet {
  const settings = opts.settings ?? {};
  if (settings.labels && opts.datasetDir) {
    let file: string;
    try {
      file = resolveExistingInside(opts.datasetDir, settings.labels, 'caption.labels');
    } catch (e) {
      if (e instanceof PathRefusedError) throw new LabelsError(`${e.message} Fix "caption.labels" in dataset.json.`);
      throw e;
    }
    return parseLabels(readJson(file), file, settings);
  }
  if (opts.storeDir) {
    const file = path.join(opts.storeDir, STORE_LABELS_FILE);
    if (fs.existsSync(file)) return parseLabels(readJson(file), file, settings);
  }
  return parseLabels(builtIn, 'built-in', settings);
}

export const BUILT_IN_LABELS: unknown = builtIn;
