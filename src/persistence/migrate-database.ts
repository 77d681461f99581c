import Database from 'better-sqlite3';
import { readMigrations } from './migration-files.js';
import { openPostgresStore } from './postgres/store.js';
import { applyMigrations } from './sqlite/migrate.js';

/** Which database `migrateDatabase` brings up to date. */
export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Copied next to the compiled modules by scripts/copy-assets.mjs. */
const SQLITE_MIGRATIONS = new URL('./sqlite/migrations/', import.meta.url);

/**
 * Applies the pending migrations of a database (creating a SQLite file if needed) and returns the
 * names applied, in order: empty when it was up to date. Safe while servers use the database.
 */
export async function migrateDatabase(target: DatabaseTarget): Promise<string[]> {
  if (target.kind === 'postgres') {
    const store = openPostgresStore(target.url, { maxConnections: 1 });
    try {
      return await store.applyMigrations();
    } finally {
      await store.close();
    }
  }
  const migrations = await readMigrations(SQLITE_MIGRATIONS);
  const db = new Database(target.path);
  try {
    // As the store opens it: WAL, and waiting for a server holding the write lock.
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    return applyMigrations(db, migrations, Date.now());
  } finally {
    db.close();
  }
}
