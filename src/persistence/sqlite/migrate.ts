import { readFile, readdir } from 'node:fs/promises';
import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d+)_[\w-]+\.sql$/;

/** The numbered `.sql` files of `dir`, in version order. */
export async function readMigrations(dir: URL): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const name of await readdir(dir)) {
    const match = MIGRATION_FILE.exec(name);
    if (!match?.[1]) continue;
    migrations.push({ version: Number(match[1]), name, sql: await readFile(new URL(name, dir), 'utf8') });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    const [previous, current] = [migrations[i - 1], migrations[i]];
    if (previous && current && previous.version === current.version) {
      throw new Error(`two migrations share version ${current.version}: ${previous.name}, ${current.name}`);
    }
  }
  return migrations;
}

/**
 * Applies the migrations not yet recorded in schema_migrations, each in its own transaction with
 * its record, so a failed migration leaves no trace. The check happens inside the (immediate)
 * transaction, so two processes migrating at once apply each migration once.
 */
export function applyMigrations(db: Database, migrations: readonly Migration[], now: number): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const isApplied = db.prepare<[number], number>('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const apply = db.transaction((migration: Migration) => {
    if (isApplied.get(migration.version) !== undefined) return;
    db.exec(migration.sql);
    record.run(migration.version, migration.name, now);
  });
  for (const migration of migrations) apply.immediate(migration);
}
