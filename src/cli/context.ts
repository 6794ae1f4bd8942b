// What every CLI command shares: the store (found like git finds .git, opened
// on first need), `--json`, and errors with exit codes (1 error, 2 usage).
import type Database from 'better-sqlite3';
import { Command } from 'commander';
import { openDatabase } from '../runtime/store/db';
import { findStoreDir, Store } from '../runtime/store/store';
import { Queries } from '../runtime/tracking/queries';
import { reapCrashedRuns } from '../runtime/tracking/reaper';
import { RemoteClient, RemoteTracking } from '../runtime/remote/client';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

export class CliContext {
  json = false;
  dir: string | undefined;
  /** --server URL (else TUNESTUDIO_SERVER): commands go to that team server, never to a local store. */
  server: string | undefined;
  private db: Database.Database | null = null;

  get storeDir(): string {
    return findStoreDir(this.dir);
  }

  /** Adds a subcommand with the options every command takes. */
  command(parent: Command, name: string, description: string): Command {
    return parent
      .command(name)
      .description(description)
      .option('--json', 'machine-readable output (stable shapes, see README)')
      .option('--dir <dir>', 'store folder (default: $TUNESTUDIO_DIR, else the nearest .tunestudio/ upward, else ./.tunestudio)')
      .option('--server <url>', 'a team server (default: $TUNESTUDIO_SERVER; the token comes from $TUNESTUDIO_TOKEN)');
  }

  /** The team server's URL, when one is named (flag first, then the environment). */
  get serverUrl(): string | undefined {
    return this.server ?? (process.env.TUNESTUDIO_SERVER || undefined);
  }

  /** The team server's tracking face, or null when the command works on the local store. */
  remote(): RemoteTracking | null {
    const url = this.serverUrl;
    return url ? new RemoteTracking(new RemoteClient({ url, token: process.env.TUNESTUDIO_TOKEN ?? '' })) : null;
  }

  /** Opens (creating if needed) the store database. */
  database(): Database.Database {
    if (!this.db) this.db = openDatabase(this.storeDir);
    return this.db;
  }

  /** Queries on the store; with ifMissing 'empty', null when there is no store yet (nothing is created). */
  queries(o?: { ifMissing?: 'error' }): Queries;
  queries(o: { ifMissing: 'empty' }): Queries | null;
  queries(o: { ifMissing?: 'empty' | 'error' } = {}): Queries | null {
    if (!this.db && !new Store(this.storeDir).exists()) {
      if (o.ifMissing === 'empty') return null;
      throw new CliError(`no Tune Studio store at ${this.storeDir}: nothing has been tracked here yet. Use --dir or TUNESTUDIO_DIR to point at a store.`);
    }
    return new Queries(this.database());
  }

  /** Marks runs whose process vanished as crashed before showing them (best effort). */
  reap(): void {
    try {
      reapCrashedRuns(this.database());
    } catch {
      /* read-only or busy store: show what is there */
    }
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}
