// Clients routed to the team server, never silently local (issue 17, seed
// 001 review B1, B2, S1, M9): the real CLI with TUNESTUDIO_SERVER and
// TUNESTUDIO_TOKEN against a real server process. Each test would fail on
// trackio's behaviour: status kept in a local stub (B1), alert data dropped
// on the way (B2), commands that quietly use the local store (S1), reads
// answered from local, stale data (M9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { buildProgram } from '../../src/cli/main';
import { CliContext } from '../../src/cli/context';
import { REMOTE_COMMANDS } from '../../src/cli/server';
import { RemoteClient, runPath } from '../../src/runtime/remote/client';
import { cli, SDK } from '../helpers/cli';
import { startServer } from '../helpers/teamServer';
import { tmpDir } from '../helpers/tmp';

/** A workspace folder for the client: TUNESTUDIO_DIR points into it, and nothing may appear there. */
function clientDir(t: Parameters<typeof tmpDir>[0]): { dir: string; store: string } {
  const dir = tmpDir(t, 'tunestudio-client-');
  return { dir, store: path.join(dir, '.tunestudio') };
}

function remoteCli(args: string[], o: { store: string; cwd: string; url: string; token: string }) {
  return cli(args, { dir: o.store, cwd: o.cwd, env: { TUNESTUDIO_SERVER: o.url, TUNESTUDIO_TOKEN: o.token } });
}

test('B1 + M9: a status written through the server is what the CLI reads from it, and a local store with other runs is not read', async (t) => {
  const serverDir = tmpDir(t);
  const s = await startServer(t, serverDir);
  const w = new RemoteClient({ url: s.url, token: s.tokens.write });
  const run = await w.call<{ id: string }>('POST', '/runs', { body: { project: 'team', name: 'remote-run' } });
  await w.call('POST', runPath(run.id, '/metrics'), { body: { points: [{ step: 0, metrics: { loss: 2 } }, { step: 1, metrics: { loss: 1 } }] } });
  await w.call('POST', runPath(run.id, '/status'), { body: { status: 'failed', exit_code: 3, reason: 'OOM' } });
  // A local store beside the client with a stale run of the same name: trackio would read this.
  const c = clientDir(t);
  const { Tracker } = await import('../../src/runtime/tracking/tracker');
  const { openDatabase } = await import('../../src/runtime/store/db');
  const db = openDatabase(c.store);
  new Tracker(db).createRun({ project: 'team', name: 'remote-run' });
  db.close();
  const o = { store: c.store, cwd: c.dir, url: s.url, token: s.tokens.read };
  const runs = remoteCli(['runs', '--json'], o);
  assert.equal(runs.code, 0, runs.stderr);
  const list = JSON.parse(runs.stdout) as Array<{ id: string; status: string }>;
  assert.deepEqual(list.map((r) => [r.id, r.status]), [[run.id, 'failed']]);
  const show = remoteCli(['show', 'remote-run', '--project', 'team', '--json'], o);
  assert.equal(show.code, 0, show.stderr);
  const d = JSON.parse(show.stdout) as { id: string; status: string; exit_code: number; reason: string; summary: Record<string, { count: number }> };
  assert.deepEqual([d.id, d.status, d.exit_code, d.reason, d.summary.loss.count], [run.id, 'failed', 3, 'OOM', 2]);
  const hist = remoteCli(['history', run.id, 'loss', '--json'], o);
  assert.deepEqual((JSON.parse(hist.stdout) as { values: number[] }).values, [2, 1]);
  const best = remoteCli(['best', '--metric', 'loss', '--include-all', '--json'], o);
  assert.equal((JSON.parse(best.stdout) as { run: { id: string } }).run.id, run.id);
  assert.equal(remoteCli(['summary', '--json'], o).code, 0);
  assert.equal(remoteCli(['compare', run.id, '--json'], o).code, 0);
  // A read token cannot stop or delete: the server's 403 reaches the user, naming the role.
  const stop = remoteCli(['stop', run.id], o);
  assert.equal(stop.code, 1);
  assert.match(stop.stderr, /role 'read'.*needs 'write'/);
});

test('B2: alert data (nested, NaN, Infinity, unicode) arrives whole through the server and the CLI', async (t) => {
  const serverDir = tmpDir(t);
  const s = await startServer(t, serverDir);
  const w = new RemoteClient({ url: s.url, token: s.tokens.write });
  const run = await w.call<{ id: string }>('POST', '/runs', { body: { project: 'team' } });
  const data = { value: 'NaN', threshold: 'Infinity', history: [1, 'NaN', 3], nested: { 'ключ': 'значение', q: `it's "x"` } };
  await w.call('POST', runPath(run.id, '/alerts'), { body: { title: 'diverged', level: 'error', metric: 'loss', step: 7, data } });
  const c = clientDir(t);
  const r = remoteCli(['alerts', '--json'], { store: c.store, cwd: c.dir, url: s.url, token: s.tokens.read });
  assert.equal(r.code, 0, r.stderr);
  const alerts = JSON.parse(r.stdout) as Array<{ title: string; data: unknown; step: number; metric: string }>;
  const a = alerts.find((x) => x.title === 'diverged');
  assert.ok(a, r.stdout);
  assert.deepEqual([a.data, a.step, a.metric], [data, 7, 'loss']);
  assert.ok(!fs.existsSync(c.store), 'no local store was created for the remote project');
});

