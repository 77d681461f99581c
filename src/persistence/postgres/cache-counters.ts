import type {
  CacheCounterBucket,
  CacheCounters,
  CacheRepo,
  CacheUsage,
  CounterHistoryQuery,
} from '../types.js';
import { COUNTER_COLUMNS } from './cache-rows.js';
import type { PgDb } from './db.js';

type CounterMethods = Pick<CacheRepo, 'addStats' | 'counters' | 'usage' | 'counterHistory'>;

/** Resolution of the stored counter history (cache_counter_buckets), as in SQLite. */
export const COUNTER_BUCKET_MS = 300_000;

const ZERO: CacheCounters = {
  narinfoHits: 0,
  narinfoMisses: 0,
  narsServed: 0,
  narBytesServed: 0,
  uploads: 0,
  uploadBytes: 0,
};

const COUNTER_NAMES = [
  'narinfo_hits',
  'narinfo_misses',
  'nars_served',
  'nar_bytes_served',
  'uploads',
  'upload_bytes',
] as const;

/** `col = table.col + EXCLUDED.col` for every counter: what an upsert adds. */
function additions(table: string): string {
  return COUNTER_NAMES.map((name) => `${name} = ${table}.${name} + EXCLUDED.${name}`).join(', ');
}

/**
 * Counters (cache_counters, cache_counter_buckets) and usage computed from the paths; PgCacheRepo
 * delegates to it. Every API node adds to the same rows with upserts, which add to whatever is
 * stored when they run, so concurrent flushes never lose a count.
 */
export class PgCacheCounters implements CounterMethods {
  constructor(private readonly db: PgDb) {}

  async addStats(cacheName: string, deltas: Partial<CacheCounters>, at: number = Date.now()): Promise<void> {
    const values = [
      deltas.narinfoHits ?? 0,
      deltas.narinfoMisses ?? 0,
      deltas.narsServed ?? 0,
      deltas.narBytesServed ?? 0,
      deltas.uploads ?? 0,
      deltas.uploadBytes ?? 0,
    ];
    // Adding zeros changes nothing anyone can read.
    if (values.every((value) => value === 0)) return;
    const bucketStart = Math.floor(at / COUNTER_BUCKET_MS) * COUNTER_BUCKET_MS;
    const columns = COUNTER_NAMES.join(', ');
    // One statement, so the totals and the bucket always agree. A missing cache selects no row and
    // so inserts nothing (and breaks no foreign key).
    await this.db.execute(
      `WITH cache AS (SELECT name FROM caches WHERE name = $1),
       totals AS (
         INSERT INTO cache_counters (cache_name, ${columns})
         SELECT name, $2, $3, $4, $5, $6, $7 FROM cache
         ON CONFLICT (cache_name) DO UPDATE SET ${additions('cache_counters')}
       )
       INSERT INTO cache_counter_buckets (cache_name, bucket_start, ${columns})
       SELECT name, $8, $2, $3, $4, $5, $6, $7 FROM cache
       ON CONFLICT (cache_name, bucket_start) DO UPDATE SET ${additions('cache_counter_buckets')}`,
      [cacheName, ...values, bucketStart],
    );
  }

  async counterHistory(cacheName: string, query: CounterHistoryQuery): Promise<CacheCounterBucket[]> {
    const { since, bucketMs, buckets } = query;
    const sums = COUNTER_NAMES.map((name) => `sum(${name}) AS ${name}`).join(', ');
    // The requested bucket's index; bucket_start >= since, so integer division is floor.
    const rows = await this.db.query<CacheCounters & { idx: number }>(
      `SELECT idx, ${COUNTER_COLUMNS} FROM (
         SELECT (bucket_start - $2::bigint) / $3::bigint AS idx, ${sums}
         FROM cache_counter_buckets
         WHERE cache_name = $1 AND bucket_start >= $2::bigint AND bucket_start < $4::bigint
         GROUP BY idx
       ) grouped`,
      [cacheName, since, bucketMs, since + bucketMs * buckets],
    );
    const byIndex = new Map(rows.map(({ idx, ...counters }) => [idx, counters]));
    return Array.from({ length: buckets }, (_, i) => ({
      start: since + i * bucketMs,
      end: since + (i + 1) * bucketMs,
      ...(byIndex.get(i) ?? ZERO),
    }));
  }

  async counters(cacheName: string): Promise<CacheCounters> {
    const rows = await this.db.query<CacheCounters>(
      `SELECT ${COUNTER_COLUMNS} FROM cache_counters WHERE cache_name = $1`,
      [cacheName],
    );
    return rows[0] ?? { ...ZERO };
  }

  async usage(cacheName: string): Promise<CacheUsage> {
    // One statement: one snapshot, so the pins counted belong to the paths counted.
    const rows = await this.db.query<CacheUsage>(
      `SELECT count(*) AS objects, coalesce(sum(o.nar_size), 0) AS "narBytes",
         coalesce(sum(n.file_size), 0) AS "fileBytes",
         (SELECT count(*) FROM cache_pins p WHERE p.cache_name = $1) AS pins
       FROM cache_objects o JOIN nars n ON n.nar_hash = o.nar_hash
       WHERE o.cache_name = $1`,
      [cacheName],
    );
    return rows[0] ?? { objects: 0, narBytes: 0, fileBytes: 0, pins: 0 };
  }
}
