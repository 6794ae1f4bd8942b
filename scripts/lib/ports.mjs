// Ports and readiness: a free port from the OS, whether one is taken, an HTTP
// status probe, and waiting on a condition with a deadline (never a fixed sleep).
import * as http from 'node:http';
import * as net from 'node:net';

/** A port the OS says is free right now (listen on port 0, then close). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts connections on host:port. */
export function portInUse(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, host, () => srv.close(() => resolve(false)));
  });
}

/** The HTTP status of a GET to `url`, or 0 when nothing answers within 5 s. */
export function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(5000, () => {
      req.destroy();
      resolve(0);
    });
  });
}

/** Waits until `pred()` is truthy, checking every `intervalMs`; rejects with `message` at the deadline. */
export async function waitFor(pred, { timeoutMs = 60_000, intervalMs = 200, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${message}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
