// The built runtime over JSON-RPC: a run's embedding snapshots are listed and
// laid out in the bundled worker (dist/projectionWorker.js) with progress
// notifications, and the second request is answered from the store.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { ProjectionLayoutRequest, ProjectionProgressNotification, ProjectionSpacesRequest, type LayoutProgress } from '../../src/protocol/projection';
import { EmbeddingSnapshotStore } from '../../src/runtime/projection/sources';
import { openDatabase } from '../../src/runtime/store/db';
import { Tracker } from '../../src/runtime/tracking/tracker';
import { gaussianClusters } from '../unit/projection/helpers';
import { startRuntime } from '../helpers/runtime';
import { tmpDir } from '../helpers/tmp';

test('runtime lists a run\'s embedding spaces and lays one out in its worker, then serves it from the store', async (t) => {
  const storeDir = path.join(tmpDir(t), '.tunestudio');
  const db = openDatabase(storeDir);
  const tracker = new Tracker(db, { flushIntervalMs: 60_000 });
  const run = tracker.createRun();
  const { data, n } = gaussianClusters(50, 4, 24, 7);
  const ids = Array.from({ length: n }, (_, i) => `clip${i}`);
  new EmbeddingSnapshotStore(() => db).add(run.id, 'probe/hidden', 10, { ids, labels: ids, dim: 24, vectors: data }, 'inline');
  tracker.close();
  db.close();
  const rt = await startRuntime({ storeDir });
  t.after(() => rt.stop());
  const progress: LayoutProgress[] = [];
  rt.onNotification(ProjectionProgressNotification.type, (p) => progress.push(p));
  const spaces = await rt.request(ProjectionSpacesRequest.type, { runId: run.id });
  assert.deepEqual(spaces.map((s) => [s.id, s.count, s.dim, s.steps]), [[`run:${run.id}/probe/hidden`, n, 24, [10]]]);
  const first = await rt.request(ProjectionLayoutRequest.type, { requestId: 'm1', space: spaces[0].id });
  assert.equal(first.cached, false);
  assert.equal(first.layout.length, n * 2);
  assert.ok(first.info.quality.trustworthiness > 0.9, JSON.stringify(first.info.quality));
  assert.ok(progress.some((p) => p.requestId === 'm1' && p.stage === 'optimise'), `progress ${JSON.stringify(progress.slice(0, 3))}`);
  const second = await rt.request(ProjectionLayoutRequest.type, { requestId: 'm2', space: spaces[0].id });
  assert.equal(second.cached, true);
  assert.deepEqual(second.layout, first.layout);
  await assert.rejects(rt.request(ProjectionLayoutRequest.type, { requestId: 'm3', space: 'run:nope/x' }), /Run 'nope' has no embedding snapshots named 'x'/);
});
