#!/usr/bin/env node
// A seeded stand-in trainer for the agent examples and their tests: no ML,
// no dependencies. Its final loss depends on the learning rate with a known
// best (lr = 0.003: the loss floor is lowest there); at a learning rate of
// 0.1 or more it diverges, and its loss turns NaN after a few steps, as a real
// run's would. It prints Tune Studio protocol lines (`@tunestudio {json}`),
// honours a stop request on stdin or in control.json (the supervisor's
// control channel, see src/protocol/control.ts), and exits 0.
//
//   node trainer.js --lr 0.003 [--steps 60] [--interval-ms 20] [--seed 1]
'use strict';
const fs = require('node:fs');

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}
const lr = option('lr', 0.003);
const steps = option('steps', 60);
const intervalMs = option('interval-ms', 20);
let seed = option('seed', 1);
if (!(lr > 0)) {
  process.stderr.write(`trainer: --lr must be a positive number, got ${args[args.indexOf('--lr') + 1]}\n`);
  process.exit(2);
}

function random() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

function emit(message) {
  const json = JSON.stringify(message, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? `__${v}__` : v));
  process.stdout.write(`@tunestudio ${json.replace(/"__(NaN|Infinity|-Infinity)__"/g, '$1')}\n`);
}

/** The loss floor: lowest at lr = 0.003, a parabola in log10(lr). */
const floor = 0.2 + 0.5 * (Math.log10(lr) - Math.log10(0.003)) ** 2;
const diverges = lr >= 0.1;

let stopReason = null;
const STOP = /"cmd"\s*:\s*"stop"/;
// The control channel: a line on stdin, or control.json in the job folder.
process.stdin.on('data', (d) => {
  if (STOP.test(String(d))) stopReason = 'stop requested';
});
process.stdin.on('error', () => undefined);
const controlFile = process.env.TUNESTUDIO_CONTROL || null;
function checkControl() {
  if (!controlFile) return;
  try {
    if (STOP.test(fs.readFileSync(controlFile, 'utf8'))) stopReason = 'stop requested';
  } catch {
    /* no control file */
  }
}

emit({ config: { lr, steps, seed: option('seed', 1) } });
console.log(`trainer: lr ${lr}, ${steps} steps`);

let step = 0;
let loss = 2.5;
function tick() {
  checkControl();
  if (stopReason) {
    console.log(`trainer: stopping at step ${step} (${stopReason})`);
    process.exitCode = 0;
    process.stdin.destroy();
    return;
  }
  step += 1;
  if (diverges) loss = step >= 8 ? NaN : loss * 1.8;
  else loss = floor + (2.5 - floor) * Math.exp(-step / (steps / 5)) + (random() - 0.5) * 0.01;
  emit({ step, metrics: { 'train/loss': Number.isFinite(loss) ? Math.round(loss * 1e5) / 1e5 : loss } });
  emit({ progress: { current: step, total: steps, unit: 'step' } });
  if (step >= steps) {
    console.log('trainer: done');
    process.stdin.destroy();
    return;
  }
  setTimeout(tick, intervalMs);
}
setTimeout(tick, intervalMs);
