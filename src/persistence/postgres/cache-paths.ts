import { KilnError } from '../../errors/index.js';
import { planPathDeletion } from '../cache-deletion.js';
import type { CacheObjectRecord, CachePathSummary, CachePathView, CacheRepo } from '../types.js';
import { lockCacheForDeletion, lockLiveCache } from './cache-guard.js';
import { PATH_SUMMARY_COLUMNS, PATH_VIEW_COLUMNS, rowToPathView } from './cache-rows.js';
import type { PathViewRow } from './cache-rows.js';
import type { PgDb } from './db.js';

type PathMethods = Pick<
  CacheRepo,
  'putPath' | 'getPath' | 'missingPaths' | 'touchPaths' | 'listPaths' | 'deletePaths' | 'setSignatures'
>;

/** The hash part of a store path base name (`<hash>-<name>`), or undefined if it has none. */
function referenceHash(baseName: string): string | undefined {
  return baseName.length > 33 && baseName[32] === '-' ? baseName.slice(0, 32) : undefined;
}

interface Edge {
  referrer: string;
  reference: string;
}

/** Edges by one end: `key` to every `value` end. */
function groupBy(edges: readonly Edge[], key: keyof Edge, value: keyof Edge): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const edge of edges) {
    const group = groups.get(edge[key]);
    if (group) group.push(edge[value]);
    else groups.set(edge[key], [edge[value]]);
  }
  return groups;
}

/**
 * The store paths of caches (cache_objects) and their reference edges (cache_refs); PgCacheRepo
 * delegates to it. Writers hold the cache's row (cache-guard.ts) so that deletion and uploads of
 * one cache never interleave.
 */
export class PgCachePaths implements PathMethods {
  constructor(private readonly db: PgDb) {}

  putPath(object: CacheObjectRecord): Promise<void> {
    const { cacheName, storePathHash, narHash } = object;
    return this.db.transaction(async (tx) => {
      await lockLiveCache(tx, cacheName);
      // FOR KEY SHARE: NAR collection skips (or waits for) a NAR a path is being recorded for.
      const nar = await tx.query('SELECT 1 FROM nars WHERE nar_hash = $1 FOR KEY SHARE', [narHash]);
      if (nar.length === 0) {
        throw new KilnError('KILN_ERR_VALIDATION', `NAR ${narHash} has not been uploaded`, {
          cache: cacheName,
          storePathHash,
          narHash,
        });
      }
      const wanted = new Set<string>();
      for (const reference of object.references) {
        const hash = referenceHash(reference);
        if (hash !== undefined && hash !== storePathHash) wanted.add(hash);
      }
      // The cache's shared lock keeps these from being deleted until the path is in.
      const heldRows = await tx.query<{ hash: string }>(
        `SELECT store_path_hash AS hash FROM cache_objects
         WHERE cache_name = $1 AND store_path_hash = ANY($2::text[])`,
        [cacheName, [...wanted]],
      );
      const held = new Set(heldRows.map((row) => row.hash));
      const missing = new Set<string>();
      for (const reference of object.references) {
        const hash = referenceHash(reference);
        if (hash === storePathHash) continue;
        if (hash === undefined || !held.has(hash)) missing.add(reference);
      }
      if (missing.size > 0) {
        throw new KilnError('KILN_ERR_VALIDATION', `references not in cache ${cacheName}`, {
          cache: cacheName,
          storePathHash,
          missing: [...missing],
        });
      }
      // An update, not a delete and insert: a deleted row would cascade to the path's pin.
      await tx.execute(
        `INSERT INTO cache_objects (cache_name, store_path_hash, store_path, nar_hash, nar_size, refs,
           deriver, ca, sigs, created_at, last_accessed_at)
         VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9::text[], $10, $11)
         ON CONFLICT (cache_name, store_path_hash) DO UPDATE SET
           store_path = EXCLUDED.store_path, nar_hash = EXCLUDED.nar_hash, nar_size = EXCLUDED.nar_size,
           refs = EXCLUDED.refs, deriver = EXCLUDED.deriver, ca = EXCLUDED.ca, sigs = EXCLUDED.sigs,
           created_at = EXCLUDED.created_at, last_accessed_at = EXCLUDED.last_accessed_at`,
        [
          cacheName,
          storePathHash,
          object.storePath,
          narHash,
          object.narSize,
          [...object.references],
          object.deriver,
          object.ca,
          [...object.signatures],
          object.createdAt,
          object.lastAccessedAt,
        ],
      );
      await tx.execute('DELETE FROM cache_refs WHERE cache_name = $1 AND referrer = $2', [
        cacheName,
        storePathHash,
      ]);
      if (held.size > 0) {
        await tx.execute(
          `INSERT INTO cache_refs (cache_name, referrer, reference)
           SELECT $1, $2, unnest($3::text[])`,
          [cacheName, storePathHash, [...held]],
        );
      }
    });
  }

