// The Runtime Status page's "who schedules jobs" line
// (src/webviews/status/scheduler.ts) for each case the runtime reports; the
// details are the scheduler's own sentences (Scheduler.describe, Lease.describeOther).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedulerLine } from '../../../src/webviews/status/scheduler';
import { Lease } from '../../../src/runtime/jobs/lease';

test('this window holds the lease', () => {
  const line = schedulerLine({ pid: 4242, scheduler: { holder: true, detail: 'this VS Code schedules jobs (0 running, 1 slot)' } });
  assert.match(line, /^Jobs are scheduled by this window \(its runtime, pid 4242, holds the scheduler lease\): this VS Code schedules jobs \(0 running, 1 slot\)\.$/);
});

test('another process holds it: named with its pid, no "read-only:" prefix', () => {
  const detail = Lease.describeOther({ holder: 'x|tunestudio serve', label: 'tunestudio serve', pid: 77, host: 'box', heartbeat_at: Date.now() / 1000 } as Parameters<typeof Lease.describeOther>[0]);
  const line = schedulerLine({ pid: 1, scheduler: { holder: false, detail } });
  assert.match(line, /^Jobs are scheduled by another process; this window only reads: tunestudio serve \(pid 77 on box\) schedules jobs for this store/);
  assert.ok(!line.includes('read-only'), line);
});

test('nobody holds it, and no store yet', () => {
  assert.match(schedulerLine({ pid: 1, scheduler: { holder: false, detail: Lease.describeOther(null) } }), /^Jobs are not scheduled by any process right now: no scheduler holds this store yet\.$/);
  assert.match(schedulerLine({ pid: 1 }), /^Jobs are not scheduled yet: the scheduler starts with the store/);
});
