import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeEvent, folderPrefix, halfToNumber, runNameOfFolder, TfeventsTailer } from '../../../src/runtime/ingest/tfevents';
import { crc32c, maskCrc, TfRecordReader } from '../../../src/runtime/ingest/tfrecord';
import type { IngestEvent } from '../../../src/runtime/ingest/types';
import {
  crc32cBitwise,
  DT_DOUBLE,
  DT_FLOAT,
  DT_HALF,
  DT_INT32,
  DT_INT64,
  DT_STRING,
  eventFile,
  eventProto,
  eventRecord,
  maskedCrc32c,
  scalarEvent,
  tf2ScalarEvent,
  tfrecord,
  toHalfBits,
} from '../../helpers/tfevents';
import { tmpDir } from '../../helpers/tmp';
import { rng } from '../../helpers/random';

type Metrics = Extract<IngestEvent, { type: 'metrics' }>;
const metricsOf = (evs: IngestEvent[]) => evs.filter((e): e is Metrics => e.type === 'metrics');
const flat = (evs: IngestEvent[]) => metricsOf(evs).flatMap((e) => Object.entries(e.metrics).map(([k, v]) => [k, e.step, v] as const));

test('CRC-32C: the standard check value, and slicing-by-8 equals the bitwise encoder on random input', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32cBitwise(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa); // RFC 3720 test vector: 32 zero bytes
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  const r = rng(3);
  for (let k = 0; k < 300; k++) {
    const b = Buffer.alloc(Math.floor(r() * 100));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
    const s = Math.floor(r() * (b.length + 1));
    assert.equal(crc32c(b, s), crc32cBitwise(b.subarray(s)));
    assert.equal(maskCrc(crc32c(b)), maskedCrc32c(b));
  }
  // Continuing a CRC over two halves equals one pass.
  const b = Buffer.from('the quick brown fox jumps over the lazy dog');
  assert.equal(crc32c(b, 10, b.length, crc32c(b, 0, 10)), crc32c(b));
});

test('Event decoding: simple_value and every scalar tensor form', () => {
  const f32 = Buffer.alloc(4);
  f32.writeFloatLE(0.25);
  const f64 = Buffer.alloc(8);
  f64.writeDoubleLE(1 / 3);
  const i32 = Buffer.alloc(4);
  i32.writeInt32LE(-7);
  const i64 = Buffer.alloc(8);
  i64.writeBigInt64LE(-(2n ** 40n));
  const h16 = Buffer.alloc(2);
  h16.writeUInt16LE(toHalfBits(-2.5));
  const ev = decodeEvent(
    eventProto({
      wallTime: 1_700_000_123.5,
      step: 2 ** 40 + 3,
      values: [
        { tag: 'simple', simple: 1.5 },
        { tag: 'float_val', tensor: { dtype: DT_FLOAT, floatVal: [0.5] } },
        { tag: 'float_val_unpacked', tensor: { dtype: DT_FLOAT, floatVal: [0.75], packed: false } },
        { tag: 'double_val', tensor: { dtype: DT_DOUBLE, doubleVal: [Math.PI] }, plugin: 'scalars' },
        { tag: 'half_val', tensor: { dtype: DT_HALF, halfVal: [toHalfBits(0.1)] } },
        { tag: 'int_val', tensor: { dtype: DT_INT32, intVal: [-42] } },
        { tag: 'int64_val', tensor: { dtype: DT_INT64, int64Val: [2n ** 50n + 1n] } },
        { tag: 'int64_neg', tensor: { dtype: DT_INT64, int64Val: [-5], packed: false } },
        { tag: 'content_f32', tensor: { dtype: DT_FLOAT, content: f32 }, plugin: 'scalars', dataClass: 1 },
        { tag: 'content_f64', tensor: { dtype: DT_DOUBLE, content: f64 } },
        { tag: 'content_i32', tensor: { dtype: DT_INT32, content: i32 } },
        { tag: 'content_i64', tensor: { dtype: DT_INT64, content: i64 } },
        { tag: 'content_half', tensor: { dtype: DT_HALF, content: h16 } },
        { tag: 'shape_1x1', tensor: { dtype: DT_FLOAT, shape: [1, 1], floatVal: [9] } },
        { tag: 'custom_plugin_scalar', tensor: { dtype: DT_FLOAT, floatVal: [4] }, plugin: 'myplugin', dataClass: 1 },
        // Not scalars:
        { tag: 'vector', tensor: { dtype: DT_FLOAT, shape: [3], floatVal: [1, 2, 3] } },
        { tag: 'text', tensor: { dtype: DT_STRING, stringVal: ['hello'] }, plugin: 'text' },
        { tag: 'histogram_plugin', tensor: { dtype: DT_DOUBLE, shape: [1], doubleVal: [1] }, plugin: 'histograms' },
        { tag: 'image', image: { width: 2, height: 2 } },
        { tag: 'histo', histogram: [1, 2, 3] },
      ],
    }),
  );
  assert.equal(ev.wallTime, 1_700_000_123.5);
  assert.equal(ev.step, 2 ** 40 + 3);
  const got = Object.fromEntries(ev.values.map((v) => [v.tag, v.value ?? v.skipped]));
  assert.deepEqual(got, {
    simple: 1.5,
    float_val: 0.5,
    float_val_unpacked: 0.75,
    double_val: Math.PI,
    half_val: halfToNumber(toHalfBits(0.1)),
    int_val: -42,
    int64_val: 2 ** 50 + 1,
    int64_neg: -5,
    content_f32: 0.25,
    content_f64: 1 / 3,
    content_i32: -7,
    content_i64: -(2 ** 40),
    content_half: -2.5,
    shape_1x1: 9,
    custom_plugin_scalar: 4,
    vector: 'tensor of 3 elements, not a scalar',
    text: "plugin 'text'",
    histogram_plugin: "plugin 'histograms'",
    image: 'no scalar (image, histogram or audio summary)',
    histo: 'no scalar (image, histogram or audio summary)',
  });
  assert.ok(Math.abs((got.half_val as number) - 0.1) < 1e-4);
  assert.equal(halfToNumber(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToNumber(0x7e00)));
  assert.equal(halfToNumber(0x0001), 2 ** -24);
  // file_version records carry no values; step defaults to 0.
  const fv = decodeEvent(eventProto({ wallTime: 1, fileVersion: 'brain.Event:2' }));
  assert.deepEqual(fv, { wallTime: 1, step: 0, fileVersion: 'brain.Event:2', values: [] });
  assert.throws(() => decodeEvent(Buffer.from([0x0a, 0x05, 0x01])), /past the end/);
});

