import { KilnError } from '../../errors/index.js';
import type {
  CacheCounterBucket,
  CacheCounters,
  CacheKeyRecord,
  CacheObjectRecord,
  CachePathSummary,
  CachePathView,
  CachePin,
  CacheRecord,
  CacheRepo,
  CacheUsage,
  CounterHistoryQuery,
  NarRecord,
  NewCache,
} from '../types.js';
import { PgCacheCounters } from './cache-counters.js';
import { lockLiveCache } from './cache-guard.js';
import { PgCacheNars } from './cache-nars.js';
import { PgCachePaths } from './cache-paths.js';
import { PgCachePins } from './cache-pins.js';
import { CACHE_COLUMNS, CACHE_KEY_COLUMNS } from './cache-rows.js';
import type { PgDb } from './db.js';

/**
 * Inserts the key unless its name is taken (by any cache: the unique key_name, or the primary key);
 * ON CONFLICT waits for a concurrent insert of the same name, so exactly one of two racing wins.
 */
async function insertKey(tx: PgDb, key: CacheKeyRecord): Promise<void> {
  const { cacheName, keyName, publicKey, secretKeyCiphertext, createdAt, activatedAt, retiresAt } = key;
  const inserted = await tx.execute(
    `INSERT INTO cache_keys (cache_name, key_name, public_key, secret_key_ciphertext, created_at,
       activated_at, retires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT DO NOTHING`,
    [cacheName, keyName, publicKey, secretKeyCiphertext, createdAt, activatedAt, retiresAt],
  );
  if (inserted === 0) {
    throw new KilnError('KILN_ERR_CONFLICT', `signing key name ${keyName} is already in use`, { keyName });
  }
}

/**
 * Caches and their keys on PostgreSQL; the paths, NARs, pins and counters are in their own classes
 * (one per table group), which this one delegates to.
 */
export class PgCacheRepo implements CacheRepo {
  private readonly paths: PgCachePaths;
  private readonly nars: PgCacheNars;
  private readonly pinned: PgCachePins;
  private readonly stats: PgCacheCounters;

  constructor(private readonly db: PgDb) {
    this.paths = new PgCachePaths(db);
    this.nars = new PgCacheNars(db);
    this.pinned = new PgCachePins(db);
    this.stats = new PgCacheCounters(db);
  }

  async create(cache: NewCache, firstKey: CacheKeyRecord): Promise<CacheRecord> {
    if (firstKey.cacheName !== cache.name) {
      throw new KilnError('KILN_ERR_VALIDATION', 'the first key must belong to the cache being created', {
        cache: cache.name,
        keyCache: firstKey.cacheName,
      });
    }
    const { name, priority, retentionDays, createdAt } = cache;
    // Both inserts in one transaction: a taken key name rolls the cache back.
    return this.db.transaction(async (tx) => {
      const inserted = await tx.query<CacheRecord>(
        `INSERT INTO caches (name, private, priority, retention_days, created_at, deleted_at)
         VALUES ($1, $2, $3, $4, $5, NULL)
         ON CONFLICT (name) DO NOTHING
         RETURNING ${CACHE_COLUMNS}`,
        [name, cache.private, priority, retentionDays, createdAt],
      );
      const created = inserted[0];
      if (created === undefined) {
        throw new KilnError('KILN_ERR_CONFLICT', `cache ${name} already exists`, { cache: name });
      }
      await insertKey(tx, firstKey);
      return created;
    });
  }

  async get(name: string): Promise<CacheRecord | undefined> {
    const rows = await this.db.query<CacheRecord>(`SELECT ${CACHE_COLUMNS} FROM caches WHERE name = $1`, [
      name,
    ]);
    return rows[0];
  }

  list(): Promise<CacheRecord[]> {
    return this.db.query<CacheRecord>(`SELECT ${CACHE_COLUMNS} FROM caches ORDER BY name`);
  }

  async markDeleted(name: string, now: number): Promise<boolean> {
    // A second deletion changes nothing, so the first deletion time is kept; it waits for uploads
    // holding the cache (cache-guard.ts), and later ones see the cache deleted.
    const changed = await this.db.execute(
      'UPDATE caches SET deleted_at = $1 WHERE name = $2 AND deleted_at IS NULL',
      [now, name],
    );
    return changed === 1;
  }

  addKey(key: CacheKeyRecord): Promise<void> {
    return this.db.transaction(async (tx) => {
      await lockLiveCache(tx, key.cacheName);
      await insertKey(tx, key);
    });
  }

