// In the real extension host: the runtime process answers requests, and when
// it is killed it comes back by itself (new pid) and the views recover.
import * as assert from 'node:assert/strict';
import { RuntimeStatusRequest, type RuntimeStatus } from '../../src/protocol/runtime';
import { api, waitUntil, within } from './util';

async function status(): Promise<RuntimeStatus> {
  const a = await api();
  return within(a.runtime.request(RuntimeStatusRequest.type, undefined), 15_000, 'Runtime Status request');
}

export function runtimeTests(): void {
  suite('runtime', () => {
    test('a request round trip: Runtime Status from the runtime process', async () => {
      const a = await api();
      await a.runtime.whenRunning(60_000);
      const s = await status();
      assert.equal(a.runtime.state, 'running');
      assert.ok(Number.isInteger(s.pid) && s.pid > 0, 'runtime reports its pid');
      assert.notEqual(s.pid, process.pid, 'the runtime is its own process, not the extension host');
      assert.match(s.nodeVersion, /^v\d+\./);
      assert.ok(Number(/^v(\d+)/.exec(s.nodeVersion)![1]) >= 20, `runtime Node ${s.nodeVersion} is 20 or newer`);
      assert.ok(s.storeDir.endsWith('.tunestudio'), `store folder ${s.storeDir} is the workspace's .tunestudio`);
      assert.ok(s.latestSchemaVersion >= 1);
      assert.ok(s.backends.length > 0, 'backends are listed');
    });

    test('the runtime killed with SIGKILL comes back by itself and answers with a new pid', async () => {
      const a = await api();
      const before = await status();
      const restartsBefore = a.restarts();
      process.kill(before.pid, 'SIGKILL');
      await waitUntil(
        () => {
          try {
            process.kill(before.pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        `old runtime ${before.pid} to be gone`,
        30_000,
      );
      const after = await waitUntil(async () => {
        const s = await status();
        return s.pid !== before.pid ? s : undefined;
      }, 'the runtime to answer again with a new pid');
      assert.notEqual(after.pid, before.pid);
      assert.equal(a.runtime.state, 'running');
      await waitUntil(() => a.restarts() > restartsBefore, 'the restart to be counted', 10_000);
    });
  });
}
