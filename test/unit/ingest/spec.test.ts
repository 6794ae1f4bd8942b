import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProtocolParser } from '../../../src/runtime/ingest/protocol';
import { createParsers, DEFAULT_PARSER_SPECS, LineIngest, ParserSpecError, validateParserSpecs } from '../../../src/runtime/ingest/spec';
import type { ParserSpec } from '../../../src/runtime/ingest/types';
import { tmpDir } from '../../helpers/tmp';

test('protocol parser: good lines become protocol events, bad ones malformed events, others are not its lines', () => {
  const p = new ProtocolParser();
  assert.deepEqual(p.parse('@tunestudio {"step": 3, "metrics": {"train/loss": NaN, "x": -Infinity}}'), [
    { type: 'protocol', message: { step: 3, metrics: { 'train/loss': NaN, x: -Infinity } } },
  ]);
  assert.equal(p.parse('tunestudio {"step": 3}'), null);
  assert.equal(p.parse(' @tunestudio {"step": 3}'), null);
  for (const [line, why] of [
    ['@tunestudio {"step": 3', /invalid JSON/],
    ['@tunestudio [1, 2]', /expected a JSON object/],
    ['@tunestudio {"step": -1, "metrics": {}}', /non-negative integer/],
    ['@tunestudio {"hello": 1}', /no known key/],
  ] as const) {
    const [ev] = p.parse(line)!;
    assert.equal(ev.type, 'malformed', line);
    assert.match((ev as { error: string }).error, why);
    assert.equal((ev as { source: string }).source, 'protocol');
  }
});

