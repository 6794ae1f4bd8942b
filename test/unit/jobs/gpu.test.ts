import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findNvidiaSmi, GpuPoller, gpuMetrics, NVIDIA_SMI_ARGS, parseNvidiaSmiCsv, queryGpus, type GpuQueryResult, type GpuReading } from '../../../src/runtime/jobs/gpu';
import { tmpDir } from '../../helpers/tmp';

// Recorded outputs of
//   nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits
const ONE_GPU = '0, NVIDIA GeForce RTX 4090, 97, 20312, 24564\n';
const EIGHT_GPUS = Array.from({ length: 8 }, (_, i) => `${i}, NVIDIA A100-SXM4-80GB, ${i === 0 ? 100 : i * 3}, ${i === 7 ? 4 : 70000 + i}, 81920`).join('\n') + '\n';
const NOT_SUPPORTED = '0, NVIDIA GeForce GTX 1650 with Max-Q Design, [N/A], 1234, 4096\r\n1, Tesla K80, [Not Supported], [Unknown Error], 11441\r\n';
const DRIVER_DOWN =
  "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n";

test('parses recorded outputs: one GPU, eight GPUs, unsupported fields', () => {
  assert.deepEqual(parseNvidiaSmiCsv(ONE_GPU), {
    gpus: [{ index: 0, name: 'NVIDIA GeForce RTX 4090', utilPercent: 97, memUsedMb: 20312, memTotalMb: 24564 }],
    problems: [],
  });
  const eight = parseNvidiaSmiCsv(EIGHT_GPUS);
  assert.equal(eight.gpus.length, 8);
  assert.deepEqual(eight.gpus[7], { index: 7, name: 'NVIDIA A100-SXM4-80GB', utilPercent: 21, memUsedMb: 4, memTotalMb: 81920 });
  assert.deepEqual(parseNvidiaSmiCsv(NOT_SUPPORTED).gpus, [
    { index: 0, name: 'NVIDIA GeForce GTX 1650 with Max-Q Design', utilPercent: null, memUsedMb: 1234, memTotalMb: 4096 },
    { index: 1, name: 'Tesla K80', utilPercent: null, memUsedMb: null, memTotalMb: 11441 },
  ]);
});

test('metric names per GPU; unknown values are left out', () => {
  assert.deepEqual(gpuMetrics(parseNvidiaSmiCsv(ONE_GPU).gpus), {
    'system/gpu0/util': 97,
    'system/gpu0/mem_used_mb': 20312,
    'system/gpu0/mem_total_mb': 24564,
    'system/gpu0/mem_percent': 82.7,
  });
  assert.deepEqual(gpuMetrics(parseNvidiaSmiCsv(NOT_SUPPORTED).gpus), {
    'system/gpu0/mem_used_mb': 1234,
    'system/gpu0/mem_total_mb': 4096,
    'system/gpu0/mem_percent': 30.1,
    'system/gpu1/mem_total_mb': 11441,
  });
  assert.equal(Object.keys(gpuMetrics(parseNvidiaSmiCsv(EIGHT_GPUS).gpus)).length, 32);
});

test('garbage and error messages are problems, never GPUs, never a throw', () => {
  assert.deepEqual(parseNvidiaSmiCsv(DRIVER_DOWN), { gpus: [], problems: [DRIVER_DOWN.trim()] });
  assert.deepEqual(parseNvidiaSmiCsv(''), { gpus: [], problems: [] });
  const junk = ['No devices were found', 'index, name, utilization.gpu [%]', '0, , 1, 2, 3', 'x, GPU, 1, 2, 3', '-1, GPU, 1, 2, 3', '0, GPU, 1, 2', '0, GPU, 1, 2, 3, 4', '\u0000\u0001\u0002'];
  const r = parseNvidiaSmiCsv(junk.join('\n') + '\n' + ONE_GPU);
  assert.equal(r.gpus.length, 1);
  assert.equal(r.problems.length, junk.length);
  let seed = 1;
  for (let k = 0; k < 2000; k++) {
    let s = '';
    for (let i = 0; i < 80; i++) s += String.fromCharCode((seed = (seed * 48271) % 2147483647) % 128);
    const p = parseNvidiaSmiCsv(s);
    for (const g of p.gpus) assert.ok(Number.isInteger(g.index) && g.name.length > 0);
  }
});

