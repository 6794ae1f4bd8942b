import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeAudio, makeCorrupt, snapshot } from '../../helpers/audioFixtures';
import { makeDataset, makeService } from '../../helpers/datasets';
import { tmpDir } from '../../helpers/tmp';

test('every path attack is refused and nothing is written, inside or outside the dataset', async (t) => {
  const { service, workspace } = makeService(t);
  const dir = makeDataset(workspace, 'drums');
  const outside = tmpDir(t);
  const fine = makeAudio(path.join(outside, 'src', 'fine.mp3'));
  // A different sound, so no attack is skipped as a duplicate of the valid file.
  const good = makeAudio(path.join(outside, 'src', 'good.mp3'), { freq: 550 });
  // A symlink in the dataset pointing out of it, under the name an import would write.
  fs.symlinkSync(path.join(outside, 'victim.mp3'), path.join(dir, 'linked.mp3'));
  fs.symlinkSync(path.join(outside, 'victim_prompt.txt'), path.join(dir, 'good2_prompt.txt'));
  const goodSidecar = makeAudio(path.join(outside, 'src', 'good2.mp3'), { freq: 660 });
  fs.writeFileSync(path.join(outside, 'src', 'good2_prompt.txt'), 'rock');

  const attacks: Array<[string, { source: string; name?: string }, RegExp]> = [
    ['../ traversal', { source: good, name: '../escape.mp3' }, /path separator/],
    ['deep traversal', { source: good, name: '../../../../tmp/escape.mp3' }, /path separator/],
    ['absolute name', { source: good, name: '/tmp/escape.mp3' }, /path separator/],
    ['NUL byte in name', { source: good, name: 'a\0.mp3' }, /NUL/],
    ['NUL byte in source', { source: good + '\0', name: 'ok.mp3' }, /NUL/],
    ['Windows separators', { source: good, name: '..\\..\\escape.mp3' }, /Windows path separator/],
    ['Windows drive', { source: good, name: 'C:\\escape.mp3' }, /Windows path separator|drive letter/],
    ['reserved name CON', { source: good, name: 'CON.mp3' }, /reserved device name/],
    ['reserved name nul', { source: good, name: 'nul.wav' }, /reserved device name/],
    ['reserved name COM1', { source: good, name: 'com1.mp3' }, /reserved device name/],
    ['relative source', { source: 'src/good.mp3', name: 'x.mp3' }, /not an absolute path/],
    ['symlink out (audio target)', { source: good, name: 'linked.mp3' }, /symbolic link/],
    ['symlink out (sidecar target)', { source: goodSidecar }, /symbolic link/],
  ];
  for (const [label, file, why] of attacks) {
    const before = { ds: snapshot(dir), out: snapshot(outside) };
    // Each attack rides along with a valid file: the whole import must be refused.
    await assert.rejects(
      service.import({ dir, files: [{ source: fine }, file] }),
      (e: Error) => why.test(e.message) && /nothing was copied/.test(e.message),
      label,
    );
    assert.deepEqual(snapshot(dir), before.ds, `${label}: dataset unchanged`);
    assert.deepEqual(snapshot(outside), before.out, `${label}: outside unchanged`);
    assert.equal(fs.existsSync(path.join(outside, 'victim.mp3')), false, `${label}: nothing written through the link`);
  }
});

test('a symlinked dataset folder that leads out of the workspace is refused', async (t) => {
  const { service, workspace } = makeService(t);
  const outside = makeDataset(tmpDir(t), 'elsewhere');
  fs.symlinkSync(outside, path.join(workspace, 'sneaky'));
  const src = makeAudio(path.join(tmpDir(t), 'a.mp3'));
  await assert.rejects(service.import({ dir: path.join(workspace, 'sneaky'), files: [{ source: src }] }), /outside the workspace folders/);
  assert.deepEqual(fs.readdirSync(outside), ['dataset.json']);
});

test('names are sanitised, collisions renumbered, sidecar text files copied', async (t) => {
  const { service, workspace } = makeService(t);
  const dir = makeDataset(workspace, 'set');
  const src = tmpDir(t);
  const a = makeAudio(path.join(src, 'My Song (live).MP3'), { freq: 300 });
  fs.writeFileSync(path.join(src, 'My Song (live)_prompt.txt'), 'rock, live');
  fs.writeFileSync(path.join(src, 'My Song (live)_lyrics.txt'), 'la la');
  const b = makeAudio(path.join(src, 'other', 'My Song (live).mp3'), { freq: 500 });
  const c = makeAudio(path.join(src, 'x.wav'), { freq: 700 });
  const r = await service.import({ dir, files: [{ source: a }, { source: b }, { source: c, name: 'track.mp3.old.wav' }] });
  assert.deepEqual(
    r.imported.map((i) => path.basename(i.audio)),
    ['My_Song_live.mp3', 'My_Song_live-2.mp3', 'track_mp3_old.wav'],
  );
  assert.equal(fs.readFileSync(path.join(dir, 'My_Song_live_prompt.txt'), 'utf8'), 'rock, live');
  assert.equal(fs.readFileSync(path.join(dir, 'My_Song_live_lyrics.txt'), 'utf8'), 'la la');
  assert.equal(r.imported[1].prompt, undefined);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'My_Song_live.mp3')), fs.readFileSync(a));
});

