import type { Database } from 'better-sqlite3';
import type { CacheCounterBucket, CacheCounters, CounterHistoryQuery } from '../types.js';
import type { CacheCountersRow } from './cache-rows.js';
import { rowToCacheCounters } from './cache-rows.js';

/** Resolution of the stored counter history (cache_counter_buckets, migration 011). */
export const COUNTER_BUCKET_MS = 300_000;

/** The start of the stored bucket that holds `at`. */
export function counterBucketStart(at: number): number {
  return Math.floor(at / COUNTER_BUCKET_MS) * COUNTER_BUCKET_MS;
}

type BucketParams = CacheCounters & { cacheName: string; bucketStart: number };

interface HistoryRow extends CacheCountersRow {
  idx: number;
}

/**
 * Counters per 5-minute bucket. `add` runs inside SqliteCacheCounters' addStats transaction, so
 * the history and the cumulative counters never disagree.
 */
export class SqliteCacheHistory {
  private readonly addStatement;
  private readonly historyStatement;

  constructor(db: Database) {
    // Like cache_counters: a missing cache inserts nothing.
    this.addStatement = db.prepare<[BucketParams]>(`
      INSERT INTO cache_counter_buckets (cache_name, bucket_start, narinfo_hits, narinfo_misses,
        nars_served, nar_bytes_served, uploads, upload_bytes)
      SELECT name, @bucketStart, @narinfoHits, @narinfoMisses, @narsServed, @narBytesServed, @uploads,
        @uploadBytes
      FROM caches WHERE name = @cacheName
      ON CONFLICT (cache_name, bucket_start) DO UPDATE SET
        narinfo_hits = narinfo_hits + excluded.narinfo_hits,
        narinfo_misses = narinfo_misses + excluded.narinfo_misses,
        nars_served = nars_served + excluded.nars_served,
        nar_bytes_served = nar_bytes_served + excluded.nar_bytes_served,
        uploads = uploads + excluded.uploads,
        upload_bytes = upload_bytes + excluded.upload_bytes`);
    // The requested bucket's index (never negative, so CAST truncation is floor; the driver binds
    // numbers as reals, so without it the division would not be an integer one).
    this.historyStatement = db.prepare<
      [{ cacheName: string; since: number; until: number; bucketMs: number }],
      HistoryRow
    >(`
      SELECT CAST((bucket_start - @since) / @bucketMs AS INTEGER) AS idx, SUM(narinfo_hits) AS narinfo_hits,
        SUM(narinfo_misses) AS narinfo_misses, SUM(nars_served) AS nars_served,
        SUM(nar_bytes_served) AS nar_bytes_served, SUM(uploads) AS uploads,
        SUM(upload_bytes) AS upload_bytes
      FROM cache_counter_buckets
      WHERE cache_name = @cacheName AND bucket_start >= @since AND bucket_start < @until
      GROUP BY idx`);
  }

  /** Adds the deltas to the bucket holding `at`; call inside the counters' transaction. */
  add(cacheName: string, deltas: CacheCounters, at: number): void {
    if (Object.values(deltas).every((value) => value === 0)) return;
    this.addStatement.run({ ...deltas, cacheName, bucketStart: counterBucketStart(at) });
  }

  history(cacheName: string, query: CounterHistoryQuery): CacheCounterBucket[] {
    const { since, bucketMs, buckets } = query;
    const rows = this.historyStatement.all({ cacheName, since, until: since + bucketMs * buckets, bucketMs });
    const byIndex = new Map(rows.map((row) => [row.idx, row]));
    return Array.from({ length: buckets }, (_, i) => ({
      start: since + i * bucketMs,
      end: since + (i + 1) * bucketMs,
      ...rowToCacheCounters(byIndex.get(i)),
    }));
  }
}