function fakeSmi(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!${process.execPath}\n${body}\n`, { mode: 0o755 });
  return file;
}

test('queryGpus runs nvidia-smi with the query arguments, without a shell; failures and timeouts are reasons', async (t) => {
  const dir = tmpDir(t);
  const ok = fakeSmi(
    dir,
    'nvidia-smi',
    `const want = ${JSON.stringify(NVIDIA_SMI_ARGS)};
     if (JSON.stringify(process.argv.slice(2)) !== JSON.stringify(want)) { console.error('bad args ' + process.argv.slice(2)); process.exit(2); }
     process.stdout.write(${JSON.stringify(EIGHT_GPUS)});`,
  );
  const r = await queryGpus({ nvidiaSmi: ok });
  assert.equal(r.available, true);
  assert.equal((r as Extract<GpuQueryResult, { available: true }>).gpus.length, 8);
  // Found on PATH.
  assert.equal(findNvidiaSmi(undefined, `/nonexistent${path.delimiter}${dir}`), ok);
  assert.equal(findNvidiaSmi(undefined, '/nonexistent'), null);

  const down = fakeSmi(dir, 'down', `process.stdout.write(${JSON.stringify(DRIVER_DOWN)}); process.exit(9);`);
  assert.deepEqual(await queryGpus({ nvidiaSmi: down }), { available: false, reason: `nvidia-smi failed: ${DRIVER_DOWN.split('\n')[0]}` });
  const junk = fakeSmi(dir, 'junk', "console.log('hello world')");
  assert.deepEqual(await queryGpus({ nvidiaSmi: junk }), { available: false, reason: 'nvidia-smi printed no GPU rows: hello world' });
  const hang = fakeSmi(dir, 'hang', 'setInterval(() => {}, 1000);');
  assert.deepEqual(await queryGpus({ nvidiaSmi: hang, timeoutMs: 300 }), { available: false, reason: 'nvidia-smi timed out after 300 ms' });
  const missing = await queryGpus({ nvidiaSmi: path.join(dir, 'absent') });
  assert.equal(missing.available, false);
  assert.match((missing as { reason: string }).reason, /is not an executable file/);
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

test('GpuPoller: queries every interval, reports unavailability once per episode, stops cleanly', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const script: GpuQueryResult[] = [
    { available: true, gpus: parseNvidiaSmiCsv(ONE_GPU).gpus, problems: [] },
    { available: false, reason: 'nvidia-smi timed out after 5000 ms' },
    { available: false, reason: 'nvidia-smi timed out after 5000 ms' },
    { available: true, gpus: parseNvidiaSmiCsv(ONE_GPU).gpus, problems: [] },
    { available: false, reason: 'nvidia-smi timed out after 5000 ms' },
  ];
  let calls = 0;
  const readings: Array<Record<string, number>> = [];
  const unavailable: string[] = [];
  const poller = new GpuPoller({
    query: async () => script[Math.min(calls++, script.length - 1)],
    onReading: (_g: GpuReading[], m) => readings.push(m),
    onUnavailable: (why) => unavailable.push(why),
  });
  assert.equal(poller.intervalMs, 10_000, 'default interval');
  poller.start();
  await settle();
  assert.equal(calls, 1);
  assert.equal(readings.length, 1);
  assert.equal(readings[0]['system/gpu0/util'], 97);
  t.mock.timers.tick(9_999);
  await settle();
  assert.equal(calls, 1);
  for (let i = 0; i < 4; i++) {
    t.mock.timers.tick(10_000);
    await settle();
  }
  assert.equal(calls, 5);
  assert.equal(readings.length, 2);
  assert.deepEqual(unavailable, ['nvidia-smi timed out after 5000 ms', 'nvidia-smi timed out after 5000 ms'], 'once per episode');
  await poller.stop();
  t.mock.timers.tick(100_000);
  await settle();
  assert.equal(calls, 5, 'no query after stop()');
  assert.equal(poller.running, false);
});

test('GpuPoller.stop() waits for a query in flight and drops its result', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let release!: (r: GpuQueryResult) => void;
  let calls = 0;
  const readings: unknown[] = [];
  const poller = new GpuPoller({
    intervalMs: 50,
    query: () => {
      calls++;
      return new Promise<GpuQueryResult>((r) => (release = r));
    },
    onReading: (g) => readings.push(g),
  });
  poller.start();
  await settle();
  assert.equal(calls, 1);
  t.mock.timers.tick(500);
  await settle();
  assert.equal(calls, 1, 'never two queries at once');
  let stopped = false;
  const stopping = poller.stop().then(() => (stopped = true));
  await settle();
  assert.equal(stopped, false, 'stop() waits for the query');
  release({ available: true, gpus: parseNvidiaSmiCsv(ONE_GPU).gpus, problems: [] });
  await stopping;
  assert.deepEqual(readings, []);
  assert.throws(() => new GpuPoller({ intervalMs: 0, onReading: () => undefined }), /must be positive/);
});