  keys(cacheName: string): Promise<CacheKeyRecord[]> {
    return this.db.query<CacheKeyRecord>(
      `SELECT ${CACHE_KEY_COLUMNS} FROM cache_keys WHERE cache_name = $1 ORDER BY activated_at, key_name`,
      [cacheName],
    );
  }

  signingKeys(cacheName: string, now: number): Promise<CacheKeyRecord[]> {
    // A deleted cache signs nothing, whatever its keys say.
    return this.db.query<CacheKeyRecord>(
      `SELECT ${CACHE_KEY_COLUMNS} FROM cache_keys
       WHERE cache_name = $1
         AND EXISTS (SELECT 1 FROM caches c WHERE c.name = $1 AND c.deleted_at IS NULL)
         AND activated_at <= $2 AND (retires_at IS NULL OR retires_at > $2)
       ORDER BY activated_at, key_name`,
      [cacheName, now],
    );
  }

  async retireKey(cacheName: string, keyName: string, at: number): Promise<CacheKeyRecord | undefined> {
    // Only ever moves the retirement earlier: extending it could revive a key an operator retired.
    const rows = await this.db.query<CacheKeyRecord>(
      `UPDATE cache_keys SET retires_at = LEAST(coalesce(retires_at, $3::bigint), $3::bigint)
       WHERE cache_name = $1 AND key_name = $2
       RETURNING ${CACHE_KEY_COLUMNS}`,
      [cacheName, keyName, at],
    );
    return rows[0];
  }

  async setRetention(cacheName: string, days: number | null): Promise<boolean> {
    const changed = await this.db.execute(
      'UPDATE caches SET retention_days = $1 WHERE name = $2 AND deleted_at IS NULL',
      [days, cacheName],
    );
    return changed === 1;
  }

  putNar(nar: NarRecord): Promise<{ nar: NarRecord; created: boolean }> {
    return this.nars.putNar(nar);
  }

  getNar(narHash: string): Promise<NarRecord | undefined> {
    return this.nars.getNar(narHash);
  }

  getNarByFileKey(fileKey: string): Promise<NarRecord | undefined> {
    return this.nars.getNarByFileKey(fileKey);
  }

  cacheHasNar(cacheName: string, narHash: string): Promise<boolean> {
    return this.nars.cacheHasNar(cacheName, narHash);
  }

  deleteUnreferencedNars(
    createdBefore: number,
    limit: number,
  ): Promise<{ nar: NarRecord; aliases: string[] }[]> {
    return this.nars.deleteUnreferencedNars(createdBefore, limit);
  }

  putPath(object: CacheObjectRecord): Promise<void> {
    return this.paths.putPath(object);
  }

  setSignatures(cacheName: string, storePathHash: string, signatures: readonly string[]): Promise<boolean> {
    return this.paths.setSignatures(cacheName, storePathHash, signatures);
  }

  getPath(cacheName: string, storePathHash: string): Promise<CachePathView | undefined> {
    return this.paths.getPath(cacheName, storePathHash);
  }

  missingPaths(cacheName: string, storePathHashes: readonly string[]): Promise<string[]> {
    return this.paths.missingPaths(cacheName, storePathHashes);
  }

  touchPaths(cacheName: string, storePathHashes: readonly string[], at: number): Promise<void> {
    return this.paths.touchPaths(cacheName, storePathHashes, at);
  }

  listPaths(cacheName: string): Promise<CachePathSummary[]> {
    return this.paths.listPaths(cacheName);
  }

  deletePaths(cacheName: string, storePathHashes: readonly string[]): Promise<string[]> {
    return this.paths.deletePaths(cacheName, storePathHashes);
  }

  pin(cacheName: string, storePathHash: string, now: number): Promise<boolean> {
    return this.pinned.pin(cacheName, storePathHash, now);
  }

  unpin(cacheName: string, storePathHash: string): Promise<boolean> {
    return this.pinned.unpin(cacheName, storePathHash);
  }

  pins(cacheName: string): Promise<CachePin[]> {
    return this.pinned.pins(cacheName);
  }

  addStats(cacheName: string, deltas: Partial<CacheCounters>, at?: number): Promise<void> {
    return this.stats.addStats(cacheName, deltas, at);
  }

  counterHistory(cacheName: string, query: CounterHistoryQuery): Promise<CacheCounterBucket[]> {
    return this.stats.counterHistory(cacheName, query);
  }

  counters(cacheName: string): Promise<CacheCounters> {
    return this.stats.counters(cacheName);
  }

  usage(cacheName: string): Promise<CacheUsage> {
    return this.stats.usage(cacheName);
  }
}
