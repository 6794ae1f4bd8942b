// Where the scripts find things: the repository root and the git-ignored
// .cache/ folder that setup fills (code-server, the studio's editor state).
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_DIR = path.join(ROOT, '.cache');

/** The default `log` of every script helper: one line to stdout. */
export const defaultLog = (line) => console.log(line);
