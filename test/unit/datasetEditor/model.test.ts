// The dataset editor's document model on real files: edits change only the
// values until Save, Save writes exactly the changed prompt/lyrics files (and
// the trigger word into dataset.json, other keys kept), undo/redo are exact,
// a file changed on disk under an unsaved edit is a conflict (one without an
// edit follows disk), and a backup restores the unsaved values. Bulk
// operations and the page's filters run on the shared rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatasetModel, type SampleEntry } from '../../../src/extension/datasetEditor/model';
import { applyBulk, type EditorRow } from '../../../src/protocol/datasetEditor';
import { tagIndex, visibleRows, windowOf } from '../../../src/webviews/datasetEditor/rows';
import { tmpDir } from '../../helpers/tmp';

function dataset(t: Parameters<typeof tmpDir>[0]): { dir: string; entries: SampleEntry[] } {
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ version: 1, name: 'beats', triggerWord: 'bt', custom: { keep: true } }, null, 2));
  const entries: SampleEntry[] = [];
  for (const [stem, prompt, lyrics] of [
    ['kick', 'bt, drums, punchy', '[inst]'],
    ['snare', 'bt, drums', null],
    ['pad', null, '[verse]\nla la'],
  ] as const) {
    fs.writeFileSync(path.join(dir, `${stem}.mp3`), 'x');
    if (prompt !== null) fs.writeFileSync(path.join(dir, `${stem}_prompt.txt`), prompt);
    if (lyrics !== null) fs.writeFileSync(path.join(dir, `${stem}_lyrics.txt`), lyrics);
    entries.push({ stem, audio: path.join(dir, `${stem}.mp3`), promptPath: path.join(dir, `${stem}_prompt.txt`), lyricsPath: path.join(dir, `${stem}_lyrics.txt`), duration: 2, captionState: 'none' });
  }
  return { dir, entries };
}

const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null);

test('an edit changes nothing on disk until Save; Save writes only the changed file; undo/redo are exact', (t) => {
  const { dir, entries } = dataset(t);
  const m = new DatasetModel(path.join(dir, 'dataset.json'));
  m.load(entries);
  assert.equal(m.isDirty, false);
  const edit = m.makeEdit('Edit Prompt', [{ stem: 'kick', field: 'prompt', value: 'bt, drums, deep' }])!;
  assert.equal(m.makeEdit('same', [{ stem: 'snare', field: 'prompt', value: 'bt, drums' }]), null, 'a value that does not change is no edit');
  m.apply(edit, 'redo');
  assert.equal(m.isDirty, true);
  assert.deepEqual(m.dirtyFields('kick'), ['prompt']);
  assert.equal(read(path.join(dir, 'kick_prompt.txt')), 'bt, drums, punchy', 'not written before Save');
  const before = fs.statSync(path.join(dir, 'snare_prompt.txt')).mtimeMs;
  assert.deepEqual(m.save(), [path.join(dir, 'kick_prompt.txt')]);
  assert.equal(read(path.join(dir, 'kick_prompt.txt')), 'bt, drums, deep');
  assert.equal(fs.statSync(path.join(dir, 'snare_prompt.txt')).mtimeMs, before);
  assert.equal(m.isDirty, false);
  m.apply(edit, 'undo');
  assert.equal(m.value('kick', 'prompt'), 'bt, drums, punchy');
  assert.equal(m.isDirty, true, 'undo after save is an unsaved change back');
  m.save();
  assert.equal(read(path.join(dir, 'kick_prompt.txt')), 'bt, drums, punchy');
  m.apply(edit, 'redo');
  assert.equal(m.value('kick', 'prompt'), 'bt, drums, deep');
});

