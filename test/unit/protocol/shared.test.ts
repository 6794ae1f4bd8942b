// The protocol's shared pure helpers are the one copy every face uses: number
// and duration formats (CLI tables = tree views = webviews), CSV escaping (the
// CLI's export = the dashboard's export), the status look (tree icon = quick
// pick = webview class) and the metric rules (runtime = dashboard; the
// architecture tests keep every face importing them from src/protocol/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duration, num } from '../../../src/cli/format';
import { csvField } from '../../../src/protocol/csv';
import { fmtDuration, fmtNum } from '../../../src/protocol/format';
import { HEADLINE_METRICS, metricDirection } from '../../../src/protocol/metrics';
import { statusCodicon, statusLook } from '../../../src/protocol/status';
import { statusIcon } from '../../../src/webviews/shared/styles';

test('one number format: 4 significant digits, counts and steps exact, NaN and ±Inf spelled the same everywhere', () => {
  assert.equal(fmtNum(0.123456), '0.1235');
  assert.equal(fmtNum(1234567), '1234567', 'a step count is never rounded');
  assert.equal(fmtNum(123456789.5), '1.23e8');
  assert.equal(fmtNum(2.5e-7), '2.50e-7');
  assert.equal(fmtNum('Infinity'), '+Inf');
  assert.equal(fmtNum(-Infinity), '-Inf');
  assert.equal(fmtNum(NaN), 'NaN');
  assert.equal(fmtNum(null), '—');
  // The CLI's cells are the same format with its own placeholder.
  for (const v of [0.123456, 1234567, 123456789.5, 2.5e-7, 'Infinity', -Infinity, NaN, 0, 42] as const) assert.equal(num(v), fmtNum(v), String(v));
  assert.equal(num(null), '–');
});

test('one duration format: 12s, 4m 07s, 2h 05m, 3d 4h; the CLI shows – for none', () => {
  assert.equal(fmtDuration(12), '12s');
  assert.equal(fmtDuration(247), '4m 07s');
  assert.equal(fmtDuration(7500), '2h 05m');
  assert.equal(fmtDuration(3 * 86400 + 4 * 3600), '3d 4h');
  for (const s of [12, 247, 7500, 3 * 86400 + 4 * 3600]) assert.equal(duration(s), fmtDuration(s));
  assert.equal(duration(null), '–');
});

test('one CSV escaper: quotes, commas, LF and CR are quoted (RFC 4180); plain fields stay bare', () => {
  assert.equal(csvField('loss'), 'loss');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('carriage\rreturn'), '"carriage\rreturn"', 'a bare CR splits a row in Excel and Python csv');
});

test('one status table: the tree icon, the quick-pick codicon and the webview class agree, finished = completed', () => {
  for (const s of ['queued', 'starting', 'running', 'completed', 'finished', 'failed', 'crashed', 'stopped', 'cancelled']) {
    const look = statusLook(s)!;
    assert.ok(look, s);
    assert.equal(statusCodicon(s), look.spin ? `${look.codicon}~spin` : look.codicon, s);
    assert.equal(statusIcon(s).icon, look.codicon, `${s}: the webview shows the tree's codicon`);
  }
  assert.deepEqual(statusIcon('completed'), statusIcon('finished'), 'a completed job and a finished run look the same');
  assert.deepEqual(statusIcon('running'), { icon: 'sync', cls: 'st-running codicon-modifier-spin' });
  assert.deepEqual(statusIcon('crashed'), { icon: 'flame', cls: 'st-failed' });
  assert.equal(statusCodicon('running'), 'sync~spin');
  // Unknown states, and names that are properties of every object, get the plain circle.
  for (const s of ['weird', 'constructor', 'toString']) {
    assert.equal(statusLook(s), undefined, s);
    assert.equal(statusCodicon(s), 'circle-outline', s);
    assert.deepEqual(statusIcon(s), { icon: 'circle-outline', cls: '' }, s);
  }
});

test('one metric rule: loss-like metrics are minimised, accuracy-like maximised; the headline list starts with the losses', () => {
  const expected: Record<string, 'min' | 'max'> = { 'train/loss': 'min', 'eval/perplexity': 'min', lr: 'min', 'eval/accuracy': 'max', val_f1: 'max', reward: 'max', tokens_per_s: 'max', 'x/map': 'max' };
  for (const [m, d] of Object.entries(expected)) assert.equal(metricDirection(m), d, m);
  assert.deepEqual(HEADLINE_METRICS.slice(0, 3), ['train/loss', 'loss', 'eval/loss']);
});
