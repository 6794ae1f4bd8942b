// The Runtime Status page's line on who schedules jobs for the store (the
// README's claim, shown): this window's runtime holds the scheduler lease, or
// another process (a `tunestudio serve`, another window) does and this window
// only reads. Pure, so the extension-host test checks the same sentence.
import type { RuntimeStatus } from '../../protocol/runtime';

export function schedulerLine(s: Pick<RuntimeStatus, 'pid' | 'scheduler'>): string {
  const sc = s.scheduler;
  if (!sc) return 'Jobs are not scheduled yet: the scheduler starts with the store (the first run or job creates it).';
  if (sc.holder) return `Jobs are scheduled by this window (its runtime, pid ${s.pid}, holds the scheduler lease): ${sc.detail}.`;
  if (/^no scheduler/.test(sc.detail)) return `Jobs are not scheduled by any process right now: ${sc.detail}.`;
  return `Jobs are scheduled by another process; this window only reads: ${sc.detail.replace(/^read-only:\s*/, '')}.`;
}
