// The only SQL on watchers: registering one (spec as JSON), loading a run's
// watchers, saving their state after a flush. Prepared once.
import type Database from 'better-sqlite3';

export interface StoredWatcher {
  id: number;
  metric: string;
  spec: string;
  state: string;
}

export class WatcherStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      ofRun: db.prepare(`SELECT id, metric, spec, state FROM watchers WHERE run_id = ? ORDER BY id`),
      insert: db.prepare(`INSERT INTO watchers(run_id, metric, spec, state, created_at) VALUES (?, ?, ?, '{}', ?) RETURNING id`),
      saveState: db.prepare(`UPDATE watchers SET state = ? WHERE id = ?`),
    };
  }

  ofRun(runId: string): StoredWatcher[] {
    return this.s.ofRun.all(runId) as StoredWatcher[];
  }

  /** Returns the new watcher's id. */
  insert(runId: string, metric: string, specJson: string, now: string): number {
    return (this.s.insert.get(runId, metric, specJson, now) as { id: number }).id;
  }

  saveState(id: number, stateJson: string): void {
    this.s.saveState.run(stateJson, id);
  }
}
