import type { Database } from 'better-sqlite3';
import type { CachePin, CacheRepo } from '../types.js';
import { rowToCachePin } from './cache-rows.js';
import type { CachePinRow } from './cache-rows.js';
import { settle } from './settle.js';

type PinMethods = Pick<CacheRepo, 'pin' | 'unpin' | 'pins'>;

/** Pinned paths (cache_pins, which go with their path); SqliteCacheRepo delegates to it. */
export class SqliteCachePins implements PinMethods {
  private readonly pinStatement;
  private readonly unpinStatement;
  private readonly pinsStatement;

  constructor(db: Database) {
    // One statement, so that the path cannot be deleted between the check and the insert. A second
    // pin changes nothing (the first time is kept) but still reports the path as pinned.
    this.pinStatement = db.prepare<[number, string, string]>(`
      INSERT INTO cache_pins (cache_name, store_path_hash, created_at)
      SELECT o.cache_name, o.store_path_hash, ? FROM cache_objects o
      WHERE o.cache_name = ? AND o.store_path_hash = ?
      ON CONFLICT (cache_name, store_path_hash) DO UPDATE SET created_at = created_at`);
    this.unpinStatement = db.prepare<[string, string]>(
      'DELETE FROM cache_pins WHERE cache_name = ? AND store_path_hash = ?',
    );
    this.pinsStatement = db.prepare<[string], CachePinRow>(`
      SELECT p.cache_name, p.store_path_hash, o.store_path, p.created_at
      FROM cache_pins p JOIN cache_objects o
        ON o.cache_name = p.cache_name AND o.store_path_hash = p.store_path_hash
      WHERE p.cache_name = ?
      ORDER BY p.store_path_hash`);
  }

  pin(cacheName: string, storePathHash: string, now: number): Promise<boolean> {
    return settle(() => this.pinStatement.run(now, cacheName, storePathHash).changes === 1);
  }

  unpin(cacheName: string, storePathHash: string): Promise<boolean> {
    return settle(() => this.unpinStatement.run(cacheName, storePathHash).changes === 1);
  }

  pins(cacheName: string): Promise<CachePin[]> {
    return settle(() => this.pinsStatement.all(cacheName).map(rowToCachePin));
  }
}