test('TfRecordReader: records split at every byte position come out whole', () => {
  const stream = Buffer.concat([eventRecord(scalarEvent(1, { a: 1 })), eventRecord(scalarEvent(2, { b: 2 })), tfrecord(Buffer.alloc(0))]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const r = new TfRecordReader();
    const items = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
    assert.deepEqual(
      items.map((i) => (i.type === 'record' ? i.data.length : i.type)),
      [eventProto(scalarEvent(1, { a: 1 })).length, eventProto(scalarEvent(2, { b: 2 })).length, 0],
    );
    assert.equal(r.offset, stream.length);
  }
});

test('TfRecordReader: a flipped bit in data skips that record; in a header, scans to the next record', () => {
  const recs = [1, 2, 3, 4].map((s) => eventRecord(scalarEvent(s, { loss: s / 10 })));
  const data = Buffer.concat(recs);
  // Flip a bit inside record 2's data.
  const d = Buffer.from(data);
  d[recs[0].length + 14] ^= 0x08;
  let items = new TfRecordReader().push(d);
  assert.deepEqual(
    items.map((i) => i.type),
    ['record', 'corrupt', 'record', 'record'],
  );
  assert.match((items[1] as { reason: string }).reason, /data checksum mismatch/);
  assert.equal(items[1].offset, recs[0].length);
  // Flip a bit in record 2's length: the reader cannot trust it and finds record 3.
  const h = Buffer.from(data);
  h[recs[0].length + 1] ^= 0x40;
  items = new TfRecordReader().push(h);
  assert.deepEqual(
    items.map((i) => i.type),
    ['record', 'corrupt', 'record', 'record'],
  );
  assert.match((items[1] as { reason: string }).reason, new RegExp(`header checksum mismatch; skipped ${recs[1].length} bytes`));
  // The same, fed one byte at a time.
  const r = new TfRecordReader();
  items = [];
  for (let i = 0; i < h.length; i++) items.push(...r.push(h.subarray(i, i + 1)));
  assert.deepEqual(
    items.map((i) => i.type),
    ['record', 'corrupt', 'record', 'record'],
  );
  // A record longer than the limit is reported and skipped without being held.
  const big = Buffer.concat([tfrecord(Buffer.alloc(5000, 1)), recs[0]]);
  const small = new TfRecordReader({ maxRecordBytes: 1000 });
  items = [];
  for (let i = 0; i < big.length; i += 100) {
    items.push(...small.push(big.subarray(i, i + 100)));
    assert.ok(small.buffered < 200);
  }
  assert.deepEqual(
    items.map((i) => i.type),
    ['corrupt', 'record'],
  );
});

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('tailer: several files and subfolders, subfolder prefixes, simple and tensor scalars, wall time and step', async (t) => {
  const dir = tmpDir(t);
  fs.mkdirSync(path.join(dir, 'train'));
  fs.mkdirSync(path.join(dir, 'eval', 'nested'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'events.out.tfevents.1700000000.host.1.0'), eventFile([scalarEvent(1, { 'train/loss': 0.5, lr: 1e-3 })]));
  fs.writeFileSync(path.join(dir, 'train', 'events.out.tfevents.1700000001.host.2.0'), eventFile([tf2ScalarEvent(10, 'epoch_loss', 0.25)]));
  fs.writeFileSync(path.join(dir, 'eval', 'nested', 'events.out.tfevents.1700000002.host.3.0'), eventFile([scalarEvent(10, { acc: 0.75 }, 1_700_000_500.25)]));
  fs.writeFileSync(path.join(dir, 'train', 'not-an-event-file.txt'), 'ignored');
  const tailer = new TfeventsTailer({ dir });
  const evs = await tailer.poll();
  assert.deepEqual(flat(evs), [
    ['eval/nested/acc', 10, 0.75],
    ['train/loss', 1, 0.5],
    ['lr', 1, Math.fround(1e-3)],
    ['train/epoch_loss', 10, 0.25],
  ]);
  const acc = metricsOf(evs)[0];
  assert.equal(acc.wallTime, 1_700_000_500.25);
  assert.equal(acc.source, 'tfevents:eval/nested/events.out.tfevents.1700000002.host.3.0');
  assert.deepEqual(await tailer.poll(), [], 'nothing new');
  assert.equal(tailer.stats.files, 3);
  assert.equal(tailer.stats.records, 6);
  assert.equal(tailer.stats.scalars, 4);
  // prefix: none keeps the tags as written.
  const plain = new TfeventsTailer({ dir, prefix: 'none' });
  assert.deepEqual(
    flat(await plain.poll()).map((x) => x[0]),
    ['acc', 'train/loss', 'lr', 'epoch_loss'],
  );
});

