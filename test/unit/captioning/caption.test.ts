import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CaptionResult } from '../../../src/protocol/datasets';
import { BUILT_IN_LABELS } from '../../../src/runtime/captioning/labels';
import { makeAudio, makeSample } from '../../helpers/audioFixtures';
import { makeDataset, makeService } from '../../helpers/datasets';
import { writeTinyClap } from '../../helpers/tinyClap';
import { tmpDir } from '../../helpers/tmp';

/** A dataset of three different sounds and a tiny CLAP model folder. */
function setup(t: { after(fn: () => void | Promise<void>): void }, opts: { storeDir?: string; modelDir?: string } = {}) {
  const modelDir = opts.modelDir ?? writeTinyClap(path.join(tmpDir(t), 'tiny-clap'));
  const ts = makeService(t, { captioningModelPath: modelDir, captioningOffline: true });
  const dir = makeDataset(ts.workspace, 'set', { triggerWord: 'trg' });
  makeSample(dir, 'low', { seconds: 3, freq: 110, lyrics: 'la' });
  makeSample(dir, 'high', { seconds: 3, freq: 4000, lyrics: 'la' });
  makeSample(dir, 'noise', { seconds: 12, kind: 'noise', seed: 3, lyrics: 'la' });
  return { ...ts, dir, modelDir };
}

const prompt = (dir: string, stem: string) => fs.readFileSync(path.join(dir, `${stem}_prompt.txt`), 'utf8');

test('captions are deterministic for the fixture model, trigger word first, one tag list per dimension', async (t) => {
  const a = setup(t);
  const r1 = await a.service.caption({ dir: a.dir });
  assert.equal(r1.status, 'done', r1.message);
  assert.deepEqual(r1.failed, []);
  assert.deepEqual(r1.captioned.map((c) => c.stem), ['high', 'low', 'noise']);
  assert.ok(r1.model.startsWith('local:'));
  for (const c of r1.captioned) {
    assert.equal(c.tags[0], 'trg');
    assert.ok(c.autoTags.length >= 3, `${c.stem}: ${c.autoTags}`);
    assert.equal(prompt(a.dir, c.stem), c.prompt + '\n');
    assert.equal(c.prompt, c.tags.join(', '));
  }
  assert.notDeepEqual(r1.captioned[0].autoTags, r1.captioned[2].autoTags, 'a tone and noise get different tags');
  // Same files, another store and another model folder written from the same seed: identical captions.
  const b = setup(t);
  const r2 = await b.service.caption({ dir: b.dir });
  assert.deepEqual(
    r2.captioned.map((c) => [c.stem, c.prompt]),
    r1.captioned.map((c) => [c.stem, c.prompt]),
  );
  assert.equal(a.service.captioner.embeddings.all((await a.service.captioner.clap()).keys.audio).length, 3);
  // The tree's caption state: captioned, then edited once the user changes the prompt.
  assert.deepEqual(a.service.samples(a.dir).map((s) => s.captionState), ['captioned', 'captioned', 'captioned']);
  fs.appendFileSync(path.join(a.dir, 'low_prompt.txt'), 'mine\n');
  assert.equal(a.service.samples(a.dir).find((s) => s.stem === 'low')!.captionState, 'edited');
});

test('label embeddings: computed once, reused from disk, recomputed when the labels or the model change', async (t) => {
  const a = setup(t);
  const labelCount = (BUILT_IN_LABELS as { dimensions: Array<{ labels: unknown[] }> }).dimensions.reduce((n, d) => n + d.labels.length, 0);
  const r1 = await a.service.caption({ dir: a.dir, stems: ['low'] });
  const clap1 = await a.service.captioner.clap();
  assert.equal(r1.textCacheHit, false);
  assert.equal(clap1.counters.textsEmbedded, labelCount);
  const cacheDir = a.service.captioner.textCache.dir;
  const files1 = fs.readdirSync(cacheDir);
  assert.equal(files1.length, 1);

  // Same runtime: no text model call at all.
  const r2 = await a.service.caption({ dir: a.dir, stems: ['low'] });
  assert.equal(r2.textCacheHit, true);
  assert.equal(clap1.counters.textRuns, Math.ceil(labelCount / 32));

  // A new process on the same store: the disk cache, not the model (a fresh instance with zero calls).
  const mtime = fs.statSync(path.join(cacheDir, files1[0])).mtimeMs;
  await a.service.captioner.dispose();
  const r3 = await a.service.caption({ dir: a.dir, stems: ['low'] });
  const clap2 = await a.service.captioner.clap();
  assert.notEqual(clap2, clap1);
  assert.equal(r3.textCacheHit, true);
  assert.equal(clap2.counters.textRuns, 0);
  assert.equal(fs.statSync(path.join(cacheDir, files1[0])).mtimeMs, mtime, 'cache file not rewritten');

  // A changed label list (one label renamed) can never reuse the old vectors.
  const labels = JSON.parse(JSON.stringify(BUILT_IN_LABELS));
  labels.dimensions[0].labels[0] = 'bubblegum pop';
  fs.writeFileSync(path.join(a.store.dir, 'caption-labels.json'), JSON.stringify(labels));
  const r4 = await a.service.caption({ dir: a.dir, stems: ['low'] });
  assert.equal(r4.textCacheHit, false);
  assert.equal(clap2.counters.textsEmbedded, labelCount);
  assert.equal(fs.readdirSync(cacheDir).length, 2);

  // A changed model (other weights, same folder path and id) can never reuse them either.
  writeTinyClap(a.modelDir, { seed: 99 });
  const r5 = await a.service.caption({ dir: a.dir, stems: ['low'] });
  const clap3 = await a.service.captioner.clap();
  assert.notEqual(clap3.keys.text, clap2.keys.text);
  assert.equal(r5.textCacheHit, false);
  assert.equal(clap3.counters.textsEmbedded, labelCount);
  assert.equal(r5.cacheHits, 0, 'audio embeddings of the old model are not reused');
  assert.equal(fs.readdirSync(cacheDir).length, 3);
});

