// Types of scripts/lib/processes.mjs for the TypeScript that uses it. Keep in step with the module.
import type { ChildProcess, SpawnSyncOptions, SpawnSyncReturns } from 'node:child_process';
import type { Log } from './paths.mjs';

export function runSync(cmd: string, args: string[], opts?: SpawnSyncOptions & { log?: Log; quiet?: boolean }): SpawnSyncReturns<string>;
export function npmBin(): string;
export function onPath(name: string): boolean;
export function collectLines(proc: ChildProcess, logs: string[], onLine?: Log): void;
export function trackGroup(proc: ChildProcess): void;
export function stopProcessGroup(proc: ChildProcess, graceMs?: number): Promise<void>;
export function killStrays(dir: string): number;

/** A server started in its own process group. */
export interface ServerHandle {
  url: string;
  port: number;
  proc: ChildProcess;
  /** The server's recent output lines. */
  logs: string[];
  stop(): Promise<void>;
}
