// File utilities of the OS layer: the one durable atomic write (control
// files, progress.json, exit records, checkpoints, dataset manifests) and
// small stat helpers. Readers (the trainer, the editor, a restarted runtime)
// see the old content or the new one, never half of it, and after a crash or
// power loss the new content is on disk once the rename is.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Writes `target` atomically and durably: a fresh temporary file beside it
 * (O_EXCL, so a symlink planted at the temporary name is never followed),
 * the data fsynced, then renamed over the target (rename replaces a symlink
 * at `target` itself, never writes through it). On any failure the temporary
 * file is removed and the target is untouched.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
