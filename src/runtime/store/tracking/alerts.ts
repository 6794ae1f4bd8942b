// The only SQL that writes alerts: raising one, extending and ending an
// episode (watchers), acknowledging and clearing. Prepared once.
import type Database from 'better-sqlite3';

export interface NewAlert {
  runId: string;
  now: string;
  level: string;
  reason: string;
  title: string;
  text: string;
  metric: string | null;
  step: number | null;
  dataJson: string;
  watcherId: number | null;
}

export class AlertStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO alerts(run_id, created_at, updated_at, level, reason, title, text, metric, step, data, watcher_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      extend: db.prepare(`UPDATE alerts SET updated_at = ?, data = json_set(data, '$.count', ?, '$.last_step', ?, '$.last_value', json(?)) WHERE id = ?`),
      close: db.prepare(`UPDATE alerts SET data = json_set(data, '$.ended', json('true')) WHERE id = ?`),
    };
  }

  /** Returns the new alert's id. */
  insert(a: NewAlert): number {
    const r = this.s.insert.run(a.runId, a.now, a.now, a.level, a.reason, a.title, a.text, a.metric, a.step, a.dataJson, a.watcherId);
    return Number(r.lastInsertRowid);
  }

  /** An episode goes on: its count, last step and last value (JSON text). */
  extend(id: number, now: string, count: number, lastStep: number, lastValueJson: string): void {
    this.s.extend.run(now, count, lastStep, lastValueJson, id);
  }

  /** An episode ended (`data.ended: true`). */
  close(id: number): void {
    this.s.close.run(id);
  }

  acknowledge(ids: number[]): number {
    if (!ids.length) return 0;
    return this.db.prepare(`UPDATE alerts SET acknowledged = 1 WHERE id IN (${ids.map(() => '?').join(',')})`).run(...ids).changes;
  }

  clear(ids: number[]): number {
    if (!ids.length) return 0;
    return this.db.prepare(`DELETE FROM alerts WHERE id IN (${ids.map(() => '?').join(',')})`).run(...ids).changes;
  }
}
