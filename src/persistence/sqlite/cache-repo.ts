import type { Database } from 'better-sqlite3';
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
import { SqliteCacheCounters } from './cache-counters.js';
import { liveCacheGuard } from './cache-guard.js';
import { SqliteCacheNars } from './cache-nars.js';
import { SqliteCachePaths } from './cache-paths.js';
import { SqliteCachePins } from './cache-pins.js';
import { cacheKeyParams, rowToCache, rowToCacheKey } from './cache-rows.js';
import type { CacheKeyRow, CacheRow } from './cache-rows.js';
import { settle } from './settle.js';

interface CacheParams {
  name: string;
  private: number;
  priority: number;
  retentionDays: number | null;
  createdAt: number;
}

interface RetireParams {
  cacheName: string;
  keyName: string;
  at: number;
}

/**
 * Caches and their keys; the paths, NARs, pins and counters are in their own classes (one per
 * table group), which this one delegates to.
 */
export class SqliteCacheRepo implements CacheRepo {
  private readonly paths: SqliteCachePaths;
  private readonly nars: SqliteCacheNars;
  private readonly pinned: SqliteCachePins;
  private readonly stats: SqliteCacheCounters;
  private readonly createTransaction;
  private readonly addKeyTransaction;
  private readonly getStatement;
  private readonly listStatement;
  private readonly markDeletedStatement;
  private readonly keysStatement;
  private readonly signingKeysStatement;
  private readonly retireStatement;
  private readonly retentionStatement;

  constructor(db: Database) {
    this.paths = new SqliteCachePaths(db);
    this.nars = new SqliteCacheNars(db);
    this.pinned = new SqliteCachePins(db);
    this.stats = new SqliteCacheCounters(db);
    const requireLiveCache = liveCacheGuard(db);
    const cacheExists = db.prepare<[string], number>('SELECT 1 FROM caches WHERE name = ?').pluck();
    const keyNameTaken = db.prepare<[string], number>('SELECT 1 FROM cache_keys WHERE key_name = ?').pluck();
    const insertCache = db.prepare<[CacheParams]>(`
      INSERT INTO caches (name, private, priority, retention_days, created_at, deleted_at)
      VALUES (@name, @private, @priority, @retentionDays, @createdAt, NULL)`);
    const insertKey = db.prepare<[CacheKeyRecord]>(`
      INSERT INTO cache_keys (cache_name, key_name, public_key, secret_key_ciphertext, created_at,
        activated_at, retires_at)
      VALUES (@cacheName, @keyName, @publicKey, @secretKeyCiphertext, @createdAt, @activatedAt, @retiresAt)`);
    // The checks run inside the (immediate) write transaction, so no other connection can take the
    // name between check and insert; an error thrown here rolls back the whole create.
    const requireFreeKeyName = (keyName: string): void => {
      if (keyNameTaken.get(keyName) !== undefined) {
        throw new KilnError('KILN_ERR_CONFLICT', `signing key name ${keyName} is already in use`, {
          keyName,
        });
      }
    };
    this.createTransaction = db.transaction((cache: CacheParams, key: CacheKeyRecord) => {
      if (cacheExists.get(cache.name) !== undefined) {
        throw new KilnError('KILN_ERR_CONFLICT', `cache ${cache.name} already exists`, { cache: cache.name });
      }
      requireFreeKeyName(key.keyName);
      insertCache.run(cache);
      insertKey.run(key);
    });
    this.addKeyTransaction = db.transaction((key: CacheKeyRecord) => {
      requireLiveCache(key.cacheName);
      requireFreeKeyName(key.keyName);
      insertKey.run(key);
    });
    this.getStatement = db.prepare<[string], CacheRow>('SELECT * FROM caches WHERE name = ?');
    this.listStatement = db.prepare<[], CacheRow>('SELECT * FROM caches ORDER BY name');
    // A second deletion changes nothing, so the first deletion time is kept.
    this.markDeletedStatement = db.prepare<[number, string]>(
      'UPDATE caches SET deleted_at = ? WHERE name = ? AND deleted_at IS NULL',
    );
    this.keysStatement = db.prepare<[string], CacheKeyRow>(
      'SELECT * FROM cache_keys WHERE cache_name = ? ORDER BY activated_at, key_name',
    );
    // A deleted cache signs nothing, whatever its keys say.
    this.signingKeysStatement = db.prepare<[string, number, number], CacheKeyRow>(`
      SELECT k.* FROM cache_keys k JOIN caches c ON c.name = k.cache_name
      WHERE k.cache_name = ? AND c.deleted_at IS NULL
        AND k.activated_at <= ? AND (k.retires_at IS NULL OR k.retires_at > ?)
      ORDER BY k.activated_at, k.key_name`);
    // Only ever moves the retirement earlier: extending it could revive a key an operator retired.
    this.retireStatement = db.prepare<[RetireParams], CacheKeyRow>(`
      UPDATE cache_keys
      SET retires_at = CASE WHEN retires_at IS NULL OR retires_at > @at THEN @at ELSE retires_at END
      WHERE cache_name = @cacheName AND key_name = @keyName
      RETURNING *`);
    this.retentionStatement = db.prepare<[number | null, string]>(
      'UPDATE caches SET retention_days = ? WHERE name = ? AND deleted_at IS NULL',
    );
  }

  create(cache: NewCache, firstKey: CacheKeyRecord): Promise<CacheRecord> {
    return settle(() => {
      if (firstKey.cacheName !== cache.name) {
        throw new KilnError('KILN_ERR_VALIDATION', 'the first key must belong to the cache being created', {
          cache: cache.name,
          keyCache: firstKey.cacheName,
        });
      }
      const { name, priority, retentionDays, createdAt } = cache;
      this.createTransaction.immediate(
        { name, private: cache.private ? 1 : 0, priority, retentionDays, createdAt },
        cacheKeyParams(firstKey),
      );
      return { name, private: cache.private, priority, retentionDays, createdAt, deletedAt: null };
    });
  }

  get(name: string): Promise<CacheRecord | undefined> {
    return settle(() => {
      const row = this.getStatement.get(name);
      return row ? rowToCache(row) : undefined;
    });
  }

  list(): Promise<CacheRecord[]> {
    return settle(() => this.listStatement.all().map(rowToCache));
  }

  markDeleted(name: string, now: number): Promise<boolean> {
    return settle(() => this.markDeletedStatement.run(now, name).changes === 1);
  }

  addKey(key: CacheKeyRecord): Promise<void> {
    return settle(() => {
      this.addKeyTransaction.immediate(cacheKeyParams(key));
    });
  }

  keys(cacheName: string): Promise<CacheKeyRecord[]> {
    return settle(() => this.keysStatement.all(cacheName).map(rowToCacheKey));
  }

  signingKeys(cacheName: string, now: number): Promise<CacheKeyRecord[]> {
    return settle(() => this.signingKeysStatement.all(cacheName, now, now).map(rowToCacheKey));
  }

  retireKey(cacheName: string, keyName: string, at: number): Promise<CacheKeyRecord | undefined> {
    return settle(() => {
      const row = this.retireStatement.get({ cacheName, keyName, at });
      return row ? rowToCacheKey(row) : undefined;
    });
  }

  setRetention(cacheName: string, days: number | null): Promise<boolean> {
    return settle(() => this.retentionStatement.run(days, cacheName).changes === 1);
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
