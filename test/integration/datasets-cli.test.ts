import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeSample } from '../helpers/audioFixtures';
import { makeDataset } from '../helpers/datasets';
import { ROOT } from '../helpers/runtime';
import { writeTinyClap } from '../helpers/tinyClap';
import { tmpDir } from '../helpers/tmp';

const BIN = path.join(ROOT, 'bin', 'tunestudio.js');

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, TUNESTUDIO_DIR: path.join(cwd, '.tunestudio'), TUNESTUDIO_MODEL_CACHE: path.join(cwd, 'cache') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('tunestudio dataset validate | caption | export: output, --json and exit codes 0 / 1 / 2', (t) => {
  const cwd = tmpDir(t);
  const model = writeTinyClap(path.join(cwd, 'model'));
  const dir = makeDataset(cwd, 'songs', { triggerWord: 'sng' });
  makeSample(dir, 'one', { seconds: 2, freq: 220, lyrics: 'la' });
  makeSample(dir, 'two', { seconds: 2, kind: 'noise', lyrics: 'la' });

  let r = cli(cwd, 'dataset', 'validate', 'songs');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /songs\/one\.mp3: error: Sample 'one\.mp3' has no prompt file 'one_prompt\.txt'.* \[missing-prompt\]/);
  assert.match(r.stdout, /Dataset 'songs': 2 samples, 2 errors, 0 warnings/);
  assert.match(r.stderr, /dataset 'songs' has 2 errors/);

  r = cli(cwd, 'dataset', 'caption', 'songs', '--model', model, '--offline', '--json');
  assert.equal(r.code, 0, r.stderr);
  const caption = JSON.parse(r.stdout);
  assert.equal(caption.status, 'done');
  assert.deepEqual(caption.captioned.map((c: { tags: string[] }) => c.tags[0]), ['sng', 'sng']);
  assert.equal(fs.readFileSync(path.join(dir, 'one_prompt.txt'), 'utf8'), caption.captioned[0].prompt + '\n');

  r = cli(cwd, 'dataset', 'validate', 'songs', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).ok, true);

  r = cli(cwd, 'dataset', 'export', 'songs', '--out', 'songs.parquet');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /exported 2 samples to .*songs\.parquet/);
  assert.equal(fs.readFileSync(path.join(cwd, 'songs.parquet')).subarray(0, 4).toString(), 'PAR1');

  // Usage errors: 2. Runtime errors: 1.
  assert.equal(cli(cwd, 'dataset', 'export', 'songs').code, 2);
  assert.equal(cli(cwd, 'dataset', 'export', 'songs', '--out', 'x', '--format', 'zip').code, 2);
  assert.equal(cli(cwd, 'dataset', 'frobnicate').code, 2);
  r = cli(cwd, 'dataset', 'caption', 'songs', '--offline', '--json');
  assert.equal(r.code, 1);
  assert.match(JSON.parse(r.stdout).message, /offline mode is on/);
  r = cli(cwd, 'dataset', 'validate', 'nowhere');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not exist/);
});
