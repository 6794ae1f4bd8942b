// The layout worker thread: runs computeLayout off the runtime's main thread,
// one job at a time. Cancel is cooperative: the runtime sets a shared flag and
// the job stops at the next check between iterations.
import { parentPort } from 'node:worker_threads';
import { computeLayout } from './layout';
import { LayoutCancelledError, type WorkerReply, type WorkerRequest } from './messages';

if (!parentPort) throw new Error('src/runtime/projection/worker.ts runs as a worker thread (started by LayoutEngine), not as a script.');
const port = parentPort;

port.on('message', (msg: WorkerRequest) => {
  const flag = new Int32Array(msg.cancel);
  const check = (): void => {
    if (Atomics.load(flag, 0) !== 0) throw new LayoutCancelledError();
  };
  try {
    check();
    const out = computeLayout(
      { data: msg.data, n: msg.n, dims: msg.dims },
      msg.options,
      msg.warm,
      { check, progress: (stage, done) => port.postMessage({ type: 'progress', jobId: msg.jobId, stage, done } satisfies WorkerReply) },
    );
    port.postMessage({ type: 'done', jobId: msg.jobId, layout: out.layout, info: out.info } satisfies WorkerReply, [out.layout.buffer as ArrayBuffer]);
  } catch (e) {
    const cancelled = e instanceof LayoutCancelledError;
    port.postMessage({ type: 'error', jobId: msg.jobId, message: (e as Error).message, cancelled } satisfies WorkerReply);
  }
});
