// The runtime's one PATH lookup (job specs, ffmpeg, nvidia-smi, backends):
// finds an executable the way a shell would, without running one.
import * as fs from 'node:fs';
import * as path from 'node:path';

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable file called `name` (plus PATHEXT on Windows) in `envPath`, or null. */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | null {
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD').split(';') : [''];
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return null;
}

/** `explicit` when it is an executable file, else null (a setting that names a tool). */
export function executableAt(explicit: string): string | null {
  return isExecutableFile(explicit) ? explicit : null;
}
