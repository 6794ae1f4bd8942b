// The tracking store: one owner of SQL per table (runs, metrics with their
// summaries and level of detail, alerts, watchers) behind a small interface.
// This SQLite implementation is what `Tracker` writes through; a PostgreSQL
// backend for a team server implements the same shape. `write` runs a batch
// in one transaction that takes the write lock at once (BEGIN IMMEDIATE).
// The SQL keeps to what PostgreSQL also runs (ON CONFLICT … DO NOTHING/UPDATE,
// RETURNING, window functions) except where SQLite has no other way: JSON
// edits (json_patch, json_set: jsonb operators there) and the two-argument
// MAX/MIN of the summary upsert (GREATEST/LEAST there).
import type Database from 'better-sqlite3';
import { AlertStore } from './alerts';
import { MetricStore } from './metrics';
import { RunStore } from './runs';
import { WatcherStore } from './watchers';

export { AlertStore, MetricStore, RunStore, WatcherStore };
export type { NewAlert } from './alerts';
export type { NewRun, RunEnd } from './runs';
export type { StoredWatcher } from './watchers';
export { SUMMARY_COLUMNS, SUMMARY_UPSERT_SQL, toMetricSummary, type SummaryRow } from './metrics';

/** A class's public methods: what another backend implements. */
export type StoreApi<T> = { [K in keyof T]: T[K] };

export interface TrackingStore {
  readonly runs: StoreApi<RunStore>;
  readonly metrics: StoreApi<MetricStore>;
  readonly alerts: StoreApi<AlertStore>;
  readonly watchers: StoreApi<WatcherStore>;
  /** Runs fn in one write transaction (all or nothing). */
  write<T>(fn: () => T): T;
}

export class SqliteTrackingStore implements TrackingStore {
  readonly runs: RunStore;
  readonly metrics: MetricStore;
  readonly alerts: AlertStore;
  readonly watchers: WatcherStore;

  constructor(readonly db: Database.Database) {
    this.runs = new RunStore(db);
    this.metrics = new MetricStore(db);
    this.alerts = new AlertStore(db);
    this.watchers = new WatcherStore(db);
  }

  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
