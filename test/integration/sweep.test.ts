// `tunestudio sweep SPEC` end to end with real jobs (the seeded trainer in
// examples/agent-sweep/: best lr 0.003, NaN at lr ≥ 0.1): a grid, a NaN
// watcher, successive halving at step 10; the summary, the store's statuses
// and the sweep tables must agree. Needs the build (node scripts/build.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDatabase } from '../../src/runtime/store/db';
import { cli, cliJson, ROOT } from '../helpers/cli';
import { tmpDir } from '../helpers/tmp';

const TRAINER = path.join(ROOT, 'examples', 'agent-sweep', 'trainer.js');
const STEPS = 60;

interface Trial { index: number; params: { lr: number }; run: string; status: string; reason: string | null; value: number | null; stopped_by_sweep: boolean }

test('a grid sweep with halving: the best trial is the known best lr, the diverging one is stopped by its watcher, the halved ones by the sweep, all truthful and kept in the store', (t) => {
  const dir = tmpDir(t);
  const store = path.join(dir, '.tunestudio');
  fs.writeFileSync(
    path.join(dir, 'lr.tunesweep.json'),
    JSON.stringify({
      name: 'lr',
      project: 'sweep',
      command: [process.execPath, TRAINER, '--lr', '${lr}', '--steps', String(STEPS), '--interval-ms', '40'],
      method: 'grid',
      parameters: { lr: { values: [0.0003, 0.001, 0.003, 0.01, 0.3] } },
      metric: 'train/loss',
      watchers: [{ metric: 'train/loss', nan: true }],
      halving: { steps: [10], keep: 0.5 },
    }),
  );
  const s = cliJson<{ sweep: { id: string }; trials: Trial[]; best: Trial | null; halving: Array<{ step: number; kept: number[]; stopped: number[] }> }>(['sweep', 'lr.tunesweep.json'], { dir: store, cwd: dir });
  assert.equal(s.best?.params.lr, 0.003);
  assert.equal(s.trials.length, 5);
  const diverging = s.trials.find((x) => x.params.lr === 0.3)!;
  assert.equal(diverging.status, 'stopped');
  assert.match(diverging.reason ?? '', /NaN/);
  assert.equal(diverging.stopped_by_sweep, false);
  assert.equal(s.halving.length, 1);
  // 4 live trials at step 10, keep half: the two worse ones (lr 0.0003 and 0.01) are asked to stop.
  assert.deepEqual(s.halving[0].stopped.map((i) => s.trials[i].params.lr).sort(), [0.0003, 0.01]);
  for (const trial of s.trials) {
    const shown = cliJson<{ status: string; progress: { current: number } | null; stop_request: { source: string } | null; config: { lr: number; sweep: string } }>(['show', trial.run], { dir: store });
    assert.equal(shown.status, trial.status, `lr=${trial.params.lr}`);
    assert.equal(shown.config.lr, trial.params.lr);
    assert.equal(shown.config.sweep, s.sweep.id);
    if (shown.status === 'finished') assert.equal(shown.progress?.current, STEPS, `lr=${trial.params.lr} ran all its steps`);
    else {
      assert.equal(shown.status, 'stopped', `lr=${trial.params.lr}`);
      assert.ok(shown.progress!.current < STEPS && shown.stop_request, `lr=${trial.params.lr} stopped early on a request`);
      assert.equal(shown.stop_request!.source, trial.stopped_by_sweep ? 'sweep' : 'watcher');
    }
  }
  const db = openDatabase(store, { readonly: true });
  t.after(() => db.close());
  const row = db.prepare(`SELECT state, best_run_id FROM sweeps WHERE id = ?`).get(s.sweep.id) as { state: string; best_run_id: string };
  assert.deepEqual(row, { state: 'completed', best_run_id: s.best!.run });
  const rows = db.prepare(`SELECT idx, run_id, status FROM sweep_trials WHERE sweep_id = ? ORDER BY idx`).all(s.sweep.id);
  assert.deepEqual(rows, s.trials.map((x) => ({ idx: x.index, run_id: x.run, status: x.status })));
});

test('a sweep spec with problems is refused before anything runs, every problem named', (t) => {
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ command: 'python train.py', parameters: { lr: { min: 0, max: 1, log: true } }, halving: { steps: [10], keep: 2 } }));
  const r = cli(['sweep', 'bad.json'], { dir: path.join(dir, '.tunestudio'), cwd: dir });
  assert.equal(r.code, 2);
  for (const re of [/command: an argument array/, /metric:/, /log range needs min > 0/, /needs "method": "random"/, /halving.keep/]) assert.match(r.stderr, re);
  assert.equal(fs.existsSync(path.join(dir, '.tunestudio')), false, 'no store was made');
});