test('S1: with a server named, every CLI command goes to it or refuses naming itself; none creates a local store; the Node SDK refuses too', async (t) => {
  const serverDir = tmpDir(t);
  const s = await startServer(t, serverDir);
  const w = new RemoteClient({ url: s.url, token: s.tokens.admin });
  const run = await w.call<{ id: string }>('POST', '/runs', { body: { project: 'team', name: 'r' } });
  await w.call('POST', runPath(run.id, '/status'), { body: { status: 'finished' } }); // so that delete may delete it
  const c = clientDir(t);
  const o = { store: c.store, cwd: c.dir, url: s.url, token: s.tokens.admin };
  // Every leaf command of the real program, with its required arguments and options filled.
  const program = buildProgram(new CliContext());
  const leaves: Array<{ path: string[]; cmd: Command }> = [];
  const walk = (cmd: Command, at: string[]) => {
    for (const sub of cmd.commands) {
      if (sub.commands.length) walk(sub, [...at, sub.name()]);
      if (!sub.commands.length || (sub as unknown as { _actionHandler: unknown })._actionHandler) leaves.push({ path: [...at, sub.name()], cmd: sub });
    }
  };
  walk(program, []);
  assert.ok(leaves.length >= 20, `found ${leaves.length} commands`);
  const remoteSeen = new Set<string>();
  for (const { path: p, cmd } of leaves) {
    const name = p.join(' ');
    if (p[0] === 'server') continue; // the server itself, on its own store
    const args = cmd.registeredArguments.filter((a) => a.required).map(() => run.id);
    for (const opt of cmd.options) if (opt.mandatory || opt.required && opt.long === '--metric') args.push(opt.long!, opt.argChoices?.[0] ?? 'loss');
    if (name === 'delete') args.push('--yes');
    const r = remoteCli([...p, ...args], o);
    if (REMOTE_COMMANDS.has(name)) {
      remoteSeen.add(name);
      assert.doesNotMatch(r.stderr, /does not work against a team server/, `${name} works remotely`);
      // It reached the server: either an answer, or the server's own error (e.g. no 'loss' metric there).
      assert.ok(r.code === 0 || /server http:\/\/127\.0\.0\.1/.test(r.stderr), `${name}: ${r.code} ${r.stderr}`);
    } else {
      assert.notEqual(r.code, 0, `${name} must not succeed on a local store while a server is named`);
      assert.match(r.stderr, new RegExp(`tunestudio ${name} does not work against a team server yet`), `${name} refuses by name: ${r.stderr}`);
    }
    assert.ok(!fs.existsSync(c.store), `${name} created no local store`);
  }
  assert.deepEqual([...remoteSeen].sort(), [...REMOTE_COMMANDS].sort());
  // The delete above went to the server: the run is gone there.
  await assert.rejects(w.call('GET', runPath(run.id)), /no run/);
  // --server on the command line routes the same way.
  const flag = cli(['runs', '--server', s.url, '--json'], { dir: c.store, cwd: c.dir, env: { TUNESTUDIO_TOKEN: s.tokens.read } });
  assert.equal(flag.code, 0, flag.stderr);
  assert.deepEqual(JSON.parse(flag.stdout), []);
  // A server that is not there is an error naming it, not an empty local answer.
  const gone = cli(['runs'], { dir: c.store, cwd: c.dir, env: { TUNESTUDIO_SERVER: 'http://127.0.0.1:9', TUNESTUDIO_TOKEN: s.tokens.read } });
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /the server http:\/\/127\.0\.0\.1:9 cannot be reached/);
  // The Node SDK refuses rather than writing a local store.
  const sdk = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(SDK)}).init({ project: 'p' })`], { cwd: c.dir, env: { ...process.env, TUNESTUDIO_DIR: c.store, TUNESTUDIO_SERVER: s.url, TUNESTUDIO_TOKEN: s.tokens.write }, encoding: 'utf8' });
  assert.notEqual(sdk.status, 0);
  assert.match(sdk.stderr, /TUNESTUDIO_SERVER is set .* will not write a local store/);
  assert.ok(!fs.existsSync(c.store), 'the SDK created no local store');
});
