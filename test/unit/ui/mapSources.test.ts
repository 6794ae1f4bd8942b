// What the embedding map needs from the runtime beyond a layout: for an audio
// space, each point's source file (the map plays it on click), in the same
// order as the ids, also when the layout comes back from the store; a run
// space has none. Real store, real layout worker.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { it } from 'node:test';
import { AudioEmbeddingStore } from '../../../src/runtime/captioning/embeddings';
import { ProjectionService } from '../../../src/runtime/projection/service';
import { EmbeddingSnapshotStore } from '../../../src/runtime/projection/sources';
import { openDatabase } from '../../../src/runtime/store/db';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { tmpDir } from '../../helpers/tmp';

it('an audio layout carries each point\'s clip path (also from the store); a run layout carries none', async (t) => {
  const dir = tmpDir(t);
  const db = openDatabase(dir);
  const tracker = new Tracker(db, { flushIntervalMs: 60_000 });
  const service = new ProjectionService({ db: () => db, onProgress: () => {} });
  t.after(async () => {
    await service.close();
    tracker.close();
    db.close();
  });
  const audio = new AudioEmbeddingStore(() => db);
  const ds = path.join(dir, 'ds');
  let s = 7;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5);
  // A clip outside the dataset folder is not part of its map.
  audio.put('outside', 'clap-a', 'laion/clap', Float32Array.from({ length: 8 }, rand), 1, path.join(dir, 'elsewhere.wav'));
  for (let i = 0; i < 10; i++) audio.put(`h${i}`, 'clap-a', 'laion/clap', Float32Array.from({ length: 8 }, rand), 1, path.join(ds, 'sub', `c${i}.wav`));
  const [space] = service.spaces({ datasetDir: ds });
  const first = await service.layout({ requestId: 'a', space: space!.id });
  assert.equal(first.cached, false);
  assert.equal(first.files?.length, 10);
  first.ids.forEach((id, i) => assert.equal(first.files![i], path.join(ds, 'sub', `c${id.slice(1)}.wav`), `point ${i} (${id})`));
  const again = await service.layout({ requestId: 'b', space: space!.id });
  assert.equal(again.cached, true);
  assert.deepEqual(again.files, first.files);

  const run = tracker.createRun();
  const ids = Array.from({ length: 6 }, (_, i) => `p${i}`);
  new EmbeddingSnapshotStore(() => db).add(run.id, 'probe', 1, { ids, labels: ids, dim: 2, vectors: Float32Array.from({ length: 12 }, rand) }, 'inline');
  const r = await service.layout({ requestId: 'c', space: `run:${run.id}/probe` });
  assert.equal(r.files, undefined);
});
