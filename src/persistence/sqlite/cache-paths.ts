import type { Database } from 'better-sqlite3';
import { KilnError } from '../../errors/index.js';
import type { CacheObjectRecord, CachePathSummary, CachePathView, CacheRepo } from '../types.js';
import { liveCacheGuard } from './cache-guard.js';
import { planPathDeletion } from '../cache-deletion.js';
import { cacheObjectParams, rowToCachePathSummary, rowToCachePathView } from './cache-rows.js';
import type { CacheObjectParams, CachePathSummaryRow, CachePathViewRow } from './cache-rows.js';
import { settle } from './settle.js';

type PathMethods = Pick<
  CacheRepo,
  'putPath' | 'getPath' | 'missingPaths' | 'touchPaths' | 'listPaths' | 'deletePaths' | 'setSignatures'
>;

/** The hash part of a store path base name (`<hash>-<name>`), or undefined if it has none. */
function referenceHash(baseName: string): string | undefined {
  return baseName.length > 33 && baseName[32] === '-' ? baseName.slice(0, 32) : undefined;
}

/**
 * The store paths of caches (cache_objects) and their reference edges (cache_refs);
 * SqliteCacheRepo delegates to it.
 */
export class SqliteCachePaths implements PathMethods {
  private readonly put;
  private readonly getStatement;
  private readonly missing;
  private readonly touch;
  private readonly listStatement;
  private readonly delete;
  private readonly setSigsStatement;

