import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, type ConfigInput, type KilnConfig } from '../config/index.js';
import {
  migrateDatabase,
  openPostgresStore,
  openSqliteStore,
  type DatabaseTarget,
  type Store,
} from '../persistence/index.js';

/** The database the configuration names: PostgreSQL at `database.url`, else SQLite under the data directory. */
export function databaseTarget(config: KilnConfig): DatabaseTarget {
  return config.database.url === ''
    ? { kind: 'sqlite', path: join(config.dataDir, 'kiln.db') }
    : { kind: 'postgres', url: config.database.url };
}

/** Opens (without migrating) the configured store. */
export function openConfiguredStore(config: KilnConfig): Store {
  const target = databaseTarget(config);
  return target.kind === 'sqlite' ? openSqliteStore(target.path) : openPostgresStore(target.url);
}

/** How to name a database in output and logs: a URL's password (and query) never shown. */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.kind === 'sqlite') return `sqlite ${target.path}`;
  try {
    const url = new URL(target.url);
    if (url.password !== '') url.password = '***';
    url.search = '';
    return `postgres ${url.toString()}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}

/** `kiln migrate`: brings the configured database up to date; says which and what was applied. */
export async function migrateConfiguredDatabase(
  input: ConfigInput,
): Promise<{ database: string; applied: string[] }> {
  const config = loadConfig(input);
  const target = databaseTarget(config);
  if (target.kind === 'sqlite') await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  return { database: describeDatabase(target), applied: await migrateDatabase(target) };
}
