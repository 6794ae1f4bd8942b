// The Tune Studio line protocol: any program, in any language, reports to Tune
// Studio by printing lines that start with `@tunestudio ` followed by one JSON
// object on stdout or stderr. Every other line is ordinary output.
//
//   @tunestudio {"step": 10, "metrics": {"train/loss": 0.5}}
//   @tunestudio {"config": {"lr": 0.001}}
//   @tunestudio {"alert": {"title": "...", "text": "...", "level": "warn", "data": {}}}
//   @tunestudio {"progress": {"current": 10, "total": 100}}
//   @tunestudio {"sample": {"step": 10, "prompt": "...", "text": "..."}}
//   @tunestudio {"checkpoint": {"step": 10, "path": "...", "metrics": {"eval/loss": 1.2}}}
//   @tunestudio {"watch": {"metric": "train/loss", "nan": true}}
//   @tunestudio {"stop": {"reason": "custom watcher: accuracy collapsed"}}
//   @tunestudio {"embedding": {"name": "probe/hidden", "step": 100, "ids": ["a", "b", "c"], "file": "emb_100.npy"}}
//
// The tokens NaN, Infinity and -Infinity are accepted as numbers (Python's
// json.dumps writes them). Browser-safe: no node imports.

export const PROTOCOL_PREFIX = '@tunestudio ';

export type AlertLevel = 'info' | 'warn' | 'error';

export interface ProtocolMessage {
  step?: number;
  metrics?: Record<string, unknown>;
  config?: Record<string, unknown>;
  alert?: { title: string; text?: string; level?: AlertLevel; data?: Record<string, unknown>; metric?: string; step?: number };
  progress?: { current: number; total?: number; unit?: string; eta_s?: number };
  sample?: { step?: number; prompt?: string; text: string };
  checkpoint?: { step?: number; path: string; metrics?: Record<string, number> };
  watch?: { metric: string } & Record<string, unknown>;
  /** Free-form status message shown on the job (e.g. "loading model"). */
  status?: string;
  /** The program is ending itself because one of its own rules said so: the run ends as `stopped`. */
  stop?: { reason?: string };
  /** A snapshot of embeddings for the map: inline `vectors`, or a `.npy` / `.safetensors` `file` beside the log. */
  embedding?: EmbeddingMessage;
}

export interface EmbeddingMessage {
  /** The space: one map layer per name (e.g. "probe/hidden"). */
  name: string;
  step?: number;
  /** One id per vector: the same id in two snapshots is the same point (it moves instead of reappearing). */
  ids: string[];
  labels?: string[];
  vectors?: number[][];
  /** Relative to the folder of the log. */
  file?: string;
  /** The tensor to read from a .safetensors file holding several. */
  tensor?: string;
}

export type ParseResult = { ok: true; message: ProtocolMessage } | { ok: false; error: string };

/** True when the line is meant for Tune Studio (it may still be malformed). */
export function isProtocolLine(line: string): boolean {
  return line.startsWith(PROTOCOL_PREFIX) || line.startsWith('@tunestudio\t');
}

/**
 * Parses the JSON part of a protocol line. Accepts NaN, Infinity and -Infinity
 * outside strings. Never throws.
 */
