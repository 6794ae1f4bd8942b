import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProtocolLine, parseJsonWithNonFinite, parseProtocolLine } from '../../../src/protocol/lines';

test('NaN, Infinity and -Infinity are numbers outside strings and text inside them', () => {
  assert.deepEqual(parseJsonWithNonFinite('{"a": NaN, "b": Infinity, "c": -Infinity, "d": [1, NaN], "s": "NaN Infinity \\" NaN"}'), {
    a: NaN,
    b: Infinity,
    c: -Infinity,
    d: [1, NaN],
    s: 'NaN Infinity " NaN',
  });
  assert.throws(() => parseJsonWithNonFinite('{"a": NaNa}'));
});

test('format → parse round trip keeps non-finite numbers', () => {
  const line = formatProtocolLine({ step: 3, metrics: { loss: NaN, up: Infinity, down: -Infinity, ok: 0.5, 'tricky "name"': 1 } });
  assert.equal(line, '@tunestudio {"step":3,"metrics":{"loss":NaN,"up":Infinity,"down":-Infinity,"ok":0.5,"tricky \\"name\\"":1}}');
  const r = parseProtocolLine(line);
  assert.ok(r.ok);
  assert.deepEqual(r.ok && r.message.metrics, { loss: NaN, up: Infinity, down: -Infinity, ok: 0.5, 'tricky "name"': 1 });
});

test('malformed lines are reported, never thrown', () => {
  const bad = ['@tunestudio ', '@tunestudio {', '@tunestudio [1]', '@tunestudio {"x": 1}', '@tunestudio {"step": 1.5, "metrics": {}}', '@tunestudio {"metrics": []}', '@tunestudio {"alert": {"text": "no title"}}', '@tunestudio {"status": 5}'];
  for (const b of bad) {
    const r = parseProtocolLine(b);
    assert.equal(r.ok, false, b);
    assert.ok(!r.ok && r.error.length > 5, b);
  }
});
