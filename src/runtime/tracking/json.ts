// JSON text for what tracking stores (alert data, run config, artifact data):
// JSON has no NaN or ±Infinity, so they are written as the strings "NaN",
// "Infinity" and "-Infinity" — the rule the README states for every `--json`
// shape and that watcher alerts follow. One helper, so every writer (SDK,
// protocol lines, watchers, jobs) stores the same thing.
import { jsonNumber } from '../../protocol/tracking';

function replacer(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? jsonNumber(v) : v;
}

/** JSON.stringify with NaN/±Infinity (at any depth) written as "NaN", "Infinity", "-Infinity". */
export function toStoredJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}
