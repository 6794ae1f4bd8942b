// Helpers for tests inside the extension host: the activated Tune Studio API
// and waiting on a condition with a deadline (never a fixed sleep).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TuneStudioApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'tunestudio.tune-studio';

export function extension(): vscode.Extension<TuneStudioApi> {
  const ext = vscode.extensions.getExtension<TuneStudioApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this extension host`);
  return ext;
}

/** Activates Tune Studio (once) and returns its API. */
export async function api(): Promise<TuneStudioApi> {
  const ext = extension();
  const exports = ext.isActive ? ext.exports : await ext.activate();
  assert.ok(exports, 'activate() returned no API');
  return exports;
}

/**
 * Calls `check` until it returns a value other than undefined/false, or throws
 * `message` (with the last error seen) once `timeoutMs` has passed.
 */
export async function waitUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  message: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${message}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Rejects when `p` has not settled within `ms` (one attempt of a polling loop must not hang it). */
export function within<T>(p: Thenable<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000}s`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