test('tailer: a file growing while tailed — half a record waits, the rest completes it; new files are found', async (t) => {
  const dir = tmpDir(t);
  const tailer = new TfeventsTailer({ dir: path.join(dir, 'logs') });
  assert.deepEqual(await tailer.poll(), [], 'the folder does not exist yet');
  fs.mkdirSync(path.join(dir, 'logs'));
  const file = path.join(dir, 'logs', 'events.out.tfevents.1.host');
  fs.writeFileSync(file, eventFile([scalarEvent(1, { loss: 1 })]));
  assert.deepEqual(flat(await tailer.poll()), [['loss', 1, 1]]);
  const rec = eventRecord(scalarEvent(2, { loss: 0.5 }));
  for (const cut of [5, 11, 12, rec.length - 4, rec.length - 1]) {
    const r = eventRecord(scalarEvent(cut, { loss: cut }));
    fs.appendFileSync(file, r.subarray(0, cut));
    assert.deepEqual(await tailer.poll(), [], `partial record (${cut} bytes) is waited for`);
    fs.appendFileSync(file, r.subarray(cut));
    assert.deepEqual(flat(await tailer.poll()), [['loss', cut, cut]]);
  }
  fs.mkdirSync(path.join(dir, 'logs', 'run2'));
  fs.writeFileSync(path.join(dir, 'logs', 'run2', 'events.out.tfevents.2.host'), eventFile([scalarEvent(7, { loss: 0.7 })]));
  assert.deepEqual(flat(await tailer.poll()), [['run2/loss', 7, Math.fround(0.7)]]);
  assert.equal(tailer.stats.corrupt, 0);
});

