import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refuseReason, sanitizeStem, unreadableNameReason } from '../../../src/runtime/datasets/names';
import { mergeTags, parseTags } from '../../../src/runtime/datasets/tags';

test('names that are paths are refused, with the reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['../x.mp3', /path separator/],
    ['/etc/passwd.mp3', /path separator/],
    ['a\0b.mp3', /NUL/],
    ['..\\..\\x.mp3', /Windows path separator/],
    ['C:evil.mp3', /drive letter/],
    ['CON.mp3', /reserved device name/],
    ['nul', /reserved device name/],
    ['com1.wav', /reserved device name/],
    ['LPT9.flac', /reserved device name/],
    ['..', /relative path/],
    ['', /empty/],
    ['tab\there.mp3', /control characters/],
    ['x'.repeat(300) + '.mp3', /255 bytes/],
  ];
  for (const [name, why] of cases) assert.match(refuseReason(name) ?? 'accepted', why, JSON.stringify(name));
  for (const ok of ['song.mp3', 'My Song (live).wav', 'café.flac', 'console.mp3', 'conversation.ogg']) assert.equal(refuseReason(ok), null, ok);
});

test('sanitised stems are readable by the trainer', () => {
  assert.equal(sanitizeStem('My Song (live)'), 'My_Song_live');
  assert.equal(sanitizeStem('track.mp3.backup'), 'track_mp3_backup');
  assert.equal(sanitizeStem('  __weird--  '), 'weird');
  assert.equal(sanitizeStem('café'), 'café');
  assert.equal(sanitizeStem('verse_prompt'), 'verse_prompt-audio');
  assert.equal(sanitizeStem('aux'), 'aux_');
  assert.equal(sanitizeStem('🎵🎵'), 'sample');
  for (const s of ['My Song (live)', 'track.mp3.backup', 'verse_prompt', 'aux', '🎵']) assert.equal(unreadableNameReason(sanitizeStem(s) + '.mp3'), null, s);
});

test('names the trainer cannot read are explained', () => {
  assert.match(unreadableNameReason('Song.MP3')!, /not lower case/);
  assert.match(unreadableNameReason('.hidden.mp3')!, /hidden/);
  assert.match(unreadableNameReason('a.mp3.mp3')!, /replacing the extension/);
  assert.match(unreadableNameReason('x_lyrics.mp3')!, /ambiguous/);
  assert.match(unreadableNameReason('PRN.mp3')!, /reserved/);
  assert.match(unreadableNameReason('what?.mp3')!, /not allowed/);
  assert.equal(unreadableNameReason('fine_name-01.mp3'), null);
});

test('tags: trigger word first, user tags kept unless overwriting, previous auto tags replaced', () => {
  assert.deepEqual(parseTags(' rock,  , guitar\nloud,'), ['rock', 'guitar', 'loud']);
  const existing = ['my tag', 'rock', 'TRIG'];
  assert.deepEqual(mergeTags({ existing, previousAuto: ['rock'], auto: ['jazz', 'My Tag'], triggerWord: 'trig', overwrite: false }), ['trig', 'my tag', 'jazz']);
  assert.deepEqual(mergeTags({ existing, previousAuto: ['rock'], auto: ['jazz'], triggerWord: 'trig', overwrite: true }), ['trig', 'jazz']);
  assert.deepEqual(mergeTags({ existing: [], previousAuto: [], auto: ['a', 'A', 'b'], overwrite: false }), ['a', 'b']);
});