export function parseProtocolLine(line: string): ParseResult {
  const body = line.slice(PROTOCOL_PREFIX.length).trim();
  if (!body.startsWith('{')) return { ok: false, error: 'expected a JSON object after "@tunestudio "' };
  let value: unknown;
  try {
    value = parseJsonWithNonFinite(body);
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'expected a JSON object' };
  }
  const m = value as Record<string, unknown>;
  const known = ['step', 'metrics', 'config', 'alert', 'progress', 'sample', 'checkpoint', 'watch', 'status', 'stop', 'embedding'];
  if (!Object.keys(m).some((k) => known.includes(k))) {
    return { ok: false, error: `no known key (expected one of ${known.join(', ')})` };
  }
  if (m.step !== undefined && !(typeof m.step === 'number' && Number.isInteger(m.step) && m.step >= 0)) {
    return { ok: false, error: `"step" must be a non-negative integer, got ${JSON.stringify(m.step)}` };
  }
  for (const k of ['metrics', 'config', 'alert', 'progress', 'sample', 'checkpoint', 'watch', 'stop', 'embedding']) {
    if (m[k] !== undefined && (typeof m[k] !== 'object' || m[k] === null || Array.isArray(m[k]))) {
      return { ok: false, error: `"${k}" must be a JSON object` };
    }
  }
  const alert = m.alert as Record<string, unknown> | undefined;
  if (alert && typeof alert.title !== 'string') return { ok: false, error: '"alert.title" must be a string' };
  const progress = m.progress as Record<string, unknown> | undefined;
  if (progress && typeof progress.current !== 'number') return { ok: false, error: '"progress.current" must be a number' };
  const sample = m.sample as Record<string, unknown> | undefined;
  if (sample && typeof sample.text !== 'string') return { ok: false, error: '"sample.text" must be a string' };
  if (m.status !== undefined && typeof m.status !== 'string') return { ok: false, error: '"status" must be a string' };
  const watch = m.watch as Record<string, unknown> | undefined;
  if (watch && typeof watch.metric !== 'string') return { ok: false, error: '"watch.metric" must be a string' };
  const embeddingError = m.embedding === undefined ? null : checkEmbedding(m.embedding as Record<string, unknown>);
  if (embeddingError) return { ok: false, error: embeddingError };
  return { ok: true, message: m as ProtocolMessage };
}

function checkEmbedding(e: Record<string, unknown>): string | null {
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (typeof e.name !== 'string' || !e.name) return '"embedding.name" must be a non-empty string';
  if (e.step !== undefined && !(typeof e.step === 'number' && Number.isInteger(e.step) && e.step >= 0)) return '"embedding.step" must be a non-negative integer';
  if (!strings(e.ids)) return '"embedding.ids" must be an array of strings';
  if (e.labels !== undefined && !strings(e.labels)) return '"embedding.labels" must be an array of strings';
  if ((e.vectors === undefined) === (e.file === undefined)) return '"embedding" needs exactly one of "vectors" (inline) or "file" (.npy or .safetensors beside the log)';
  if (e.file !== undefined && typeof e.file !== 'string') return '"embedding.file" must be a string';
  if (e.tensor !== undefined && typeof e.tensor !== 'string') return '"embedding.tensor" must be a string';
  if (e.vectors !== undefined && !(Array.isArray(e.vectors) && e.vectors.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number')))) {
    return '"embedding.vectors" must be an array of number arrays';
  }
  return null;
}

/** Formats a message as one protocol line (without the newline). Non-finite numbers become NaN/Infinity tokens. */
export function formatProtocolLine(message: ProtocolMessage): string {
  return PROTOCOL_PREFIX + stringifyWithNonFinite(message);
}

export function stringifyWithNonFinite(value: unknown): string {
  const marks: string[] = [];
  const json = JSON.stringify(value, (_k, v) => {
    if (typeof v === 'number' && !Number.isFinite(v)) {
      marks.push(Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');
      return `\u0000NF${marks.length - 1}\u0000`;
    }
    return v;
  });
  return json.replace(/"\\u0000NF(\d+)\\u0000"/g, (_m, i) => marks[Number(i)]);
}

/**
 * JSON.parse that also accepts the bare tokens NaN, Infinity, -Infinity (and
 * +Infinity) where a value may stand. Tokens inside strings are left alone.
 */
export function parseJsonWithNonFinite(text: string): unknown {
  if (!/NaN|Infinity/.test(text)) return JSON.parse(text);
  let out = '';
  let i = 0;
  const n = text.length;
  const SENTINEL = '\u0000NF:';
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      // copy a string literal verbatim
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    let matched = '';
    for (const tok of ['-Infinity', '+Infinity', 'Infinity', 'NaN']) {
      if (text.startsWith(tok, i)) {
        matched = tok;
        break;
      }
    }
    if (matched) {
      out += JSON.stringify(SENTINEL + matched.replace('+', ''));
      i += matched.length;
      continue;
    }
    out += c;
    i++;
  }
  return JSON.parse(out, (_k, v) => {
    if (typeof v === 'string' && v.startsWith(SENTINEL)) {
      const t = v.slice(SENTINEL.length);
      return t === 'NaN' ? NaN : t === 'Infinity' ? Infinity : -Infinity;
    }
    return v;
  });
}
