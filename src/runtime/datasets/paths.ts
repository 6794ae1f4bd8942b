// Path checks: every path the runtime writes is resolved (symlinks included,
// through realpath) and refused unless it stays inside its root.
import * as fs from 'node:fs';
import * as path from 'node:path';

export class PathRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathRefusedError';
  }
}

/** True when `child` is `root` or below it (both already resolved). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** realpath that reports a missing path as null instead of throwing. */
export function realpathOrNull(p: string): string | null {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return null;
  }
}

/**
 * The real path of a folder that must exist and be inside one of `roots`
 * (when roots are given). Refuses NUL bytes and relative paths.
 */
export function resolveDir(dir: string, roots: string[], what: string): string {
  if (typeof dir !== 'string' || dir.includes('\0')) throw new PathRefusedError(`${what}: the path contains a NUL byte; refused.`);
  if (!path.isAbsolute(dir)) throw new PathRefusedError(`${what} '${dir}' is not an absolute path; refused.`);
  const real = realpathOrNull(dir);
  if (!real) throw new PathRefusedError(`${what} '${dir}' does not exist.`);
  if (!fs.statSync(real).isDirectory()) throw new PathRefusedError(`${what} '${dir}' is not a folder.`);
  if (roots.length) {
    const realRoots = roots.map((r) => realpathOrNull(r)).filter((r): r is string => !!r);
    if (!realRoots.some((r) => isInside(r, real))) {
      throw new PathRefusedError(`${what} '${dir}' resolves to '${real}', outside the workspace folders; refused.`);
    }
  }
  return real;
}

/**
 * Checks that `name` inside the real folder `root` is a place we may create a
 * file: directly in `root`, not existing yet (a symlink there, even a
 * dangling one, is refused: writing through it would leave the folder).
 */
export function checkNewFile(root: string, name: string, what: string): string {
  const target = path.resolve(root, name);
  if (path.dirname(target) !== root || !isInside(root, target)) {
    throw new PathRefusedError(`${what}: '${name}' resolves to '${target}', outside the dataset folder '${root}'; refused.`);
  }
  let st: fs.Stats | null = null;
  try {
    st = fs.lstatSync(target);
  } catch {
    /* does not exist: good */
  }
  if (st?.isSymbolicLink()) {
    const to = realpathOrNull(target);
    throw new PathRefusedError(`${what}: '${name}' is a symbolic link${to ? ` to '${to}'` : ''}; writing through it could leave the dataset folder; refused.`);
  }
  if (st) throw new PathRefusedError(`${what}: '${name}' already exists in '${root}'.`);
  return target;
}

/**
 * An existing file inside the real folder `root`, resolved through symlinks
 * and refused when it leads outside. Returns its real path.
 */
export function resolveExistingInside(root: string, file: string, what: string): string {
  if (file.includes('\0')) throw new PathRefusedError(`${what}: the path contains a NUL byte; refused.`);
  const abs = path.resolve(root, file);
  if (!isInside(root, abs)) throw new PathRefusedError(`${what}: '${file}' is outside the dataset folder '${root}'; refused.`);
  const real = realpathOrNull(abs);
  if (!real) throw new PathRefusedError(`${what}: '${file}' does not exist.`);
  if (!isInside(root, real)) throw new PathRefusedError(`${what}: '${file}' is a link to '${real}', outside the dataset folder '${root}'; refused.`);
  return real;
}
