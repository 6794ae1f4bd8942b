import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { resolveAudioTools } from '../../../src/runtime/audio/ffmpeg';
import { probeAudio } from '../../../src/runtime/audio/probe';
import { makeSample } from '../../helpers/audioFixtures';
import { makeDataset, makeService } from '../../helpers/datasets';
import { tmpDir } from '../../helpers/tmp';

function validDataset(workspace: string) {
  const dir = makeDataset(workspace, 'exportable', { triggerWord: 'trg' });
  makeSample(dir, 'b_song', { seconds: 2, freq: 300, prompt: 'trg, rock, guitar', lyrics: '[verse]\nla la\n' });
  makeSample(dir, 'a_song', { seconds: 2, freq: 600, ext: '.wav', prompt: 'trg, ambient', lyrics: '[instrumental]' });
  return dir;
}

test('parquet export: audio as {bytes, path}, prompt, lyrics, with Hugging Face features metadata; read back', async (t) => {
  const { service, workspace } = makeService(t);
  const dir = validDataset(workspace);
  const out = path.join(tmpDir(t), 'train.parquet');
  const r = await service.export({ dir, format: 'parquet', out });
  assert.deepEqual([r.format, r.samples], ['parquet', 2]);
  assert.equal(r.bytes, fs.statSync(out).size);

  const buf = fs.readFileSync(out);
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const meta = parquetMetadata(file);
  const hf = JSON.parse(meta.key_value_metadata!.find((k) => k.key === 'huggingface')!.value!);
  assert.deepEqual(hf.info.features, {
    audio: { _type: 'Audio' },
    prompt: { dtype: 'string', _type: 'Value' },
    lyrics: { dtype: 'string', _type: 'Value' },
  });
  const schema = parquetSchema(meta);
  assert.deepEqual(schema.children.map((c) => c.element.name), ['audio', 'prompt', 'lyrics']);
  const audio = schema.children[0];
  assert.deepEqual(audio.children.map((c) => [c.element.name, c.element.type, c.element.converted_type]), [
    ['bytes', 'BYTE_ARRAY', undefined],
    ['path', 'BYTE_ARRAY', 'UTF8'],
  ]);
  const rows = (await parquetReadObjects({ file, utf8: false })) as Array<{ audio: { bytes: Uint8Array; path: string }; prompt: string; lyrics: string }>;
  assert.deepEqual(rows.map((x) => [x.audio.path, x.prompt, x.lyrics]), [
    ['a_song.wav', 'trg, ambient', '[instrumental]'],
    ['b_song.mp3', 'trg, rock, guitar', '[verse]\nla la'],
  ]);
  assert.deepEqual(Buffer.from(rows[0].audio.bytes), fs.readFileSync(path.join(dir, 'a_song.wav')));
  assert.deepEqual(Buffer.from(rows[1].audio.bytes), fs.readFileSync(path.join(dir, 'b_song.mp3')));
  assert.deepEqual(fs.readdirSync(path.dirname(out)), ['train.parquet'], 'no temporary file left');
});

test('only a dataset that validates is exported; nothing is written otherwise', async (t) => {
  const { service, workspace } = makeService(t);
  const dir = validDataset(workspace);
  fs.rmSync(path.join(dir, 'a_song_lyrics.txt'));
  const outDir = tmpDir(t);
  await assert.rejects(
    service.export({ dir, format: 'parquet', out: path.join(outDir, 'x.parquet') }),
    /does not validate \(1 error, e\.g\. Sample 'a_song\.wav' has no lyrics file.*Problems panel/,
  );
  await assert.rejects(service.export({ dir, format: 'folder', out: path.join(outDir, 'folder') }), /does not validate/);
  assert.deepEqual(fs.readdirSync(outDir), []);
});

test('folder export: ACE-Step layout, other formats converted to mp3, refuses a non-empty or inner target', async (t) => {
  const { service, workspace } = makeService(t);
  const dir = validDataset(workspace);
  const out = path.join(tmpDir(t), 'ace');
  const r = await service.export({ dir, format: 'folder', out });
  assert.equal(r.transcoded, 1);
  assert.deepEqual(fs.readdirSync(out).sort(), ['a_song.mp3', 'a_song_lyrics.txt', 'a_song_prompt.txt', 'b_song.mp3', 'b_song_lyrics.txt', 'b_song_prompt.txt']);
  const p = await probeAudio(path.join(out, 'a_song.mp3'), resolveAudioTools());
  assert.equal(p.codec, 'mp3');
  assert.ok(Math.abs(p.duration! - 2) < 0.1);
  assert.deepEqual(fs.readFileSync(path.join(out, 'b_song.mp3')), fs.readFileSync(path.join(dir, 'b_song.mp3')));
  assert.equal(fs.readFileSync(path.join(out, 'a_song_prompt.txt'), 'utf8'), 'trg, ambient');
  await assert.rejects(service.export({ dir, format: 'folder', out }), /already exists and is not an empty folder/);
  await assert.rejects(service.export({ dir, format: 'folder', out: path.join(dir, 'inner') }), /inside the dataset folder/);
  await assert.rejects(service.export({ dir, format: 'parquet', out: 'relative.parquet' }), /not an absolute path/);
});
