// The dataset editor end to end: the packaged extension in code-server, the
// editor opened on a dataset.json as a user does (Quick Open; it is the
// default editor), driven in Chromium. A tag edit is an editor edit: Save
// writes the _prompt.txt, Undo brings the old prompt back; a bulk tag replace
// acts on the whole selection; Play moves the audio element's currentTime; a
// prompt changed on disk under an unsaved edit is said at once and Save asks
// before overwriting it; a dropped file with a hostile name is refused with
// nothing written; a 2,000-sample dataset keeps fewer than 100 rows in the
// DOM while scrolling to its end; waveforms are drawn from the runtime's
// peaks. Screenshots go to test-results/dataset-editor-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { makeSample } from '../helpers/audioFixtures';
import { Studio, UI_TIMEOUT } from './harness';

async function until<T>(what: string, fn: () => T | Promise<T>, timeout = UI_TIMEOUT): Promise<NonNullable<T>> {
  const end = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function openFile(studio: Studio, rel: string): Promise<void> {
  const quick = studio.page.locator('.quick-input-widget');
  if (await quick.isVisible()) await studio.page.keyboard.press('Escape');
  await studio.page.keyboard.press('Control+P');
  const input = quick.locator('input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(rel);
  // The row of this file (label dataset.json, description its folder), not the recently opened one listed first.
  const folder = path.dirname(rel);
  const row = quick.locator('.monaco-list-row', { hasText: 'dataset.json' }).filter({ has: studio.page.locator('.label-description', { hasText: new RegExp(`^${folder}$`) }) });
  await row.first().click();
  await quick.waitFor({ state: 'hidden' });
}

const chips = (frame: FrameLocator, stem: string) => frame.locator(`.de-row[data-stem="${stem}"] .c-tags .chip`).allInnerTexts();

test('dataset editor: edit a tag, Save, Undo, bulk replace, Play, a conflict on disk, a hostile drop, 2,000 rows virtualized', { timeout: 180_000 }, async (t) => {
  let beats = '';
  let big = '';
  const studio = await Studio.start(t, {
    seed: (ws) => {
      beats = path.join(ws, 'beats');
      fs.mkdirSync(beats);
      makeSample(beats, 'kick', { seconds: 3, freq: 200, prompt: 'bt, drums, punchy', lyrics: '[inst]' });
      makeSample(beats, 'snare', { seconds: 3, freq: 600, prompt: 'bt, drums', lyrics: '[inst]' });
      makeSample(beats, 'hat', { seconds: 3, freq: 900, prompt: 'bt, drums, bright', lyrics: '[inst]' });
      fs.writeFileSync(path.join(beats, 'dataset.json'), JSON.stringify({ version: 1, name: 'beats', triggerWord: 'bt' }, null, 2));
      big = path.join(ws, 'big');
      fs.mkdirSync(big);
      for (let i = 0; i < 2000; i++) {
        const stem = `clip_${String(i).padStart(4, '0')}`;
        fs.writeFileSync(path.join(big, `${stem}.mp3`), '');
        fs.writeFileSync(path.join(big, `${stem}_prompt.txt`), `big, tag${i % 7}`);
      }
      fs.writeFileSync(path.join(big, 'dataset.json'), JSON.stringify({ version: 1, name: 'big' }, null, 2));
    },
  });
  const page = studio.page;
  const prompt = (stem: string) => fs.readFileSync(path.join(beats, `${stem}_prompt.txt`), 'utf8');
  // Ctrl+S as a user presses it, in the editor's page (the webview hands editor keys to the workbench).
  // The palette is not used: the webview takes focus back from it while the editor activates.
  const save = async () => {
    await frame.locator('#count').click();
    await page.keyboard.press('Control+s');
  };

  await openFile(studio, 'beats/dataset.json');
  const frame = studio.webview();
  await frame.locator('.de-row[data-stem="kick"]').waitFor({ state: 'visible' });
  assert.deepEqual(await chips(frame, 'kick'), ['bt', 'drums', 'punchy']);
  assert.equal(await frame.locator('#name').innerText(), 'beats');
  // The waveform is drawn from the runtime's peaks (the page decodes no audio): ink where the tone is.
  const wave = frame.locator('.de-row[data-stem="kick"] canvas[data-wave]');
  await wave.waitFor({ state: 'visible' });
  const inked = await wave.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n / (c.width * c.height);
  });
  assert.ok(inked > 0.1, `a steady tone (lavfi's sine, 1/8 of full scale) inks its band of the waveform (${inked.toFixed(2)})`);
  await until('the probed duration', async () => /^0:03/.test(await frame.locator('.de-row[data-stem="kick"] .c-dur').innerText()));

  // Edit a tag: remove 'punchy', add 'deep'. Nothing is written before Save; the tab is dirty.
  await frame.locator('.de-row[data-stem="kick"] .c-file').click();
  await frame.locator('#chips button[data-remove-tag="punchy"]').click();
  await frame.locator('#add-tag').fill('deep');
  await frame.locator('#add-tag').press('Enter');
  await until('the kick row with the new tags', async () => JSON.stringify(await chips(frame, 'kick')) === JSON.stringify(['bt', 'drums', 'deep']));
  assert.equal(prompt('kick'), 'bt, drums, punchy', 'not written before Save');
  await until('a dirty editor tab', () => page.locator('.tabs-container .tab.dirty', { hasText: 'dataset.json' }).isVisible());
  await save();
  await until('kick_prompt.txt saved', () => prompt('kick') === 'bt, drums, deep');
  await until('a clean tab', async () => !(await page.locator('.tabs-container .tab.dirty', { hasText: 'dataset.json' }).isVisible()));

  // Undo (Ctrl+Z in the table) twice: the prompt is back; saved, the file is too.
  await frame.locator('.de-row[data-stem="kick"] .c-file').click();
  await page.keyboard.press('Control+z');
  await until('the added tag undone', async () => JSON.stringify(await chips(frame, 'kick')) === JSON.stringify(['bt', 'drums']));
  await page.keyboard.press('Control+z');
  await until('the removed tag back', async () => JSON.stringify(await chips(frame, 'kick')) === JSON.stringify(['bt', 'drums', 'punchy']));
  await save();
  await until('kick_prompt.txt restored on disk', () => prompt('kick') === 'bt, drums, punchy');

  // Bulk: Ctrl+A selects every shown row; replace the tag 'drums' across the selection.
  await frame.locator('.de-row[data-stem="kick"] .c-file').click();
  await page.keyboard.press('Control+a');
  await until('3 selected', async () => (await frame.locator('#sel-count').innerText()) === '3 selected');
  await frame.locator('#bulk-from').fill('drums');
  await frame.locator('#bulk-to').fill('percussion');
  await frame.locator('#bulk-replace-tag').click();
  await until('every row with percussion', async () => {
    for (const s of ['kick', 'snare', 'hat']) if (!(await chips(frame, s)).includes('percussion')) return false;
    return true;
  });
  await save();
  await until('all three prompt files replaced', () => prompt('kick') === 'bt, percussion, punchy' && prompt('snare') === 'bt, percussion' && prompt('hat') === 'bt, percussion, bright');

  // Play: the audio element plays the sample (its currentTime moves).
  await frame.locator('.de-row[data-stem="hat"] [data-action="play"]').click();
  await until('the player moving', async () => (await frame.locator('#player').evaluate((a: HTMLAudioElement) => a.currentTime)) > 0.2);
  assert.match(await frame.locator('#player').evaluate((a: HTMLAudioElement) => a.currentSrc), /hat\.mp3$/);
  await frame.locator('.de-row[data-stem="hat"] [data-action="play"]').click();
  await studio.screenshot('dataset-editor-beats', { settle: false });

  // A prompt changed on disk while it has an unsaved edit: said at once; Save asks; Cancel keeps the disk version.
  await frame.locator('.de-row[data-stem="snare"] .c-file').click();
  await frame.locator('#add-tag').fill('mine');
  await frame.locator('#add-tag').press('Enter');
  await until('the unsaved tag', async () => (await chips(frame, 'snare')).includes('mine'));
  fs.writeFileSync(path.join(beats, 'snare_prompt.txt'), 'theirs');
  await page.locator('.notifications-toasts .notification-toast', { hasText: "'snare_prompt.txt' changed on disk while the dataset editor has unsaved edits" }).waitFor({ state: 'visible' });
  await save();
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible' });
  assert.match(await dialog.innerText(), /'snare_prompt\.txt' has changed on disk since the dataset editor read it\. Overwrite/);
  await dialog.locator('a.monaco-button, button', { hasText: 'Cancel' }).first().click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(prompt('snare'), 'theirs', 'Cancel overwrote nothing');
  await save();
  await dialog.waitFor({ state: 'visible' });
  await dialog.locator('a.monaco-button, button', { hasText: 'Overwrite' }).first().click();
  await until('snare_prompt.txt overwritten after asking', () => prompt('snare') === 'bt, percussion, mine');

  // A dropped file whose name is a path: refused by the importer, nothing written.
  const before = fs.readdirSync(beats).sort();
  await frame.locator('#app').evaluate((app) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array([0xff, 0xfb, 0x90, 0x00])], '../../evil.mp3', { type: 'audio/mpeg' }));
    app.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await until('the refusal in the page', async () => /refused; nothing was copied[\s\S]*path separator/.test(await frame.locator('#notice').innerText()));
  assert.deepEqual(fs.readdirSync(beats).sort(), before, 'nothing written in the dataset');
  assert.ok(!fs.existsSync(path.join(beats, '..', '..', 'evil.mp3')) && !fs.existsSync(path.join(beats, '..', 'evil.mp3')), 'nothing written outside it');

  // 2,000 samples: fewer than 100 rows in the DOM from the top to the end.
  // Close the (saved) editor with its tab's close button.
  await page.locator('.tabs-container .tab', { hasText: 'dataset.json' }).first().hover();
  await page.locator('.tabs-container .tab', { hasText: 'dataset.json' }).first().locator('.tab-actions .action-label').click();
  await page.locator('iframe.webview.ready').first().waitFor({ state: 'detached' });
  await openFile(studio, 'big/dataset.json');
  const bigFrame = studio.webview();
  await bigFrame
    .locator('.de-row[data-stem="clip_0000"]')
    .waitFor({ state: 'visible' })
    .catch(async (e: Error) => {
      await studio.screenshot('dataset-editor-big-failed', { settle: false });
      throw new Error(`${e.message}\n${studio.serverLog()}`);
    });
  assert.match(await bigFrame.locator('#count').innerText(), /^2000 of 2000 samples/);
  const rows = bigFrame.locator('#rows');
  let maxRows = 0;
  for (let i = 0; i < 12; i++) {
    await rows.evaluate((el, f) => (el.scrollTop = f * (el.scrollHeight - el.clientHeight)), i / 11);
    const n = await bigFrame.locator('.de-row').count();
    maxRows = Math.max(maxRows, n);
  }
  await bigFrame.locator('.de-row[data-stem="clip_1999"]').waitFor({ state: 'visible' });
  maxRows = Math.max(maxRows, await bigFrame.locator('.de-row').count());
  assert.ok(maxRows > 0 && maxRows < 100, `rows in the DOM while scrolling: ${maxRows}`);
  await studio.screenshot('dataset-editor-big', { settle: false });
});