  constructor(db: Database) {
    const requireLiveCache = liveCacheGuard(db);
    this.setSigsStatement = db.prepare<[string, string, string]>(
      'UPDATE cache_objects SET sigs = ? WHERE cache_name = ? AND store_path_hash = ?',
    );
    const narExists = db.prepare<[string], number>('SELECT 1 FROM nars WHERE nar_hash = ?').pluck();
    const held = db
      .prepare<[string, string], number>(
        'SELECT 1 FROM cache_objects WHERE cache_name = ? AND store_path_hash = ?',
      )
      .pluck();
    // An update, not a replace: a replaced row would cascade to the path's pins.
    const upsert = db.prepare<[CacheObjectParams]>(`
      INSERT INTO cache_objects (cache_name, store_path_hash, store_path, nar_hash, nar_size, refs,
        deriver, ca, sigs, created_at, last_accessed_at)
      VALUES (@cacheName, @storePathHash, @storePath, @narHash, @narSize, @refs,
        @deriver, @ca, @sigs, @createdAt, @lastAccessedAt)
      ON CONFLICT (cache_name, store_path_hash) DO UPDATE SET
        store_path = excluded.store_path, nar_hash = excluded.nar_hash, nar_size = excluded.nar_size,
        refs = excluded.refs, deriver = excluded.deriver, ca = excluded.ca, sigs = excluded.sigs,
        created_at = excluded.created_at, last_accessed_at = excluded.last_accessed_at`);
    const clearEdges = db.prepare<[string, string]>(
      'DELETE FROM cache_refs WHERE cache_name = ? AND referrer = ?',
    );
    const insertEdge = db.prepare<[string, string, string]>(
      'INSERT OR IGNORE INTO cache_refs (cache_name, referrer, reference) VALUES (?, ?, ?)',
    );
    // Every check runs inside the immediate transaction, so a reference cannot be deleted between
    // the check and the insert.
    this.put = db.transaction((object: CacheObjectRecord) => {
      const { cacheName, storePathHash, narHash } = object;
      requireLiveCache(cacheName);
      if (narExists.get(narHash) === undefined) {
        throw new KilnError('KILN_ERR_VALIDATION', `NAR ${narHash} has not been uploaded`, {
          cache: cacheName,
          storePathHash,
          narHash,
        });
      }
      const edges = new Set<string>();
      const missing = new Set<string>();
      for (const reference of object.references) {
        const hash = referenceHash(reference);
        if (hash === storePathHash) continue;
        if (hash !== undefined && held.get(cacheName, hash) !== undefined) edges.add(hash);
        else missing.add(reference);
      }
      if (missing.size > 0) {
        throw new KilnError('KILN_ERR_VALIDATION', `references not in cache ${cacheName}`, {
          cache: cacheName,
          storePathHash,
          missing: [...missing],
        });
      }
      upsert.run(cacheObjectParams(object));
      clearEdges.run(cacheName, storePathHash);
      for (const hash of edges) insertEdge.run(cacheName, storePathHash, hash);
    });

    this.getStatement = db.prepare<[string, string], CachePathViewRow>(`
      SELECT o.*, n.nar_size AS nar_nar_size, n.file_key AS nar_file_key,
        n.compression AS nar_compression, n.file_hash AS nar_file_hash,
        n.file_size AS nar_file_size, n.created_at AS nar_created_at
      FROM cache_objects o JOIN nars n ON n.nar_hash = o.nar_hash
      WHERE o.cache_name = ? AND o.store_path_hash = ?`);
    // Point lookups on the primary key, in one transaction so that the answer is one snapshot.
    // Cheaper in SQLite than assembling IN lists of varying length.
    this.missing = db.transaction((cacheName: string, hashes: readonly string[]) =>
      [...new Set(hashes)].filter((hash) => held.get(cacheName, hash) === undefined),
    );
    const touchStatement = db.prepare<[number, string, string]>(
      'UPDATE cache_objects SET last_accessed_at = ? WHERE cache_name = ? AND store_path_hash = ?',
    );
    this.touch = db.transaction((cacheName: string, hashes: readonly string[], at: number) => {
      for (const hash of new Set(hashes)) touchStatement.run(at, cacheName, hash);
    });
    this.listStatement = db.prepare<[string], CachePathSummaryRow>(`
      SELECT o.store_path_hash, o.store_path, o.nar_hash, o.nar_size, n.file_size, o.refs,
        o.created_at, o.last_accessed_at
      FROM cache_objects o JOIN nars n ON n.nar_hash = o.nar_hash
      WHERE o.cache_name = ?
      ORDER BY o.store_path_hash`);

    const deletable = db
      .prepare<[string, string], number>(
        `
        SELECT 1 FROM cache_objects o
        WHERE o.cache_name = ? AND o.store_path_hash = ?
          AND NOT EXISTS (SELECT 1 FROM cache_pins p
            WHERE p.cache_name = o.cache_name AND p.store_path_hash = o.store_path_hash)`,
      )
      .pluck();
    const referrers = db
      .prepare<[string, string], string>(
        'SELECT referrer FROM cache_refs WHERE cache_name = ? AND reference = ?',
      )
      .pluck();
    const references = db
      .prepare<[string, string], string>(
        'SELECT reference FROM cache_refs WHERE cache_name = ? AND referrer = ?',
      )
      .pluck();
    // Edges from the deleted path go with it (ON DELETE CASCADE); edges to it cannot exist.
    const deleteStatement = db.prepare<[string, string]>(
      'DELETE FROM cache_objects WHERE cache_name = ? AND store_path_hash = ?',
    );
    this.delete = db.transaction((cacheName: string, hashes: readonly string[]) => {
      const doomed = planPathDeletion(hashes, {
        deletable: (hash) => deletable.get(cacheName, hash) !== undefined,
        referrers: (hash) => referrers.all(cacheName, hash),
        references: (hash) => references.all(cacheName, hash),
      });
      for (const hash of doomed) deleteStatement.run(cacheName, hash);
      return doomed;
    });
  }

  putPath(object: CacheObjectRecord): Promise<void> {
    return settle(() => {
      this.put.immediate(object);
    });
  }

  getPath(cacheName: string, storePathHash: string): Promise<CachePathView | undefined> {
    return settle(() => {
      const row = this.getStatement.get(cacheName, storePathHash);
      return row ? rowToCachePathView(row) : undefined;
    });
  }

  missingPaths(cacheName: string, storePathHashes: readonly string[]): Promise<string[]> {
    return settle(() => this.missing(cacheName, storePathHashes));
  }

  touchPaths(cacheName: string, storePathHashes: readonly string[], at: number): Promise<void> {
    return settle(() => {
      this.touch.immediate(cacheName, storePathHashes, at);
    });
  }

  listPaths(cacheName: string): Promise<CachePathSummary[]> {
    return settle(() => this.listStatement.all(cacheName).map(rowToCachePathSummary));
  }

  deletePaths(cacheName: string, storePathHashes: readonly string[]): Promise<string[]> {
    return settle(() => this.delete.immediate(cacheName, storePathHashes));
  }

  setSignatures(cacheName: string, storePathHash: string, signatures: readonly string[]): Promise<boolean> {
    return settle(
      () => this.setSigsStatement.run(JSON.stringify(signatures), cacheName, storePathHash).changes === 1,
    );
  }
}
