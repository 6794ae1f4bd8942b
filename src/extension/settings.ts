// Reads Tune Studio's settings in one place and resolves the store folder.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { LOG_LEVELS, type LogLevel } from '../protocol/runtime';

export interface Settings {
  storePath: string;
  nodePath: string;
  logLevel: LogLevel;
  jobsSlots: number;
  ffmpegPath: string;
  trainingBackend: string;
  notifyLevel: 'info' | 'warn' | 'error' | 'never';
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('tuneStudio');
  const level = c.get<string>('logLevel', 'info') as LogLevel;
  return {
    storePath: c.get<string>('storePath', ''),
    nodePath: c.get<string>('runtime.nodePath', ''),
    logLevel: LOG_LEVELS.includes(level) ? level : 'info',
    jobsSlots: Math.max(1, c.get<number>('jobs.slots', 1)),
    ffmpegPath: c.get<string>('audio.ffmpegPath', ''),
    trainingBackend: c.get<string>('training.backend', 'auto'),
    notifyLevel: c.get<Settings['notifyLevel']>('alerts.notifyLevel', 'warn'),
  };
}

/**
 * `tuneStudio.storePath` (absolute, or relative to the first workspace
 * folder), else `<first folder>/.tunestudio`, else a folder in the
 * extension's global storage when no folder is open.
 */
export function resolveStoreDir(setting: string, folders: string[], globalStorage: string): string {
  const base = folders[0];
  if (setting) return path.isAbsolute(setting) || !base ? path.resolve(setting) : path.resolve(base, setting);
  if (base) return path.join(base, '.tunestudio');
  return path.join(globalStorage, 'store');
}