test('tailer: a flipped bit is reported as a CRC error and the next record is still read', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'events.out.tfevents.1.host');
  const good = eventFile([scalarEvent(1, { loss: 1 })]);
  const bad = Buffer.from(eventRecord(scalarEvent(2, { loss: 2 })));
  bad[bad.length - 6] ^= 0x01; // inside the data
  fs.writeFileSync(file, Buffer.concat([good, bad, eventRecord(scalarEvent(3, { loss: 3 }))]));
  const tailer = new TfeventsTailer({ dir });
  const evs = await tailer.poll();
  assert.deepEqual(flat(evs), [
    ['loss', 1, 1],
    ['loss', 3, 3],
  ]);
  const bads = evs.filter((e) => e.type === 'malformed');
  assert.equal(bads.length, 1);
  assert.deepEqual(bads[0], { type: 'malformed', line: `events.out.tfevents.1.host @ byte ${good.length}`, error: 'record data checksum mismatch; record skipped', source: 'tfevents' });
  assert.equal(tailer.stats.corrupt, 1);
  // A record whose checksums hold but whose bytes are no Event is reported too.
  fs.appendFileSync(file, Buffer.concat([tfrecord(Buffer.from([0x0a, 0x7f, 0x01])), eventRecord(scalarEvent(4, { loss: 4 }))]));
  const more = await tailer.poll();
  assert.match((more[0] as { error: string }).error, /not an Event record/);
  assert.deepEqual(flat(more), [['loss', 4, 4]]);
});

test('tailer: offsets resume after a restart; since skips what old files held; a replaced file is read anew', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'events.out.tfevents.1.host');
  fs.writeFileSync(file, eventFile([scalarEvent(1, { loss: 1 }), scalarEvent(2, { loss: 2 })]));
  const a = new TfeventsTailer({ dir });
  assert.equal(flat(await a.poll()).length, 2);
  fs.appendFileSync(file, eventRecord(scalarEvent(3, { loss: 3 })));
  const b = new TfeventsTailer({ dir, offsets: a.offsets() });
  assert.deepEqual(flat(await b.poll()), [['loss', 3, 3]]);

  // An old file (modified before the job started) is skipped, but followed.
  const old = tmpDir(t);
  const oldFile = path.join(old, 'events.out.tfevents.0.host');
  fs.writeFileSync(oldFile, Buffer.concat([eventFile([scalarEvent(1, { stale: 1 })]), eventRecord(scalarEvent(2, { stale: 2 })).subarray(0, 10)]));
  fs.utimesSync(oldFile, new Date(1_600_000_000_000), new Date(1_600_000_000_000));
  const c = new TfeventsTailer({ dir: old, since: Date.now() });
  // Skipped, but not silently: a notice names the file, what was skipped and how to import it.
  const first = await c.poll();
  assert.equal(first.length, 1);
  assert.equal(first[0].type, 'notice');
  assert.match((first[0] as { text: string }).text, /^events\.out\.tfevents\.0\.host was last written 2020-09-13T12:26:40\.000Z, before this job started: its 83 bytes .* tunestudio import tensorboard /);
  assert.equal(c.stats.skippedFiles, 1);
  const rest = eventRecord(scalarEvent(2, { stale: 2 })).subarray(10);
  fs.appendFileSync(oldFile, Buffer.concat([rest, eventRecord(scalarEvent(3, { fresh: 3 }))]));
  assert.deepEqual(flat(await c.poll()), [
    ['stale', 2, 2],
    ['fresh', 3, 3],
  ]);

  // Replaced by a new, shorter file of the same name: read from the start.
  fs.rmSync(file);
  fs.writeFileSync(file, eventFile([scalarEvent(9, { loss: 9 })]));
  assert.deepEqual(flat(await b.poll()), [['loss', 9, 9]]);
});

test('tailer start/stop: events arrive without explicit polls and stop() ends delivery', async (t) => {
  const dir = tmpDir(t);
  const tailer = new TfeventsTailer({ dir });
  const got: IngestEvent[] = [];
  tailer.start((evs) => got.push(...evs), { intervalMs: 20 });
  fs.writeFileSync(path.join(dir, 'events.out.tfevents.9.host'), eventFile([scalarEvent(5, { loss: 0.5 })]));
  await until('the first event', () => (got.length > 0 ? true : undefined));
  assert.deepEqual(flat(got), [['loss', 5, 0.5]]);
  await tailer.stop();
  const n = got.length;
  fs.appendFileSync(path.join(dir, 'events.out.tfevents.9.host'), eventRecord(scalarEvent(6, { loss: 0.6 })));
  // A direct poll still works after stop() (the timer is gone, the state is kept).
  assert.deepEqual(flat(await tailer.poll()), [['loss', 6, Math.fround(0.6)]]);
  assert.equal(got.length, n);
});

