import type { Database } from 'better-sqlite3';
import { KilnError } from '../../errors/index.js';

/**
 * A check, to run inside a write transaction, that `name` is a cache that is not deleted. The
 * foreign keys alone would accept rows for a deleted cache and fail on a missing one with a bare
 * constraint error; this gives both cases the same, meaningful error.
 */
export function liveCacheGuard(db: Database): (name: string) => void {
  const deletedAt = db
    .prepare<[string], number | null>('SELECT deleted_at FROM caches WHERE name = ?')
    .pluck();
  return (name) => {
    const found = deletedAt.get(name);
    if (found === undefined || found !== null) {
      throw new KilnError('KILN_ERR_NOT_FOUND', `no cache named ${name}`, { cache: name });
    }
  };
}