test('a missing text file is created on Save; the trigger word goes into dataset.json with its other keys kept', (t) => {
  const { dir, entries } = dataset(t);
  const m = new DatasetModel(path.join(dir, 'dataset.json'));
  m.load(entries);
  assert.equal(m.value('snare', 'lyrics'), null);
  m.apply(m.makeEdit('x', [{ stem: 'snare', field: 'lyrics', value: '[inst]' }])!, 'redo');
  m.apply(m.makeTriggerEdit(' zz ')!, 'redo');
  assert.throws(() => m.makeTriggerEdit('a, b'), /must not contain commas/);
  m.save();
  assert.equal(read(path.join(dir, 'snare_lyrics.txt')), '[inst]');
  const manifest = JSON.parse(read(path.join(dir, 'dataset.json'))!);
  assert.deepEqual(manifest, { version: 1, name: 'beats', triggerWord: 'zz', custom: { keep: true } });
  assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temp file left');
});

test('a file changed on disk under an unsaved edit is a conflict; one without an edit follows disk', (t) => {
  const { dir, entries } = dataset(t);
  const m = new DatasetModel(path.join(dir, 'dataset.json'));
  m.load(entries);
  m.apply(m.makeEdit('x', [{ stem: 'kick', field: 'prompt', value: 'mine' }])!, 'redo');
  fs.writeFileSync(path.join(dir, 'kick_prompt.txt'), 'theirs');
  fs.writeFileSync(path.join(dir, 'snare_prompt.txt'), 'changed elsewhere');
  assert.deepEqual(m.conflicts().map((c) => path.basename(c.file)), ['kick_prompt.txt']);
  assert.deepEqual(m.reread(path.join(dir, 'kick_prompt.txt')), { stem: 'kick', dirty: true });
  assert.equal(m.value('kick', 'prompt'), 'mine', 'the unsaved value is kept');
  assert.equal(m.reread(path.join(dir, 'kick_prompt.txt')), null, 'the same change is reported once');
  assert.deepEqual(m.conflicts().map((c) => path.basename(c.file)), ['kick_prompt.txt'], 'still a conflict for Save after the watcher read it');
  m.save();
  assert.equal(read(path.join(dir, 'kick_prompt.txt')), 'mine', 'Save (after the user chose Overwrite) writes the edit');
  assert.deepEqual(m.conflicts(), []);
  assert.deepEqual(m.reread(path.join(dir, 'snare_prompt.txt')), { stem: 'snare', dirty: false });
  assert.equal(m.value('snare', 'prompt'), 'changed elsewhere', 'a field without edits follows disk');
  assert.equal(m.reread(path.join(dir, 'snare_prompt.txt')), null, 'reading the same content again is no change');
});

test('a backup restores the unsaved values over a fresh load', (t) => {
  const { dir, entries } = dataset(t);
  const m = new DatasetModel(path.join(dir, 'dataset.json'));
  m.load(entries);
  m.apply(m.makeEdit('x', [{ stem: 'pad', field: 'prompt', value: 'synth' }, { stem: 'kick', field: 'lyrics', value: '[chorus] hey' }])!, 'redo');
  m.apply(m.makeTriggerEdit('newt')!, 'redo');
  const backup = JSON.parse(JSON.stringify(m.backup()));
  const n = new DatasetModel(path.join(dir, 'dataset.json'));
  n.load(entries);
  n.restore(backup);
  assert.equal(n.value('pad', 'prompt'), 'synth');
  assert.equal(n.value('kick', 'lyrics'), '[chorus] hey');
  assert.equal(n.triggerWord, 'newt');
  assert.equal(n.isDirty, true);
  assert.equal(read(path.join(dir, 'pad_prompt.txt')), null);
});

test('an edit of an unknown sample or field is refused with what to do', (t) => {
  const { dir, entries } = dataset(t);
  const m = new DatasetModel(path.join(dir, 'dataset.json'));
  m.load(entries);
  assert.throws(() => m.makeEdit('x', [{ stem: 'nope', field: 'prompt', value: 'a' }]), /no sample 'nope'.*reopen the editor/);
  assert.throws(() => m.makeEdit('x', [{ stem: 'kick', field: 'audio' as 'prompt', value: 'a' }]), /not a field of a sample/);
});

