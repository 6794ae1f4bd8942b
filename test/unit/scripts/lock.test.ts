// The setup lock (scripts/lib/lock.mjs) between real processes: a second
// setup waits while the first holds it and runs once it is released; a lock
// left by a process that is gone is taken over; one held too long fails with
// the file, the owner and the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { withLock } from '../../../scripts/lib/lock.mjs';
import { ROOT } from '../../helpers/runtime';
import { tmpDir } from '../../helpers/tmp';
import { waitFor } from '../../helpers/wait';

const LOCK_URL = pathToFileURL(path.join(ROOT, 'scripts', 'lib', 'lock.mjs')).href;

/** A node process that takes the lock, says so, and holds it until `release` exists. */
function holder(lock: string, release: string) {
  const code = `
    import { withLock } from ${JSON.stringify(LOCK_URL)};
    import * as fs from 'node:fs';
    withLock(${JSON.stringify(lock)}, () => {
      console.log('got');
      const s = new Int32Array(new SharedArrayBuffer(4));
      while (!fs.existsSync(${JSON.stringify(release)})) Atomics.wait(s, 0, 0, 20);
    }, { onWait: (pid) => console.log('waiting for ' + pid) });
    console.log('released');`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const out = { text: '' };
  p.stdout.on('data', (d) => (out.text += d));
  const exited = new Promise<number | null>((r) => p.once('exit', r));
  return { p, out, exited };
}

test('a second setup waits for the first and runs when it releases the lock', async (t) => {
  const dir = tmpDir(t, 'tunestudio-lock-');
  const lock = path.join(dir, 'setup.lock');
  const first = holder(lock, path.join(dir, 'release-1'));
  t.after(() => first.p.kill('SIGKILL'));
  await waitFor(() => first.out.text.includes('got'), 'the first holder to take the lock');
  assert.equal(fs.readFileSync(lock, 'utf8').trim(), String(first.p.pid));

  const second = holder(lock, path.join(dir, 'release-2'));
  t.after(() => second.p.kill('SIGKILL'));
  await waitFor(() => second.out.text.includes(`waiting for ${first.p.pid}`), 'the second to report that it waits');
  assert.ok(!second.out.text.includes('got'), 'the second does not run while the first holds the lock');

  fs.writeFileSync(path.join(dir, 'release-1'), '');
  assert.equal(await first.exited, 0);
  await waitFor(() => second.out.text.includes('got'), 'the second to take the lock');
  assert.equal(fs.readFileSync(lock, 'utf8').trim(), String(second.p.pid));
  fs.writeFileSync(path.join(dir, 'release-2'), '');
  assert.equal(await second.exited, 0);
  assert.equal(fs.existsSync(lock), false, 'released: the file is gone');
});

test('a lock left by a process that is gone is taken over at once', async (t) => {
  const dir = tmpDir(t, 'tunestudio-lock-');
  const lock = path.join(dir, 'setup.lock');
  const gone = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => gone.once('exit', r));
  fs.writeFileSync(lock, `${gone.pid}\n`);
  const waited: string[] = [];
  assert.equal(withLock(lock, () => fs.readFileSync(lock, 'utf8').trim(), { onWait: (pid) => waited.push(pid) }), String(process.pid));
  assert.deepEqual(waited, []);
  assert.equal(fs.existsSync(lock), false);
});

test('a lock held past the deadline fails with the file, the owner and the fix; the holder keeps it', async (t) => {
  const dir = tmpDir(t, 'tunestudio-lock-');
  const lock = path.join(dir, 'setup.lock');
  const first = holder(lock, path.join(dir, 'release'));
  t.after(() => first.p.kill('SIGKILL'));
  await waitFor(() => first.out.text.includes('got'), 'the holder to take the lock');
  assert.throws(
    () => withLock(lock, () => assert.fail('must not run'), { timeoutMs: 300 }),
    new RegExp(`setup\\.lock is still held by process ${first.p.pid} after 0s; if no setup is running, delete the file and try again`),
  );
  assert.equal(fs.readFileSync(lock, 'utf8').trim(), String(first.p.pid));
  fs.writeFileSync(path.join(dir, 'release'), '');
  assert.equal(await first.exited, 0);
});
