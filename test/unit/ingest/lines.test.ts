import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { collapseFrames, FrameCollapser, LineSplitter, stripAnsi, type LinePiece } from '../../../src/runtime/ingest/lines';
import { rng } from '../../helpers/random';

const pieces = (ps: LinePiece[]) => ps.map((p) => [p.text, p.final] as const);

function splitAll(input: Buffer, chunks: number[] | null = null, opts = {}): LinePiece[] {
  const s = new LineSplitter(opts);
  const out: LinePiece[] = [];
  if (!chunks) out.push(...s.push(input));
  else {
    let pos = 0;
    for (const n of chunks) {
      out.push(...s.push(input.subarray(pos, pos + n)));
      pos += n;
    }
    out.push(...s.push(input.subarray(pos)));
  }
  out.push(...s.flush());
  return out;
}

test('\\n and \\r\\n end final lines; a lone \\r ends a frame; empty frames are dropped, blank lines kept', () => {
  const out = splitAll(Buffer.from('a\nb\r\n\nc\r  5%|▌ | 5/100\r 10%|█ | 10/100\rdone\n'));
  assert.deepEqual(pieces(out), [
    ['a', true],
    ['b', true],
    ['', true],
    ['c', false],
    ['  5%|▌ | 5/100', false],
    [' 10%|█ | 10/100', false],
    ['done', true],
  ]);
});

test('a \\r at the end of a chunk waits for the next byte: \\r\\n across chunks is one final line', () => {
  const s = new LineSplitter();
  assert.deepEqual(pieces(s.push(Buffer.from('line one\r'))), []);
  assert.deepEqual(pieces(s.push(Buffer.from('\nframe\r'))), [['line one', true]]);
  assert.deepEqual(pieces(s.push(Buffer.from('next'))), [['frame', false]]);
  assert.deepEqual(pieces(s.flush()), [['next', true]]);
  // A trailing \r at EOF ends the last frame as a final line.
  const t = new LineSplitter();
  t.push(Buffer.from('last frame\r'));
  assert.deepEqual(pieces(t.flush()), [['last frame', true]]);
});

test('every way of cutting the input into chunks gives the same pieces (split UTF-8 included)', () => {
  const text = 'naïve café €5 — 𝄞 clef\r  3%|▎| 3/100 [00:01<00:30, 3.2it/s]\r\n日本語の行\nend 😀';
  const input = Buffer.from(text, 'utf8');
  const whole = pieces(splitAll(input));
  assert.deepEqual(whole, [
    ['naïve café €5 — 𝄞 clef', false],
    ['  3%|▎| 3/100 [00:01<00:30, 3.2it/s]', true],
    ['日本語の行', true],
    ['end 😀', true],
  ]);
  for (let cut = 1; cut < input.length; cut++) assert.deepEqual(pieces(splitAll(input, [cut])), whole, `cut at byte ${cut}`);
  const r = rng(7);
  for (let k = 0; k < 200; k++) {
    const chunks: number[] = [];
    for (let used = 0; used < input.length; ) {
      const n = 1 + Math.floor(r() * 6);
      chunks.push(n);
      used += n;
    }
    assert.deepEqual(pieces(splitAll(input, chunks)), whole);
  }
  // Byte by byte, the hardest case for a decoder.
  assert.deepEqual(pieces(splitAll(input, Array(input.length).fill(1))), whole);
});

test('ANSI escape codes are stripped for parsers, the raw text is kept', () => {
  const raw = '\u001b[32mINFO\u001b[0m loss=0.5 \u001b]0;title\u0007\u001b[2K\u001b[A';
  const [p] = splitAll(Buffer.from(raw + '\n'));
  assert.equal(p.text, 'INFO loss=0.5 ');
  assert.equal(p.raw, raw);
  assert.equal(stripAnsi('plain'), 'plain');
});

test('a line longer than maxLineBytes is cut on a character boundary, flagged, and the rest dropped', () => {
  const long = '€'.repeat(40); // 120 bytes
  for (const chunks of [null, [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]]) {
    const s = new LineSplitter({ maxLineBytes: 64 });
    const input = Buffer.from(`short\n${long}\r\nafter\n${'x'.repeat(100)}\rframe\n`);
    const out: LinePiece[] = [];
    if (!chunks) out.push(...s.push(input));
    else {
      let pos = 0;
      for (const n of chunks) {
        out.push(...s.push(input.subarray(pos, pos + n)));
        pos += n;
      }
      out.push(...s.push(input.subarray(pos)));
    }
    out.push(...s.flush());
    assert.deepEqual(
      out.map((p) => [p.text, p.final, p.truncated ?? false]),
      [
        ['short', true, false],
        ['€'.repeat(21), true, true], // 63 bytes: the 22nd € would be split
        ['after', true, false],
        ['x'.repeat(64), true, true],
        ['frame', true, false],
      ],
    );
    assert.equal(s.stats.cutLines, 2);
    assert.equal(s.stats.droppedBytes, 120 - 63 + (100 - 64));
  }
});

