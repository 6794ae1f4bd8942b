// Where the bundled job helpers live, from the bundle (dist/) or from sources (tests under tsx).
import * as fs from 'node:fs';
import * as path from 'node:path';

function distFile(name: string): string {
  const here = path.join(__dirname, name);
  if (fs.existsSync(here)) return here;
  // Running from sources (src/runtime/jobs): the built file is in <root>/dist.
  const fromSrc = path.resolve(__dirname, '..', '..', '..', 'dist', name);
  if (fs.existsSync(fromSrc)) return fromSrc;
  throw new Error(`${name} is missing next to ${__dirname}; run 'npm run build'`);
}

export function launcherPath(): string {
  return distFile('launcher.js');
}

export function trainerPath(): string {
  return distFile('trainer.js');
}

/** The command that runs the built-in trainer on a config (a real Node, never the editor's Electron). */
export function builtinArgv(trainConfig: string): string[] {
  return [process.execPath, trainerPath(), trainConfig];
}

/** The `tunestudio` command as argv for a job (bin/tunestudio.js next to dist/). */
export function cliArgv(args: string[]): string[] {
  const bin = path.resolve(path.dirname(launcherPath()), '..', 'bin', 'tunestudio.js');
  return [process.execPath, bin, ...args];
}

/**
 * What the built-in trainer reads from its environment: where downloaded
 * models are kept, the backend setting, local model folders, offline mode.
 */
export function trainerEnv(storeDir: string, o: { backend?: string; modelFolders?: string[]; offline?: boolean } = {}): Record<string, string> {
  return {
    TUNESTUDIO_MODEL_CACHE: process.env.TUNESTUDIO_MODEL_CACHE || path.join(storeDir, 'models'),
    ...(o.backend && o.backend !== 'auto' ? { TUNESTUDIO_TRAINING_BACKEND: o.backend } : {}),
    ...(o.modelFolders?.length ? { TUNESTUDIO_MODEL_DIRS: o.modelFolders.join(path.delimiter) } : {}),
    ...(o.offline ? { TUNESTUDIO_OFFLINE: '1' } : {}),
    ...pythonClientEnv(),
  };
}

/** `import tunestudio` in a job's Python: the bundled python/ folder first on PYTHONPATH (issue 15). */
export function pythonClientEnv(): Record<string, string> {
  let dir: string;
  try {
    dir = path.resolve(path.dirname(launcherPath()), '..', 'python');
  } catch {
    return {};
  }
  if (!fs.existsSync(path.join(dir, 'tunestudio', '__init__.py'))) return {};
  const rest = process.env.PYTHONPATH;
  return { PYTHONPATH: rest ? dir + path.delimiter + rest : dir };
}
