// Where the map's vectors come from: .npy files NumPy itself wrote, the
// protocol `embedding` message (inline, .npy, .safetensors) through the real
// ingest path into a real SQLite store, bad snapshots counted and said with
// nothing stored, layouts kept by their input, and the captioner's audio
// embeddings limited to one dataset folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { formatProtocolLine, parseProtocolLine, type ProtocolMessage } from '../../../src/protocol/lines';
import { AudioEmbeddingStore } from '../../../src/runtime/captioning/embeddings';
import { computeLayout } from '../../../src/runtime/projection/layout';
import { NpyError, parseNpy, readNpy } from '../../../src/runtime/projection/npy';
import { audioEmbeddings, EmbeddingSnapshotStore, layoutKey } from '../../../src/runtime/projection/sources';
import { openDatabase } from '../../../src/runtime/store/db';
import { writeSafetensors } from '../../../src/runtime/training/safetensors';
import { RunIngest } from '../../../src/runtime/tracking/ingest';
import { Tracker } from '../../../src/runtime/tracking/tracker';
import { tmpDir } from '../../helpers/tmp';
import { gaussianClusters } from './helpers';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

function numpy(dir: string, code: string): void {
  const r = spawnSync('python3', ['-c', `import numpy as np, os\nos.chdir(${JSON.stringify(dir)})\n${code}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

describe('.npy reader', () => {
  it('reads what numpy.save writes: float32, float64 in Fortran order, float16, big-endian, format 2', { skip: !hasNumpy && 'python3 with numpy is not installed' }, (t) => {
    const dir = tmpDir(t);
    numpy(
      dir,
      `a = (np.arange(12).reshape(3, 4) / 7 - 0.5)
np.save('f32.npy', a.astype(np.float32))
np.save('f64f.npy', np.asfortranarray(a))
np.save('f16.npy', a.astype(np.float16))
np.save('be.npy', a.astype('>f4'))
np.lib.format.write_array(open('v2.npy', 'wb'), a.astype(np.float32), version=(2, 0))`,
    );
    const want = Array.from({ length: 12 }, (_, i) => i / 7 - 0.5);
    for (const [f, tol] of [
      ['f32.npy', 1e-7],
      ['f64f.npy', 1e-7],
      ['f16.npy', 1e-3],
      ['be.npy', 1e-7],
      ['v2.npy', 1e-7],
    ] as Array<[string, number]>) {
      const m = readNpy(path.join(dir, f));
      assert.equal(m.rows, 3, f);
      assert.equal(m.cols, 4, f);
      m.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < tol, `${f}[${i}] = ${v}, want ${want[i]}`));
    }
  });

  it('refuses a 3-D array, an integer array and a cut-short file, naming the file, the defect and the fix', { skip: !hasNumpy && 'python3 with numpy is not installed' }, (t) => {
    const dir = tmpDir(t);
    numpy(dir, `np.save('3d.npy', np.zeros((2, 2, 2), np.float32))\nnp.save('int.npy', np.zeros((2, 2), np.int64))\nnp.save('cut.npy', np.zeros((100, 8), np.float32))`);
    fs.truncateSync(path.join(dir, 'cut.npy'), 500);
    assert.throws(() => readNpy(path.join(dir, '3d.npy')), /3d\.npy' cannot be read: its shape is \(2, 2, 2\); a 2-D array .* numpy\.save/);
    assert.throws(() => readNpy(path.join(dir, 'int.npy')), /its dtype is '<i8'; float16, float32 or float64 is needed/);
    assert.throws(() => readNpy(path.join(dir, 'cut.npy')), /data bytes, 3200 expected for shape \(100, 8\)/);
    assert.throws(() => parseNpy(Buffer.from('not numpy at all'), 'x.npy'), NpyError);
  });
});

describe('protocol embedding message', () => {
  it('parses inline and file snapshots; refuses one with both, or with ids that are not strings', () => {
    const ok = parseProtocolLine(formatProtocolLine({ embedding: { name: 'probe', step: 3, ids: ['a', 'b'], vectors: [[1, 2], [3, 4]] } }));
    assert.ok(ok.ok && ok.message.embedding?.vectors?.length === 2);
    assert.ok(parseProtocolLine('@tunestudio {"embedding": {"name": "p", "ids": ["a"], "file": "e.npy"}}').ok);
    const both = parseProtocolLine('@tunestudio {"embedding": {"name": "p", "ids": ["a"], "file": "e.npy", "vectors": [[1]]}}');
    assert.ok(!both.ok && /exactly one of "vectors" \(inline\) or "file"/.test(both.error));
    const ids = parseProtocolLine('@tunestudio {"embedding": {"name": "p", "ids": [1], "vectors": [[1]]}}');
    assert.ok(!ids.ok && /"embedding.ids" must be an array of strings/.test(ids.error));
  });
});

describe('snapshots through the ingest path, into the store', () => {
  it('stores inline, .npy and .safetensors snapshots with the run; bad ones are counted and said, nothing stored', { skip: !hasNumpy && 'python3 with numpy is not installed' }, (t) => {
    const dir = tmpDir(t);
    const jobDir = path.join(dir, 'job');
    fs.mkdirSync(jobDir);
    numpy(jobDir, `np.save('emb_20.npy', (np.arange(6).reshape(3, 2) * 0.25).astype(np.float32))`);
    writeSafetensors(path.join(jobDir, 'emb_30.safetensors'), { hidden: { shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, other: { shape: [1], data: Float32Array.from([0]) } });
    fs.writeFileSync(path.join(dir, 'outside.npy'), fs.readFileSync(path.join(jobDir, 'emb_20.npy')));
    const db = openDatabase(path.join(dir, 'store'));
    t.after(() => db.close());
    const tracker = new Tracker(db, { flushIntervalMs: 60_000 });
    t.after(() => tracker.close());
    const run = tracker.createRun();
    const ingest = new RunIngest(tracker, run.id);
    ingest.embeddingDir = jobDir;
    const send = (m: ProtocolMessage): void => {
      const p = parseProtocolLine(formatProtocolLine(m));
      assert.ok(p.ok, JSON.stringify(p));
      ingest.handle({ type: 'protocol', message: p.message } as Parameters<RunIngest['handle']>[0]);
    };
    const ids = ['x', 'y', 'z'];
    send({ step: 10, embedding: { name: 'probe', ids, labels: ['cat', 'dog', 'cat'], vectors: [[0, 1], [2, 3], [4, 5]] } });
    send({ step: 20, embedding: { name: 'probe', ids, file: 'emb_20.npy' } });
    send({ embedding: { name: 'probe', step: 30, ids, file: 'emb_30.safetensors', tensor: 'hidden' } });
    // Bad: outside the job folder, wrong id count, a tensor that is not there.
    send({ step: 40, embedding: { name: 'probe', ids, file: '../outside.npy' } });
    send({ step: 50, embedding: { name: 'probe', ids: ['x'], vectors: [[0, 1], [2, 3]] } });
    send({ step: 60, embedding: { name: 'probe', ids, file: 'emb_30.safetensors' } });
    const store = new EmbeddingSnapshotStore(() => db);
    const list = store.list(run.id);
    assert.deepEqual(
      list.map((s) => [s.space, s.step, s.count, s.dim, s.source]),
      [
        ['probe', 10, 3, 2, 'inline'],
        ['probe', 20, 3, 2, 'emb_20.npy'],
        ['probe', 30, 3, 2, 'emb_30.safetensors'],
      ],
    );
    assert.deepEqual(Array.from(store.get(list[1].id)!.vectors), [0, 0.25, 0.5, 0.75, 1, 1.25]);
    assert.deepEqual(Array.from(store.get(list[2].id)!.vectors), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(store.get(list[0].id)!.labels, ['cat', 'dog', 'cat']);
    assert.equal(ingest.counters.malformed, 3);
    assert.match(ingest.counters.lastMalformed ?? '', /say which tensor to read \("tensor"\) from 'emb_30.safetensors' \(it holds hidden, other\)/);
    // Re-sending a step replaces that snapshot instead of doubling it.
    send({ step: 10, embedding: { name: 'probe', ids, vectors: [[9, 9], [9, 9], [9, 9]] } });
    assert.equal(store.list(run.id).length, 3);
  });

  it('a file snapshot outside the job folder names the folder and the fix', (t) => {
    const dir = tmpDir(t);
    const db = openDatabase(dir);
    t.after(() => db.close());
    const tracker = new Tracker(db, { flushIntervalMs: 60_000 });
    t.after(() => tracker.close());
    const run = tracker.createRun();
    const ingest = new RunIngest(tracker, run.id);
    ingest.embeddingDir = path.join(dir, 'job');
    ingest.apply({ embedding: { name: 'p', ids: ['a'], file: '../../etc/passwd.npy' } });
    assert.match(ingest.counters.lastMalformed ?? '', /file '\.\.\/\.\.\/etc\/passwd\.npy' is outside the job folder .*; write it beside the log/);
    // Without a job folder (an unsupervised run) only inline vectors are read.
    const bare = new RunIngest(tracker, run.id);
    bare.apply({ embedding: { name: 'p', ids: ['a'], file: 'e.npy' } });
    assert.match(bare.counters.lastMalformed ?? '', /files are read only for jobs Tune Studio runs .* send the vectors inline/);
    assert.equal(new EmbeddingSnapshotStore(() => db).list(run.id).length, 0);
  });
});

describe('stored layouts', () => {
  it('a layout is found again by its input (bit for bit), not by a changed input or options; deleting the run removes its snapshots and layouts', (t) => {
    const dir = tmpDir(t);
    const db = openDatabase(dir);
    t.after(() => db.close());
    const tracker = new Tracker(db, { flushIntervalMs: 60_000 });
    t.after(() => tracker.close());
    const run = tracker.createRun();
    const { data, n } = gaussianClusters(20, 3, 6, 1);
    const set = { ids: Array.from({ length: n }, (_, i) => `s${i}`), labels: Array.from({ length: n }, (_, i) => `c${i % 3}`), dim: 6, vectors: data };
    const store = new EmbeddingSnapshotStore(() => db);
    const snap = store.add(run.id, 'probe', 5, set, 'inline');
    const out = computeLayout({ data, n, dims: 6 }, { seed: 2 });
    const key = layoutKey(set, { seed: 2 });
    store.putLayout(key, snap, out.layout, out.info);
    const back = store.getLayout(key);
    assert.ok(back && Buffer.from(back.layout.buffer).equals(Buffer.from(out.layout.buffer)));
    assert.deepEqual(back.info, JSON.parse(JSON.stringify(out.info)));
    assert.notEqual(layoutKey(set, { seed: 3 }), key);
    const moved = { ...set, vectors: data.slice() };
    moved.vectors[0] += 1e-3;
    assert.notEqual(layoutKey(moved, { seed: 2 }), key);
    assert.equal(store.getLayout(layoutKey(moved, { seed: 2 })), null);
    db.prepare('DELETE FROM runs WHERE id = ?').run(run.id);
    assert.equal(store.list(run.id).length, 0);
    assert.equal(store.getLayout(key), null);
  });
});

describe('audio embeddings the captioner cached', () => {
  it('one model, limited to the files under the dataset folder', (t) => {
    const dir = tmpDir(t);
    const db = openDatabase(dir);
    t.after(() => db.close());
    const audio = new AudioEmbeddingStore(() => db);
    const ds = path.join(dir, 'drums');
    audio.put('h1', 'clap', 'laion/clap', Float32Array.from([1, 0, 0]), 1, path.join(ds, 'kick.wav'));
    audio.put('h2', 'clap', 'laion/clap', Float32Array.from([0, 1, 0]), 1, path.join(ds, 'snare.wav'));
    audio.put('h3', 'clap', 'laion/clap', Float32Array.from([0, 0, 1]), 1, path.join(dir, 'drums-old', 'hat.wav'));
    audio.put('h4', 'other', 'x', Float32Array.from([1, 1, 1]), 1, path.join(ds, 'tom.wav'));
    const set = audioEmbeddings(audio, 'clap', ds);
    assert.deepEqual(set.ids, ['h1', 'h2']);
    assert.deepEqual(set.labels, ['kick.wav', 'snare.wav']);
    assert.deepEqual(Array.from(set.vectors), [1, 0, 0, 0, 1, 0]);
    assert.equal(audioEmbeddings(audio, 'clap').ids.length, 3);
  });
});
