// Requests from outside a training run (control channel, signals, the UI)
// that the loop acts on between optimizer steps. No tfjs here, so the trainer
// process can listen for commands before the compute backend has loaded.

export class TrainingControl {
  /** Set by requestStop: the loop checkpoints and returns 'stopped'. */
  stopReason: string | null = null;
  /** Write a checkpoint after the current step. */
  saveRequested = false;
  /** Generate samples after the current step. */
  sampleRequested = false;
  requestStop(reason = 'stop requested'): void {
    if (!this.stopReason) this.stopReason = reason;
  }
  requestSave(): void {
    this.saveRequested = true;
  }
  requestSample(): void {
    this.sampleRequested = true;
  }
}