test('bulk operations: add/remove/replace tags case-insensitively without duplicates, find and replace, [inst]', () => {
  assert.deepEqual(applyBulk({ op: 'addTags', tags: ['Drums', 'lofi'] }, 'bt, drums', null), { field: 'prompt', value: 'bt, drums, lofi' });
  assert.equal(applyBulk({ op: 'addTags', tags: ['drums'] }, 'bt, drums', null), null);
  assert.deepEqual(applyBulk({ op: 'removeTags', tags: ['DRUMS'] }, 'bt, drums, x', null), { field: 'prompt', value: 'bt, x' });
  assert.deepEqual(applyBulk({ op: 'replaceTag', from: 'drums', to: 'percussion' }, 'bt, drums, x', null), { field: 'prompt', value: 'bt, percussion, x' });
  assert.deepEqual(applyBulk({ op: 'replaceTag', from: 'drums', to: 'x' }, 'bt, drums, x', null), { field: 'prompt', value: 'bt, x' }, 'replacing into an existing tag does not duplicate it');
  assert.deepEqual(applyBulk({ op: 'findReplacePrompt', find: 'dru', replace: 'DRU' }, 'bt, drums', null), { field: 'prompt', value: 'bt, DRUms' });
  assert.deepEqual(applyBulk({ op: 'setInstrumental' }, null, '[verse] a'), { field: 'lyrics', value: '[inst]' });
  assert.equal(applyBulk({ op: 'setInstrumental' }, null, '[inst]'), null);
});

test('filters (text, AND/OR tags, missing, duration, problems), sort, tag index and the row window', () => {
  const row = (stem: string, prompt: string | null, lyrics: string | null, duration: number | null, problems = 0): EditorRow => ({
    stem,
    file: `${stem}.mp3`,
    src: '',
    duration,
    prompt,
    lyrics,
    captionState: 'none',
    dirty: [],
    problems: Array.from({ length: problems }, () => ({ code: 'missing-prompt' as const, severity: 'error' as const, message: 'm' })),
  });
  const rows = [row('s10', 'bt, drums', '[inst]', 10), row('s2', 'bt, piano', null, 3, 1), row('s1', null, 'la', null, 2)];
  const base = { filter: '', flags: { missingPrompt: false, missingLyrics: false, problems: false }, tagFilter: { tags: [] as string[], mode: 'or' as const }, duration: { min: null, max: null } };
  const stems = (f: Partial<typeof base>, sort = { key: 'file' as const, desc: false }) => visibleRows(rows, { ...base, ...f }, sort).map((r) => r.stem);
  assert.deepEqual(stems({}), ['s1', 's2', 's10'], 'numeric file order');
  assert.deepEqual(stems({}, { key: 'file', desc: true }), ['s10', 's2', 's1']);
  assert.deepEqual(stems({ filter: 'PIANO' }), ['s2']);
  assert.deepEqual(stems({ tagFilter: { tags: ['drums', 'piano'], mode: 'or' } }), ['s2', 's10']);
  assert.deepEqual(stems({ tagFilter: { tags: ['bt', 'piano'], mode: 'and' } as never }), ['s2']);
  assert.deepEqual(stems({ flags: { missingPrompt: true, missingLyrics: false, problems: false } }), ['s1']);
  assert.deepEqual(stems({ flags: { missingPrompt: false, missingLyrics: true, problems: false } }), ['s2']);
  assert.deepEqual(stems({ flags: { missingPrompt: false, missingLyrics: false, problems: true } }), ['s1', 's2']);
  assert.deepEqual(stems({ duration: { min: 5, max: null } as never }), ['s10'], 'an unknown duration is outside any range');
  assert.deepEqual(stems({}, { key: 'problems', desc: true } as never), ['s1', 's2', 's10']);
  assert.deepEqual(tagIndex(rows), [{ tag: 'bt', count: 2 }, { tag: 'drums', count: 1 }, { tag: 'piano', count: 1 }]);
  assert.deepEqual(windowOf(0, 300, 30, 10_000), { first: 0, last: 18 });
  const w = windowOf(30 * 9_990, 300, 30, 10_000);
  assert.equal(w.last, 10_000);
  assert.ok(w.last - w.first < 100, 'the window stays small at the end of 10k rows');
});
