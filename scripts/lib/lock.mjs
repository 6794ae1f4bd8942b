// One setup at a time per checkout: two `npm test` runs that both find
// code-server or node_modules missing must not install into the same folder
// at once. A lock file created exclusively ('wx') holds the owner's pid; a
// lock whose owner is gone (killed, crashed) is taken over.
import * as fs from 'node:fs';
import * as path from 'node:path';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ms` (setup is synchronous; this is a wait for another process, not a fixed delay in a test). */
function sleepSync(ms) {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** The pid in the lock file; null while it is being written (empty) or gone. */
function readOwner(file) {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text ? Number(text) : null;
  } catch {
    return null;
  }
}

function alive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * Runs `fn` holding the lock `file`, waiting up to `timeoutMs` while another
 * live process holds it (`onWait` is told once). Returns what `fn` returns.
 */
export function withLock(file, fn, { timeoutMs = 30 * 60_000, onWait } = {}) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const owner = readOwner(file);
    if (owner !== null && !alive(owner)) {
      // Its owner is gone: remove it — unless another setup took it over since — and try again.
      if (readOwner(file) === owner) fs.rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`${file} is still held by process ${owner} after ${Math.round(timeoutMs / 1000)}s; if no setup is running, delete the file and try again.`);
    }
    if (!told) onWait?.(String(owner));
    told = true;
    sleepSync(250);
  }
  try {
    return fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
