// Training data: texts from an ACE-Step dataset folder (trigger word, tags,
// lyrics) and from .txt/.jsonl files, packing into blocks with EOS between
// documents, the seeded train/eval split and the resumable batch order.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { BatchOrder, packTexts, readTrainingTexts, sampleText, splitBlocks } from '../../../src/runtime/training/data';
import type { TextTokenizer } from '../../../src/runtime/training/tokenizer';
import { writeTinyDataset } from '../../helpers/tinyGpt2';
import { tmpDir } from '../../helpers/tmp';

/** Bytes as ids, EOS 256: enough to test packing without a model. */
const byteTok: TextTokenizer = {
  encode: (s) => [...Buffer.from(s, 'utf8')],
  decode: (ids) => Buffer.from(ids.filter((i) => i < 256)).toString('utf8'),
  eosId: 256,
  vocabSize: 257,
};

test('dataset folder: one text per sample with the trigger word first in the tags, then the lyrics', (t) => {
  const dir = writeTinyDataset(path.join(tmpDir(t), 'drums'), [
    { stem: 'b_song', prompt: 'rock, drums', lyrics: 'la la\nla' },
    { stem: 'a_song', prompt: 'ZQX, ambient', lyrics: '' },
    { stem: 'c_empty', prompt: '  ', lyrics: '' },
  ]);
  fs.writeFileSync(path.join(dir, 'a_song.mp3'), 'not read');
  const r = readTrainingTexts(dir, '/');
  assert.equal(r.kind, 'dataset');
  assert.equal(r.triggerWord, 'zqx');
  // sorted by stem; the empty sample is skipped; an existing trigger tag (any case) is not repeated
  assert.deepEqual(r.texts, ['[tags] ZQX, ambient', '[tags] zqx, rock, drums\n[lyrics]\nla la\nla']);
  assert.equal(sampleText(null, 'a,b', 'x'), '[tags] a, b\n[lyrics]\nx');
});

test('text files: .txt as whole documents, .jsonl lines with "text"; relative to the config folder', (t) => {
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'a.txt'), '\uFEFFfirst\r\ndoc');
  fs.writeFileSync(path.join(dir, 'b.jsonl'), '{"text": "one"}\n\n{"text": "two", "meta": 1}\n');
  const r = readTrainingTexts(['a.txt', 'b.jsonl'], dir);
  assert.deepEqual(r.texts, ['first\ndoc', 'one', 'two']);
  // a folder of text files
  const r2 = readTrainingTexts('.', dir);
  assert.deepEqual(r2.texts, ['first\ndoc', 'one', 'two']);
});

test('bad training data is refused with the file and line named', (t) => {
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'bad.jsonl'), '{"text": "ok"}\n{"txt": "no"}\n');
  assert.throws(() => readTrainingTexts('bad.jsonl', dir), /bad.jsonl:2: no string "text" field/);
  fs.writeFileSync(path.join(dir, 'bad.jsonl'), '{"text": "ok"}\n{oops\n');
  assert.throws(() => readTrainingTexts('bad.jsonl', dir), /bad.jsonl:2: not valid JSON/);
  assert.throws(() => readTrainingTexts('missing.txt', dir), /Training data '.*missing.txt' does not exist/);
  fs.writeFileSync(path.join(dir, 'x.csv'), 'a,b');
  assert.throws(() => readTrainingTexts(['x.csv'], dir), /is not a .txt, .md or .jsonl file/);
  const empty = path.join(dir, 'emptyds');
  writeTinyDataset(empty, [{ stem: 's', prompt: '', lyrics: '' }]);
  assert.throws(() => readTrainingTexts(empty, dir), /has no sample with a non-empty _prompt.txt or _lyrics.txt/);
});

test('packing joins documents with EOS and drops the last partial block', () => {
  const p = packTexts(['abc', 'de'], byteTok, 3);
  // stream: a b c EOS d e EOS → two blocks of 3, one token dropped
  assert.deepEqual(p.blocks.map((b) => Array.from(b)), [
    [97, 98, 99],
    [256, 100, 101],
  ]);
  assert.equal(p.totalTokens, 7);
  assert.equal(p.droppedTokens, 1);
  assert.throws(() => packTexts(['ab'], byteTok, 8), /3 tokens, fewer than one block of 8; lower "block_size"/);
});

test('train/eval split is deterministic by seed, disjoint and complete', () => {
  const a = splitBlocks(20, 0.2, 5);
  assert.deepEqual(a, splitBlocks(20, 0.2, 5));
  assert.equal(a.eval.length, 4);
  assert.deepEqual([...a.train, ...a.eval].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
  assert.notDeepEqual(splitBlocks(20, 0.2, 6).eval, a.eval);
  assert.deepEqual(splitBlocks(1, 0.5, 1), { train: [0], eval: [] });
  assert.equal(splitBlocks(3, 0.01, 1).eval.length, 1);
  assert.equal(splitBlocks(10, 0, 1).eval.length, 0);
});

test('batch order: each epoch a seeded permutation of the train blocks, a pure function of the counter', () => {
  const train = [2, 4, 6, 8, 10];
  const o = new BatchOrder(train, 3);
  const first = Array.from({ length: 15 }, (_, i) => o.blockAt(i));
  for (let e = 0; e < 3; e++) assert.deepEqual(first.slice(e * 5, e * 5 + 5).sort((a, b) => a - b), train);
  assert.notDeepEqual(first.slice(0, 5), first.slice(5, 10));
  // a fresh order started mid-way (a resumed run) gives the same blocks
  const resumed = new BatchOrder(train, 3);
  assert.deepEqual(Array.from({ length: 8 }, (_, i) => resumed.blockAt(7 + i)), first.slice(7));
});
