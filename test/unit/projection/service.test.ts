// The projection service on a real store and the real layout worker: spaces
// of a run and a dataset, a layout computed once then returned from the store,
// the next snapshot warm-started from the previous one's layout, a stale
// request for the same space cancelled, unknown spaces refused clearly.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LAYOUT_CANCELLED, type LayoutProgress } from '../../../src/protocol/projection';
import { AudioEmbeddingStore } from '../../../src/runtime/captioning/embeddings';
import { ProjectionService } from '../../../src/runtime/projection/service';
import { EmbeddingSnapshotStore } from '../../../src/runtime/projection/sources';
import { Rng } from '../../../src/runtime/projection/rng';
import { openDatabase } from '../../../src/runtime/store/db';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { tmpDir } from '../../helpers/tmp';
import { gaussianClusters } from './helpers';

function setup(t: Parameters<typeof tmpDir>[0]) {
  const dir = tmpDir(t);
  const db = openDatabase(dir);
  const tracker = new Tracker(db, { flushIntervalMs: 60_000 });
  const progress: LayoutProgress[] = [];
  const service = new ProjectionService({ db: () => db, onProgress: (p) => progress.push(p) });
  t.after(async () => {
    await service.close();
    tracker.close();
    db.close();
  });
  return { dir, db, tracker, service, progress, snapshots: new EmbeddingSnapshotStore(() => db) };
}

describe('projection service', () => {
  it('lists a run\'s spaces with their steps; lays a snapshot out once, then returns it from the store', async (t) => {
    const { tracker, service, progress, snapshots } = setup(t);
    const run = tracker.createRun();
    const { data, n } = gaussianClusters(40, 4, 16, 1);
    const ids = Array.from({ length: n }, (_, i) => `p${i}`);
    snapshots.add(run.id, 'probe', 100, { ids, labels: ids, dim: 16, vectors: data }, 'inline');
    snapshots.add(run.id, 'probe', 200, { ids, labels: ids, dim: 16, vectors: data.map((v) => v * 1.01) }, 'inline');
    assert.deepEqual(service.spaces({ runId: run.id }), [{ id: `run:${run.id}/probe`, kind: 'run', name: 'probe', count: n, dim: 16, steps: [100, 200] }]);
    const first = await service.layout({ requestId: 'r1', space: `run:${run.id}/probe`, step: 100 });
    assert.equal(first.cached, false);
    assert.equal(first.layout.length, n * 2);
    assert.ok(progress.some((p) => p.requestId === 'r1' && p.stage === 'optimise'), 'progress events carry the request id');
    const again = await service.layout({ requestId: 'r2', space: `run:${run.id}/probe`, step: 100 });
    assert.equal(again.cached, true);
    assert.deepEqual(again.layout, first.layout);
    assert.deepEqual(again.info, first.info);
    // The next step starts from step 100's layout: points move, they are not reshuffled.
    const next = await service.layout({ requestId: 'r3', space: `run:${run.id}/probe`, step: 200 });
    assert.equal(next.info.warm, true);
    assert.ok(next.info.moved && next.info.moved.points === n && next.info.moved.mean < 0.5, JSON.stringify(next.info.moved));
    // Default: the latest step, now stored.
    assert.equal((await service.layout({ requestId: 'r4', space: `run:${run.id}/probe` })).cached, true);
  });

  it('a newer request for the same space cancels the stale one; the stale promise rejects with a cancel error', async (t) => {
    const { tracker, service, snapshots } = setup(t);
    const run = tracker.createRun();
    const big = gaussianClusters(300, 10, 32, 2);
    const ids = Array.from({ length: big.n }, (_, i) => `p${i}`);
    snapshots.add(run.id, 'probe', 1, { ids, labels: ids, dim: 32, vectors: big.data }, 'inline');
    const small = gaussianClusters(20, 3, 32, 3);
    const sids = Array.from({ length: small.n }, (_, i) => `q${i}`);
    snapshots.add(run.id, 'probe', 2, { ids: sids, labels: sids, dim: 32, vectors: small.data }, 'inline');
    const stale = service.layout({ requestId: 'old', space: `run:${run.id}/probe`, step: 1 });
    const fresh = service.layout({ requestId: 'new', space: `run:${run.id}/probe`, step: 2 });
    await assert.rejects(stale, { name: LAYOUT_CANCELLED });
    assert.equal((await fresh).layout.length, small.n * 2);
    // cancel() by request id.
    const third = service.layout({ requestId: 'third', space: `run:${run.id}/probe`, step: 1 });
    assert.equal(service.cancel('third'), true);
    await assert.rejects(third, { name: LAYOUT_CANCELLED });
    assert.equal(service.cancel('nothing'), false);
  });

  it('lists and lays out the audio embeddings of one dataset folder', async (t) => {
    const { dir, db, service } = setup(t);
    const audio = new AudioEmbeddingStore(() => db);
    const r = new Rng(4);
    const ds = path.join(dir, 'ds');
    for (let i = 0; i < 12; i++) audio.put(`h${i}`, 'clap-a', 'laion/clap', Float32Array.from({ length: 8 }, () => r.gauss()), 1, path.join(ds, `c${i}.wav`));
    const spaces = service.spaces({ datasetDir: ds });
    assert.deepEqual(spaces, [{ id: `audio:clap-a@${ds}`, kind: 'audio', name: 'audio (clap-a)', count: 12, dim: 8 }]);
    const out = await service.layout({ requestId: 'a', space: spaces[0].id });
    assert.equal(out.ids.length, 12);
    assert.equal(out.labels[0], 'c0.wav');
  });

  it('refuses an unknown space, a missing step and too few vectors, saying what exists', async (t) => {
    const { tracker, service, snapshots } = setup(t);
    const run = tracker.createRun();
    snapshots.add(run.id, 'probe', 5, { ids: ['a', 'b'], labels: ['a', 'b'], dim: 1, vectors: Float32Array.from([0, 1]) }, 'inline');
    await assert.rejects(service.layout({ requestId: 'x', space: 'nonsense' }), /Space 'nonsense' is not one this runtime knows/);
    await assert.rejects(service.layout({ requestId: 'x', space: `run:${run.id}/other` }), /has no embedding snapshots named 'other'/);
    await assert.rejects(service.layout({ requestId: 'x', space: `run:${run.id}/probe`, step: 7 }), /no 'probe' snapshot at step 7; it has steps 5/);
    await assert.rejects(service.layout({ requestId: 'x', space: `run:${run.id}/probe` }), /has 2 vectors; a map needs at least 3/);
  });
});
