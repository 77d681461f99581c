import type { Database } from 'better-sqlite3';
import { timelineBuckets, type TimelineFinishedRow } from '../build-summaries.js';
import type { BuildTimelineBucket, TimelineQuery } from '../types.js';

type Params = TimelineQuery & { until: number };

interface PercentileRow {
  idx: number;
  duration_ms: number;
}

interface OverlapRow {
  idx: number;
  pending_ms: number;
  busy_ms: number;
}

// Builds that ran Nix and succeeded: a `cached` build's duration says nothing about build time.
const TIMED = `status = 'succeeded' AND cached = 0 AND duration_ms IS NOT NULL`;
// The index of the bucket that holds finished_at (never negative, so CAST truncation is floor;
// the driver binds numbers as reals, so without it the division would not be an integer one).
const FINISHED_IDX = `CAST((finished_at - @since) / @bucketMs AS INTEGER)`;
const FINISHED_IN_RANGE = `finished_at >= @since AND finished_at < @until`;

const FINISHED_SQL = `
  SELECT ${FINISHED_IDX} AS idx, COUNT(*) AS finished,
    SUM(status = 'succeeded') AS succeeded,
    SUM(status IN ('failed', 'timed_out', 'dependency_failed')) AS failed,
    SUM(status IN ('cancelled', 'superseded')) AS cancelled,
    AVG(CASE WHEN ${TIMED} THEN duration_ms END) AS avg_ms
  FROM builds
  WHERE ${FINISHED_IN_RANGE}
    AND status IN ('succeeded', 'failed', 'timed_out', 'dependency_failed', 'cancelled', 'superseded')
  GROUP BY idx`;

// Nearest rank: the smallest duration with at least 95% of the bucket's durations at or below it,
// i.e. rank ceil(0.95 n), written with integer arithmetic.
const P95_SQL = `
  SELECT idx, duration_ms FROM (
    SELECT idx, duration_ms,
      ROW_NUMBER() OVER (PARTITION BY idx ORDER BY duration_ms) AS position,
      COUNT(*) OVER (PARTITION BY idx) AS n
    FROM (SELECT ${FINISHED_IDX} AS idx, duration_ms FROM builds WHERE ${TIMED} AND ${FINISHED_IN_RANGE})
  ) WHERE position = (95 * n + 99) / 100`;

// Each build contributes the part of its pending span [created, started or finished) and of its
// running span [started, finished) that lies in each bucket; spans still open end at @now. A
// build requeued after a crash keeps its first start, so its second wait counts as running.
const OVERLAP_SQL = `
  WITH RECURSIVE buckets (idx, start_ms, end_ms) AS (
    SELECT 0, @since, @since + @bucketMs
    UNION ALL SELECT idx + 1, end_ms, end_ms + @bucketMs FROM buckets WHERE idx + 1 < @buckets
  ),
  spans (kind, s, e) AS (
    SELECT 'pending', created_at, MIN(COALESCE(started_at, finished_at, @now), @now) FROM builds
    WHERE created_at < @until AND (finished_at IS NULL OR finished_at > @since)
    UNION ALL
    SELECT 'busy', started_at, MIN(COALESCE(finished_at, @now), @now) FROM builds
    WHERE started_at IS NOT NULL AND (finished_at IS NOT NULL OR status = 'running')
      AND started_at < @until AND (finished_at IS NULL OR finished_at > @since)
  )
  SELECT b.idx AS idx,
    SUM(CASE WHEN sp.kind = 'pending' THEN MIN(b.end_ms, sp.e) - MAX(b.start_ms, sp.s) ELSE 0 END)
      AS pending_ms,
    SUM(CASE WHEN sp.kind = 'busy' THEN MIN(b.end_ms, sp.e) - MAX(b.start_ms, sp.s) ELSE 0 END)
      AS busy_ms
  FROM spans sp JOIN buckets b ON sp.s < b.end_ms AND sp.e > b.start_ms
  GROUP BY b.idx`;

/** The build timeline (BuildRepo.timeline), in three grouped queries; SqliteBuildRepo delegates to it. */
export class SqliteBuildTimeline {
  private readonly finishedStatement;
  private readonly p95Statement;
  private readonly overlapStatement;
  private readonly readTransaction;

  constructor(db: Database) {
    this.finishedStatement = db.prepare<[Params], TimelineFinishedRow>(FINISHED_SQL);
    this.p95Statement = db.prepare<[Params], PercentileRow>(P95_SQL);
    this.overlapStatement = db.prepare<[Params], OverlapRow>(OVERLAP_SQL);
    this.readTransaction = db.transaction((params: Params) => ({
      finished: this.finishedStatement.all(params),
      p95: this.p95Statement.all(params),
      overlap: this.overlapStatement.all(params),
    }));
  }

  /** Reads in one transaction, so that the three queries see the same builds. */
  timeline(query: TimelineQuery): BuildTimelineBucket[] {
    const { since, bucketMs, buckets, now } = query;
    if (buckets <= 0) return [];
    const params: Params = { since, bucketMs, buckets, now, until: since + bucketMs * buckets };
    return timelineBuckets(query, this.readTransaction(params));
  }
}
