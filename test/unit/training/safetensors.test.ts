// Safetensors reader/writer: round trips in every written dtype, header
// layout as the reference writer makes it, and the list of malformed files
// that must be refused with an error naming the defect.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  SafetensorsError,
  serializeSafetensors,
  writeSafetensors,
} from '../../../src/runtime/training/safetensors';
import { tmpDir } from '../../helpers/tmp';

/** Builds a file from a raw header object and a data section (for malformed cases). */
function rawFile(header: unknown, data: Uint8Array | number = 0, opts: { lenOverride?: bigint; headerText?: string } = {}): Buffer {
  const json = Buffer.from(opts.headerText ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(opts.lenOverride ?? BigInt(json.length));
  const body = typeof data === 'number' ? Buffer.alloc(data) : Buffer.from(data);
  return Buffer.concat([len, json, body]);
}

test('round trip: F32, F16, BF16, I32, I64 and U8 tensors with metadata', (t) => {
  const dir = tmpDir(t);
  const f32 = new Float32Array([0, 1.5, -2.25, 3e38, -1e-30, Math.PI]);
  const file = path.join(dir, 'x.safetensors');
  writeSafetensors(
    file,
    {
      a: { shape: [2, 3], data: f32 },
      half: { shape: [6], data: f32, dtype: 'F16' },
      brain: { shape: [3, 2], data: f32, dtype: 'BF16' },
      ints: { shape: [4], data: new Int32Array([1, -2, 2147483647, -2147483648]) },
      longs: { shape: [2], data: new BigInt64Array([5n, -9007199254740993n]) },
      bytes: { shape: [3], data: new Uint8Array([0, 7, 255]) },
      empty: { shape: [0, 4], data: new Float32Array(0) },
    },
    { format: 'pt', note: 'hello' },
  );
  const back = readSafetensors(file);
  assert.deepEqual(back.metadata, { format: 'pt', note: 'hello' });
  assert.deepEqual(back.tensors.get('a')!.shape, [2, 3]);
  assert.deepEqual(Array.from(back.tensors.get('a')!.data as Float32Array), Array.from(f32));
  // F16: exact for values it can represent, Infinity beyond 65504, subnormal underflow to 0
  assert.deepEqual(Array.from(back.tensors.get('half')!.data as Float32Array), [0, 1.5, -2.25, Infinity, -0, 3.140625]);
  assert.equal(back.tensors.get('half')!.dtype, 'F16');
  // BF16 keeps float32's range with an 8-bit mantissa
  const bf = back.tensors.get('brain')!.data as Float32Array;
  for (let i = 0; i < f32.length; i++) assert.ok(Math.abs(bf[i] - f32[i]) <= Math.abs(f32[i]) / 128, `bf16[${i}] ${bf[i]} vs ${f32[i]}`);
  assert.deepEqual(Array.from(back.tensors.get('ints')!.data as Int32Array), [1, -2, 2147483647, -2147483648]);
  assert.deepEqual(Array.from(back.tensors.get('longs')!.data as BigInt64Array), [5n, -9007199254740993n]);
  assert.deepEqual(Array.from(back.tensors.get('bytes')!.data as Uint8Array), [0, 7, 255]);
  assert.deepEqual(back.tensors.get('empty')!.shape, [0, 4]);
});

test('layout: header padded with spaces to 8 bytes, offsets contiguous in write order', () => {
  const buf = serializeSafetensors({ w: { shape: [3], data: new Float32Array([1, 2, 3]) }, b: { shape: [1], data: new Float32Array([4]) } });
  const n = Number(buf.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const header = buf.subarray(8, 8 + n).toString('utf8');
  assert.equal(header[0], '{');
  assert.match(header, /} *$/);
  const h = JSON.parse(header);
  assert.deepEqual(h.w, { dtype: 'F32', shape: [3], data_offsets: [0, 12] });
  assert.deepEqual(h.b, { dtype: 'F32', shape: [1], data_offsets: [12, 16] });
  assert.equal(buf.length, 8 + n + 16);
  assert.equal(buf.readFloatLE(8 + n + 12), 4);
});

test('decodes files written by another writer: misaligned data and F64', () => {
  // header length 30 (not a multiple of 8): the F32 data starts at byte 38, unaligned
  const f64 = Buffer.alloc(16);
  f64.writeDoubleLE(0.5, 0);
  f64.writeDoubleLE(-8, 8);
  const f32 = Buffer.alloc(4);
  f32.writeFloatLE(2.5);
  const header = { d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] }, f: { dtype: 'F32', shape: [1], data_offsets: [16, 20] } };
  const file = rawFile(header, Buffer.concat([f64, f32]));
  const back = parseSafetensors(file);
  assert.deepEqual(Array.from(back.tensors.get('d')!.data as Float32Array), [0.5, -8]);
  assert.deepEqual(Array.from(back.tensors.get('f')!.data as Float32Array), [2.5]);
});

