// Levelled logger for the runtime. In the runtime process it writes through
// the language-server connection (shown in the "Tune Studio" output channel);
// in the CLI it writes to stderr.
import { LOG_LEVELS, type LogLevel } from '../protocol/runtime';

export interface LogSink {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  log(msg: string): void;
}

export class Logger {
  private rank: number;
  constructor(
    private sink: LogSink,
    level: LogLevel = 'info',
  ) {
    this.rank = LOG_LEVELS.indexOf(level);
  }

  setLevel(level: LogLevel): void {
    const r = LOG_LEVELS.indexOf(level);
    if (r >= 0) this.rank = r;
  }

  get level(): LogLevel {
    return LOG_LEVELS[this.rank];
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.rank;
  }

  error(msg: string, err?: unknown): void {
    if (this.enabled('error')) this.sink.error(withError(msg, err));
  }
  warn(msg: string, err?: unknown): void {
    if (this.enabled('warn')) this.sink.warn(withError(msg, err));
  }
  info(msg: string): void {
    if (this.enabled('info')) this.sink.info(msg);
  }
  debug(msg: string): void {
    if (this.enabled('debug')) this.sink.log(`[debug] ${msg}`);
  }
  trace(msg: string): void {
    if (this.enabled('trace')) this.sink.log(`[trace] ${msg}`);
  }
}

function withError(msg: string, err: unknown): string {
  if (err === undefined) return msg;
  const detail = err instanceof Error ? err.stack ?? err.message : String(err);
  return `${msg}: ${detail}`;
}

export const stderrSink: LogSink = {
  error: (m) => process.stderr.write(`error: ${m}\n`),
  warn: (m) => process.stderr.write(`warning: ${m}\n`),
  info: (m) => process.stderr.write(`${m}\n`),
  log: (m) => process.stderr.write(`${m}\n`),
};

export const silentSink: LogSink = { error() {}, warn() {}, info() {}, log() {} };
