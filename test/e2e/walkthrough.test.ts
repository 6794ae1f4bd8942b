// The walkthrough "Get started with Tune Studio", walked as a new user in
// code-server with the packaged .vsix (issue 14): it opens on the first
// start; its buttons start the demo job (a live run, a job-end toast) and a
// run whose loss turns NaN (the toast says the watcher stops it; no Stop
// Run); the two runs are compared; a dataset is made; the tiny demo model is
// trained offline from the demo's *.tunetrain.json and the adapter is
// written. Screenshots go to test-results/walkthrough-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Locator } from 'playwright-core';
import { ROOT } from '../helpers/runtime';
import { Studio, UI_TIMEOUT, exactly } from './harness';

async function waitUntil<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = UI_TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The webview frame whose document satisfies `expr`. */
async function frameWhere(studio: Studio, expr: string, what: string): Promise<Frame> {
  return waitUntil(async () => {
    for (const f of studio.page.frames()) {
      if (await f.evaluate(`(() => { try { return !!(${expr}); } catch { return false; } })()`).catch(() => false)) return f;
    }
    return undefined;
  }, what);
}

async function withFailureShot(studio: Studio, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    await studio.screenshot(`${name}-failed`, { settle: false }).catch(() => {});
    throw e;
  }
}

test('the walkthrough: demo job → live run → a NaN alert stops a run → compare → a dataset → the tiny LoRA trained', async (t) => {
  const studio = await Studio.start(t, {
    settings: { 'tuneStudio.walkthrough.openOnFirstRun': true },
    seed: (ws) => {
      for (const f of ['tiny-lora.tunetrain.json', 'lyrics.txt']) fs.copyFileSync(path.join(ROOT, 'demo', f), path.join(ws, f));
    },
  });
  const { page } = studio;
  const ws = studio.dirs.workspace;
  await withFailureShot(studio, 'walkthrough', async () => {
    const labelled = (view: string, label: string | RegExp) => studio.treeRows(view).filter({ has: page.locator('.label-name', { hasText: typeof label === 'string' ? exactly(label) : label }) });
    const toast = (text: string | RegExp) => page.locator('.notifications-toasts .notification-toast', { hasText: text });
    const walkthrough = page.locator('.gettingStartedContainer');
    /** Opens a step of the walkthrough (its title) and clicks one of its buttons. */
    const stepButton = async (step: string, button: string) => {
      await page.locator('.tabs-container .tab', { hasText: 'Walkthrough: Tune Studio' }).first().click();
      await walkthrough.locator('.getting-started-step', { hasText: step }).locator('.step-title').first().click();
      const b: Locator = walkthrough.locator('.getting-started-step.expanded .button-link, .getting-started-step.expanded a', { hasText: exactly(button) }).first();
      await b.waitFor({ state: 'visible' });
      await b.click();
    };

    // 1. The first start: the container's views activate the extension, and the walkthrough opens.
    await studio.openContainer();
    await walkthrough.locator('.getting-started-category-title, h2', { hasText: 'Get started with Tune Studio' }).first().waitFor({ state: 'visible', timeout: 120_000 });
    for (const step of ['Open the Tune Studio views', 'Start the demo job', 'Watch the dashboard', 'See a NaN alert stop a run', 'Compare runs', 'Make a dataset', 'Train a tiny LoRA']) {
      await walkthrough.locator('.getting-started-step', { hasText: step }).first().waitFor({ state: 'attached' });
    }
    await studio.screenshot('walkthrough-1-opened');

    // 2. Start the demo job: its run lives in the Runs view; the job's end is announced.
    await stepButton('Start the demo job', 'Start the Demo Job');
    await studio.expandView('Jobs');
    await studio.expandView('Runs');
    // Runs are rows at level 2, under their project (here also named "demo").
    const runRow = (name: string) => labelled('Runs', name).and(page.locator('[aria-level="2"]'));
    const project = labelled('Runs', 'demo').and(page.locator('[aria-level="1"]'));
    await project.waitFor({ state: 'visible' });
    if ((await project.getAttribute('aria-expanded')) === 'false') await project.click();
    await runRow('demo').waitFor({ state: 'visible' });
    await runRow('demo').click();
    await frameWhere(studio, 'window.__tuneStudio && window.__tuneStudio.ready() && window.__tuneStudio.runs().length === 1', 'the demo run dashboard');
    await studio.screenshot('walkthrough-2-dashboard', { settle: false });
    const demoEnd = toast(/job 'demo' finished after \d+s/);
    await demoEnd.waitFor({ state: 'visible', timeout: 90_000 });
    assert.match(await demoEnd.innerText(), /Show Log/);

    // 3. A run that diverges: the toast says what the watcher does, and offers no Stop Run.
    await stepButton('See a NaN alert stop a run', 'Start a Run that Diverges');
    const alertToast = toast("run 'demo-nan'");
    await alertToast.waitFor({ state: 'visible', timeout: 90_000 });
    const text = (await alertToast.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /train\/loss is NaN at step 60 — the watcher (is stopping the run: asked the trainer, SIGTERM in 10 s|stopped the run)\./);
    assert.equal(await alertToast.locator('.monaco-button', { hasText: /^(Stop Run|Ignore)$/ }).count(), 0, 'no Stop Run or Ignore on a run the watcher stops');
    await studio.screenshot('walkthrough-3-nan-alert', { settle: false });
    await toast(/job 'demo-nan' stopped after \d+s: .*train\/loss is NaN/).waitFor({ state: 'visible', timeout: 90_000 });
    await runRow('demo-nan').locator('.codicon-debug-stop').waitFor({ state: 'visible' });

    // 4. Compare the two runs.
    await runRow('demo').click();
    await runRow('demo-nan').click({ modifiers: ['Control'] });
    await runRow('demo-nan').click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    const labels = (await menu.locator('.action-item:not(.disabled) .action-label').allInnerTexts()).map((x) => x.trim());
    const i = labels.indexOf('Compare Selected');
    assert.ok(i >= 0, `"Compare Selected" in the menu: ${labels.join(', ')}`);
    for (let k = 0; k <= i; k++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await studio.editorTab('Compare Runs (2)').waitFor({ state: 'visible' });
    await frameWhere(studio, 'window.__tuneStudioCompare && window.__tuneStudioCompare.table().rows.length === 2', 'the compare table with both runs');
    await studio.screenshot('walkthrough-4-compare');
    await page.keyboard.press('Escape');

    // 5. Make a dataset.
    await stepButton('Make a dataset', 'New Dataset');
    const quick = page.locator('.quick-input-widget');
    const input = quick.locator('input.input');
    await quick.locator('.quick-input-title, .quick-input-message', { hasText: /New Dataset \(1\/2\)|Dataset name/ }).first().waitFor({ state: 'visible' });
    await input.fill('my first set');
    await page.keyboard.press('Enter');
    await quick.locator('.quick-input-title, .quick-input-message', { hasText: /New Dataset \(2\/2\)|Trigger word/ }).first().waitFor({ state: 'visible' });
    await input.fill('mfs');
    await page.keyboard.press('Enter');
    await waitUntil(() => fs.readdirSync(ws).find((d) => fs.existsSync(path.join(ws, d, 'dataset.json'))), 'the dataset folder with its dataset.json');
    await studio.expandView('Datasets');
    await labelled('Datasets', 'my first set').waitFor({ state: 'visible' });

    // 6. Train the tiny demo model offline from the demo's config: the adapter is written.
    await stepButton('Train a tiny LoRA', 'Start Training');
    await quick.locator('.monaco-list-row', { hasText: 'tiny-lora.tunetrain.json' }).click();
    const adapter = path.join(ws, 'lora-out', 'tiny-lora', 'adapter', 'adapter_model.safetensors');
    await waitUntil(() => fs.existsSync(adapter), 'the trained adapter', 180_000);
    await toast(/job 'tiny-lora' finished/).waitFor({ state: 'visible', timeout: 60_000 });
    assert.ok(fs.statSync(adapter).size > 0);
    await studio.screenshot('walkthrough-5-trained');
  });
});