test('duplicates by content are detected against the dataset and within the import, not copied', async (t) => {
  const { service, workspace } = makeService(t);
  const dir = makeDataset(workspace, 'dups');
  const src = tmpDir(t);
  const a = makeAudio(path.join(src, 'a.mp3'), { freq: 440 });
  const r1 = await service.import({ dir, files: [{ source: a }] });
  assert.equal(r1.imported.length, 1);
  const copy = path.join(src, 'renamed copy.mp3');
  fs.copyFileSync(a, copy);
  const fresh = makeAudio(path.join(src, 'fresh.mp3'), { freq: 880 });
  const fresh2 = path.join(src, 'fresh again.mp3');
  fs.copyFileSync(fresh, fresh2);
  const r2 = await service.import({ dir, files: [{ source: copy }, { source: fresh }, { source: fresh2 }] });
  assert.deepEqual(r2.imported.map((i) => i.stem), ['fresh']);
  assert.deepEqual(
    r2.duplicates.map((d) => [path.basename(d.source), path.basename(d.sameAs)]),
    [
      ['renamed copy.mp3', 'a.mp3'],
      ['fresh again.mp3', 'fresh.mp3'],
    ],
  );
  assert.deepEqual(fs.readdirSync(dir).sort(), ['a.mp3', 'dataset.json', 'fresh.mp3']);
});

test('an undecodable or empty source refuses the whole import', async (t) => {
  const { service, workspace } = makeService(t);
  const dir = makeDataset(workspace, 'bad');
  const src = tmpDir(t);
  const good = makeAudio(path.join(src, 'good.mp3'));
  const corrupt = makeCorrupt(path.join(src, 'corrupt.mp3'));
  const empty = path.join(src, 'empty.wav');
  fs.writeFileSync(empty, '');
  await assert.rejects(service.import({ dir, files: [{ source: good }, { source: corrupt }] }), /corrupt\.mp3.*cannot be decoded/s);
  await assert.rejects(service.import({ dir, files: [{ source: good }, { source: empty }] }), /empty/);
  await assert.rejects(service.import({ dir, files: [{ source: path.join(src, 'missing.mp3') }] }), /does not exist/);
  await assert.rejects(service.import({ dir, files: [{ source: good, name: 'notes.txt' }] }), /not a supported audio file/);
  assert.deepEqual(fs.readdirSync(dir), ['dataset.json']);
});

test('a copy that fails half way is undone', async (t) => {
  const { service, workspace } = makeService(t);
  const dir = makeDataset(workspace, 'undo');
  const src = tmpDir(t);
  const a = makeAudio(path.join(src, 'a.mp3'), { freq: 300 });
  const b = makeAudio(path.join(src, 'b.mp3'), { freq: 400 });
  // The second file's name appears after the check and before the copy (a race): COPYFILE_EXCL refuses
  // it, and the first file is removed again.
  // The module object itself (the importer reads its methods through live bindings).
  const nodeFs: typeof fs = require('node:fs');
  const realCopy = nodeFs.copyFileSync;
  t.mock.method(nodeFs, 'copyFileSync', (from: fs.PathLike, to: fs.PathLike, mode?: number) => {
    if (String(to).endsWith('b.mp3')) fs.writeFileSync(to, 'raced');
    return realCopy(from, to, mode);
  });
  await assert.rejects(service.import({ dir, files: [{ source: a }, { source: b }] }), /failed and was undone.*EEXIST/s);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['b.mp3', 'dataset.json']);
  assert.equal(fs.readFileSync(path.join(dir, 'b.mp3'), 'utf8'), 'raced', 'the file that appeared meanwhile is not ours to delete');
});

test('create: a dataset folder with dataset.json; path-like names refused', async (t) => {
  const { service, workspace } = makeService(t);
  const s = service.create({ parent: workspace, name: 'Lo-Fi Beats', triggerWord: 'lofibeat' });
  assert.equal(path.basename(s.dir), 'Lo-Fi_Beats');
  const m = JSON.parse(fs.readFileSync(path.join(s.dir, 'dataset.json'), 'utf8'));
  assert.equal(m.name, 'Lo-Fi Beats');
  assert.equal(m.triggerWord, 'lofibeat');
  assert.deepEqual(m.duration, { min: 1, max: 600 });
  assert.throws(() => service.create({ parent: workspace, name: '../evil' }), /path separator/);
  assert.throws(() => service.create({ parent: workspace, name: 'CON' }), /reserved/);
  assert.throws(() => service.create({ parent: workspace, name: 'Lo-Fi Beats' }), /already a dataset/);
  assert.throws(() => service.create({ parent: tmpDir(t), name: 'x' }), /outside the workspace/);
  assert.throws(() => service.create({ parent: workspace, name: 'y', triggerWord: 'a,b' }), /commas/);
  assert.deepEqual(service.list().map((d) => d.name), ['Lo-Fi Beats']);
});
