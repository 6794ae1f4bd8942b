import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, openDatabase, schemaVersion, StoreError } from '../../../src/runtime/store/db';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../src/runtime/store/migrations';
import { findStoreDir, Store } from '../../../src/runtime/store/store';
import { tmpDir } from '../../helpers/tmp';

test('migrations are numbered 1..N without gaps', () => {
  MIGRATIONS.forEach((m, i) => assert.equal(m.version, i + 1, `migration at index ${i}`));
  assert.equal(LATEST_SCHEMA_VERSION, MIGRATIONS.length);
});

test('a new store is created on first need with WAL, foreign keys and the latest schema', (t) => {
  const dir = path.join(tmpDir(t), 'nested', '.tunestudio');
  const store = new Store(dir);
  assert.equal(store.exists(), false, 'nothing is created before first use');
  const db = store.db;
  assert.equal(store.exists(), true);
  assert.equal(String(db.pragma('journal_mode', { simple: true })), 'wal');
  assert.equal(Number(db.pragma('foreign_keys', { simple: true })), 1);
  assert.ok(Number(db.pragma('busy_timeout', { simple: true })) >= 5000);
  assert.equal(schemaVersion(db), LATEST_SCHEMA_VERSION);
  store.close();
});

// Builds a database at every earlier version (0 = an empty file), puts a row
// in each table that exists at that version, then upgrades to the latest.
for (let from = 0; from < LATEST_SCHEMA_VERSION; from++) {
  test(`upgrade from schema ${from} to ${LATEST_SCHEMA_VERSION} keeps data`, (t) => {
    const dir = tmpDir(t);
    if (from === 0) fs.writeFileSync(path.join(dir, 'studio.db'), '');
    const old = openDatabase(dir, { targetVersion: from });
    assert.equal(schemaVersion(old), from);
    const tables = old.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[];
    if (tables.includes('projects')) {
      old.prepare(`INSERT INTO projects(name, created_at) VALUES ('p', '2026-01-01T00:00:00Z')`).run();
      old.prepare(`INSERT INTO runs(id, project_id, name, status, created_at, updated_at) VALUES ('r1', 1, 'keep me', 'finished', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`).run();
    }
    old.close();

    const db = openDatabase(dir);
    assert.equal(schemaVersion(db), LATEST_SCHEMA_VERSION);
    if (tables.includes('projects')) {
      assert.equal(db.prepare(`SELECT name FROM runs WHERE id='r1'`).pluck().get(), 'keep me');
    }
    // The upgraded schema equals a fresh one, table by table.
    const fresh = openDatabase(tmpDir(t));
    const shape = (d: Database.Database) =>
      d.prepare(`SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`).all();
    assert.deepEqual(shape(db), shape(fresh));
    db.close();
    fresh.close();
  });
}

test('a store from a newer Tune Studio is refused with a clear error', (t) => {
  const dir = tmpDir(t);
  const db = new Database(path.join(dir, 'studio.db'));
  db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
  db.close();
  assert.throws(() => openDatabase(dir), (e: Error) => e instanceof StoreError && /newer than this Tune Studio/.test(e.message));
});

test('a failing migration rolls back and leaves the version unchanged', (t) => {
  const dir = tmpDir(t);
  const db = openDatabase(dir);
  const bad = [...MIGRATIONS, { version: LATEST_SCHEMA_VERSION + 1, description: 'bad', up: (d: Database.Database) => d.exec('CREATE TABLE half(x); SELECT * FROM no_such_table;') }];
  assert.throws(() => migrate(db, LATEST_SCHEMA_VERSION + 1, bad));
  assert.equal(schemaVersion(db), LATEST_SCHEMA_VERSION);
  assert.equal(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name='half'`).pluck().get(), 0);
  db.close();
});

test('findStoreDir: explicit, env, nearest upward, else ./.tunestudio', (t) => {
  const root = tmpDir(t);
  const deep = path.join(root, 'a', 'b', 'c');
  fs.mkdirSync(deep, { recursive: true });
  assert.equal(findStoreDir(undefined, deep, {}), path.join(deep, '.tunestudio'));
  fs.mkdirSync(path.join(root, 'a', '.tunestudio'));
  assert.equal(findStoreDir(undefined, deep, {}), path.join(root, 'a', '.tunestudio'));
  assert.equal(findStoreDir(undefined, deep, { TUNESTUDIO_DIR: '/x/y' }), '/x/y');
  assert.equal(findStoreDir('rel', deep, { TUNESTUDIO_DIR: '/x/y' }), path.join(deep, 'rel'));
});
