// The store folder (`.tunestudio/`): its database, opened on first need, and
// the paths of everything else kept there (job folders, caches).
import type Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dbPathFor, openDatabase, schemaVersion } from './db';

export const STORE_DIR_NAME = '.tunestudio';

export class Store {
  private database: Database.Database | null = null;

  constructor(readonly dir: string) {}

  get dbPath(): string {
    return dbPathFor(this.dir);
  }

  /** True once the database file exists (it is created on first need). */
  exists(): boolean {
    return fs.existsSync(this.dbPath);
  }

  get isOpen(): boolean {
    return this.database !== null;
  }

  get db(): Database.Database {
    if (!this.database) this.database = openDatabase(this.dir);
    return this.database;
  }

  /** Schema version without creating the database. */
  version(): number | null {
    if (this.database) return schemaVersion(this.database);
    return null;
  }

  /** A folder inside the store, created on demand. */
  subdir(...parts: string[]): string {
    const p = path.join(this.dir, ...parts);
    fs.mkdirSync(p, { recursive: true });
    return p;
  }

  close(): void {
    if (this.database) {
      this.database.close();
      this.database = null;
    }
  }
}

/**
 * Finds the store for a CLI or SDK process: an explicit dir, else
 * TUNESTUDIO_DIR, else the nearest `.tunestudio/` upward from cwd (like git),
 * else `./.tunestudio`.
 */
export function findStoreDir(explicit?: string, cwd = process.cwd(), env = process.env): string {
  if (explicit) return path.resolve(cwd, explicit);
  if (env.TUNESTUDIO_DIR) return path.resolve(cwd, env.TUNESTUDIO_DIR);
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, STORE_DIR_NAME);
    try {
      if (fs.statSync(candidate).isDirectory()) return candidate;
    } catch {
      /* keep walking */
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.join(path.resolve(cwd), STORE_DIR_NAME);
}
