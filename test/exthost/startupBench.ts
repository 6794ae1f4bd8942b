// Startup timing inside a real extension host, for `npm run bench startup`:
// one cold activation of Tune Studio per extension host, written as JSON to
// the file the bench names. Beside it, the baseline: a bare Node process
// started from the same extension host until it first writes (the floor of
// any runtime that lives in its own process).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { extension } from './util';

function bareNodeStart(node: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(node, ['-e', "process.stdout.write('ready')"], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.once('error', reject);
    p.stdout.once('data', () => resolve(performance.now() - t0));
  });
}

export async function startupBench(outFile: string): Promise<void> {
  const ext = extension();
  if (ext.isActive) throw new Error('Tune Studio was already active before the bench started; the measurement would not be a cold activation.');
  const called = performance.now();
  const api = await ext.activate();
  const returned = performance.now();
  await api.runtime.whenRunning(120_000);
  const t = api.timings();
  if (t.runtimeReady === undefined) throw new Error('the runtime is running but its ready time was not recorded');
  const node = api.runtime.node?.path ?? 'node';
  const baselines: number[] = [];
  for (let i = 0; i < 3; i++) baselines.push(await bareNodeStart(node));
  const result = {
    /** activate() called → returned, including loading dist/extension.js. */
    activationMs: returned - called,
    /** dist/extension.js evaluated → activate() returned. */
    activateBodyMs: t.activated - t.moduleLoaded,
    /** activate() called → runtime answered initialize. */
    runtimeReadyMs: t.runtimeReady - called,
    bareNodeStartMs: baselines.sort((a, b) => a - b)[1],
    runtimeNode: `${api.runtime.node?.path} ${api.runtime.node?.version}`,
  };
  fs.writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  console.log(`startup: ${JSON.stringify(result)}`);
}
