// The editor harness after its split into scripts/lib/: the one import the
// TypeScript callers use still offers every name it offered, the moved pieces
// work on real processes, dpkg and files, and nothing in scripts/ points
// outside the repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as harness from '../../../scripts/codeServer.mjs';
import { ensureAptPackages, missingAptPackages } from '../../../scripts/lib/apt.mjs';
import { runSync } from '../../../scripts/lib/processes.mjs';
import { ROOT } from '../../helpers/runtime';
import { tmpDir } from '../../helpers/tmp';
import { waitFor } from '../../helpers/wait';

test('scripts/codeServer.mjs still exports everything it exported before the split', () => {
  const before = [
    'APT_PACKAGES', 'CACHE_DIR', 'CHROMIUM', 'CHROMIUM_ARGS', 'CODE_SERVER_DIR', 'CODE_SERVER_ENTRY', 'CODE_SERVER_PKG',
    'CODE_SERVER_VERSION', 'ROOT', 'VSCODE_DIR', 'VSCODE_SERVER_MAIN', 'codeServerInstalled', 'ensureAptPackages',
    'ensureCodeServer', 'folderUrl', 'freePort', 'installVsix', 'killStrays', 'launchChromium', 'missingAptPackages',
    'nodeHeadersDir', 'npmNodeGyp', 'portInUse', 'requireCodeServer', 'startCodeServer', 'startVscodeServer', 'waitFor',
    'writeUserSettings',
  ];
  const now = Object.keys(harness);
  for (const name of before) assert.ok(now.includes(name), `${name} is exported`);
  assert.equal(harness.ROOT, ROOT);
  assert.equal(harness.CODE_SERVER_DIR, path.join(ROOT, '.cache', 'code-server'));
});

test('killStrays ends a process (and its group) whose command line names the folder, and only that one', async (t) => {
  const dir = tmpDir(t, 'tunestudio-strays-');
  const other = tmpDir(t, 'tunestudio-strays-');
  const spawnIdle = (folder: string) => {
    const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', folder], { detached: true, stdio: 'ignore' });
    t.after(() => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    });
    return p;
  };
  const target = spawnIdle(dir);
  const bystander = spawnIdle(other);
  const exited = new Promise((r) => target.once('exit', (_c, sig) => r(sig)));
  await waitFor(() => fs.existsSync(`/proc/${target.pid}/cmdline`) && fs.readFileSync(`/proc/${target.pid}/cmdline`, 'utf8').includes(dir), 'the child to show its command line');
  assert.equal(harness.killStrays(dir), 1);
  assert.equal(await exited, 'SIGKILL');
  assert.doesNotThrow(() => process.kill(bystander.pid!, 0), 'the other folder’s process keeps running');
  assert.equal(harness.killStrays('/tmp'), 0, 'a folder name shorter than 8 characters is refused');
});

test('writeUserSettings: the user’s own settings win over the defaults, `extra` wins over both', (t) => {
  const dir = tmpDir(t, 'tunestudio-settings-');
  fs.mkdirSync(path.join(dir, 'User'));
  fs.writeFileSync(path.join(dir, 'User', 'settings.json'), JSON.stringify({ 'workbench.startupEditor': 'welcomePage', 'editor.fontSize': 20 }));
  const file = harness.writeUserSettings(dir, { 'editor.fontSize': 14 });
  const s = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(s['workbench.startupEditor'], 'welcomePage');
  assert.equal(s['editor.fontSize'], 14);
  assert.equal(s['security.workspace.trust.enabled'], false);
  // Not plain JSON (a comment): the defaults, not a crash.
  fs.writeFileSync(file, '// mine\n{}');
  assert.equal(JSON.parse(fs.readFileSync(harness.writeUserSettings(dir), 'utf8'))['telemetry.telemetryLevel'], 'off');
});

test('missingAptPackages asks dpkg; ensureAptPackages with nothing to install runs nothing', { skip: spawnSync('dpkg-query', ['--version']).status !== 0 && 'no dpkg here' }, () => {
  assert.deepEqual(missingAptPackages(['coreutils', 'tunestudio-no-such-package']), ['tunestudio-no-such-package']);
  const lines: string[] = [];
  assert.deepEqual(ensureAptPackages({ pkgs: ['coreutils'], log: (l) => lines.push(l) }), []);
  assert.deepEqual(ensureAptPackages({ pkgs: [], log: (l) => lines.push(l) }), []);
  assert.deepEqual(lines, [], 'no apt-get when everything is installed');
});

test('runSync uses no shell and names the command and its exit code when it fails', () => {
  assert.equal(runSync(process.execPath, ['-e', 'process.stdout.write("a b")'], { quiet: true, log: () => {} }).stdout, 'a b');
  assert.throws(
    () => runSync(process.execPath, ['-e', 'process.exit(3)', '; echo injected'], { quiet: true, log: () => {} }),
    (e: Error) => /' failed \(exit 3\)/.test(e.message) && e.message.includes('; echo injected') && !/^injected/m.test(e.message),
  );
});

test('no file in scripts/ or .vscode/ points outside the repository', () => {
  const bad: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/(^|[^\w.])\.\.\/shared\b|\/work\/shared|notes\/environment\.md/.test(fs.readFileSync(p, 'utf8'))) bad.push(path.relative(ROOT, p));
    }
  };
  walk(path.join(ROOT, 'scripts'));
  walk(path.join(ROOT, '.vscode'));
  assert.deepEqual(bad, []);
});
