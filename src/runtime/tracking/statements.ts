// Statements prepared once per connection: every read query asks this cache
// by its SQL text, so a query run 1,000 times is compiled once. Modes set by
// a caller (pluck, raw) are reset on each fetch, so callers never see
// another caller's mode.
import type Database from 'better-sqlite3';

export type Sql = (text: string) => Database.Statement;

export function statementCache(db: Database.Database): Sql {
  const cache = new Map<string, Database.Statement>();
  return (text: string) => {
    let st = cache.get(text);
    if (!st) cache.set(text, (st = db.prepare(text)));
    else if (st.reader) st.pluck(false).raw(false);
    return st;
  };
}