test('audio embeddings are cached in the store by content hash and model', async (t) => {
  const a = setup(t);
  const r1 = await a.service.caption({ dir: a.dir });
  assert.deepEqual([r1.cacheHits, r1.cacheMisses], [0, 3]);
  const clap = await a.service.captioner.clap();
  const runs = clap.counters.audioRuns;
  assert.equal(runs, 3);
  assert.equal(clap.counters.windows, 1 + 1 + 2, '12 s of noise is two 10 s windows');
  // A renamed copy has the same content: no decode, no model call.
  fs.copyFileSync(path.join(a.dir, 'noise.mp3'), path.join(a.dir, 'noise2.mp3'));
  fs.writeFileSync(path.join(a.dir, 'noise2_lyrics.txt'), 'la');
  const r2 = await a.service.caption({ dir: a.dir });
  assert.deepEqual([r2.cacheHits, r2.cacheMisses], [4, 0]);
  assert.equal(clap.counters.audioRuns, runs);
  assert.deepEqual(r2.captioned.find((c) => c.stem === 'noise2')!.autoTags, r2.captioned.find((c) => c.stem === 'noise')!.autoTags);
  // A changed file is embedded again.
  makeAudio(path.join(a.dir, 'low.mp3'), { seconds: 3, freq: 150 });
  const r3 = await a.service.caption({ dir: a.dir, stems: ['low'] });
  assert.deepEqual([r3.cacheHits, r3.cacheMisses], [0, 1]);
  const rows = a.store.db.prepare(`SELECT count(*) FROM audio_embeddings WHERE model_key = ?`).pluck().get(clap.keys.audio);
  assert.equal(rows, 4);
});

test('user-written tags are kept, the captioner replaces only its own; overwrite replaces all', async (t) => {
  const a = setup(t);
  fs.writeFileSync(path.join(a.dir, 'low_prompt.txt'), 'my own tag, another one');
  const r1 = await a.service.caption({ dir: a.dir, stems: ['low'] });
  const c1 = r1.captioned[0];
  assert.deepEqual(c1.tags.slice(0, 3), ['trg', 'my own tag', 'another one']);
  assert.deepEqual(c1.tags.slice(3), c1.autoTags.filter((x) => !['my own tag', 'another one'].includes(x)));
  // Captioning again gives the same prompt: the previous automatic tags are not taken for the user's.
  const r2 = await a.service.caption({ dir: a.dir, stems: ['low'] });
  assert.equal(r2.captioned[0].prompt, c1.prompt);
  // A tag the user adds later is kept too.
  fs.writeFileSync(path.join(a.dir, 'low_prompt.txt'), c1.prompt + ', late addition');
  const r3 = await a.service.caption({ dir: a.dir, stems: ['low'] });
  assert.ok(r3.captioned[0].tags.includes('late addition'));
  const inoBefore = fs.statSync(path.join(a.dir, 'low_prompt.txt')).ino;
  const r4 = await a.service.caption({ dir: a.dir, stems: ['low'], overwrite: true });
  assert.notEqual(fs.statSync(path.join(a.dir, 'low_prompt.txt')).ino, inoBefore, 'replaced by rename, not rewritten in place');
  assert.deepEqual(r4.captioned[0].tags, ['trg', ...r4.captioned[0].autoTags]);
  // No temporary file is left behind.
  assert.deepEqual(fs.readdirSync(a.dir).filter((f) => f.startsWith('.')), []);
});

