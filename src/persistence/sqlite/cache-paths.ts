import type { Database } from 'better-sqlite3';
import type { CacheObjectRecord, CacheRepo } from '../types.js';
import { liveCacheGuard } from './cache-guard.js';
import { cacheObjectParams, rowToCacheObject } from './cache-rows.js';
import type { CacheObjectParams, CacheObjectRow } from './cache-rows.js';
import { settle } from './settle.js';

type PathMethods = Pick<CacheRepo, 'putPath' | 'getPath' | 'missingPaths' | 'deletePath'>;

/** The store paths of caches (cache_objects); SqliteCacheRepo delegates to it. */
export class SqliteCachePaths implements PathMethods {
  private readonly put;
  private readonly getStatement;
  private readonly existsStatement;
  private readonly deleteStatement;
  private readonly missing;

  constructor(db: Database) {
    const requireLiveCache = liveCacheGuard(db);
    const upsert = db.prepare<[CacheObjectParams]>(`
      INSERT INTO cache_objects (cache_name, store_path_hash, narinfo_key, nar_hash, nar_size, file_key,
        file_size, refs, created_at, last_accessed_at)
      VALUES (@cacheName, @storePathHash, @narinfoKey, @narHash, @narSize, @fileKey,
        @fileSize, @refs, @createdAt, @lastAccessedAt)
      ON CONFLICT (cache_name, store_path_hash) DO UPDATE SET
        narinfo_key = excluded.narinfo_key, nar_hash = excluded.nar_hash, nar_size = excluded.nar_size,
        file_key = excluded.file_key, file_size = excluded.file_size, refs = excluded.refs,
        created_at = excluded.created_at, last_accessed_at = excluded.last_accessed_at`);
    this.put = db.transaction((params: CacheObjectParams) => {
      requireLiveCache(params.cacheName);
      upsert.run(params);
    });
    this.getStatement = db.prepare<[string, string], CacheObjectRow>(
      'SELECT * FROM cache_objects WHERE cache_name = ? AND store_path_hash = ?',
    );
    this.existsStatement = db
      .prepare<[string, string], number>(
        'SELECT 1 FROM cache_objects WHERE cache_name = ? AND store_path_hash = ?',
      )
      .pluck();
    this.deleteStatement = db.prepare<[string, string]>(
      'DELETE FROM cache_objects WHERE cache_name = ? AND store_path_hash = ?',
    );
    // Point lookups on the primary key, in one transaction so that the answer is one snapshot.
    // Cheaper in SQLite than assembling IN lists of varying length.
    this.missing = db.transaction((cacheName: string, hashes: readonly string[]) =>
      [...new Set(hashes)].filter((hash) => this.existsStatement.get(cacheName, hash) === undefined),
    );
  }

  putPath(object: CacheObjectRecord): Promise<void> {
    return settle(() => {
      this.put.immediate(cacheObjectParams(object));
    });
  }

  getPath(cacheName: string, storePathHash: string): Promise<CacheObjectRecord | undefined> {
    return settle(() => {
      const row = this.getStatement.get(cacheName, storePathHash);
      return row ? rowToCacheObject(row) : undefined;
    });
  }

  missingPaths(cacheName: string, storePathHashes: readonly string[]): Promise<string[]> {
    return settle(() => this.missing(cacheName, storePathHashes));
  }

  deletePath(cacheName: string, storePathHash: string): Promise<boolean> {
    return settle(() => this.deleteStatement.run(cacheName, storePathHash).changes === 1);
  }
}
