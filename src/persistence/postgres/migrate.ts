import type { Migration } from '../migration-files.js';
import type { PgDb } from './db.js';

/**
 * Fixed advisory lock key for schema changes (ASCII "kilnmigr"). Every process that migrates takes
 * it inside each migration's transaction, so concurrent migrators apply each migration once and
 * never see a half-created schema_migrations table.
 */
const MIGRATION_LOCK_KEY = 0x6b696c6e6d696772n;

/**
 * Applies the migrations not yet recorded in schema_migrations, in version order, each in its own
 * transaction with its record (a failed migration leaves no trace). Returns the names applied by
 * this call, in order: empty when the database was up to date.
 */
export async function applyPgMigrations(
  db: PgDb,
  migrations: readonly Migration[],
  now: number,
): Promise<string[]> {
  const applied: string[] = [];
  for (const migration of migrations) {
    const ran = await db.transaction(async (tx) => {
      await tx.execute('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      await tx.execute(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL
      )`);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.length > 0) return false;
      // No parameters: the simple query protocol runs a file of several statements.
      await tx.execute(migration.sql);
      await tx.execute('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        now,
      ]);
      return true;
    });
    if (ran) applied.push(migration.name);
  }
  return applied;
}
