// Messages between LayoutEngine and its worker thread, and the cancel error.
import { CANCELLED_MESSAGE, LAYOUT_CANCELLED, type LayoutInfo, type LayoutOptions, type LayoutStage } from '../../protocol/projection';
import type { WarmStart } from './layout';

export interface WorkerRequest {
  jobId: number;
  data: Float32Array;
  n: number;
  dims: number;
  options: LayoutOptions;
  warm?: WarmStart;
  /** Int32Array(1) over this buffer: non-zero means cancel. */
  cancel: SharedArrayBuffer;
}

export type WorkerReply =
  | { type: 'progress'; jobId: number; stage: LayoutStage; done: number }
  | { type: 'done'; jobId: number; layout: Float32Array; info: LayoutInfo }
  | { type: 'error'; jobId: number; message: string; cancelled: boolean };

export class LayoutCancelledError extends Error {
  constructor(message = CANCELLED_MESSAGE) {
    super(message);
    this.name = LAYOUT_CANCELLED;
  }
}
