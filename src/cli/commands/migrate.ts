import type { MigratePlan } from '../args/index.js';
import { writeLine, type CliIo } from '../io.js';

/**
 * `kiln migrate`: applies the database's pending migrations and lists them. Safe to run while
 * servers use the database, and again (nothing left to apply). Imported lazily like `serve`.
 */
export async function runMigrate(plan: MigratePlan, io: CliIo): Promise<number> {
  const { migrateConfiguredDatabase } = await import('../../main/index.js');
  const { database, applied } = await migrateConfiguredDatabase({
    dataDir: plan.dataDir,
    ...(plan.databaseUrl !== undefined && { database: { url: plan.databaseUrl } }),
  });
  writeLine(io.stdout, `database: ${database}`);
  if (applied.length === 0) writeLine(io.stdout, 'up to date: no migrations to apply');
  for (const name of applied) writeLine(io.stdout, `applied ${name}`);
  return 0;
}
