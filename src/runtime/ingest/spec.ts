// A job's `parsers` list: validation (problems become diagnostics in
// *.tunejob.json), construction of the parsers it names, and LineIngest, which
// runs a line through them. Parsers are tried in list order; the first that
// claims a line gets it (a Lightning bar is also a tqdm frame: list the
// Lightning preset before "hf").

import * as fs from 'node:fs';
import * as path from 'node:path';
import { HfParser } from './hf';
import { clipLine } from './numbers';
import { ProtocolParser } from './protocol';
import { createRegexParser, namedGroups, REGEX_PRESETS } from './regex';
import { TfeventsTailer } from './tfevents';
import type { IngestEvent, LineParser, ParserSpec, RegexParserSpec, RegexPresetName, SpecProblem, TfeventsParserSpec } from './types';

/** What a job gets when its spec names no parsers. */
export const DEFAULT_PARSER_SPECS: readonly ParserSpec[] = ['protocol', { regex: 'lightning' }, 'hf'];

const SPEC_FORMS = `"protocol", "hf", {"regex": "lightning" | "ace-step" | {"pattern": ...}}, {"tfevents": "folder"}`;

/**
 * Checks a `parsers` list as found in a job spec (any JSON). `where` names
 * the list in problem paths (default "parsers"). An empty result means
 * createParsers will accept it.
 */
export function validateParserSpecs(specs: unknown, opts: { cwd: string; where?: string }): SpecProblem[] {
  const where = opts.where ?? 'parsers';
  const problems: SpecProblem[] = [];
  if (!Array.isArray(specs)) {
    problems.push({ path: where, message: `"parsers" must be a list, e.g. ["protocol", "hf"]; got ${describe(specs)}` });
    return problems;
  }
  specs.forEach((spec, i) => validateOne(spec, `${where}[${i}]`, opts.cwd, problems));
  return problems;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(clipLine(v, 60));
  return typeof v === 'object' ? 'an object' : String(v);
}

function validateOne(spec: unknown, at: string, cwd: string, problems: SpecProblem[]): void {
  if (typeof spec === 'string') {
    if (spec === 'protocol' || spec === 'hf') return;
    const hint = (REGEX_PRESETS as readonly string[]).includes(spec) ? ` Presets are written {"regex": "${spec}"}.` : '';
    problems.push({ path: at, message: `Unknown parser '${spec}'. Use one of ${SPEC_FORMS}.${hint}` });
    return;
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    problems.push({ path: at, message: `A parser is a name or an object, got ${describe(spec)}. Use one of ${SPEC_FORMS}.` });
    return;
  }
  const keys = Object.keys(spec);
  if (keys.length !== 1 || (keys[0] !== 'regex' && keys[0] !== 'tfevents')) {
    problems.push({ path: at, message: `A parser object has exactly one key, "regex" or "tfevents"; got ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'none'}.` });
    return;
  }
  const value = (spec as Record<string, unknown>)[keys[0]];
  if (keys[0] === 'regex') validateRegex(value, `${at}.regex`, problems);
  else validateTfevents(value, `${at}.tfevents`, cwd, problems);
}