const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

const malformed: Array<[string, Buffer, RegExp]> = [
  ['shorter than the length field', Buffer.from([1, 2, 3]), /shorter than the 8-byte header length/],
  ['header length beyond the limit', rawFile(ok, 8, { lenOverride: 200_000_000n }), /exceeds the 100000000-byte limit/],
  ['header length past the end of the file', rawFile(ok, 8, { lenOverride: 4096n }), /runs past the end/],
  ['header not starting with {', rawFile(null, 0, { headerText: '  {"a": 1}' }), /does not start with '\{'/],
  ['header that is not JSON', rawFile(null, 8, { headerText: '{"a": {"dtype": "F32",' }), /not valid UTF-8 JSON/],
  ['header that is a JSON array', rawFile(null, 0, { headerText: '{' + '}'.slice(1) + '[]' }), /not valid UTF-8 JSON|not a JSON object/],
  ['unknown dtype', rawFile({ a: { dtype: 'F17', shape: [2], data_offsets: [0, 8] } }, 8), /unknown dtype 'F17'/],
  ['negative dimension', rawFile({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8), /invalid shape/],
  ['shape × dtype size mismatch', rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /needs 12/],
  ['offsets out of range', rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8), /out of range/],
  ['offsets reversed', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, 8), /invalid data_offsets/],
  [
    'overlapping tensors',
    rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12),
    /overlap/,
  ],
  [
    'a gap between tensors',
    rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12),
    /not contiguous: 4 unused bytes before tensor 'b'/,
  ],
  ['bytes after the last tensor', rawFile(ok, 12), /4 bytes after the last tensor/],
  ['metadata that is not strings', rawFile({ __metadata__: { n: 1 }, ...ok }, 8), /must be a string/],
  ['tensor entry that is not an object', rawFile({ a: 5 }, 0), /entry is not an object/],
];

for (const [name, buf, re] of malformed) {
  test(`refuses a malformed file: ${name}`, (t) => {
    const dir = tmpDir(t);
    const file = path.join(dir, 'bad.safetensors');
    fs.writeFileSync(file, buf);
    assert.throws(
      () => readSafetensors(file),
      (e: unknown) => {
        assert.ok(e instanceof SafetensorsError, `expected SafetensorsError, got ${String(e)}`);
        assert.match(e.message, re);
        assert.ok(e.message.includes(file), 'the message names the file');
        return true;
      },
    );
    assert.throws(() => parseSafetensors(buf), SafetensorsError);
  });
}

test('refuses a known dtype it cannot decode, naming the tensor', () => {
  const buf = rawFile({ q: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, 2);
  assert.throws(() => parseSafetensors(buf, 'q.safetensors'), /tensor 'q' has dtype 'F8_E4M3', which Tune Studio cannot decode/);
});

test('readSafetensorsHeader reads the header without the data', (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'big.safetensors');
  writeSafetensors(file, { w: { shape: [256, 256], data: new Float32Array(65536) } }, { k: 'v' });
  const h = readSafetensorsHeader(file);
  assert.deepEqual(h.entries.get('w'), { dtype: 'F32', shape: [256, 256], data_offsets: [0, 262144] });
  assert.deepEqual(h.metadata, { k: 'v' });
  assert.equal(h.dataStart + 262144, fs.statSync(file).size);
});

test('the writer refuses data that does not fill the shape', () => {
  assert.throws(() => serializeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } }), /3 values do not fill shape \[2,2\]/);
});
