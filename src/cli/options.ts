// Option parsing shared by the CLI commands that start work (run, submit,
// train): repeatable options, JSON arguments, watchers, durations.
import { validateWatch, WatchError } from '../runtime/tracking/watchers';
import { CliError } from './context';

/** For repeatable options: commander calls it with each value. */
export function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function parseJsonArg(flag: string, v: string): unknown {
  try {
    return JSON.parse(v);
  } catch (e) {
    throw new CliError(`${flag} must be JSON, e.g. ${flag === '--watch' ? `'{"metric": "train/loss", "nan": true}'` : `'{"lr": 0.001}'`}: ${(e as Error).message}`, 2);
  }
}

/** `--watch JSON` values → checked watchers (a bad one is a usage error naming the problem). */
export function parseWatchArgs(values: string[]): Array<{ metric: string; opts: Record<string, unknown> }> {
  return values.map((w) => {
    const v = parseJsonArg('--watch', w) as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError('--watch must be a JSON object with a "metric"', 2);
    const { metric, ...opts } = v;
    try {
      validateWatch(metric, opts);
    } catch (e) {
      if (e instanceof WatchError) throw new CliError(`--watch ${w}: ${e.message}`, 2);
      throw e;
    }
    return { metric: metric as string, opts };
  });
}

/** A positive number of seconds, or undefined when the option was not given. */
export function seconds(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} must be a positive number of seconds, got '${v}'`, 2);
  return n;
}
