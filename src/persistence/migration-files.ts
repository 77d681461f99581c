import { readFile, readdir } from 'node:fs/promises';

/** One numbered schema change of a dialect (`NNN_name.sql`). */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d+)_[\w-]+\.sql$/;

/** The numbered `.sql` files of `dir`, in version order; two files with one number are an error. */
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
