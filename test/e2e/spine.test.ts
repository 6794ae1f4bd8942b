// The spine, as a user sees it: the packaged .vsix installed into code-server,
// the Tune Studio container with its four views and their empty states, and
// "Tune Studio: Show Runtime Status" run from the palette, its panel read
// through the webview frames. Screenshots go to test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDatabase } from '../../src/runtime/store/db';
import { LATEST_SCHEMA_VERSION } from '../../src/runtime/store/migrations';
import { ROOT } from '../helpers/runtime';
import { Studio, UI_TIMEOUT, exactly, renderedWelcomeText } from './harness';

interface Manifest {
  contributes: {
    views: Record<string, Array<{ id: string; name: string }>>;
    viewsWelcome: Array<{ view: string; contents: string }>;
  };
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const VIEWS = manifest.contributes.views.tuneStudio;

test('the packaged extension in code-server: four views with their empty states, and the Runtime Status panel', async (t) => {
  const studio = await Studio.start(t, {
    // An existing store, so the panel shows its schema version and the runtime opens it
    // with the better-sqlite3 shipped in the .vsix.
    seed: (ws) => {
      openDatabase(path.join(ws, '.tunestudio')).close();
    },
  });
  const { page } = studio;

  // The container and its four views, in the manifest's order.
  await studio.openContainer();
  assert.deepEqual(
    VIEWS.map((v) => v.name),
    ['Datasets', 'Jobs', 'Runs', 'Alerts'],
    'the manifest contributes the four views',
  );
  for (const v of VIEWS) await studio.viewPane(v.name).locator('.pane-header').waitFor({ state: 'visible' });
  assert.deepEqual(await studio.viewNames(), VIEWS.map((v) => v.name));

  // Each view's welcome content: its first line's text and its command links as buttons or links.
  for (const v of VIEWS) {
    const pane = await studio.expandView(v.name);
    const welcome = manifest.contributes.viewsWelcome.find((w) => w.view === v.id);
    assert.ok(welcome, `${v.name} has welcome content in package.json`);
    const [first, ...rest] = welcome.contents.split('\n');
    const content = studio.welcome(v.name);
    await content.filter({ hasText: renderedWelcomeText(first) }).waitFor({ state: 'visible' });
    for (const line of rest) {
      for (const m of line.matchAll(/\[([^\]]+)\]\(command:([\w.]+)\)/g)) {
        const label = renderedWelcomeText(m[1]);
        await content.locator('a', { hasText: exactly(label) }).first().waitFor({ state: 'visible' });
      }
    }
    assert.equal(await pane.locator('.monaco-list-row').count(), 0, `${v.name} is empty, so it shows its welcome content`);
  }
  await studio.screenshot('spine-1-container');

  // The Runtime Status panel, opened from the command palette.
  await studio.runCommand('Tune Studio: Show Runtime Status');
  await studio.editorTab('Tune Studio: Runtime Status').waitFor({ state: 'visible' });
  const panel = studio.webview();
  const field = (name: string) => panel.locator(`[data-field="${name}"]`);
  await field('state').filter({ hasText: exactly('running') }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });

  const nodeText = (await field('node').textContent())!.trim();
  assert.match(nodeText, /^v(\d+)\.\d+\.\d+ — \/\S*node\S*$/, 'the Node that runs the runtime and its path');
  assert.ok(Number(/^v(\d+)/.exec(nodeText)![1]) >= 20, `runtime Node ${nodeText} is 20 or newer`);
  const storeDir = path.join(studio.dirs.workspace, '.tunestudio');
  assert.equal((await field('storeDir').textContent())!.trim(), storeDir);
  assert.equal((await field('dbPath').textContent())!.trim(), path.join(storeDir, 'studio.db'));
  assert.equal((await field('schemaVersion').textContent())!.trim(), `${LATEST_SCHEMA_VERSION} (latest ${LATEST_SCHEMA_VERSION})`);

  const backends = panel.locator('table.backends tbody tr');
  const names = (await backends.locator('td:first-child').allTextContents()).map((s) => s.trim());
  for (const n of ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu', 'onnxruntime-node', 'ffmpeg', 'nvidia-smi']) assert.ok(names.includes(n), `backend ${n} is listed`);
  // Setup installs ffmpeg, and the .vsix ships tfjs and onnxruntime: these are available.
  for (const n of ['wasm', 'cpu', 'onnxruntime-node', 'ffmpeg']) {
    await panel.locator(`tr[data-backend="${n}"] td:nth-child(2)`).filter({ hasText: 'yes' }).waitFor({ state: 'visible' });
  }
  await studio.screenshot('spine-2-runtime-status');

  // The runtime runs from the installed copy and has loaded the SQLite binding shipped in the .vsix.
  const pid = Number((await field('pid').textContent())!.trim());
  assert.ok(pid > 0);
  if (process.platform === 'linux') {
    const installed = studio.installedExtensionDir();
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.includes(path.join(installed, 'dist', 'runtime.js')), `runtime started from the installed copy: ${cmdline.join(' ')}`);
    const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
    assert.ok(
      maps.includes(path.join(installed, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')),
      'the runtime loaded better_sqlite3.node from the installed .vsix',
    );
  }

  // The side bar still shows the container beside the panel, and Tune Studio raised no error.
  await page.locator('.sidebar .composite.title h2', { hasText: 'Tune Studio' }).waitFor({ state: 'visible' });
  const errors = page.locator('.notifications-toasts .notification-list-item', { has: page.locator('.codicon-error') });
  const texts = await errors.allInnerTexts();
  assert.deepEqual(texts.filter((x) => /Tune Studio/i.test(x)), [], 'no error notifications from Tune Studio');
});
