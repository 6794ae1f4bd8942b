// A real trainer process under `tunestudio run` writes an .npy snapshot into
// its job folder ($TUNESTUDIO_JOB_DIR) and prints the protocol `embedding`
// message; the snapshot lands in the store with the run, and one pointing
// outside the job folder is counted as malformed with the reason. Needs the
// built CLI (node scripts/build.mjs) and python3 with numpy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { EmbeddingSnapshotStore } from '../../src/runtime/projection/sources';
import { openDatabase } from '../../src/runtime/store/db';
import { cli, cliJson } from '../helpers/cli';
import { tmpDir } from '../helpers/tmp';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

const TRAINER = `
import json, os, numpy as np
d = os.environ['TUNESTUDIO_JOB_DIR']
for step in (10, 20):
    np.save(os.path.join(d, f'emb_{step}.npy'), (np.arange(8).reshape(4, 2) * step).astype(np.float32))
    print('@tunestudio ' + json.dumps({'step': step, 'embedding': {'name': 'probe/hidden', 'ids': ['a', 'b', 'c', 'd'], 'file': f'emb_{step}.npy'}}), flush=True)
print('@tunestudio ' + json.dumps({'step': 30, 'embedding': {'name': 'probe/hidden', 'ids': ['a', 'b', 'c', 'd'], 'file': '../../studio.db'}}), flush=True)
`;

test('tunestudio run: a trainer\'s .npy snapshots beside its log are stored with its run; one outside the job folder is refused and counted', { skip: !hasNumpy && 'python3 with numpy is not installed' }, (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  const r = cli(['run', '--name', 'emb', '--', 'python3', '-c', TRAINER], { dir: store, cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const show = cliJson<{ id: string; malformed_lines: number; last_warning?: string }>(['show', 'emb'], { dir: store });
  assert.equal(show.malformed_lines, 1, JSON.stringify(show));
  const db = openDatabase(store);
  t.after(() => db.close());
  const snaps = new EmbeddingSnapshotStore(() => db);
  const list = snaps.list(show.id);
  assert.deepEqual(
    list.map((s) => [s.space, s.step, s.count, s.dim, s.source]),
    [
      ['probe/hidden', 10, 4, 2, 'emb_10.npy'],
      ['probe/hidden', 20, 4, 2, 'emb_20.npy'],
    ],
  );
  assert.deepEqual(Array.from(snaps.get(list[1].id)!.vectors), [0, 20, 40, 60, 80, 100, 120, 140]);
});