test('tailer: a large backlog is read over several polls, bounded per poll, nothing lost', async (t) => {
  const dir = tmpDir(t);
  const events = Array.from({ length: 2000 }, (_, i) => scalarEvent(i, { loss: i }));
  fs.writeFileSync(path.join(dir, 'events.out.tfevents.1.host'), eventFile(events));
  fs.mkdirSync(path.join(dir, 'b'));
  fs.writeFileSync(path.join(dir, 'b', 'events.out.tfevents.2.host'), eventFile(events.slice(0, 500)));
  const tailer = new TfeventsTailer({ dir, maxBytesPerPoll: 8 * 1024, readChunkBytes: 1024 });
  const steps: Record<string, number[]> = { loss: [], 'b/loss': [] };
  let polls = 0;
  for (;;) {
    const evs = await tailer.poll();
    polls++;
    if (evs.length === 0) break;
    for (const [k, step] of flat(evs)) steps[k].push(step!);
    assert.ok(polls < 1000);
  }
  assert.ok(polls > 5, `${polls} polls`);
  assert.deepEqual(steps.loss, events.map((_, i) => i));
  assert.deepEqual(steps['b/loss'], events.slice(0, 500).map((_, i) => i));
});

test('prefix "subfolder" leaves run-folder noise out of names: dated folders, version_N; import names take the stamps out', () => {
  assert.equal(folderPrefix('.'), '');
  assert.equal(folderPrefix('train'), 'train/');
  assert.equal(folderPrefix('2020-06-06_00-17-41_SAC_HalfCheetahBulletEnv-v0_Gaussian_'), '');
  assert.equal(folderPrefix('May04_22-14-54_s-MacBook-Pro.local/eval'), 'eval/');
  assert.equal(folderPrefix('fit/20200606-001741/train'), 'fit/train/');
  assert.equal(folderPrefix('lightning_logs/version_3'), 'lightning_logs/');
  assert.equal(runNameOfFolder('2020-06-06_00-17-41_SAC_HalfCheetahBulletEnv-v0_Gaussian_'), 'SAC_HalfCheetahBulletEnv-v0_Gaussian');
  assert.equal(runNameOfFolder('duplicate_steps/run_1'), 'duplicate_steps/run_1');
  assert.equal(runNameOfFolder('lightning_logs/version_0'), 'lightning_logs');
  assert.equal(runNameOfFolder('Jun06_00-17-41_'), '');
});

test('real event files (test/fixtures/real-logs/tfevents): every scalar, names without the dated run folder, the cut last record waited for', async () => {
  const dir = path.resolve(__dirname, '../../fixtures/real-logs/tfevents');
  const read = async (d: string) => {
    const t = new TfeventsTailer({ dir: path.join(dir, d) });
    const events = await t.poll();
    return { t, points: flat(events), other: events.filter((e) => e.type !== 'metrics') };
  };
  const sac = await read('tbx_sac');
  assert.equal(sac.points.length, 607);
  assert.deepEqual([...new Set(sac.points.map(([k]) => k))].sort(), ['entropy_temprature/alpha', 'loss/critic_1', 'loss/critic_2', 'loss/entropy_loss', 'loss/policy']);
  assert.deepEqual(sac.other, []);
  assert.deepEqual(sac.t.incomplete(), [{ file: '2020-06-06_00-17-41_SAC_HalfCheetahBulletEnv-v0_Gaussian_/events.out.tfevents.1591382861.pranjal-Lenovo-ideapad-730S-13IWL', bytes: 12 }]);
  const tf2 = await read('tf2_tensor_go');
  assert.deepEqual(tf2.points.map(([k, s]) => [k, s]), Array.from({ length: 100 }, (_, i) => ['my_metric', i]));
  const pt = await read('pt_reducer');
  assert.equal(pt.points.length, 850);
  // The writer logged some steps twice (the fixture's point): both writes are kept, in order.
  const foo = pt.points.filter(([k]) => k === 'duplicate_steps/run_1/dup_steps/foo');
  assert.equal(foo.length, 210);
  assert.ok(new Set(foo.map(([, s]) => s)).size < foo.length);
  for (const t of [sac.t, tf2.t, pt.t]) await t.stop();
});
