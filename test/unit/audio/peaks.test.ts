// Waveform peaks from real ffmpeg decodes into a real store: a tone that is
// loud in its first half and silent in its second shows exactly that, the
// duration is the file's, a second request is served from the store (no
// decode), a changed file is decoded again, and a dataset's empty or unknown
// samples get an error while the others still come back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { resolveAudioTools } from '../../../src/runtime/audio/ffmpeg';
import { PeaksCache, computePeaks, samplePeaks } from '../../../src/runtime/audio/peaks';
import { openDatabase } from '../../../src/runtime/store/db';
import { makeSample } from '../../helpers/audioFixtures';
import { tmpDir } from '../../helpers/tmp';

const tools = resolveAudioTools();

/** 2 s of a 440 Hz tone near full scale (lavfi's sine is at 1/8) followed by 2 s of silence. */
function toneThenSilence(file: string): void {
  const r = spawnSync(tools.ffmpeg, ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2:sample_rate=44100,volume=7', '-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=mono:d=2', '-filter_complex', '[0][1]concat=n=2:v=0:a=1', '-y', file]);
  assert.equal(r.status, 0, String(r.stderr));
}

const int8 = (b64: string) => new Int8Array(Buffer.from(b64, 'base64'));

test('peaks follow the audio: loud half, silent half, and the duration of the file', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'a.wav');
  toneThenSilence(file);
  const p = await computePeaks(file, tools, 100);
  assert.equal(p.buckets, 100);
  assert.ok(Math.abs(p.duration - 4) < 0.05, `duration ${p.duration}`);
  const d = int8(p.peaks);
  assert.equal(d.length, 200);
  const amp = (b: number) => d[2 * b + 1] - d[2 * b];
  for (let b = 2; b < 48; b++) assert.ok(amp(b) > 150, `bucket ${b} is loud (${amp(b)})`);
  for (let b = 52; b < 100; b++) assert.ok(amp(b) <= 2, `bucket ${b} is silent (${amp(b)})`);
});

test('peaks are cached in the store by path, size and mtime; a changed file is decoded again', async (t) => {
  const dir = tmpDir(t);
  const db = openDatabase(dir);
  t.after(() => db.close());
  const cache = new PeaksCache(() => db);
  const file = makeSample(dir, 'kick', { seconds: 1, freq: 200 });
  const a = await cache.get(file, tools, 50);
  const b = await cache.get(file, tools, 50);
  assert.equal(cache.counters.computed, 1, 'the second request is served from the store');
  assert.deepEqual(b, a);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM waveform_peaks').get() as { n: number }).n, 1);
  fs.rmSync(file);
  makeSample(dir, 'kick', { seconds: 2, freq: 300 });
  const c = await cache.get(file, tools, 50);
  assert.equal(cache.counters.computed, 2, 'a changed file is decoded again');
  assert.ok(c.duration > 1.5);
});

test("a dataset's samples: empty and unknown ones get an error, the rest come back", async (t) => {
  const dir = tmpDir(t);
  makeSample(dir, 'good', { seconds: 1 });
  fs.writeFileSync(path.join(dir, 'empty.mp3'), '');
  fs.writeFileSync(path.join(dir, 'broken.mp3'), 'not audio');
  const cache = new PeaksCache(() => null);
  const out = await samplePeaks({ dir, stems: ['good', 'empty', 'broken', 'nope'], buckets: 20 }, { realDir: dir, tools: () => tools, cache });
  assert.deepEqual(out.map((o) => o.stem), ['good', 'empty', 'broken', 'nope']);
  assert.equal(out[0].buckets, 20);
  assert.match(out[1].error!, /empty/);
  assert.match(out[2].error!, /cannot decode/);
  assert.match(out[3].error!, /no sample 'nope'/);
});
