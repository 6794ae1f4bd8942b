import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeAudio, makeCorrupt, makeSample } from '../../helpers/audioFixtures';
import { makeDataset, makeService } from '../../helpers/datasets';
import { tmpDir } from '../../helpers/tmp';

const codes = (r: { problems: Array<{ code: string; file: string }> }, file: string) =>
  r.problems.filter((p) => p.file === file).map((p) => p.code).sort();

test('each rule gives a diagnostic on the right file; corrupt and empty audio do not crash', async (t) => {
  const { service, workspace, diagnostics } = makeService(t);
  const dir = makeDataset(workspace, 'mixed', { triggerWord: 'trg', duration: { min: 1, max: 3 } });
  const ok = makeSample(dir, 'ok', { seconds: 2, prompt: 'trg, rock', lyrics: 'words' });
  const long = makeSample(dir, 'long', { seconds: 5, freq: 300, prompt: 'trg, slow', lyrics: 'x' });
  makeSample(dir, 'notrig', { seconds: 2, freq: 500, prompt: 'rock, pop', lyrics: 'x' });
  const missing = makeSample(dir, 'missing', { seconds: 2, freq: 600 });
  makeSample(dir, 'emptytext', { seconds: 2, freq: 700, prompt: '', lyrics: '  \n ' });
  const corrupt = makeCorrupt(path.join(dir, 'corrupt.mp3'));
  fs.writeFileSync(path.join(dir, 'corrupt_prompt.txt'), 'trg');
  fs.writeFileSync(path.join(dir, 'corrupt_lyrics.txt'), 'x');
  const empty = path.join(dir, 'empty.wav');
  fs.writeFileSync(empty, '');
  fs.writeFileSync(path.join(dir, 'empty_prompt.txt'), 'trg');
  fs.writeFileSync(path.join(dir, 'empty_lyrics.txt'), 'x');
  const dup = path.join(dir, 'zdup.mp3');
  fs.copyFileSync(ok, dup);
  fs.writeFileSync(path.join(dir, 'zdup_prompt.txt'), 'trg');
  fs.writeFileSync(path.join(dir, 'zdup_lyrics.txt'), 'x');
  const upper = makeSample(dir, 'Upper', { ext: '.MP3', seconds: 2, freq: 800, prompt: 'trg', lyrics: 'x' });
  const wav = makeSample(dir, 'wavfile', { ext: '.wav', seconds: 2, freq: 900, prompt: 'trg', lyrics: 'x' });
  const orphan = path.join(dir, 'ghost_lyrics.txt');
  fs.writeFileSync(orphan, 'boo');

  const r = await service.validate(dir);
  assert.equal(r.ok, false);
  assert.equal(r.samples, 10);
  assert.deepEqual(codes(r, ok), []);
  assert.deepEqual(codes(r, long), ['duration-out-of-range']);
  assert.match(r.problems.find((p) => p.file === long)!.message, /5\.0 s long, outside the dataset's range 1–3 s/);
  assert.deepEqual(codes(r, path.join(dir, 'notrig_prompt.txt')), ['missing-trigger-word']);
  assert.deepEqual(codes(r, missing), ['missing-lyrics', 'missing-prompt']);
  assert.deepEqual(codes(r, path.join(dir, 'emptytext_prompt.txt')), ['empty-prompt']);
  assert.deepEqual(codes(r, path.join(dir, 'emptytext_lyrics.txt')), ['empty-lyrics']);
  assert.deepEqual(codes(r, corrupt), ['undecodable-audio']);
  assert.match(r.problems.find((p) => p.file === corrupt)!.message, /cannot be decoded: .+/);
  assert.deepEqual(codes(r, empty), ['empty-audio', 'not-mp3']);
  assert.deepEqual(codes(r, dup), ['duplicate-audio']);
  assert.equal(r.problems.find((p) => p.file === dup)!.related, ok);
  assert.deepEqual(codes(r, upper), ['unreadable-name']);
  assert.deepEqual(codes(r, wav), ['not-mp3']);
  assert.deepEqual(codes(r, orphan), ['orphan-text']);

  // Published as diagnostics, one list per file, with severities.
  const d = diagnostics.get(pathToFileURL(corrupt).href)!;
  assert.equal(d.length, 1);
  assert.equal(d[0].severity, 1);
  assert.equal(d[0].source, 'Tune Studio');
  assert.equal(diagnostics.get(pathToFileURL(path.join(dir, 'notrig_prompt.txt')).href)![0].severity, 2);
  assert.equal(diagnostics.get(pathToFileURL(dup).href)![0].relatedInformation![0].location.uri, pathToFileURL(ok).href);

  // Fixing a problem clears its diagnostics on the next validation.
  fs.writeFileSync(path.join(dir, 'notrig_prompt.txt'), 'trg, rock');
  fs.rmSync(corrupt);
  fs.rmSync(path.join(dir, 'corrupt_prompt.txt'));
  fs.rmSync(path.join(dir, 'corrupt_lyrics.txt'));
  await service.validate(dir);
  assert.equal(diagnostics.has(pathToFileURL(path.join(dir, 'notrig_prompt.txt')).href), false);
  assert.equal(diagnostics.has(pathToFileURL(corrupt).href), false);
  assert.equal(diagnostics.has(pathToFileURL(dup).href), true);
});

test('dataset.json problems point at the key; broken JSON at its position', async (t) => {
  const { service, workspace, diagnostics } = makeService(t);
  const dir = makeDataset(workspace, 'manifest');
  const file = path.join(dir, 'dataset.json');
  fs.writeFileSync(file, '{\n  "name": "m",\n  "duration": { "min": 10, "max": 2 },\n  "caption": { "topK": 0 }\n}\n');
  let r = await service.validate(dir);
  const m = r.problems.filter((p) => p.file === file);
  assert.deepEqual(m.map((p) => p.code), ['manifest-invalid', 'manifest-invalid', 'no-samples']);
  assert.equal(m.find((p) => /greater than/.test(p.message))!.range!.line, 2);
  assert.equal(m.find((p) => /topK/.test(p.message))!.range!.line, 3);
  fs.writeFileSync(file, '{\n  "name": "m",\n  oops\n}');
  r = await service.validate(dir);
  const bad = r.problems.find((p) => p.code === 'manifest-invalid')!;
  assert.match(bad.message, /not valid JSON/);
  assert.equal(bad.range!.line, 2);
  assert.ok(diagnostics.get(pathToFileURL(file).href)!.length >= 1);
});

test('validation reads no whole file: a 64 MiB lyrics file is not read, audio is probed once', async (t) => {
  const { service, workspace } = makeService(t);
  const dir = makeDataset(workspace, 'big');
  makeSample(dir, 'song', { seconds: 2, prompt: 'rock', lyrics: '' });
  const big = path.join(dir, 'song_lyrics.txt');
  const fd = fs.openSync(big, 'w');
  const chunk = Buffer.alloc(1 << 20, 'la la la\n');
  for (let i = 0; i < 64; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const readBytes = () => Number(/rchar: (\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))![1]);
  const canMeasure = fs.existsSync('/proc/self/io');
  const before = canMeasure ? readBytes() : 0;
  const r1 = await service.validate(dir);
  const read = canMeasure ? readBytes() - before : 0;
  assert.equal(r1.ok, true, JSON.stringify(r1.problems));
  if (canMeasure) assert.ok(read < 8 << 20, `validation read ${read} bytes (the lyrics file alone is 64 MiB)`);
  assert.equal(service.facts.counters.probed, 1);
  assert.equal(service.facts.counters.hashed, 0, 'no other file has the same size: no hashing');
  await service.validate(dir);
  assert.equal(service.facts.counters.probed, 1, 'second validation uses the cached probe');
  // A changed file is probed again.
  makeAudio(path.join(dir, 'song.mp3'), { seconds: 3 });
  await service.validate(dir);
  assert.equal(service.facts.counters.probed, 2);
});

test('a missing ffmpeg is one clear error naming the setting, not a crash', async (t) => {
  const { service, workspace } = makeService(t, { ffmpegPath: path.join(tmpDir(t), 'no-ffmpeg') });
  const dir = makeDataset(workspace, 'noff');
  makeSample(dir, 'a', { prompt: 'x', lyrics: 'y' });
  const r = await service.validate(dir);
  const p = r.problems.find((x) => x.code === 'undecodable-audio')!;
  assert.match(p.message, /tuneStudio\.audio\.ffmpegPath/);
  assert.equal(p.file, path.join(dir, 'dataset.json'));
});

test('links that leave the dataset folder are reported, not followed', async (t) => {
  const { service, workspace } = makeService(t);
  const dir = makeDataset(workspace, 'links');
  const outside = makeAudio(path.join(tmpDir(t), 'secret.mp3'));
  fs.symlinkSync(outside, path.join(dir, 'linked.mp3'));
  const r = await service.validate(dir);
  assert.deepEqual(codes(r, path.join(dir, 'linked.mp3')), ['link-outside']);
  assert.equal(service.facts.counters.probed, 0);
});
