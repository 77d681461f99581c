import type { Database } from 'better-sqlite3';
import { KilnError } from '../../errors/index.js';
import type { CacheRepo, NarRecord } from '../types.js';
import { narParams, rowToNar } from './cache-rows.js';
import type { NarRow } from './cache-rows.js';
import { settle } from './settle.js';

type NarMethods = Pick<
  CacheRepo,
  'putNar' | 'getNar' | 'getNarByFileKey' | 'cacheHasNar' | 'deleteUnreferencedNars'
>;

interface UnreferencedParams {
  createdBefore: number;
  limit: number;
}

/**
 * The NARs shared by all caches (nars) and every key each was uploaded as (nar_files, which holds
 * the NAR's own fileKey too); SqliteCacheRepo delegates to it.
 */
export class SqliteCacheNars implements NarMethods {
  private readonly put;
  private readonly getStatement;
  private readonly byFileKeyStatement;
  private readonly cacheHasNarStatement;
  private readonly deleteUnreferenced;

  constructor(db: Database) {
    this.getStatement = db.prepare<[string], NarRow>('SELECT * FROM nars WHERE nar_hash = ?');
    this.byFileKeyStatement = db.prepare<[string], NarRow>(`
      SELECT n.* FROM nar_files f JOIN nars n ON n.nar_hash = f.nar_hash WHERE f.file_key = ?`);
    const fileKeyOwner = db
      .prepare<[string], string>('SELECT nar_hash FROM nar_files WHERE file_key = ?')
      .pluck();
    const insertNar = db.prepare<[NarRecord]>(`
      INSERT INTO nars (nar_hash, nar_size, file_key, compression, file_hash, file_size, created_at)
      VALUES (@narHash, @narSize, @fileKey, @compression, @fileHash, @fileSize, @createdAt)`);
    const insertFileKey = db.prepare<[string, string]>(
      'INSERT OR IGNORE INTO nar_files (file_key, nar_hash) VALUES (?, ?)',
    );
    this.put = db.transaction((nar: NarRecord): { nar: NarRecord; created: boolean } => {
      // A file key names the bytes stored under it, so it can belong to one NAR only; a clash is a
      // caller's mistake (or a hash collision) that must not silently repoint the key.
      const owner = fileKeyOwner.get(nar.fileKey);
      if (owner !== undefined && owner !== nar.narHash) {
        throw new KilnError('KILN_ERR_CONFLICT', `file ${nar.fileKey} already holds another NAR`, {
          fileKey: nar.fileKey,
          narHash: owner,
        });
      }
      const existing = this.getStatement.get(nar.narHash);
      if (existing === undefined) insertNar.run(nar);
      insertFileKey.run(nar.fileKey, nar.narHash);
      return existing === undefined ? { nar, created: true } : { nar: rowToNar(existing), created: false };
    });
    this.cacheHasNarStatement = db
      .prepare<[string, string], number>('SELECT 1 FROM cache_objects WHERE nar_hash = ? AND cache_name = ?')
      .pluck();

    const unreferenced = db.prepare<[UnreferencedParams], NarRow>(`
      SELECT * FROM nars n
      WHERE n.created_at < @createdBefore
        AND NOT EXISTS (SELECT 1 FROM cache_objects o WHERE o.nar_hash = n.nar_hash)
      ORDER BY n.created_at, n.nar_hash
      LIMIT @limit`);
    const aliases = db
      .prepare<[string, string], string>(
        'SELECT file_key FROM nar_files WHERE nar_hash = ? AND file_key <> ? ORDER BY file_key',
      )
      .pluck();
    // nar_files rows go with their NAR (ON DELETE CASCADE).
    const deleteNar = db.prepare<[string]>('DELETE FROM nars WHERE nar_hash = ?');
    this.deleteUnreferenced = db.transaction((params: UnreferencedParams) =>
      unreferenced.all(params).map((row) => {
        const nar = rowToNar(row);
        const keys = aliases.all(nar.narHash, nar.fileKey);
        deleteNar.run(nar.narHash);
        return { nar, aliases: keys };
      }),
    );
  }

  putNar(nar: NarRecord): Promise<{ nar: NarRecord; created: boolean }> {
    return settle(() => this.put.immediate(narParams(nar)));
  }

  getNar(narHash: string): Promise<NarRecord | undefined> {
    return settle(() => {
      const row = this.getStatement.get(narHash);
      return row ? rowToNar(row) : undefined;
    });
  }

  getNarByFileKey(fileKey: string): Promise<NarRecord | undefined> {
    return settle(() => {
      const row = this.byFileKeyStatement.get(fileKey);
      return row ? rowToNar(row) : undefined;
    });
  }

  cacheHasNar(cacheName: string, narHash: string): Promise<boolean> {
    return settle(() => this.cacheHasNarStatement.get(narHash, cacheName) !== undefined);
  }

  deleteUnreferencedNars(
    createdBefore: number,
    limit: number,
  ): Promise<{ nar: NarRecord; aliases: string[] }[]> {
    return settle(() => this.deleteUnreferenced.immediate({ createdBefore, limit }));
  }
}
