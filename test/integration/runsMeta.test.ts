// Renaming runs as a user does it: `tunestudio rename` as a real process on a
// real store (text and --json, refusals with exit code 1 and the store
// unchanged, refused when a team server is named), and the runtime's RunRenameRequest answering with the same rule
// and message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli, cliJson, SDK } from '../helpers/cli';
import { tmpDir } from '../helpers/tmp';
import { startRuntime } from '../helpers/runtime';
import { RunRenameRequest } from '../../src/protocol/tracking';

function seed(store: string, dir: string): void {
  const file = path.join(dir, 'seed.js');
  fs.writeFileSync(
    file,
    `const { init } = require(${JSON.stringify(SDK)});
     for (const name of ['alpha', 'beta']) { const r = init({ project: 'proj', name, config: { lr: 0.1 } }); r.log({ 'train/loss': 1 }, 0); r.finish(); }`,
  );
  const r = spawnSync(process.execPath, [file], { env: { ...process.env, TUNESTUDIO_DIR: store }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

type R = { id: string; name: string };

test('tunestudio rename: renames by name or id, says so, refuses an empty name and keeps the old one', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  seed(store, dir);
  const alpha = cliJson<R[]>(['runs'], { dir: store }).find((r) => r.name === 'alpha')!;

  const text = cli(['rename', 'alpha', '  lr 0.1 baseline '], { dir: store });
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout.trim(), `renamed alpha (${alpha.id}) to lr 0.1 baseline`);
  assert.equal(cliJson<R>(['show', alpha.id], { dir: store }).name, 'lr 0.1 baseline');

  const json = cliJson<{ run: R; previous_name: string }>(['rename', alpha.id, 'final'], { dir: store });
  assert.deepEqual(json, { run: { id: alpha.id, name: 'final' }, previous_name: 'lr 0.1 baseline' });

  const empty = cli(['rename', 'final', '   ', '--json'], { dir: store });
  assert.equal(empty.code, 1);
  assert.match(JSON.parse(empty.stderr).error as string, /^cannot rename run 'final' \(.+\): the new name is empty; give a name with at least one visible character$/);
  const names = cliJson<R[]>(['runs'], { dir: store }).map((r) => r.name).sort();
  assert.deepEqual(names, ['beta', 'final'], 'nothing renamed by the refused call');

  const unknown = cli(['rename', 'nope', 'x'], { dir: store });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /nope/);

  // With a team server named, nothing is renamed in the local store behind its back.
  const remote = cli(['rename', 'beta', 'gamma'], { dir: store, env: { TUNESTUDIO_SERVER: 'http://127.0.0.1:9' } });
  assert.equal(remote.code, 1);
  assert.match(remote.stderr, /tunestudio rename does not work against a team server yet .*will not quietly use a local store/);
  assert.ok(cliJson<R[]>(['runs'], { dir: store }).some((r) => r.name === 'beta'), 'beta kept its name');
});

test('the runtime request renames with the same rule and message as the CLI', async (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  seed(store, dir);
  const rt = await startRuntime({ storeDir: store });
  t.after(() => rt.stop());
  const run = await rt.request(RunRenameRequest.type, { run: 'beta', name: ' beta v2 ' });
  assert.equal(run.name, 'beta v2');
  assert.equal(cliJson<R>(['show', run.id], { dir: store }).name, 'beta v2', 'the store has it');
  const viaRuntime = await rt.request(RunRenameRequest.type, { run: run.id, name: 'a\nb' }).then(
    () => assert.fail('a two-line name was accepted'),
    (e: Error) => e.message,
  );
  const viaCli = JSON.parse(cli(['rename', run.id, 'a\nb', '--json'], { dir: store }).stderr).error as string;
  assert.equal(viaRuntime, viaCli, 'one rule, one message, whichever face');
  assert.match(viaCli, /control character/);
});
