import { KilnError } from '../../errors/index.js';
import type { PgDb } from './db.js';

/*
 * Row locks on a cache's row in `caches` order writes to its paths across API nodes, like SQLite's
 * IMMEDIATE transactions do within one: writers that add paths or pins share the lock (FOR SHARE),
 * path deletion takes it alone (FOR NO KEY UPDATE), so a deletion never plans with a path, pin or
 * reference edge that a concurrent upload is adding. Neither mode blocks readers, nor the
 * FOR KEY SHARE locks that foreign key checks (counters) take.
 */

/**
 * Inside a transaction: checks that `name` is a live cache and holds it so until the transaction
 * ends (markDeleted and path deletion wait). A missing and a deleted cache give the same error.
 */
export async function lockLiveCache(tx: PgDb, name: string): Promise<void> {
  const rows = await tx.query<{ deletedAt: number | null }>(
    'SELECT deleted_at AS "deletedAt" FROM caches WHERE name = $1 FOR SHARE',
    [name],
  );
  const found = rows[0];
  if (found === undefined || found.deletedAt !== null) {
    throw new KilnError('KILN_ERR_NOT_FOUND', `no cache named ${name}`, { cache: name });
  }
}

/** Inside a transaction: holds the cache (deleted or not) against path writers; false if missing. */
export async function lockCacheShared(tx: PgDb, name: string): Promise<boolean> {
  const rows = await tx.query('SELECT 1 FROM caches WHERE name = $1 FOR SHARE', [name]);
  return rows.length > 0;
}

/** Inside a transaction: holds the cache alone for deleting paths; false if it is missing. */
export async function lockCacheForDeletion(tx: PgDb, name: string): Promise<boolean> {
  const rows = await tx.query('SELECT 1 FROM caches WHERE name = $1 FOR NO KEY UPDATE', [name]);
  return rows.length > 0;
}
