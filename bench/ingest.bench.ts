// Ingest throughput: lines/s through the line splitter and each parser, and
// tfevents records/s through the tailer, each beside a bare baseline run in the
// same process on the same bytes (a reader that only splits on '\n'; a TFRecord
// walk that only follows the lengths). Ratios > 1 mean ours is faster.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineSplitter } from '../src/runtime/ingest/lines';
import { createParsers, LineIngest } from '../src/runtime/ingest/spec';
import { TfeventsTailer } from '../src/runtime/ingest/tfevents';
import { TfRecordReader } from '../src/runtime/ingest/tfrecord';
import type { ParserSpec } from '../src/runtime/ingest/types';
import { eventRecord, tf2ScalarEvent, tfrecord, eventProto } from '../test/helpers/tfevents';
import { median, printTable, ratio, saveResults, timeIt, workDir } from './lib';

const TARGET_BYTES = 12 * 1024 * 1024;

function repeatTo(lines: (i: number) => string): Buffer {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < TARGET_BYTES; i++) {
    const l = lines(i);
    parts.push(l);
    size += Buffer.byteLength(l);
  }
  return Buffer.from(parts.join(''));
}

const bar = (n: number, total: number, desc = '', post = '') =>
  `${desc}${String(Math.round((100 * n) / total)).padStart(3)}%|█████     | ${n}/${total} [00:10<00:10, 5.00it/s${post}]`;

// Each workload: the bytes a trainer writes, and the parsers a job would list.
const WORKLOADS: Array<{ name: string; specs: ParserSpec[]; data: Buffer }> = [
  {
    name: 'protocol',
    specs: ['protocol'],
    data: repeatTo((i) => `@tunestudio {"step": ${i}, "metrics": {"train/loss": ${(1 / (i + 1)).toFixed(6)}, "train/lr": 1e-4}}\n`),
  },
  {
    name: 'hf',
    specs: ['hf'],
    data: repeatTo((i) =>
      i % 10 === 9
        ? `{'loss': ${(1 / (i + 1)).toFixed(4)}, 'grad_norm': ${(1 + i / 1e5).toFixed(6)}, 'learning_rate': 4.9e-05, 'epoch': ${(i / 1e4).toFixed(2)}}\n`
        : `\r${bar(i % 100000, 100000)}`,
    ),
  },
  {
    name: 'lightning',
    specs: [{ regex: 'lightning' }],
    data: repeatTo((i) => `\r${bar(i % 1000, 1000, `Epoch ${Math.floor(i / 1000)}: `, `, v_num=0, train_loss=${(1 / (i + 1)).toFixed(3)}, val_loss=0.612`)}`),
  },
  {
    name: 'ace-step',
    specs: [{ regex: 'ace-step' }],
    data: repeatTo((i) =>
      i % 2
        ? `\nEpoch ${Math.floor(i / 500)}, step ${i}: loss=${(1 / (i + 1)).toFixed(4)}, denoising_loss=0.0440, lr=1.0e-04\n`
        : `\r${bar(i % 500, 500, `Epoch ${Math.floor(i / 500)}: `, `, v_num=0, train/loss=${(1 / (i + 1)).toFixed(3)}, train/denoising_loss=0.044`)}`,
    ),
  },
  {
    name: 'regex (user)',
    specs: [{ regex: { pattern: '^iter (?<step>\\d+) loss (?<loss>\\S+) lr (?<lr>\\S+)$', step: 'step', metrics: { 'train/loss': 'loss', 'train/lr': 'lr' } } }],
    data: repeatTo((i) => `iter ${i} loss ${(1 / (i + 1)).toFixed(5)} lr 1e-4\n`),
  },
  {
    name: 'mixed log, default parsers',
    specs: ['protocol', { regex: 'lightning' }, 'hf'],
    data: repeatTo((i) =>
      i % 20 === 0
        ? `{'loss': 0.5, 'learning_rate': 5e-05, 'epoch': ${i}}\n`
        : `2025-05-08 12:00:${String(i % 60).padStart(2, '0')},123 - INFO - trainer - processed batch ${i} of dataset shard ${i % 7}\n`,
    ),
  },
];

/** The baseline: cut at every \n and \r and decode each piece, nothing else (no CRLF, no ANSI, no limits). */
function bareLines(data: Buffer): number {
  let n = 0;
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c === 10 || c === 13) {
      sink += data.toString('utf8', start, i).length; // keeps the decoding from being optimised away
      n++;
      start = i + 1;
    }
  }
  return n;
}
let sink = 0;

