// Finds the Node executable that runs the runtime process. Native modules
// (better-sqlite3, onnxruntime-node) are built for Node's ABI, so the runtime
// never runs on the editor's own Electron. Order: the setting
// `tuneStudio.runtime.nodePath` → a Node bundled in the package → `node` on
// PATH (version 20 or newer) → a clear error naming the setting.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MIN_NODE_MAJOR = 20;

export interface NodeChoice {
  path: string;
  version: string;
  source: 'setting' | 'bundled' | 'path';
}

export class RuntimeNodeError extends Error {}

function nodeVersion(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, ['--version'], { timeout: 10_000, windowsHide: true }, (err, stdout) => {
      if (err) reject(err);
      else resolve(String(stdout).trim());
    });
  });
}

function major(version: string): number {
  const m = /^v?(\d+)\./.exec(version);
  return m ? Number(m[1]) : 0;
}

function onPath(envPath: string): string[] {
  const names = process.platform === 'win32' ? ['node.exe'] : ['node'];
  const found: string[] = [];
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    for (const n of names) {
      const p = path.join(dir, n);
      try {
        if (fs.statSync(p).isFile()) found.push(p);
      } catch {
        /* not here */
      }
    }
  }
  return found;
}

export async function findRuntimeNode(opts: {
  setting?: string;
  extensionPath: string;
  envPath?: string;
}): Promise<NodeChoice> {
  const setting = opts.setting?.trim();
  if (setting) {
    let version: string;
    try {
      version = await nodeVersion(setting);
    } catch (e) {
      throw new RuntimeNodeError(
        `The setting 'tuneStudio.runtime.nodePath' is '${setting}', which cannot be run (${(e as Error).message}). ` +
          `Point it at a Node ${MIN_NODE_MAJOR}+ executable, or clear it to use the node on PATH.`,
      );
    }
    if (major(version) < MIN_NODE_MAJOR) {
      throw new RuntimeNodeError(
        `The setting 'tuneStudio.runtime.nodePath' points at Node ${version}; Tune Studio needs Node ${MIN_NODE_MAJOR} or newer.`,
      );
    }
    return { path: setting, version, source: 'setting' };
  }
  const bundled = path.join(opts.extensionPath, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (fs.existsSync(bundled)) {
    try {
      const version = await nodeVersion(bundled);
      if (major(version) >= MIN_NODE_MAJOR) return { path: bundled, version, source: 'bundled' };
    } catch {
      /* fall through to PATH */
    }
  }
  const seen: string[] = [];
  for (const candidate of onPath(opts.envPath ?? process.env.PATH ?? '')) {
    try {
      const version = await nodeVersion(candidate);
      if (major(version) >= MIN_NODE_MAJOR) return { path: candidate, version, source: 'path' };
      seen.push(`${candidate} (${version})`);
    } catch {
      seen.push(`${candidate} (does not run)`);
    }
  }
  throw new RuntimeNodeError(
    `Tune Studio needs Node ${MIN_NODE_MAJOR} or newer to run its runtime, and found ` +
      (seen.length ? `only ${seen.join(', ')}` : 'no node on PATH') +
      `. Install Node ${MIN_NODE_MAJOR}+ or set 'tuneStudio.runtime.nodePath' to its executable.`,
  );
}