test('1 MiB lines pass whole through 64 KiB chunks', () => {
  const s = new LineSplitter();
  const lines = Array.from({ length: 12 }, (_, i) => String.fromCharCode(97 + i).repeat(1024 * 1024 - 1) + 'é');
  const input = Buffer.from(lines.join('\n') + '\n');
  const out: LinePiece[] = [];
  for (let pos = 0; pos < input.length; pos += 65536) out.push(...s.push(input.subarray(pos, pos + 65536)));
  out.push(...s.flush());
  assert.equal(out.length, 12);
  out.forEach((p, i) => {
    assert.equal(p.final, true);
    assert.equal(p.truncated, undefined);
    assert.equal(p.text.length, 1024 * 1024);
    assert.equal(p.text, lines[i]);
  });
});

function gcNow(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

test('100 MB of generated output: exact counts, and held bytes stay bounded', () => {
  const s = new LineSplitter({ maxLineBytes: 1024 * 1024 });
  // One block: 7 final lines (the 5th bar frame ends with \n), 4 frames, one 300 kB line.
  const block = Buffer.from(
    [
      "{'loss': 0.5, 'learning_rate': 5e-05, 'epoch': 0.1}\n",
      '\r  1%|          | 1/100 [00:00<00:10, 9.9it/s]'.repeat(5),
      '\n',
      'x'.repeat(300_000) + '\n',
      'INFO step done ünïcödé\r\n',
      '@tunestudio {"step": 1, "metrics": {"a": 1}}\n',
      '\n',
      'Traceback (most recent call last):\n',
    ].join(''),
  );
  const target = 100 * 1024 * 1024;
  const blocks = Math.ceil(target / block.length);
  gcNow();
  const heapBefore = process.memoryUsage().heapUsed;
  let finals = 0;
  let frames = 0;
  let maxPending = 0;
  let bytes = 0;
  const chunk = 64 * 1024;
  // Feed block copies cut at chunk boundaries that wander through the block.
  let carry = Buffer.alloc(0);
  for (let b = 0; b < blocks; b++) {
    let buf = carry.length ? Buffer.concat([carry, block]) : block;
    while (buf.length >= chunk) {
      for (const p of s.push(buf.subarray(0, chunk))) p.final ? finals++ : frames++;
      bytes += chunk;
      buf = buf.subarray(chunk);
      maxPending = Math.max(maxPending, s.pendingBytes);
    }
    carry = Buffer.from(buf);
  }
  for (const p of s.push(carry)) p.final ? finals++ : frames++;
  bytes += carry.length;
  for (const p of s.flush()) p.final ? finals++ : frames++;
  assert.ok(bytes >= target);
  assert.equal(finals, blocks * 7);
  assert.equal(frames, blocks * 4);
  assert.equal(s.stats.cutLines, 0);
  assert.ok(maxPending <= 300_000 + chunk, `held ${maxPending} bytes`);
  gcNow();
  const growth = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(growth < 32 * 1024 * 1024, `heap grew by ${growth} bytes`);
});

test('an endless line (no newline in 100 MB) is cut once and never held beyond the limit', () => {
  const s = new LineSplitter({ maxLineBytes: 4 * 1024 * 1024 });
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  let emitted = 0;
  let maxPending = 0;
  for (let i = 0; i < 100; i++) {
    emitted += s.push(chunk).length;
    maxPending = Math.max(maxPending, s.pendingBytes);
  }
  assert.equal(emitted, 1);
  assert.ok(maxPending <= 4 * 1024 * 1024);
  assert.equal(s.stats.droppedBytes, 96 * 1024 * 1024);
  // The line after the endless one is read normally.
  assert.deepEqual(pieces(s.push(Buffer.from('\nok\n'))), [['ok', true]]);
  assert.deepEqual(s.flush(), []);
});

test('FrameCollapser: the job log gets the last frame of each progress line, and lines written over a bar', () => {
  const out = splitAll(
    Buffer.from(
      'start\n' +
        '\r  0%|          | 0/3 [00:00<?, ?it/s]\r 33%|███▎      | 1/3 [00:01<00:02]\r 67%|██████▋   | 2/3 [00:02<00:01]' +
        '\r                                        \r' + // tqdm.write clears the bar...
        "{'loss': 0.5, 'epoch': 0.67}\n" + // ...writes the line...
        '\r 67%|██████▋   | 2/3 [00:02<00:01]\r100%|██████████| 3/3 [00:03<00:00]\n' + // ...redraws; close ends with \n
        'frame then CRLF\r\r\n' +
        'end\r',
    ),
  );
  assert.deepEqual(collapseFrames(out), [
    'start',
    "{'loss': 0.5, 'epoch': 0.67}",
    '100%|██████████| 3/3 [00:03<00:00]',
    'frame then CRLF',
    'end',
  ]);
  const c = new FrameCollapser();
  assert.equal(c.push({ text: ' 50%', final: false }), null);
  assert.equal(c.current, ' 50%');
  assert.equal(c.flush(), ' 50%');
  assert.equal(c.flush(), null);
});