function splitterOnly(data: Buffer): number {
  const s = new LineSplitter();
  let n = 0;
  for (let i = 0; i < data.length; i += 65536) n += s.push(data.subarray(i, i + 65536)).length;
  return n + s.flush().length;
}

function throughParsers(data: Buffer, specs: ParserSpec[]): { pieces: number; events: number } {
  const { lines } = createParsers(specs, { cwd: process.cwd() });
  const ingest = new LineIngest(lines);
  const s = new LineSplitter();
  let pieces = 0;
  let events = 0;
  const take = (ps: ReturnType<LineSplitter['push']>) => {
    pieces += ps.length;
    for (const p of ps) events += ingest.line(p.text, p.final).length;
  };
  for (let i = 0; i < data.length; i += 65536) take(s.push(data.subarray(i, i + 65536)));
  take(s.flush());
  events += ingest.flush().length; // what parsers hold at the end (a Lightning step's last draw)
  return { pieces, events };
}

async function main(): Promise<void> {
  const rows: Array<Record<string, string | number>> = [];
  const results: Record<string, unknown> = {};
  for (const w of WORKLOADS) {
    const pieces = splitterOnly(w.data);
    const bareCount = bareLines(w.data);
    const bare = median(await timeIt(() => bareLines(w.data), 3));
    const split = median(await timeIt(() => splitterOnly(w.data), 3));
    let events = 0;
    const parse = median(await timeIt(() => (events = throughParsers(w.data, w.specs).events), 3));
    const mb = w.data.length / 1024 / 1024;
    const row = {
      workload: w.name,
      MB: Math.round(mb),
      pieces,
      events,
      'bare lines/s': Math.round(bareCount / (bare / 1000)),
      'splitter pieces/s': Math.round(pieces / (split / 1000)),
      'parsed pieces/s': Math.round(pieces / (parse / 1000)),
      'parsed MB/s': Math.round(mb / (parse / 1000)),
      'splitter vs bare': ratio(bare, split),
      'parsed vs bare': ratio(bare, parse),
    };
    rows.push(row);
    results[w.name] = row;
  }
  printTable(rows);

  // tfevents: 200k events (TF2-style tensor scalars and simple values) in one file.
  const dir = workDir('ingest');
  const records: Buffer[] = [eventRecord({ wallTime: 1, fileVersion: 'brain.Event:2' })];
  const N = 100_000;
  for (let i = 0; i < N; i++) {
    records.push(i % 2 ? eventRecord(tf2ScalarEvent(i, 'train/loss', 1 / (i + 1))) : tfrecord(eventProto({ wallTime: 1_700_000_000 + i, step: i, values: [{ tag: 'train/loss', simple: 1 / (i + 1) }, { tag: 'train/lr', simple: 1e-4 }] })));
  }
  const file = Buffer.concat(records);
  fs.mkdirSync(path.join(dir, 'run'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'run', 'events.out.tfevents.1.bench'), file);
  const walk = () => {
    const b = fs.readFileSync(path.join(dir, 'run', 'events.out.tfevents.1.bench'));
    let n = 0;
    for (let p = 0; p + 12 <= b.length; n++) p += 16 + b.readUInt32LE(p);
    return n;
  };
  const frames = () => new TfRecordReader().push(file).length;
  let scalars = 0;
  const tail = async () => {
    const t = new TfeventsTailer({ dir });
    const evs = await t.poll();
    scalars = t.stats.scalars;
    return evs.length;
  };
  const walkMs = median(await timeIt(walk, 3));
  const framesMs = median(await timeIt(frames, 3));
  const tailMs = median(await timeIt(tail, 3));
  const recs = records.length;
  const tf = {
    records: recs,
    scalars,
    MB: Math.round(file.length / 1024 / 1024),
    'bare walk records/s': Math.round(recs / (walkMs / 1000)),
    'framing+CRC records/s': Math.round(recs / (framesMs / 1000)),
    'tailer records/s': Math.round(recs / (tailMs / 1000)),
    'tailer scalars/s': Math.round(scalars / (tailMs / 1000)),
    'CRC vs bare': ratio(walkMs, framesMs),
    'tailer vs bare': ratio(walkMs, tailMs),
  };
  printTable([tf]);
  results.tfevents = tf;
  if (sink < 0) console.log(sink);
  saveResults('ingest', results);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