  async getPath(cacheName: string, storePathHash: string): Promise<CachePathView | undefined> {
    const rows = await this.db.query<PathViewRow>(
      `SELECT ${PATH_VIEW_COLUMNS}
       FROM cache_objects o JOIN nars n ON n.nar_hash = o.nar_hash
       WHERE o.cache_name = $1 AND o.store_path_hash = $2`,
      [cacheName, storePathHash],
    );
    const row = rows[0];
    return row ? rowToPathView(row) : undefined;
  }

  async missingPaths(cacheName: string, storePathHashes: readonly string[]): Promise<string[]> {
    const unique = [...new Set(storePathHashes)];
    if (unique.length === 0) return [];
    const rows = await this.db.query<{ hash: string }>(
      `SELECT store_path_hash AS hash FROM cache_objects
       WHERE cache_name = $1 AND store_path_hash = ANY($2::text[])`,
      [cacheName, unique],
    );
    const held = new Set(rows.map((row) => row.hash));
    return unique.filter((hash) => !held.has(hash));
  }

  async touchPaths(cacheName: string, storePathHashes: readonly string[], at: number): Promise<void> {
    const unique = [...new Set(storePathHashes)].sort();
    if (unique.length === 0) return;
    // Rows are locked in hash order, so two nodes touching overlapping sets cannot deadlock.
    await this.db.execute(
      `UPDATE cache_objects o SET last_accessed_at = $3
       FROM (SELECT store_path_hash FROM cache_objects
             WHERE cache_name = $1 AND store_path_hash = ANY($2::text[])
             ORDER BY store_path_hash
             FOR NO KEY UPDATE) locked
       WHERE o.cache_name = $1 AND o.store_path_hash = locked.store_path_hash`,
      [cacheName, unique, at],
    );
  }

  listPaths(cacheName: string): Promise<CachePathSummary[]> {
    return this.db.query<CachePathSummary>(
      `SELECT ${PATH_SUMMARY_COLUMNS}
       FROM cache_objects o JOIN nars n ON n.nar_hash = o.nar_hash
       WHERE o.cache_name = $1
       ORDER BY o.store_path_hash`,
      [cacheName],
    );
  }

  deletePaths(cacheName: string, storePathHashes: readonly string[]): Promise<string[]> {
    const requested = [...new Set(storePathHashes)];
    if (requested.length === 0) return Promise.resolve([]);
    return this.db.transaction(async (tx) => {
      // Alone on the cache: no upload adds a referrer or a pin between the plan and the delete.
      if (!(await lockCacheForDeletion(tx, cacheName))) return [];
      const deletableRows = await tx.query<{ hash: string }>(
        `SELECT o.store_path_hash AS hash FROM cache_objects o
         WHERE o.cache_name = $1 AND o.store_path_hash = ANY($2::text[])
           AND NOT EXISTS (SELECT 1 FROM cache_pins p
             WHERE p.cache_name = o.cache_name AND p.store_path_hash = o.store_path_hash)`,
        [cacheName, requested],
      );
      const deletable = new Set(deletableRows.map((row) => row.hash));
      if (deletable.size === 0) return [];
      // The plan asks for the referrers and references of deletable requested paths only.
      const candidates = [...deletable];
      const edges = await tx.query<Edge>(
        `SELECT referrer, reference FROM cache_refs
         WHERE cache_name = $1 AND (reference = ANY($2::text[]) OR referrer = ANY($2::text[]))`,
        [cacheName, candidates],
      );
      const referrers = groupBy(edges, 'reference', 'referrer');
      const references = groupBy(edges, 'referrer', 'reference');
      const doomed = planPathDeletion(requested, {
        deletable: (hash) => deletable.has(hash),
        referrers: (hash) => referrers.get(hash) ?? [],
        references: (hash) => references.get(hash) ?? [],
      });
      if (doomed.length === 0) return [];
      // Edges from the deleted paths go with them (ON DELETE CASCADE); edges to them cannot exist.
      await tx.execute(
        'DELETE FROM cache_objects WHERE cache_name = $1 AND store_path_hash = ANY($2::text[])',
        [cacheName, doomed],
      );
      return doomed;
    });
  }

  async setSignatures(
    cacheName: string,
    storePathHash: string,
    signatures: readonly string[],
  ): Promise<boolean> {
    const changed = await this.db.execute(
      'UPDATE cache_objects SET sigs = $1::text[] WHERE cache_name = $2 AND store_path_hash = $3',
      [[...signatures], cacheName, storePathHash],
    );
    return changed === 1;
  }
}
