// Opens the store's SQLite database with the settings every process shares
// (WAL, busy timeout, foreign keys) and brings its schema up to date.
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations';

export const DB_FILE = 'studio.db';

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface OpenOptions {
  /** Migrate only up to this version (tests build older schemas with it). */
  targetVersion?: number;
  readonly?: boolean;
  migrations?: Migration[];
}

export function dbPathFor(storeDir: string): string {
  return path.join(storeDir, DB_FILE);
}

export function openDatabase(storeDir: string, options: OpenOptions = {}): Database.Database {
  const file = dbPathFor(storeDir);
  if (!options.readonly) {
    try {
      fs.mkdirSync(storeDir, { recursive: true });
    } catch (e) {
      throw new StoreError(
        `Cannot create the store folder '${storeDir}': ${(e as Error).message}. ` +
          `Set 'tuneStudio.storePath' (or TUNESTUDIO_DIR) to a writable folder.`,
      );
    }
  }
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: !!options.readonly, fileMustExist: !!options.readonly });
  } catch (e) {
    throw new StoreError(`Cannot open the store '${file}': ${(e as Error).message}.`);
  }
  try {
    configure(db, !!options.readonly);
    if (!options.readonly) migrate(db, options.targetVersion ?? LATEST_SCHEMA_VERSION, options.migrations ?? MIGRATIONS);
    else checkVersion(db, file);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

function configure(db: Database.Database, readonly: boolean): void {
  db.pragma('busy_timeout = 15000');
  if (!readonly) {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') {
      // Some file systems (network shares) cannot do WAL; it still works, with less concurrency.
      db.pragma('journal_mode = DELETE');
    }
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
}

export function schemaVersion(db: Database.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

function checkVersion(db: Database.Database, file: string): void {
  const v = schemaVersion(db);
  if (v > LATEST_SCHEMA_VERSION) {
    throw new StoreError(
      `The store '${file}' has schema version ${v}, newer than this Tune Studio understands (${LATEST_SCHEMA_VERSION}). ` +
        `Update Tune Studio, or point 'tuneStudio.storePath' at another folder.`,
    );
  }
}

/**
 * Applies the migrations above the database's user_version, each in its own
 * IMMEDIATE transaction, re-reading the version inside it so two processes
 * opening a new store at once do not both migrate.
 */
export function migrate(db: Database.Database, target: number, migrations: Migration[] = MIGRATIONS): number {
  checkVersion(db, db.name);
  for (const m of migrations) {
    if (m.version > target) break;
    const apply = db.transaction(() => {
      const current = schemaVersion(db);
      if (current >= m.version) return;
      if (current !== m.version - 1) {
        throw new StoreError(`Store schema is at version ${current}; migration ${m.version} needs ${m.version - 1}.`);
      }
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    });
    apply.immediate();
  }
  return schemaVersion(db);
}
