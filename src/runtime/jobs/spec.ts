// Job specs: checking a spec (the same problems become diagnostics in a
// *.tunejob.json and errors on submit), and resolving it against its folder
// into what the supervisor runs. The shape is schemas/tunejob.schema.json,
// validated by ajv (the types are generated from the same schema); what a
// schema cannot know is checked here: files and programs on disk, the
// parsers list (ingest's own validation) and the watchers (tracking's).
import Ajv, { type ErrorObject } from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobSpec } from '../../protocol/jobs';
import schema from '../../../schemas/tunejob.schema.json';
import type { FileProblem } from '../diagnostics';
import { validateParserSpecs } from '../ingest/spec';
import type { ParserSpec } from '../ingest/types';
import { isDir, isFile } from '../os/fs';
import { findOnPath } from '../os/path';
import { validateWatch, WatchError } from '../tracking/watchers';

export class JobSpecError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(problems.filter((p) => p.severity === 'error').map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; '));
    this.name = 'JobSpecError';
  }
}

const KNOWN_KEYS = Object.keys(schema.properties).filter((k) => k !== '$schema');

/** Interpreters whose first argument is a script file we can check. */
const SCRIPT_RUNNERS = /^(python[\d.]*|python|node|bash|sh|Rscript|julia|ruby|perl|accelerate|torchrun|deepspeed)$/;

const COMMAND_HELP =
  '"command" must be a non-empty array: the program and its arguments, e.g. ["python", "train.py", "--lr", "1e-4"] (no shell: pipes and $VARS are not interpreted)';

let validator: ReturnType<Ajv['compile']> | null = null;
function validate(): ReturnType<Ajv['compile']> {
  // strict: false — the schema carries VS Code's own keywords (markdownDescription, defaultSnippets).
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(schema);
  return validator;
}

/** `/parsers/2/regex` → `parsers[2].regex` (the path diagnostics put on the right value). */
function jsonPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out ? `.${seg}` : seg;
  }
  return out;
}

