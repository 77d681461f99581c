import type { Database } from 'better-sqlite3';
import type { Migration } from '../migration-files.js';

export { readMigrations } from '../migration-files.js';
export type { Migration } from '../migration-files.js';

/**
 * Applies the migrations not yet recorded in schema_migrations, each in its own transaction with
 * its record, so a failed migration leaves no trace. The check happens inside the (immediate)
 * transaction, so two processes migrating at once apply each migration once. Returns the names
 * this call applied, in order.
 */
export function applyMigrations(db: Database, migrations: readonly Migration[], now: number): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const isApplied = db.prepare<[number], number>('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const apply = db.transaction((migration: Migration): boolean => {
    if (isApplied.get(migration.version) !== undefined) return false;
    db.exec(migration.sql);
    record.run(migration.version, migration.name, now);
    return true;
  });
  return migrations.filter((migration) => apply.immediate(migration)).map((migration) => migration.name);
}