test('two batch requests at once on one dataset: the second is refused clearly, the state stays consistent', async (t) => {
  const a = setup(t);
  const first = a.service.caption({ dir: a.dir });
  await assert.rejects(
    a.service.caption({ dir: a.dir }),
    (e: Error) => e.name === 'CaptionBusyError' && /Dataset 'set' (is being captioned|has a caption batch waiting)/.test(e.message) && /cancel it/.test(e.message),
  );
  const r = await first;
  assert.equal(r.status, 'done');
  assert.equal(r.captioned.length, 3);
  for (const c of r.captioned) assert.equal(prompt(a.dir, c.stem), c.prompt + '\n');
  // The dataset is free again.
  const again = await a.service.caption({ dir: a.dir, stems: ['low'] });
  assert.equal(again.status, 'done');
  const ids = new Set(a.progress.map((p) => p.batchId));
  assert.equal(ids.size, 2, 'the refused request made no batch');
});

test('batches for two datasets queue: one runs at a time, each with its own consistent counters', async (t) => {
  const a = setup(t);
  const dir2 = makeDataset(a.workspace, 'second', { triggerWord: 'two' });
  makeSample(dir2, 'x', { seconds: 2, freq: 330, lyrics: 'la' });
  makeSample(dir2, 'y', { seconds: 2, freq: 990, lyrics: 'la' });
  const [r1, r2] = await Promise.all([a.service.caption({ dir: a.dir, batchId: 'A' }), a.service.caption({ dir: dir2, batchId: 'B' })]);
  assert.deepEqual([r1.status, r1.captioned.length, r2.status, r2.captioned.length], ['done', 3, 'done', 2]);
  assert.ok(r2.captioned.every((c) => c.tags[0] === 'two'));
  const phases = a.progress.map((p) => `${p.batchId}:${p.phase}`);
  assert.equal(phases[0], 'B:queued', 'B waits while A runs');
  const lastA = phases.lastIndexOf('A:done');
  const firstBWork = phases.indexOf('B:captioning');
  assert.ok(lastA >= 0 && firstBWork > lastA, `B starts after A finished: ${phases.join(' ')}`);
  for (const id of ['A', 'B']) {
    const done = a.progress.filter((p) => p.batchId === id && p.phase === 'captioning').map((p) => p.done);
    assert.deepEqual(done, [...done].sort((x, y) => x - y), `${id}: counters only grow`);
  }
  assert.equal(a.progress.find((p) => p.batchId === 'A' && p.phase === 'done')!.done, 3);
  assert.equal(a.progress.find((p) => p.batchId === 'B' && p.phase === 'done')!.done, 2);
});

test('cancel: a running batch stops after the current sample, a queued one never starts; prompts stay whole', async (t) => {
  const a = setup(t);
  const dir2 = makeDataset(a.workspace, 'second');
  makeSample(dir2, 'x', { seconds: 2, lyrics: 'la' });
  let cancelled = false;
  const results: CaptionResult[] = [];
  a.onProgress.push((p) => {
    if (!cancelled && p.batchId === 'A' && p.phase === 'captioning' && p.current === 'low') {
      cancelled = true;
      assert.equal(a.service.cancelCaption('B'), true);
      assert.equal(a.service.cancelCaption('A'), true);
    }
  });
  const pa = a.service.caption({ dir: a.dir, batchId: 'A' }).then((r) => results.push(r));
  const pb = a.service.caption({ dir: dir2, batchId: 'B' }).then((r) => results.push(r));
  await Promise.all([pa, pb]);
  const ra = results.find((r) => r.batchId === 'A')!;
  const rb = results.find((r) => r.batchId === 'B')!;
  assert.equal(ra.status, 'cancelled');
  assert.deepEqual(ra.captioned.map((c) => c.stem), ['high'], 'stopped before noise');
  assert.equal(rb.status, 'cancelled');
  assert.equal(rb.captioned.length, 0);
  assert.equal(fs.existsSync(path.join(dir2, 'x_prompt.txt')), false);
  assert.equal(fs.existsSync(path.join(a.dir, 'noise_prompt.txt')), false);
  assert.equal(prompt(a.dir, 'high'), ra.captioned[0].prompt + '\n');
  assert.equal(a.service.cancelCaption('A'), false, 'nothing left to cancel');
});

test('captioning refuses unknown samples and a prompt that is a symbolic link', async (t) => {
  const a = setup(t);
  await assert.rejects(a.service.caption({ dir: a.dir, stems: ['nope'] }), /no sample 'nope'/);
  const outside = path.join(tmpDir(t), 'victim.txt');
  fs.writeFileSync(outside, 'keep me');
  fs.symlinkSync(outside, path.join(a.dir, 'low_prompt.txt'));
  const r = await a.service.caption({ dir: a.dir, stems: ['low'] });
  assert.match(r.failed[0]?.message ?? '', /symbolic link/);
  assert.equal(fs.readFileSync(outside, 'utf8'), 'keep me');
});
