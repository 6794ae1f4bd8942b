// Types of scripts/lib/paths.mjs for the TypeScript that uses it. Keep in step with the module.
export const ROOT: string;
export const CACHE_DIR: string;
export type Log = (line: string) => void;
export const defaultLog: Log;
