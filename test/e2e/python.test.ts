// The Python client as a user meets it: `python3 train.py` typed into a VS
// Code terminal of the workspace (code-server, the packaged .vsix), with no
// setup — the extension's terminal environment brings the client, the
// `tunestudio` command and the store — and the run appears live in the Runs
// view (spinning while the script runs), then as finished; then
// `tunestudio --version` typed into the same terminal answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDatabase } from '../../src/runtime/store/db';
import { Studio, exactly } from './harness';

const TRAIN = `import os, time
import tunestudio as ts
ts.init(project="terminal", name="typed-in-terminal", config={"lr": 0.01})
step = 0
while not os.path.exists("stop.flag"):   # runs until the test has seen it live
    ts.log({"train/loss": 1.0 / (step + 1)}, step=step)
    ts.should_stop()
    step += 1
    time.sleep(0.05)
ts.finish()
open("done.flag", "w").close()
`;

test('python3 train.py in a VS Code terminal is tracked with no setup and shows live in the Runs view', async (t) => {
  let ws = '';
  const studio = await Studio.start(t, {
    seed: (dir) => {
      ws = dir;
      fs.writeFileSync(path.join(dir, 'train.py'), TRAIN);
      openDatabase(path.join(dir, '.tunestudio')).close();
    },
  });
  const { page } = studio;
  await studio.openContainer();
  const runs = await studio.expandView('Runs');
  // The terminal environment is applied once the runtime runs: its follower then holds the store.
  const follower = path.join(ws, '.tunestudio', 'runfiles', 'follower.json');
  await waitUntil(() => fs.existsSync(follower) && JSON.parse(fs.readFileSync(follower, 'utf8')).label === 'runtime', 'the runtime to follow the store');

  await studio.runCommand('Terminal: Create New Terminal');
  await page.locator('.terminal-wrapper.active .xterm').waitFor({ state: 'visible' });
  await page.locator('.terminal-wrapper.active .xterm').click();
  await page.keyboard.type('python3 train.py');
  await page.keyboard.press('Enter');

  const row = runs.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exactly('typed-in-terminal') }) });
  await row.locator('.codicon-sync.codicon-modifier-spin').waitFor({ state: 'visible' });
  // Its headline metric updates while it runs (the runtime ingests the run file live).
  await row.filter({ hasText: /train\/loss/ }).waitFor({ state: 'visible' });
  await studio.screenshot('python-1-terminal-run-live');
  fs.writeFileSync(path.join(ws, 'stop.flag'), '');
  await waitUntil(() => fs.existsSync(path.join(ws, 'done.flag')), 'the script to finish');
  await row.locator('.codicon-pass').waitFor({ state: 'visible' });
  const db = openDatabase(path.join(ws, '.tunestudio'));
  try {
    const r = db.prepare(`SELECT status, config FROM runs WHERE name = 'typed-in-terminal'`).get() as { status: string; config: string };
    assert.equal(r.status, 'finished');
    assert.equal(JSON.parse(r.config).lr, 0.01);
  } finally {
    db.close();
  }

  // The CLI is on the terminal's PATH too (issue 14: `tunestudio --version` typed into a terminal answers).
  const version = (JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
  const answer = path.join(ws, 'tunestudio-version.txt');
  await page.locator('.terminal-wrapper.active .xterm').click();
  await page.keyboard.type('tunestudio --version > tunestudio-version.txt');
  await page.keyboard.press('Enter');
  await waitUntil(() => fs.existsSync(answer) && fs.readFileSync(answer, 'utf8').trim() === version, `\`tunestudio --version\` to answer ${version} in the terminal`);
});

async function waitUntil(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
