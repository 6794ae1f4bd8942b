// The line-protocol parser: `@tunestudio {...}` lines (src/protocol/lines.ts)
// become protocol events; a malformed one becomes a 'malformed' event with the
// reason, so it is counted and shown on the run, never fatal.

import { isProtocolLine, parseProtocolLine } from '../../protocol/lines';
import { clipLine } from './numbers';
import type { IngestEvent, LineParser } from './types';

export class ProtocolParser implements LineParser {
  readonly name = 'protocol';

  parse(line: string): IngestEvent[] | null {
    if (!isProtocolLine(line)) return null;
    let r: ReturnType<typeof parseProtocolLine>;
    try {
      r = parseProtocolLine(line);
    } catch (e) {
      // parseProtocolLine promises not to throw; a regression there must not stop ingest.
      r = { ok: false, error: `parser error: ${(e as Error).message}` };
    }
    if (r.ok) return [{ type: 'protocol', message: r.message }];
    return [{ type: 'malformed', line: clipLine(line), error: r.error, source: this.name }];
  }
}