test('validation names each problem and where it is', (t) => {
  const cwd = tmpDir(t);
  const outside = tmpDir(t);
  fs.symlinkSync(outside, path.join(cwd, 'link'));
  const problems = validateParserSpecs(
    [
      'protocol',
      'hf',
      'tensorboard',
      'lightning',
      { regex: 'nope' },
      { regex: { pattern: '(unclosed' } },
      { regex: { pattern: 'loss=(\\S+)' } },
      { regex: { pattern: 'loss=(?<loss>\\S+)', step: 'it' } },
      { regex: { pattern: 'loss=(?<loss>\\S+)', metrics: { 'train/loss': 'los' } } },
      { regex: { pattern: 'x(?<s>\\d+)', step: 's' } },
      { regex: { pattern: 'loss=(?<loss>\\S+)', flags: 'g' } },
      { regex: { pattern: 'loss=(?<loss>\\S+)', pattren: 'typo' } },
      { tfevents: '../elsewhere' },
      { tfevents: '/etc' },
      { tfevents: 'link/runs' },
      { tfevents: { path: 'runs', prefix: 'folder' } },
      { tfevents: '' },
      { regex: 'lightning', tfevents: 'runs' },
      42,
    ],
    { cwd },
  );
  const at = (p: string) => problems.filter((x) => x.path === p).map((x) => x.message);
  assert.match(at('parsers[2]')[0], /Unknown parser 'tensorboard'/);
  assert.match(at('parsers[3]')[0], /Presets are written \{"regex": "lightning"\}/);
  assert.match(at('parsers[4].regex')[0], /Unknown regex preset 'nope'/);
  assert.match(at('parsers[5].regex.pattern')[0], /Invalid regular expression/);
  assert.match(at('parsers[6].regex.pattern')[0], /no named groups/);
  assert.match(at('parsers[7].regex.step')[0], /must name a group of the pattern \(loss\)/);
  assert.match(at('parsers[8].regex.metrics.train/loss')[0], /names group "los", which the pattern does not have/);
  assert.match(at('parsers[9].regex.pattern')[0], /only named group is the step/);
  assert.match(at('parsers[10].regex.flags')[0], /may hold i, m, s and u/);
  assert.match(at('parsers[11].regex.pattren')[0], /Unknown regex option "pattren"/);
  assert.match(at('parsers[12].tfevents')[0], /outside the job's folder/);
  assert.match(at('parsers[13].tfevents')[0], /outside the job's folder/);
  assert.match(at('parsers[14].tfevents')[0], /through a symbolic link/);
  assert.match(at('parsers[15].tfevents.prefix')[0], /"subfolder" \(default\) or "none"/);
  assert.match(at('parsers[16].tfevents')[0], /needs the TensorBoard log folder/);
  assert.match(at('parsers[17]')[0], /exactly one key/);
  assert.match(at('parsers[18]')[0], /a name or an object, got 42/);
  assert.equal(problems.length, 17, JSON.stringify(problems, null, 1));
  assert.deepEqual(validateParserSpecs('hf', { cwd }), [{ path: 'parsers', message: '"parsers" must be a list, e.g. ["protocol", "hf"]; got "hf"' }]);
});

test('a valid list passes and builds its parsers; protocol always comes first', (t) => {
  const cwd = tmpDir(t);
  const specs: ParserSpec[] = ['hf', { regex: 'lightning' }, { regex: { pattern: 'x=(?<x>\\d+)' } }, { tfevents: 'runs' }, { tfevents: { path: 'tb', prefix: 'none' } }];
  assert.deepEqual(validateParserSpecs(specs, { cwd }), []);
  const { lines, tailers } = createParsers(specs, { cwd });
  assert.deepEqual(
    lines.map((p) => p.name),
    ['protocol', 'hf', 'lightning', 'regex'],
  );
  assert.deepEqual(
    tailers.map((x) => x.dir),
    [path.join(cwd, 'runs'), path.join(cwd, 'tb')],
  );
  assert.deepEqual(createParsers(undefined, { cwd }).lines.map((p) => p.name), ['protocol', 'lightning', 'hf']);
  assert.deepEqual(DEFAULT_PARSER_SPECS, ['protocol', { regex: 'lightning' }, 'hf']);
  assert.throws(
    () => createParsers(['nope' as ParserSpec], { cwd }),
    (e: unknown) => e instanceof ParserSpecError && e.problems.length === 1 && /Unknown parser 'nope'/.test(e.message),
  );
});

test('LineIngest: the first parser that claims a line gets it; counts add up; a throwing parser becomes malformed', () => {
  const boom = { name: 'boom', parse: (l: string) => (l === 'boom' ? (() => { throw new Error('kaput'); })() : null) };
  const { lines } = createParsers(['protocol', { regex: 'lightning' }, 'hf'], { cwd: process.cwd() });
  const ingest = new LineIngest([...lines, boom]);
  const ev1 = [...ingest.line('Epoch 0:  50%|█████     | 5/10 [00:01<00:01, 5.00it/s, v_num=0, loss=0.5]', false), ...ingest.flush()];
  assert.deepEqual(
    ev1.map((e) => e.type),
    ['progress', 'metrics'],
  );
  assert.equal((ev1[1] as { source: string }).source, 'lightning', 'Lightning is listed before hf, so it gets its bar');
  assert.deepEqual(ingest.line(' 50%|█████     | 5/10 [00:01<00:01, 5.00it/s]', false), [{ type: 'progress', current: 5, total: 10, source: 'hf' }]);
  assert.equal(ingest.line("{'loss': 0.25, 'epoch': 0.5}", true)[0].type, 'metrics');
  assert.equal(ingest.line('@tunestudio {"step": 1}', true)[0].type, 'protocol');
  assert.equal(ingest.line('@tunestudio {', true)[0].type, 'malformed');
  assert.deepEqual(ingest.line('just output', true), []);
  const [b] = ingest.line('boom', true);
  assert.deepEqual(b, { type: 'malformed', line: 'boom', error: "parser 'boom' failed: kaput", source: 'boom' });
  assert.deepEqual(ingest.counts, {
    lines: 5,
    frames: 2,
    claimed: { lightning: 1, hf: 2, protocol: 2, boom: 1 },
    metricEvents: 2,
    metricValues: 3,
    protocol: 1,
    progress: 2,
    malformed: 2,
  });
});
