// Types of scripts/lib/lock.mjs for the TypeScript that uses it. Keep in step with the module.
export function withLock<T>(file: string, fn: () => T, opts?: { timeoutMs?: number; onWait?: (ownerPid: string) => void }): T;
