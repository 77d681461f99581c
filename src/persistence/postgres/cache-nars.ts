import { KilnError } from '../../errors/index.js';
import type { CacheRepo, NarRecord } from '../types.js';
import { NAR_COLUMNS } from './cache-rows.js';
import type { PgDb } from './db.js';

type NarMethods = Pick<
  CacheRepo,
  'putNar' | 'getNar' | 'getNarByFileKey' | 'cacheHasNar' | 'deleteUnreferencedNars'
>;

/**
 * The NARs shared by all caches (nars) and every key each was uploaded as (nar_files, which holds
 * the NAR's own fileKey too); PgCacheRepo delegates to it.
 */
export class PgCacheNars implements NarMethods {
  constructor(private readonly db: PgDb) {}

  putNar(nar: NarRecord): Promise<{ nar: NarRecord; created: boolean }> {
    const { narHash, narSize, fileKey, compression, fileHash, fileSize, createdAt } = nar;
    return this.db.transaction(async (tx) => {
      // ON CONFLICT waits for a concurrent upload of the same NAR (or collection of it) to end, so
      // two nodes never both create it. A clash on file_key (another NAR's) inserts nothing too;
      // the lookup below tells the two apart.
      const inserted = await tx.query<NarRecord>(
        `INSERT INTO nars AS n (nar_hash, nar_size, file_key, compression, file_hash, file_size, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT DO NOTHING
         RETURNING ${NAR_COLUMNS}`,
        [narHash, narSize, fileKey, compression, fileHash, fileSize, createdAt],
      );
      const recorded = inserted[0] ?? (await this.getIn(tx, narHash));
      if (recorded !== undefined) {
        await tx.execute(
          'INSERT INTO nar_files (file_key, nar_hash) VALUES ($1, $2) ON CONFLICT (file_key) DO NOTHING',
          [fileKey, narHash],
        );
      }
      // A file key names the bytes stored under it, so it can belong to one NAR only; a clash is a
      // caller's mistake (or a hash collision) that must not silently repoint the key. Throwing
      // rolls back the NAR inserted above.
      const owner = await tx.query<{ narHash: string }>(
        'SELECT nar_hash AS "narHash" FROM nar_files WHERE file_key = $1',
        [fileKey],
      );
      const ownerHash = owner[0]?.narHash;
      if (recorded === undefined || ownerHash !== narHash) {
        throw new KilnError('KILN_ERR_CONFLICT', `file ${fileKey} already holds another NAR`, {
          fileKey,
          narHash: ownerHash,
        });
      }
      return { nar: recorded, created: inserted.length > 0 };
    });
  }

  getNar(narHash: string): Promise<NarRecord | undefined> {
    return this.getIn(this.db, narHash);
  }

  async getNarByFileKey(fileKey: string): Promise<NarRecord | undefined> {
    const rows = await this.db.query<NarRecord>(
      `SELECT ${NAR_COLUMNS} FROM nar_files f JOIN nars n ON n.nar_hash = f.nar_hash WHERE f.file_key = $1`,
      [fileKey],
    );
    return rows[0];
  }

  async cacheHasNar(cacheName: string, narHash: string): Promise<boolean> {
    const rows = await this.db.query(
      'SELECT 1 FROM cache_objects WHERE nar_hash = $1 AND cache_name = $2 LIMIT 1',
      [narHash, cacheName],
    );
    return rows.length > 0;
  }

  deleteUnreferencedNars(
    createdBefore: number,
    limit: number,
  ): Promise<{ nar: NarRecord; aliases: string[] }[]> {
    return this.db.transaction(async (tx) => {
      // Candidates are locked; ones an upload is recording a path for right now (its FOR KEY SHARE)
      // are skipped, as another collector's are. A path committed between this statement's
      // snapshot and the lock is caught by the DELETE below, which checks again with a fresh
      // snapshot; from the lock on, an upload's check of the NAR waits for this transaction.
      const candidates = await tx.query<{ narHash: string }>(
        `SELECT n.nar_hash AS "narHash" FROM nars n
         WHERE n.created_at < $1
           AND NOT EXISTS (SELECT 1 FROM cache_objects o WHERE o.nar_hash = n.nar_hash)
         ORDER BY n.created_at, n.nar_hash
         LIMIT $2
         FOR UPDATE SKIP LOCKED`,
        [createdBefore, limit],
      );
      if (candidates.length === 0) return [];
      const hashes = candidates.map((row) => row.narHash);
      const aliases = await tx.query<{ narHash: string; fileKey: string }>(
        `SELECT f.nar_hash AS "narHash", f.file_key AS "fileKey"
         FROM nar_files f JOIN nars n ON n.nar_hash = f.nar_hash
         WHERE f.nar_hash = ANY($1::text[]) AND f.file_key <> n.file_key
         ORDER BY f.file_key`,
        [hashes],
      );
      // nar_files rows go with their NAR (ON DELETE CASCADE).
      const deleted = await tx.query<NarRecord>(
        `DELETE FROM nars n
         WHERE n.nar_hash = ANY($1::text[])
           AND NOT EXISTS (SELECT 1 FROM cache_objects o WHERE o.nar_hash = n.nar_hash)
         RETURNING ${NAR_COLUMNS}`,
        [hashes],
      );
      const byHash = new Map(deleted.map((nar) => [nar.narHash, nar]));
      return hashes.flatMap((hash) => {
        const nar = byHash.get(hash);
        if (nar === undefined) return [];
        const keys = aliases.filter((alias) => alias.narHash === hash).map((alias) => alias.fileKey);
        return [{ nar, aliases: keys }];
      });
    });
  }

  private async getIn(db: PgDb, narHash: string): Promise<NarRecord | undefined> {
    const rows = await db.query<NarRecord>(`SELECT ${NAR_COLUMNS} FROM nars n WHERE n.nar_hash = $1`, [
      narHash,
    ]);
    return rows[0];
  }
}
