// What `tunestudio run` echoes: every byte of ordinary output as written,
// none of the protocol lines, whatever the chunking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolLineFilter } from '../../../src/runtime/jobs/echo';

function filterAll(input: Buffer, cuts: number[]): string {
  const f = new ProtocolLineFilter();
  const out: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, input.length]) {
    out.push(f.push(input.subarray(at, c)));
    at = c;
  }
  out.push(f.flush());
  return Buffer.concat(out).toString('utf8');
}

test('protocol lines are left out (with their \\n or \\r\\n); everything else passes byte for byte, in any chunking', () => {
  const input = Buffer.from(
    [
      'epoch 1\n',
      '@tunestudio {"step": 1, "metrics": {"loss": 0.5}}\n',
      '\u001b[32mgreen\u001b[0m text ✓\r\n',
      '@tunestudio\t{"step": 2}\r\n',
      ' 10%|#         |\r 20%|##        |\r',
      '@tunestudi not quite\n',
      '@tunestudio',
      '\n',
      'x@tunestudio {"in": "the middle"}\n',
      '\n',
      'Enter a value: ',
    ].join(''),
  );
  const want =
    'epoch 1\n\u001b[32mgreen\u001b[0m text ✓\r\n 10%|#         |\r 20%|##        |\r@tunestudi not quite\n@tunestudio\nx@tunestudio {"in": "the middle"}\n\nEnter a value: ';
  assert.equal(filterAll(input, []), want);
  // Every split point, and seeded random multi-way splits.
  for (let c = 0; c <= input.length; c++) assert.equal(filterAll(input, [c]), want, `cut at ${c}`);
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let k = 0; k < 200; k++) {
    const cuts = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * input.length)).sort((a, b) => a - b);
    assert.equal(filterAll(input, cuts), want, `cuts ${cuts.join(',')}`);
  }
});

test('ordinary output shows at once: a line is not held back until its newline', () => {
  const f = new ProtocolLineFilter();
  assert.equal(f.push(Buffer.from('Loading model')).toString(), 'Loading model');
  assert.equal(f.push(Buffer.from('... done\n@tune')).toString(), '... done\n');
  assert.equal(f.push(Buffer.from('studio {}\n')).toString(), '');
  assert.equal(f.flush().toString(), '');
});