/** One schema error in the words a user needs (the schema's own words when no better ones exist). */
function schemaProblem(e: ErrorObject): FileProblem | null {
  const at = jsonPath(e.instancePath);
  const top = at.split(/[.[]/)[0];
  const err = (p: string, message: string): FileProblem => ({ path: p, message, severity: 'error' });
  if (e.keyword === 'if') return null;
  // parsers and watchers: their owners' validation names the problem better (below).
  if ((top === 'parsers' || top === 'watchers') && at !== top) return null;
  if (at === '') {
    if (e.keyword === 'additionalProperties') {
      const k = (e.params as { additionalProperty: string }).additionalProperty;
      return { path: k, message: `unknown key '${k}' (known: ${KNOWN_KEYS.join(', ')})`, severity: 'warning' };
    }
    if (e.keyword === 'required') {
      const k = (e.params as { missingProperty: string }).missingProperty;
      if (k === 'command') return err('command', COMMAND_HELP);
      if (k === 'train_config') return err('train_config', 'a builtin job needs "train_config": the path of a *.tunetrain.json file');
    }
    return err('', 'a job spec is a JSON object with at least "command" (an array: program and arguments)');
  }
  switch (top) {
    case 'command':
      return at === 'command' ? err(at, COMMAND_HELP) : err(at, 'every argument must be a string');
    case 'kind':
      return err(at, '"kind" must be "command" or "builtin"');
    case 'name':
    case 'project':
    case 'cwd':
    case 'train_config':
      return err(at, `"${top}" must be a string`);
    case 'env':
      return at === 'env' ? err(at, '"env" must be an object of NAME: "value"') : err(at, 'environment values must be strings');
    case 'parsers':
      return err(at, '"parsers" must be an array, e.g. ["protocol", "hf", {"regex": "lightning"}, {"tfevents": "runs"}]');
    case 'watchers':
      return err(at, '"watchers" must be an array of {"metric": "...", ...conditions}');
    case 'config':
      return err(at, '"config" must be an object');
    case 'stall_timeout_s':
    case 'grace_s':
      return err(at, `"${top}" must be a positive number of seconds`);
    case 'priority':
      return err(at, '"priority" must be a whole number (higher runs first)');
    default:
      return err(at, `${at} ${e.message ?? 'is not valid'}`);
  }
}

export interface CheckOptions {
  /** Folder relative paths resolve against (the spec file's folder). */
  baseDir: string;
  /** Check files and executables on disk (false: shape only). */
  checkFiles?: boolean;
}

/**
 * Every problem in a spec, shape and meaning: the schema's (unknown keys, a
 * missing command, wrong types, numbers out of range), then a script that
 * does not exist, a cwd missing, unknown parsers, bad watchers.
 */
export function checkJobSpec(raw: unknown, o: CheckOptions): FileProblem[] {
  const out: FileProblem[] = [];
  const err = (p: string, message: string) => out.push({ path: p, message, severity: 'error' });
  const warn = (p: string, message: string) => out.push({ path: p, message, severity: 'warning' });
  const v = validate();
  if (!v(raw)) {
    const seen = new Set<string>();
    for (const e of v.errors ?? []) {
      const p = schemaProblem(e);
      if (!p || seen.has(p.path)) continue;
      seen.add(p.path);
      out.push(p);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return out;
  const s = raw as Record<string, unknown>;
  const shapeOk = (k: string) => !out.some((p) => p.severity === 'error' && (p.path === k || p.path.startsWith(`${k}[`) || p.path.startsWith(`${k}.`)));
  const cwd = typeof s.cwd === 'string' ? path.resolve(o.baseDir, s.cwd) : o.baseDir;
  if (o.checkFiles !== false && typeof s.cwd === 'string' && !isDir(cwd)) err('cwd', `the working folder '${s.cwd}' does not exist (resolved to ${cwd})`);
  if (s.kind === 'builtin') {
    if (o.checkFiles !== false && typeof s.train_config === 'string' && !isFile(path.resolve(o.baseDir, s.train_config))) err('train_config', `'${s.train_config}' does not exist`);
    if (s.command !== undefined) warn('command', '"command" is ignored for a builtin job');
  } else if (Array.isArray(s.command) && s.command.length && shapeOk('command')) {
    const argv = s.command as string[];
    argv.forEach((a, i) => a.includes('\u0000') && err(`command[${i}]`, 'an argument contains a NUL byte'));
    if (argv.length === 1 && /\s/.test(argv[0]) && !isFile(path.resolve(cwd, argv[0]))) {
      warn('command[0]', `"${argv[0]}" contains spaces: the command is not run through a shell, so split it into an array of arguments`);
    }
    if (o.checkFiles !== false) checkProgram(argv, cwd, err);
  }
  if (Array.isArray(s.parsers)) for (const p of validateParserSpecs(s.parsers, { cwd })) err(p.path, p.message);
  if (Array.isArray(s.watchers)) {
    s.watchers.forEach((w, i) => {
      if (typeof w !== 'object' || w === null || Array.isArray(w)) return err(`watchers[${i}]`, 'a watcher is an object with "metric" and conditions');
      const { metric, ...opts } = w as Record<string, unknown>;
      try {
        validateWatch(metric, opts);
      } catch (e) {
        if (e instanceof WatchError) err(`watchers[${i}]`, e.message);
        else throw e;
      }
    });
  }
  // The schema allows Infinity and NaN through (they are numbers); a spec read with non-finite literals may carry them.
  const seconds = (k: 'stall_timeout_s' | 'grace_s', max: number) => {
    const n = s[k];
    if (typeof n !== 'number' || !shapeOk(k)) return;
    if (!Number.isFinite(n)) err(k, `"${k}" must be a positive number of seconds`);
    else if (n > max) warn(k, `"${k}" is ${n} s — more than ${max} s; is that intended?`);
  };
  seconds('stall_timeout_s', 7 * 24 * 3600);
  seconds('grace_s', 3600);
  return out;
}

/** The program exists (a path, or a name on PATH), and so does the script an interpreter is given. */
function checkProgram(argv: string[], cwd: string, err: (p: string, m: string) => void): void {
  const prog = argv[0];
  const isPath = prog.includes('/') || prog.includes('\\');
  if (isPath ? !isFile(path.resolve(cwd, prog)) : !findOnPath(prog)) {
    err('command[0]', isPath ? `the program '${prog}' does not exist (resolved to ${path.resolve(cwd, prog)})` : `'${prog}' is not on PATH; install it or give its full path`);
  }
  const base = path.basename(prog).replace(/\.exe$/i, '');
  if (!SCRIPT_RUNNERS.test(base)) return;
  const scriptIdx = argv.findIndex((a, i) => i > 0 && !a.startsWith('-'));
  const script = argv[scriptIdx];
  const flagBefore = argv.slice(1, scriptIdx).some((a) => a === '-m' || a === '-c' || a === '-e');
  if (script && !flagBefore && /\.(py|js|mjs|cjs|sh|ts|R|jl|rb|pl)$/i.test(script) && !isFile(path.resolve(cwd, script))) {
    err(`command[${scriptIdx}]`, `the script '${script}' does not exist in ${cwd}`);
  }
}

export interface ResolvedSpec extends JobSpec {
  command: string[];
  cwd: string;
  name: string;
  project: string;
}

/** Checks and resolves a spec: absolute cwd, a name, defaults. Throws JobSpecError on errors. */
export function resolveJobSpec(raw: unknown, o: { baseDir: string; specFile?: string; builtinArgv?: (trainConfig: string) => string[] }): ResolvedSpec {
  const problems = checkJobSpec(raw, { baseDir: o.baseDir });
  if (problems.some((p) => p.severity === 'error')) throw new JobSpecError(problems);
  const s = raw as JobSpec;
  const cwd = s.cwd ? path.resolve(o.baseDir, s.cwd) : o.baseDir;
  let command = s.command ?? [];
  if (s.kind === 'builtin') {
    const cfg = path.resolve(o.baseDir, s.train_config!);
    if (!o.builtinArgv) throw new JobSpecError([{ path: 'kind', message: 'the built-in trainer is not available in this build', severity: 'error' }]);
    command = o.builtinArgv(cfg);
  }
  const defaultName =
    s.kind === 'builtin'
      ? trainConfigName(path.resolve(o.baseDir, s.train_config!))
      : o.specFile
        ? path.basename(o.specFile).replace(/\.tunejob\.json$/i, '')
        : path.basename(command.find((a, i) => i > 0 && !a.startsWith('-')) ?? command[0] ?? 'job').replace(/\.\w+$/, '');
  return {
    ...s,
    command,
    cwd,
    name: s.name ?? defaultName,
    project: s.project ?? 'default',
    parsers: s.parsers as ParserSpec[] | undefined,
  };
}

/**
 * Splits a command line into arguments like a POSIX shell would, but without
 * running one: quotes and backslashes group, nothing is expanded.
 */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (q) throw new Error(`unclosed ${q === '"' ? 'double' : 'single'} quote in: ${line}`);
  if (has || cur) out.push(cur);
  return out;
}

/** A training config's "name", else its file name. */
function trainConfigName(file: string): string {
  try {
    const n = (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown }).name;
    if (typeof n === 'string' && n.trim()) return n.trim();
  } catch {
    /* checked elsewhere */
  }
  return path.basename(file).replace(/\.tunetrain\.json$|\.json$/i, '');
}
