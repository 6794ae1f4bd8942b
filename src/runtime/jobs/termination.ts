// How a supervised job is ended, as a small state machine: a cancel or a
// stop request first asks the trainer through the control channel, then
// sends SIGTERM to its process group after the grace period, then SIGKILL
// after another; a stall skips the polite step (a stalled trainer reads no
// control file) and goes SIGTERM → grace → SIGKILL. The first reason wins.
export type TerminationKind = 'cancel' | 'stop' | 'stall';

export interface TerminationActions {
  /** Ask the trainer to stop (control.json and stdin). */
  askToStop(reason: string): void;
  /** Signal the job's process group. */
  signal(sig: 'SIGTERM' | 'SIGKILL'): void;
}

export class Termination {
  private state: { kind: TerminationKind; reason: string; at: number; step: 0 | 1 | 2 } | null = null;

  constructor(
    private readonly graceMs: number,
    private readonly act: TerminationActions,
  ) {}

  /** Why the job is being ended, or null when nobody asked. */
  get requested(): { kind: TerminationKind; reason: string } | null {
    return this.state && { kind: this.state.kind, reason: this.state.reason };
  }

  /** Starts ending the job; false when an earlier request already did. */
  begin(kind: TerminationKind, reason: string, now = Date.now()): boolean {
    if (this.state) return false;
    this.state = { kind, reason, at: now, step: 0 };
    if (kind === 'stall') {
      this.act.signal('SIGTERM');
      this.state.step = 1;
    } else {
      this.act.askToStop(reason);
    }
    return true;
  }

  /** Escalates when the grace period is over; call it on every supervision tick while the job lives. */
  tick(now = Date.now()): void {
    const t = this.state;
    if (!t) return;
    const elapsed = now - t.at;
    if (t.kind === 'stall') {
      if (t.step === 1 && elapsed >= this.graceMs) {
        this.act.signal('SIGKILL');
        t.step = 2;
      }
      return;
    }
    if (t.step === 0 && elapsed >= this.graceMs) {
      this.act.signal('SIGTERM');
      t.step = 1;
    } else if (t.step === 1 && elapsed >= 2 * this.graceMs) {
      this.act.signal('SIGKILL');
      t.step = 2;
    }
  }
}
