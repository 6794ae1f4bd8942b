// The run file: how a trainer that runs without a supervisor (the Python
// client in a plain terminal) reports to Tune Studio. It appends protocol
// lines to `<store>/runfiles/<name>.log`; a follower (the VS Code runtime, or
// `tunestudio follow` which the client starts) ingests them with the same
// parsers as a job's log. The first line names the run; the last says how it
// ended:
//
//   @tunestudio-run {"version": 1, "run_id": "…", "project": "p", "name": "n", "config": {…},
//                    "pid": 123, "pid_start": "boot:ticks", "host": "h", "resume": false}
//   @tunestudio {"step": 0, "metrics": {"train/loss": 0.5}}
//   @tunestudio-run {"end": {"status": "finished", "exit_code": null, "reason": null}}
//
// `@tunestudio-run` lines are not protocol lines (no space after
// `@tunestudio`), so a parser never mistakes them. Beside each run file the
// follower writes `<name>.control.json` (the job control-file format) when the
// run should stop; the client's should_stop() reads it.
import * as path from 'node:path';
import { parseJsonWithNonFinite } from '../../protocol/lines';

export const RUN_FILE_DIR = 'runfiles';
export const RUN_FILE_EXT = '.log';
export const RUN_META_PREFIX = '@tunestudio-run ';
/** Written by the follower that holds the store's follow lease: the client starts none while it lives. */
export const FOLLOWER_FILE = 'follower.json';

export interface RunFileHeader {
  version: 1;
  run_id: string;
  project: string;
  name: string;
  config: Record<string, unknown>;
  pid: number | null;
  pid_start: string | null;
  host: string | null;
  /** true: continue the existing run with this id (trackio's resume="allow"/"must"). */
  resume: boolean;
  group?: string | null;
}

export type RunFileEndStatus = 'finished' | 'failed' | 'stopped';

export interface RunFileEnd {
  status: RunFileEndStatus;
  exit_code?: number | null;
  signal?: string | null;
  reason?: string | null;
}

export function runFileDir(storeDir: string): string {
  return path.join(storeDir, RUN_FILE_DIR);
}

/** The control file beside a run file. */
export function controlFileFor(runFile: string): string {
  return runFile.slice(0, -RUN_FILE_EXT.length) + '.control.json';
}

/** `<run id>-<pid>-<random>.log`: the names the client gives run files (nothing else in the folder is one). */
export const RUN_FILE_NAME = /^[0-9a-z]{6,40}-\d{1,10}-[0-9a-z]{1,16}\.log$/;

export function isRunMetaLine(line: string): boolean {
  return line.startsWith(RUN_META_PREFIX);
}

export class RunFileError extends Error {}

/** Parses the first line of a run file; throws RunFileError saying what is wrong. */
export function parseHeader(line: string, file: string): RunFileHeader {
  if (!isRunMetaLine(line)) throw new RunFileError(`run file ${file}: the first line must start with "${RUN_META_PREFIX.trim()}"`);
  let v: unknown;
  try {
    v = parseJsonWithNonFinite(line.slice(RUN_META_PREFIX.length));
  } catch (e) {
    throw new RunFileError(`run file ${file}: the header is not JSON (${(e as Error).message})`);
  }
  const h = v as Partial<RunFileHeader> | null;
  if (!h || typeof h !== 'object' || h.version !== 1) throw new RunFileError(`run file ${file}: unknown header version ${JSON.stringify(h?.version)} (this Tune Studio reads version 1)`);
  if (typeof h.run_id !== 'string' || !/^[0-9a-z]{6,40}$/.test(h.run_id)) throw new RunFileError(`run file ${file}: "run_id" must be 6–40 lower-case letters or digits`);
  if (typeof h.project !== 'string' || typeof h.name !== 'string') throw new RunFileError(`run file ${file}: "project" and "name" must be strings`);
  const config = h.config && typeof h.config === 'object' && !Array.isArray(h.config) ? h.config : {};
  return {
    version: 1,
    run_id: h.run_id,
    project: h.project,
    name: h.name,
    config,
    pid: Number.isInteger(h.pid) ? (h.pid as number) : null,
    pid_start: typeof h.pid_start === 'string' ? h.pid_start : null,
    host: typeof h.host === 'string' ? h.host : null,
    resume: h.resume === true,
    group: typeof h.group === 'string' ? h.group : null,
  };
}

/** A later `@tunestudio-run` line: the end record, or null for anything else (ignored, counted by the caller). */
export function parseEnd(line: string): RunFileEnd | null {
  try {
    const v = parseJsonWithNonFinite(line.slice(RUN_META_PREFIX.length)) as { end?: Partial<RunFileEnd> } | null;
    const e = v?.end;
    if (!e || (e.status !== 'finished' && e.status !== 'failed' && e.status !== 'stopped')) return null;
    return {
      status: e.status,
      exit_code: Number.isInteger(e.exit_code) ? e.exit_code : null,
      signal: typeof e.signal === 'string' ? e.signal : null,
      reason: typeof e.reason === 'string' ? e.reason.slice(0, 1000) : null,
    };
  } catch {
    return null;
  }
}