function validateRegex(v: unknown, at: string, problems: SpecProblem[]): void {
  if (typeof v === 'string') {
    if (!(REGEX_PRESETS as readonly string[]).includes(v)) {
      problems.push({ path: at, message: `Unknown regex preset '${v}'. Presets: ${REGEX_PRESETS.join(', ')}; or give {"pattern": "...(?<loss>[0-9.eE+-]+)..."}.` });
    }
    return;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    problems.push({ path: at, message: `"regex" must be a preset name (${REGEX_PRESETS.join(', ')}) or an object with "pattern"; got ${describe(v)}.` });
    return;
  }
  const r = v as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (!['pattern', 'flags', 'step', 'metrics', 'prefix', 'name'].includes(k)) {
      problems.push({ path: `${at}.${k}`, message: `Unknown regex option "${k}"; options are pattern, flags, step, metrics, prefix, name.` });
    }
  }
  if (typeof r.pattern !== 'string' || r.pattern.length === 0) {
    problems.push({ path: `${at}.pattern`, message: 'A regex parser needs "pattern": a regular expression with named groups, e.g. "loss=(?<loss>\\\\S+)".' });
    return;
  }
  const flags = r.flags === undefined ? '' : r.flags;
  if (typeof flags !== 'string' || !/^[imsu]*$/.test(flags) || new Set(flags).size !== flags.length) {
    problems.push({ path: `${at}.flags`, message: `"flags" may hold i, m, s and u (each once); got ${describe(r.flags)}.` });
    return;
  }
  try {
    new RegExp(r.pattern, flags);
  } catch (e) {
    problems.push({ path: `${at}.pattern`, message: `Invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}.` });
    return;
  }
  const groups = namedGroups(r.pattern);
  if (groups.length === 0) {
    problems.push({ path: `${at}.pattern`, message: 'The pattern has no named groups: name what to capture, e.g. "loss=(?<loss>\\\\S+)".' });
    return;
  }
  if (r.step !== undefined && (typeof r.step !== 'string' || !groups.includes(r.step))) {
    problems.push({ path: `${at}.step`, message: `"step" must name a group of the pattern (${groups.join(', ')}); got ${describe(r.step)}.` });
  }
  for (const k of ['prefix', 'name'] as const) {
    if (r[k] !== undefined && typeof r[k] !== 'string') problems.push({ path: `${at}.${k}`, message: `"${k}" must be a string.` });
  }
  if (r.metrics !== undefined) {
    if (typeof r.metrics !== 'object' || r.metrics === null || Array.isArray(r.metrics)) {
      problems.push({ path: `${at}.metrics`, message: '"metrics" maps metric names to group names, e.g. {"train/loss": "loss"}.' });
    } else {
      const entries = Object.entries(r.metrics as Record<string, unknown>);
      if (entries.length === 0) problems.push({ path: `${at}.metrics`, message: '"metrics" is empty: map at least one metric name to a group.' });
      for (const [metric, group] of entries) {
        if (metric.trim() === '') problems.push({ path: `${at}.metrics`, message: 'A metric name is empty.' });
        if (typeof group !== 'string' || !groups.includes(group)) {
          problems.push({ path: `${at}.metrics.${metric}`, message: `Metric "${metric}" names group ${describe(group)}, which the pattern does not have (groups: ${groups.join(', ')}).` });
        }
      }
    }
  } else if (groups.every((g) => g === r.step)) {
    problems.push({ path: `${at}.pattern`, message: 'The only named group is the step: add a group for at least one metric.' });
  }
}

function validateTfevents(v: unknown, at: string, cwd: string, problems: SpecProblem[]): void {
  let p: unknown = v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (k !== 'path' && k !== 'prefix') problems.push({ path: `${at}.${k}`, message: `Unknown tfevents option "${k}"; options are path and prefix.` });
    }
    if (o.prefix !== undefined && o.prefix !== 'subfolder' && o.prefix !== 'none') {
      problems.push({ path: `${at}.prefix`, message: `"prefix" is "subfolder" (default) or "none"; got ${describe(o.prefix)}.` });
    }
    p = o.path;
    at = `${at}.path`;
  }
  if (typeof p !== 'string' || p.trim() === '') {
    problems.push({ path: at, message: `"tfevents" needs the TensorBoard log folder, relative to the job's folder, e.g. "runs"; got ${describe(p)}.` });
    return;
  }
  const problem = checkInside(cwd, p);
  if (problem) problems.push({ path: at, message: problem });
}

/** Resolves `p` against `cwd`; a message when it leaves cwd (lexically or through a symbolic link). */
function checkInside(cwd: string, p: string): string | null {
  const root = path.resolve(cwd);
  const abs = path.resolve(root, p);
  const rel = path.relative(root, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    return `TensorBoard folder '${p}' is outside the job's folder '${root}'; give a folder inside it (logs are read only there).`;
  }
  // The folder may not exist yet (the trainer makes it): check the nearest
  // existing ancestor, which is where a symbolic link could lead elsewhere.
  let existing = abs;
  while (existing !== root && !fs.existsSync(existing)) existing = path.dirname(existing);
  try {
    const real = fs.realpathSync(existing);
    const realRoot = fs.realpathSync(root);
    const r = path.relative(realRoot, real);
    if (r.startsWith('..') || path.isAbsolute(r)) return `TensorBoard folder '${p}' leads outside the job's folder through a symbolic link ('${real}'); give a folder inside it.`;
  } catch {
    /* the job folder itself is missing: reported elsewhere */
  }
  return null;
}

