import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeAudio, decodeWindows, streamPcm, windowStarts } from '../../../src/runtime/audio/decode';
import { FfmpegMissingError, resolveAudioTools } from '../../../src/runtime/audio/ffmpeg';
import { probeAudio } from '../../../src/runtime/audio/probe';
import { makeAudio, makeCorrupt } from '../../helpers/audioFixtures';
import { tmpDir } from '../../helpers/tmp';

const tools = resolveAudioTools();

test('decodes wav, flac, ogg and mp3 to 48 kHz mono float32', async (t) => {
  const dir = tmpDir(t);
  for (const ext of ['.wav', '.flac', '.ogg', '.mp3']) {
    const f = makeAudio(path.join(dir, `tone${ext}`), { seconds: 1.5, freq: 1000, sampleRate: 44100, channels: 2 });
    const pcm = await decodeAudio(f, tools);
    // mp3 and ogg add encoder padding; lossless formats are exact.
    const expected = 1.5 * 48000;
    if (ext === '.wav' || ext === '.flac') assert.equal(pcm.length, expected, ext);
    else assert.ok(Math.abs(pcm.length - expected) < 4800, `${ext}: ${pcm.length}`);
    // A 1 kHz sine at 48 kHz: zero crossings about 2000 per second.
    let crossings = 0;
    for (let i = 1; i < 48000; i++) if (pcm[i - 1] < 0 !== pcm[i] < 0) crossings++;
    assert.ok(Math.abs(crossings - 2000) < 20, `${ext}: ${crossings} zero crossings`);
    const peak = pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(peak > 0.05 && peak <= 1.01, `${ext}: peak ${peak}`);
  }
});

test('memory stays bounded: only the requested windows are kept and ffmpeg stops early', async (t) => {
  const f = makeAudio(path.join(tmpDir(t), 'long.wav'), { seconds: 30, kind: 'noise', sampleRate: 48000, channels: 1 });
  const starts = windowStarts(30, 48000, 48000, 3);
  assert.deepEqual(starts, [4.5 * 48000, 14.5 * 48000, 24.5 * 48000]);
  const full = await decodeAudio(f, tools);
  const wins = await decodeWindows(f, tools, starts, 48000);
  assert.equal(wins.length, 3);
  wins.forEach((w, i) => assert.deepEqual(w, full.subarray(starts[i], starts[i] + 48000)));
  // Stopping after the first 2 s: the stream ends long before the file does.
  let delivered = 0;
  const n = await streamPcm(f, tools, (s) => {
    delivered += s.length;
    return delivered < 2 * 48000;
  });
  assert.ok(n < 10 * 48000, `read ${n} samples of ${30 * 48000}`);
  assert.deepEqual(windowStarts(5, 48000 * 10, 48000, 3), [0], 'short clip: one window');
});

test('probe reads duration and codec from headers; corrupt and empty files give reasons', async (t) => {
  const dir = tmpDir(t);
  const p = await probeAudio(makeAudio(path.join(dir, 'a.flac'), { seconds: 2.5 }), tools);
  assert.equal(p.ok, true);
  assert.equal(p.codec, 'flac');
  assert.equal(p.sampleRate, 44100);
  assert.equal(p.channels, 2);
  assert.ok(Math.abs(p.duration! - 2.5) < 0.01);
  const bad = await probeAudio(makeCorrupt(path.join(dir, 'bad.mp3')), tools);
  assert.equal(bad.ok, false);
  assert.ok(bad.error && !bad.error.includes(dir), bad.error);
  fs.writeFileSync(path.join(dir, 'empty.wav'), '');
  assert.equal((await probeAudio(path.join(dir, 'empty.wav'), tools)).ok, false);
  // Without ffprobe the same facts come from `ffmpeg -i`.
  const noProbe = { ...tools, ffprobe: null };
  const q = await probeAudio(path.join(dir, 'a.flac'), noProbe);
  assert.equal(q.ok, true);
  assert.ok(Math.abs(q.duration! - 2.5) < 0.01);
  assert.equal(q.channels, 2);
  assert.equal((await probeAudio(path.join(dir, 'bad.mp3'), noProbe)).ok, false);
});

test('a corrupt file is a decode error naming the file, not a crash', async (t) => {
  const f = makeCorrupt(path.join(tmpDir(t), 'bad.ogg'));
  await assert.rejects(decodeAudio(f, tools), (e: Error) => e.name === 'AudioDecodeError' && e.message.includes('bad.ogg'));
});

test('missing ffmpeg: errors name the setting and how to fix it', (t) => {
  assert.throws(() => resolveAudioTools(undefined, tmpDir(t)), (e: Error) => e instanceof FfmpegMissingError && /not found on PATH/.test(e.message) && /tuneStudio\.audio\.ffmpegPath/.test(e.message));
  assert.throws(() => resolveAudioTools('/nope/ffmpeg'), (e: Error) => e instanceof FfmpegMissingError && /'\/nope\/ffmpeg' \(setting tuneStudio\.audio\.ffmpegPath\)/.test(e.message));
  const viaSetting = resolveAudioTools(tools.ffmpeg);
  assert.equal(viaSetting.source, 'setting');
  assert.equal(viaSetting.ffprobe, tools.ffprobe, 'ffprobe found beside the configured ffmpeg');
});
