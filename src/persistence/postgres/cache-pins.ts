import type { CachePin, CacheRepo } from '../types.js';
import { lockCacheShared } from './cache-guard.js';
import type { PgDb } from './db.js';

type PinMethods = Pick<CacheRepo, 'pin' | 'unpin' | 'pins'>;

/** Pinned paths (cache_pins, which go with their path); PgCacheRepo delegates to it. */
export class PgCachePins implements PinMethods {
  constructor(private readonly db: PgDb) {}

  pin(cacheName: string, storePathHash: string, now: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // Shares the cache with uploads and excludes path deletion (cache-guard.ts): a deletion that
      // already planned without this pin would otherwise delete the path, and the pin with it,
      // after pin() had answered true.
      if (!(await lockCacheShared(tx, cacheName))) return false;
      // A second pin changes nothing (the first time is kept) but still reports the path as pinned.
      const changed = await tx.execute(
        `INSERT INTO cache_pins (cache_name, store_path_hash, created_at)
         SELECT o.cache_name, o.store_path_hash, $3 FROM cache_objects o
         WHERE o.cache_name = $1 AND o.store_path_hash = $2
         ON CONFLICT (cache_name, store_path_hash) DO UPDATE SET created_at = cache_pins.created_at`,
        [cacheName, storePathHash, now],
      );
      return changed === 1;
    });
  }

  async unpin(cacheName: string, storePathHash: string): Promise<boolean> {
    const changed = await this.db.execute(
      'DELETE FROM cache_pins WHERE cache_name = $1 AND store_path_hash = $2',
      [cacheName, storePathHash],
    );
    return changed === 1;
  }

  pins(cacheName: string): Promise<CachePin[]> {
    return this.db.query<CachePin>(
      `SELECT p.cache_name AS "cacheName", p.store_path_hash AS "storePathHash",
         o.store_path AS "storePath", p.created_at AS "createdAt"
       FROM cache_pins p JOIN cache_objects o
         ON o.cache_name = p.cache_name AND o.store_path_hash = p.store_path_hash
       WHERE p.cache_name = $1
       ORDER BY p.store_path_hash`,
      [cacheName],
    );
  }
}