export class ParserSpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(`Invalid parsers: ${problems.map((p) => `${p.path}: ${p.message}`).join(' ')}`);
    this.name = 'ParserSpecError';
  }
}

export interface CreatedParsers {
  /** Line parsers in the order they are tried; "protocol" always comes first. */
  lines: LineParser[];
  /** One tailer per tfevents entry; the caller starts and stops them. */
  tailers: TfeventsTailer[];
}

/**
 * Builds the parsers a job's spec names. The line protocol is always read
 * (the SDK under supervision relies on it): it is put first when not listed.
 * `since` (epoch ms, the job's start) makes tailers skip event files written
 * before it. Throws ParserSpecError when validation finds problems.
 */
export function createParsers(
  specs: readonly ParserSpec[] | undefined,
  opts: { cwd: string; since?: number; /** Per tfevents entry, in order: where an earlier tailer stopped (runtime restart). */ offsets?: Array<Record<string, number>> },
): CreatedParsers {
  const list = specs ?? DEFAULT_PARSER_SPECS;
  const problems = validateParserSpecs(list, { cwd: opts.cwd });
  if (problems.length > 0) throw new ParserSpecError(problems);
  const lines: LineParser[] = [];
  const tailers: TfeventsTailer[] = [];
  if (!list.includes('protocol')) lines.push(new ProtocolParser());
  for (const spec of list) {
    if (spec === 'protocol') lines.push(new ProtocolParser());
    else if (spec === 'hf') lines.push(new HfParser());
    else if ('regex' in spec) lines.push(createRegexParser(spec.regex as RegexPresetName | RegexParserSpec));
    else {
      const t: TfeventsParserSpec = typeof spec.tfevents === 'string' ? { path: spec.tfevents } : spec.tfevents;
      tailers.push(new TfeventsTailer({ dir: path.resolve(opts.cwd, t.path), prefix: t.prefix, since: opts.since, source: `tfevents`, offsets: opts.offsets?.[tailers.length] }));
    }
  }
  return { lines, tailers };
}

export interface IngestCounts {
  lines: number;
  frames: number;
  /** Lines claimed, per parser name. */
  claimed: Record<string, number>;
  metricEvents: number;
  metricValues: number;
  protocol: number;
  progress: number;
  malformed: number;
}

/** Runs each line through the parsers (first claim wins) and counts what came out. Never throws. */
export class LineIngest {
  readonly counts: IngestCounts = { lines: 0, frames: 0, claimed: {}, metricEvents: 0, metricValues: 0, protocol: 0, progress: 0, malformed: 0 };

  constructor(readonly parsers: readonly LineParser[]) {}

  line(text: string, final: boolean): IngestEvent[] {
    if (final) this.counts.lines++;
    else this.counts.frames++;
    for (const p of this.parsers) {
      let events: IngestEvent[] | null;
      try {
        events = p.parse(text, final);
      } catch (e) {
        events = [{ type: 'malformed', line: clipLine(text), error: `parser '${p.name}' failed: ${(e as Error).message}`, source: p.name }];
      }
      if (events === null) continue;
      this.counts.claimed[p.name] = (this.counts.claimed[p.name] ?? 0) + 1;
      this.count(events);
      return events;
    }
    return [];
  }

  /** At the end of the output: what the parsers still hold (call once, after the last line). */
  flush(): IngestEvent[] {
    const out: IngestEvent[] = [];
    for (const p of this.parsers) {
      try {
        if (p.flush) out.push(...p.flush());
      } catch (e) {
        out.push({ type: 'malformed', line: '', error: `parser '${p.name}' failed at the end of the output: ${(e as Error).message}`, source: p.name });
      }
    }
    this.count(out);
    return out;
  }

  private count(events: IngestEvent[]): void {
    for (const ev of events) {
      if (ev.type === 'metrics') {
        this.counts.metricEvents++;
        this.counts.metricValues += Object.keys(ev.metrics).length;
      } else if (ev.type === 'protocol') this.counts.protocol++;
      else if (ev.type === 'progress') this.counts.progress++;
      else if (ev.type === 'malformed') this.counts.malformed++;
    }
  }
}
