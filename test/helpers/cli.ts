// Runs the built `tunestudio` CLI as a real process against a test's own store.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'tunestudio.js');
export const SDK = path.join(ROOT, 'dist', 'sdk.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], o: { dir: string; cwd?: string; env?: NodeJS.ProcessEnv; input?: string }): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: o.cwd ?? o.dir,
    env: { ...process.env, TUNESTUDIO_DIR: o.dir, ...o.env },
    encoding: 'utf8',
    input: o.input,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function cliJson<T = unknown>(args: string[], o: { dir: string; cwd?: string }): T {
  const r = cli([...args, '--json'], o);
  if (r.code !== 0) throw new Error(`tunestudio ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Starts the CLI without waiting; collects output. */
export function cliSpawn(args: string[], o: { dir: string; cwd?: string; env?: NodeJS.ProcessEnv }): { proc: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd ?? o.dir, env: { ...process.env, TUNESTUDIO_DIR: o.dir, ...o.env } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  return { proc, out: () => out, err: () => err, exited };
}
