// Types of scripts/lib/ports.mjs for the TypeScript that uses it. Keep in step with the module.
export function freePort(host?: string): Promise<number>;
export function portInUse(port: number, host?: string): Promise<boolean>;
export function httpStatus(url: string): Promise<number>;
export function waitFor<T>(
  pred: () => T | Promise<T>,
  opts?: { timeoutMs?: number; intervalMs?: number; message?: string },
): Promise<NonNullable<T>>;
