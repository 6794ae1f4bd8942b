// Runs the Python client's tests (test/python/, stdlib unittest) so `npm test`
// covers them: real Python — Debian's /usr/bin/python3 when it has PyTorch
// (python3-torch), else `python3` on PATH — against the built CLI and
// follower. Each test module is one test here; its unittest output is shown
// when it fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/cli';
import { startRuntime } from '../helpers/runtime';
import { tmpDir } from '../helpers/tmp';
import { waitFor } from '../helpers/wait';
import { openDatabase } from '../../src/runtime/store/db';
import { RunsListRequest } from '../../src/protocol/tracking';
import { terminalEnvironment, writeLauncher } from '../../src/extension/terminalEnvironment';

const TESTS = path.join(ROOT, 'test', 'python');

/** The Python to test with: the first candidate that imports torch, else the first that runs at all. */
function pickPython(): { exe: string; torch: boolean } | null {
  const candidates = [process.env.TUNESTUDIO_TEST_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  let fallback: string | null = null;
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', 'import sys; assert sys.version_info >= (3, 9); import torch'], { encoding: 'utf8' });
    if (r.status === 0) return { exe, torch: true };
    if (!fallback && spawnSync(exe, ['-c', 'import sys; assert sys.version_info >= (3, 9)']).status === 0) fallback = exe;
  }
  return fallback ? { exe: fallback, torch: false } : null;
}

const python = pickPython();
const modules = fs
  .readdirSync(TESTS)
  .filter((f) => /^test_.*\.py$/.test(f))
  .map((f) => f.slice(0, -3));

for (const mod of modules) {
  test(`python: ${mod}`, { skip: python ? false : 'no Python ≥ 3.9 found (install python3, and python3-torch for the PyTorch test)' }, async () => {
    assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'cli.js')), 'run `node scripts/build.mjs` first: the Python tests use the built CLI');
    const child = spawn(python!.exe, ['-W', 'ignore::ResourceWarning', '-m', 'unittest', '-v', mod], {
      cwd: TESTS,
      env: { ...process.env, TUNESTUDIO_NODE: process.execPath, PYTHONDONTWRITEBYTECODE: '1' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 0, `${python!.exe} -m unittest ${mod} failed${python!.torch ? '' : ' (no PyTorch: its test was skipped)'}:\n${out.slice(-12000)}`);
  });
}

test('the Python client ships in the .vsix (allow-list), its tests do not', async () => {
  const { pathToFileURL } = await import('node:url');
  const p = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'package.mjs')).href)) as { ignoreMatcher(text: string): (rel: string) => boolean };
  const included = p.ignoreMatcher(fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8'));
  const pyFiles = fs.readdirSync(path.join(ROOT, 'python', 'tunestudio'), { recursive: true }).map((f) => `python/tunestudio/${String(f).split(path.sep).join('/')}`);
  for (const f of [...pyFiles.filter((f) => f.endsWith('.py') || f.endsWith('py.typed')), 'python/pyproject.toml']) assert.equal(included(f), true, `${f} ships`);
  assert.ok(pyFiles.includes('python/tunestudio/integrations/__init__.py'));
  for (const f of ['test/python/test_client.py', 'python/tunestudio/__pycache__/_core.cpython-311.pyc']) assert.equal(included(f), false, `${f} stays out`);
});

test('VS Code open: the runtime follows the run file of a Python script in a terminal (no follower of its own)', { skip: python ? false : 'no Python ≥ 3.9' }, async (t) => {
  const dir = tmpDir(t);
  const storeDir = path.join(dir, '.tunestudio');
  openDatabase(storeDir).close();
  const rt = await startRuntime({ storeDir, workspaceFolders: [dir] });
  t.after(() => rt.stop());
  const info = path.join(storeDir, 'runfiles', 'follower.json');
  await waitFor(() => fs.existsSync(info) && JSON.parse(fs.readFileSync(info, 'utf8')).label === 'runtime', 'the runtime to hold the follow lease');
  const script = path.join(dir, 'train.py');
  fs.writeFileSync(script, 'import tunestudio as ts\nts.init(project="term", name="t1", config={"lr": 1})\nfor i in range(500):\n    ts.log({"loss": 1 / (i + 1)}, step=i)\nts.finish()\n');
  // A terminal's environment without Node or the CLI: only the runtime can ingest the run.
  const emptyBin = path.join(dir, 'bin');
  fs.mkdirSync(emptyBin);
  const env: NodeJS.ProcessEnv = { PATH: emptyBin, PYTHONPATH: path.join(ROOT, 'python'), TUNESTUDIO_DIR: storeDir, HOME: dir };
  const r = spawnSync(python!.exe, [script], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Nothing is lost/, 'the client saw the runtime following and started nothing');
  // finish() returned after the runtime settled the run.
  const runs = await rt.request(RunsListRequest.type, { project: 'term' });
  assert.equal(runs.length, 1);
  assert.equal(runs[0].status, 'finished');
  assert.equal(runs[0].headline?.last_step, 499);
  assert.deepEqual(fs.readdirSync(path.join(storeDir, 'runfiles')).filter((f) => f.endsWith('.log')), []);
});

test("a VS Code terminal's environment: `python train.py` is tracked with no setup, and `tunestudio` is on PATH", { skip: python ? false : 'no Python ≥ 3.9' }, async (t) => {
  const dir = tmpDir(t);
  const storeDir = path.join(dir, 'ws', '.tunestudio');
  const te = terminalEnvironment({ extensionPath: ROOT, nodePath: process.execPath, storeDir, binDir: path.join(dir, 'globalStorage', 'bin') });
  writeLauncher(te);
  // What EnvironmentVariableCollection makes of a shell whose PATH has no Node and no tunestudio.
  const bare = path.join(dir, 'bare-bin');
  fs.mkdirSync(bare);
  const env: NodeJS.ProcessEnv = { HOME: dir, PATH: te.prepend.PATH + bare, PYTHONPATH: te.prepend.PYTHONPATH, ...te.replace };
  const ws = path.join(dir, 'ws');
  fs.mkdirSync(ws, { recursive: true });
  fs.writeFileSync(path.join(ws, 'train.py'), 'import tunestudio as ts\nr = ts.init(project="terminal", name="typed")\nfor i in range(20):\n    ts.log({"loss": 1 / (i + 1)}, step=i)\nts.finish()\n');
  const r = spawnSync(python!.exe, ['train.py'], { cwd: ws, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Nothing is lost/);
  // The launcher (no shell of ours: it is executed as a file) runs the CLI on the runtime's Node.
  const out = spawnSync(te.launcher.file, ['runs', '--json'], { cwd: ws, env, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const runs = JSON.parse(out.stdout) as Array<{ name: string; status: string; headline: { last_step: number } | null }>;
  assert.deepEqual(runs.map((x) => [x.name, x.status, x.headline?.last_step]), [['typed', 'finished', 19]]);
  await waitFor(() => !fs.existsSync(path.join(storeDir, 'runfiles', 'follower.json')), 'the follower the client started to exit');
});
