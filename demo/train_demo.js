#!/usr/bin/env node
// A stand-in trainer for the Tune Studio demo workspace: no ML, no
// dependencies. It prints Tune Studio protocol lines (`@tunestudio {json}`,
// see src/protocol/lines.ts) the way a real trainer would — config, a
// decreasing training loss with noise, an eval loss every few steps,
// progress, a sample and a checkpoint — and ordinary log lines between them.
//
//   node train_demo.js [--steps 200] [--interval-ms 50] [--seed 1] [--nan-at STEP]
//
// The "Demo trainer" preset of New Job… runs this file (it ships in the .vsix).
'use strict';

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}
const steps = option('steps', 200);
const intervalMs = option('interval-ms', 50);
const nanAt = option('nan-at', -1);
let seed = option('seed', 1);

// Small deterministic generator, so two runs with the same seed print the same curve.
function random() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

function emit(message) {
  // NaN and Infinity are allowed as bare tokens, as Python's json.dumps writes them.
  const json = JSON.stringify(message, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? `__${v}__` : v));
  process.stdout.write(`@tunestudio ${json.replace(/"__(NaN|Infinity|-Infinity)__"/g, '$1')}\n`);
}

const config = { model: 'demo-lora', lr: 3e-4, rank: 8, batch_size: 16, steps };
emit({ config });
emit({ watch: { metric: 'train/loss', nan: true } });
console.log(`demo trainer: ${steps} steps, one every ${intervalMs} ms`);

// Under a Tune Studio job the supervisor asks a trainer to stop with a JSON
// line on stdin ({"seq":1,"cmd":"stop",...}, src/protocol/control.ts): stop at
// the next step, say so and exit 0. Outside a job stdin is left alone.
let stopReason = null;
if (process.env.TUNESTUDIO_SUPERVISED === '1') {
  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const c = JSON.parse(line);
        if (c && c.cmd === 'stop') stopReason = c.reason || 'stop requested';
      } catch {
        // not a control line
      }
    }
  });
  process.stdin.on('error', () => {});
}
process.on('SIGTERM', () => {
  console.log('demo trainer: SIGTERM, exiting');
  process.exit(143);
});

function finish() {
  process.stdin.destroy();
}

let step = 0;
function tick() {
  if (stopReason !== null) {
    console.log(`demo trainer: stopping at step ${step} (${stopReason})`);
    emit({ checkpoint: { step, path: 'checkpoints/stopped' } });
    return finish();
  }
  step += 1;
  const base = 2.4 * Math.exp(-step / (steps / 4)) + 0.35;
  const loss = step === nanAt ? NaN : base + (random() - 0.5) * 0.12;
  const metrics = { 'train/loss': round(loss), 'train/lr': Number((config.lr * Math.min(1, step / 20)).toPrecision(4)) };
  if (step % 25 === 0) metrics['eval/loss'] = round(base + 0.08 + (random() - 0.5) * 0.04);
  emit({ step, metrics });
  emit({ progress: { current: step, total: steps, unit: 'step' } });
  if (step % 50 === 0) {
    console.log(`step ${step}: loss ${metrics['train/loss']}`);
    emit({ sample: { step, prompt: 'lofi piano, rainy night', text: `sample at step ${step}` } });
  }
  if (step === steps) {
    emit({ checkpoint: { step, path: 'checkpoints/final', metrics: { 'eval/loss': round(base + 0.08) } } });
    console.log('demo trainer: done');
    return finish();
  }
  setTimeout(tick, intervalMs);
}

function round(x) {
  return Number.isFinite(x) ? Math.round(x * 10000) / 10000 : x;
}

tick();
