// Job specs: checking a spec (the same problems become diagnostics in a
// *.tunejob.json and errors on submit), and resolving it against its folder
// into what the supervisor runs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobSpec } from '../../protocol/jobs';
import { findOnPath } from '../backends';
import { validateParserSpecs } from '../ingest/spec';
import type { ParserSpec } from '../ingest/types';
import { validateWatch, WatchError } from '../tracking/watchers';

export interface SpecProblem {
  /** JSON path into the spec, e.g. "command[1]" or "parsers[2].regex". */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export class JobSpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(problems.filter((p) => p.severity === 'error').map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; '));
    this.name = 'JobSpecError';
  }
}

const KNOWN_KEYS = ['$schema', 'name', 'project', 'kind', 'command', 'train_config', 'cwd', 'env', 'parsers', 'watchers', 'config', 'stall_timeout_s', 'grace_s', 'priority'];

/** Interpreters whose first argument is a script file we can check. */
const SCRIPT_RUNNERS = /^(python[\d.]*|python|node|bash|sh|Rscript|julia|ruby|perl|accelerate|torchrun|deepspeed)$/;

export interface CheckOptions {
  /** Folder relative paths resolve against (the spec file's folder). */
  baseDir: string;
  /** Check files and executables on disk (false: shape only). */
  checkFiles?: boolean;
}

/**
 * Every problem in a spec, shape and meaning: unknown keys, a missing
 * command, a script that does not exist, a cwd outside the workspace or
 * missing, unknown parsers, bad watchers, numbers out of range.
 */
export function checkJobSpec(raw: unknown, o: CheckOptions): SpecProblem[] {
  const out: SpecProblem[] = [];
  const err = (p: string, message: string) => out.push({ path: p, message, severity: 'error' });
  const warn = (p: string, message: string) => out.push({ path: p, message, severity: 'warning' });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    err('', 'a job spec is a JSON object with at least "command" (an array: program and arguments)');
    return out;
  }
  const s = raw as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!KNOWN_KEYS.includes(k)) warn(k, `unknown key '${k}' (known: ${KNOWN_KEYS.filter((x) => x !== '$schema').join(', ')})`);
  const kind = s.kind ?? 'command';
  if (kind !== 'command' && kind !== 'builtin') err('kind', `"kind" must be "command" or "builtin"`);
  for (const k of ['name', 'project', 'cwd', 'train_config'] as const) {
    if (s[k] !== undefined && typeof s[k] !== 'string') err(k, `"${k}" must be a string`);
  }
  const cwd = typeof s.cwd === 'string' ? path.resolve(o.baseDir, s.cwd) : o.baseDir;
  if (o.checkFiles !== false && typeof s.cwd === 'string') {
    if (!isDir(cwd)) err('cwd', `the working folder '${s.cwd}' does not exist (resolved to ${cwd})`);
  }
  if (kind === 'builtin') {
    if (typeof s.train_config !== 'string') err('train_config', 'a builtin job needs "train_config": the path of a *.tunetrain.json file');
    else if (o.checkFiles !== false && !isFile(path.resolve(o.baseDir, s.train_config))) err('train_config', `'${s.train_config}' does not exist`);
    if (s.command !== undefined) warn('command', '"command" is ignored for a builtin job');
  } else if (!Array.isArray(s.command) || s.command.length === 0) {
    err('command', '"command" must be a non-empty array: the program and its arguments, e.g. ["python", "train.py", "--lr", "1e-4"] (no shell: pipes and $VARS are not interpreted)');
  } else {
    s.command.forEach((a, i) => {
      if (typeof a !== 'string') err(`command[${i}]`, 'every argument must be a string');
      else if (a.includes('\u0000')) err(`command[${i}]`, 'an argument contains a NUL byte');
    });
    const argv = s.command as string[];
    if (argv.length === 1 && /\s/.test(argv[0]) && !isFile(path.resolve(cwd, argv[0]))) {
      warn('command[0]', `"${argv[0]}" contains spaces: the command is not run through a shell, so split it into an array of arguments`);
    }
    if (o.checkFiles !== false && typeof argv[0] === 'string') {
      const prog = argv[0];
      const isPath = prog.includes('/') || prog.includes('\\');
      if (isPath ? !isFile(path.resolve(cwd, prog)) : !findOnPath(prog)) {
        err('command[0]', isPath ? `the program '${prog}' does not exist (resolved to ${path.resolve(cwd, prog)})` : `'${prog}' is not on PATH; install it or give its full path`);
      }
      const base = path.basename(prog).replace(/\.exe$/i, '');
      if (SCRIPT_RUNNERS.test(base)) {
        const scriptIdx = argv.findIndex((a, i) => i > 0 && typeof a === 'string' && !a.startsWith('-'));
        const script = argv[scriptIdx];
        const flagBefore = argv.slice(1, scriptIdx).some((a) => a === '-m' || a === '-c' || a === '-e');
        if (script && !flagBefore && /\.(py|js|mjs|cjs|sh|ts|R|jl|rb|pl)$/i.test(script) && !isFile(path.resolve(cwd, script))) {
          err(`command[${scriptIdx}]`, `the script '${script}' does not exist in ${cwd}`);
        }
      }
    }
  }
  if (s.env !== undefined) {
    if (typeof s.env !== 'object' || s.env === null || Array.isArray(s.env)) err('env', '"env" must be an object of NAME: "value"');
    else for (const [k, v] of Object.entries(s.env)) if (typeof v !== 'string') err(`env.${k}`, 'environment values must be strings');
  }
  if (s.parsers !== undefined) {
    if (!Array.isArray(s.parsers)) err('parsers', '"parsers" must be an array, e.g. ["protocol", "hf", {"regex": "lightning"}, {"tfevents": "runs"}]');
    else for (const p of validateParserSpecs(s.parsers, { cwd })) err(p.path.replace(/^parsers/, 'parsers'), p.message);
  }
  if (s.watchers !== undefined) {
    if (!Array.isArray(s.watchers)) err('watchers', '"watchers" must be an array of {"metric": "...", ...conditions}');
    else
      s.watchers.forEach((w, i) => {
        if (typeof w !== 'object' || w === null) return err(`watchers[${i}]`, 'a watcher is an object with "metric" and conditions');
        const { metric, ...opts } = w as Record<string, unknown>;
        try {
          validateWatch(metric, opts);
        } catch (e) {
          if (e instanceof WatchError) err(`watchers[${i}]`, e.message);
          else throw e;
        }
      });
  }
  if (s.config !== undefined && (typeof s.config !== 'object' || s.config === null || Array.isArray(s.config))) err('config', '"config" must be an object');
  const positive = (k: 'stall_timeout_s' | 'grace_s', max: number) => {
    const v = s[k];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) err(k, `"${k}" must be a positive number of seconds`);
    else if (v > max) warn(k, `"${k}" is ${v} s — more than ${max} s; is that intended?`);
  };
  positive('stall_timeout_s', 7 * 24 * 3600);
  positive('grace_s', 3600);
  if (s.priority !== undefined && !(typeof s.priority === 'number' && Number.isInteger(s.priority))) err('priority', '"priority" must be a whole number (higher runs first)');
  return out;
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

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
