import { timelineBuckets, type TimelineFinishedRow } from '../build-summaries.js';
import type { BuildTimelineBucket, TimelineQuery } from '../types.js';
import type { PgDb } from './db.js';

// Parameters: $1 since, $2 bucketMs, $3 until (every query); $4 buckets, $5 now (the overlap only).
const SINCE = '$1::bigint';
const BUCKET_MS = '$2::bigint';
const UNTIL = '$3::bigint';
const BUCKETS = '$4::bigint';
const NOW = '$5::bigint';

// Builds that ran Nix and succeeded: a `cached` build's duration says nothing about build time.
const TIMED = `status = 'succeeded' AND NOT cached AND duration_ms IS NOT NULL`;
// The index of the bucket that holds finished_at (never negative: bigint division is floor).
const FINISHED_IDX = `(finished_at - ${SINCE}) / ${BUCKET_MS}`;
const FINISHED_IN_RANGE = `finished_at >= ${SINCE} AND finished_at < ${UNTIL}`;

const FINISHED_SQL = `
  SELECT ${FINISHED_IDX} AS idx, COUNT(*) AS finished,
    COUNT(*) FILTER (WHERE status = 'succeeded') AS succeeded,
    COUNT(*) FILTER (WHERE status IN ('failed', 'timed_out', 'dependency_failed')) AS failed,
    COUNT(*) FILTER (WHERE status IN ('cancelled', 'superseded')) AS cancelled,
    AVG(duration_ms) FILTER (WHERE ${TIMED}) AS avg_ms
  FROM builds
  WHERE ${FINISHED_IN_RANGE}
    AND status IN ('succeeded', 'failed', 'timed_out', 'dependency_failed', 'cancelled', 'superseded')
  GROUP BY 1`;

// Nearest rank: the smallest duration with at least 95% of the bucket's durations at or below it,
// i.e. rank ceil(0.95 n), written with integer arithmetic.
const P95_SQL = `
  SELECT idx, duration_ms FROM (
    SELECT idx, duration_ms,
      ROW_NUMBER() OVER (PARTITION BY idx ORDER BY duration_ms) AS position,
      COUNT(*) OVER (PARTITION BY idx) AS n
    FROM (SELECT ${FINISHED_IDX} AS idx, duration_ms FROM builds WHERE ${TIMED} AND ${FINISHED_IN_RANGE}) t
  ) ranked
  WHERE position = (95 * n + 99) / 100`;

// Each build contributes the part of its pending span [created, started or finished) and of its
// running span [started, finished) that lies in each bucket; spans still open end at now.
const OVERLAP_SQL = `
  WITH buckets AS (
    SELECT i AS idx, ${SINCE} + i * ${BUCKET_MS} AS start_ms, ${SINCE} + (i + 1) * ${BUCKET_MS} AS end_ms
    FROM generate_series(0::bigint, ${BUCKETS} - 1) AS i
  ),
  spans AS (
    SELECT 'pending' AS kind, created_at AS s, LEAST(COALESCE(started_at, finished_at, ${NOW}), ${NOW}) AS e
    FROM builds
    WHERE created_at < ${UNTIL} AND (finished_at IS NULL OR finished_at > ${SINCE})
    UNION ALL
    SELECT 'busy', started_at, LEAST(COALESCE(finished_at, ${NOW}), ${NOW}) FROM builds
    WHERE started_at IS NOT NULL AND (finished_at IS NOT NULL OR status = 'running')
      AND started_at < ${UNTIL} AND (finished_at IS NULL OR finished_at > ${SINCE})
  )
  SELECT b.idx AS idx,
    SUM(CASE WHEN sp.kind = 'pending' THEN LEAST(b.end_ms, sp.e) - GREATEST(b.start_ms, sp.s) ELSE 0 END)
      AS pending_ms,
    SUM(CASE WHEN sp.kind = 'busy' THEN LEAST(b.end_ms, sp.e) - GREATEST(b.start_ms, sp.s) ELSE 0 END)
      AS busy_ms
  FROM spans sp JOIN buckets b ON sp.s < b.end_ms AND sp.e > b.start_ms
  GROUP BY b.idx`;

/** BuildRepo.timeline: three grouped queries in one snapshot, so that they see the same builds. */
export function timeline(db: PgDb, query: TimelineQuery): Promise<BuildTimelineBucket[]> {
  const { since, bucketMs, buckets, now } = query;
  if (buckets <= 0) return Promise.resolve([]);
  const params = [since, bucketMs, since + bucketMs * buckets];
  return db.transaction(async (tx) => {
    await tx.execute('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const finishedRows = await tx.query<TimelineFinishedRow>(FINISHED_SQL, params);
    const p95Rows = await tx.query<{ idx: number; duration_ms: number }>(P95_SQL, params);
    const overlapRows = await tx.query<{ idx: number; pending_ms: number; busy_ms: number }>(OVERLAP_SQL, [
      ...params,
      buckets,
      now,
    ]);
    return timelineBuckets(query, { finished: finishedRows, p95: p95Rows, overlap: overlapRows });
  });
}
