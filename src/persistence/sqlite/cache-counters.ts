import type { Database } from 'better-sqlite3';
import type {
  CacheCounterBucket,
  CacheCounters,
  CacheRepo,
  CacheUsage,
  CounterHistoryQuery,
} from '../types.js';
import { SqliteCacheHistory } from './cache-history.js';
import { rowToCacheCounters } from './cache-rows.js';
import type { CacheCountersRow } from './cache-rows.js';
import { settle } from './settle.js';

type CounterMethods = Pick<CacheRepo, 'addStats' | 'counters' | 'usage' | 'counterHistory'>;

type CounterParams = CacheCounters & { cacheName: string };

interface UsageRow {
  objects: number;
  nar_bytes: number;
  file_bytes: number;
}

/** Counters (cache_counters) and usage computed from the paths; SqliteCacheRepo delegates to it. */
export class SqliteCacheCounters implements CounterMethods {
  private readonly addTransaction;
  private readonly history: SqliteCacheHistory;
  private readonly countersStatement;
  private readonly usageTransaction;

  constructor(db: Database) {
    // The row appears with the first delta; a missing cache inserts nothing (and so breaks no key).
    const addStatement = db.prepare<[CounterParams]>(`
      INSERT INTO cache_counters (cache_name, narinfo_hits, narinfo_misses, nars_served,
        nar_bytes_served, uploads, upload_bytes)
      SELECT name, @narinfoHits, @narinfoMisses, @narsServed, @narBytesServed, @uploads, @uploadBytes
      FROM caches WHERE name = @cacheName
      ON CONFLICT (cache_name) DO UPDATE SET
        narinfo_hits = narinfo_hits + excluded.narinfo_hits,
        narinfo_misses = narinfo_misses + excluded.narinfo_misses,
        nars_served = nars_served + excluded.nars_served,
        nar_bytes_served = nar_bytes_served + excluded.nar_bytes_served,
        uploads = uploads + excluded.uploads,
        upload_bytes = upload_bytes + excluded.upload_bytes`);
    this.history = new SqliteCacheHistory(db);
    // The totals and the history bucket in one transaction, so that they always agree.
    this.addTransaction = db.transaction((cacheName: string, deltas: CacheCounters, at: number) => {
      addStatement.run({ cacheName, ...deltas });
      this.history.add(cacheName, deltas, at);
    });
    this.countersStatement = db.prepare<[string], CacheCountersRow>(
      'SELECT * FROM cache_counters WHERE cache_name = ?',
    );
    const usageStatement = db.prepare<[string], UsageRow>(`
      SELECT count(*) AS objects, coalesce(sum(o.nar_size), 0) AS nar_bytes,
        coalesce(sum(n.file_size), 0) AS file_bytes
      FROM cache_objects o JOIN nars n ON n.nar_hash = o.nar_hash
      WHERE o.cache_name = ?`);
    const pinCount = db
      .prepare<[string], number>('SELECT count(*) FROM cache_pins WHERE cache_name = ?')
      .pluck();
    // Both reads in one transaction, so that the pins counted belong to the paths counted.
    this.usageTransaction = db.transaction((cacheName: string): CacheUsage => {
      const row = usageStatement.get(cacheName);
      return {
        objects: row?.objects ?? 0,
        narBytes: row?.nar_bytes ?? 0,
        fileBytes: row?.file_bytes ?? 0,
        pins: pinCount.get(cacheName) ?? 0,
      };
    });
  }

  addStats(cacheName: string, deltas: Partial<CacheCounters>, at: number = Date.now()): Promise<void> {
    return settle(() => {
      this.addTransaction(
        cacheName,
        {
          narinfoHits: deltas.narinfoHits ?? 0,
          narinfoMisses: deltas.narinfoMisses ?? 0,
          narsServed: deltas.narsServed ?? 0,
          narBytesServed: deltas.narBytesServed ?? 0,
          uploads: deltas.uploads ?? 0,
          uploadBytes: deltas.uploadBytes ?? 0,
        },
        at,
      );
    });
  }

  counterHistory(cacheName: string, query: CounterHistoryQuery): Promise<CacheCounterBucket[]> {
    return settle(() => this.history.history(cacheName, query));
  }

  counters(cacheName: string): Promise<CacheCounters> {
    return settle(() => rowToCacheCounters(this.countersStatement.get(cacheName)));
  }

  usage(cacheName: string): Promise<CacheUsage> {
    return settle(() => this.usageTransaction(cacheName));
  }
}
