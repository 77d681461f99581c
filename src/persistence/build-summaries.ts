/**
 * Turning the rows of the statistics queries into records: the same in every dialect, whose SQL
 * differs but whose rows do not.
 */
import type { BuildAggregate, BuildStatus, BuildTimelineBucket, TimelineQuery } from './types.js';

/** One row per status: how many builds, and averages (over the status's builds). */
export interface StatusAggregateRow {
  status: string;
  count: number;
  avg_duration: number | null;
  avg_size: number | null;
  avg_image_size: number | null;
  avg_image_uploaded: number | null;
}

export function toAggregate(rows: readonly StatusAggregateRow[], busyMs: number): BuildAggregate {
  const count = (status: BuildStatus): number => rows.find((row) => row.status === status)?.count ?? 0;
  const succeeded = rows.find((row) => row.status === 'succeeded');
  return {
    total: rows.reduce((sum, row) => sum + row.count, 0),
    succeeded: count('succeeded'),
    failed: count('failed'),
    cancelled: count('cancelled'),
    timedOut: count('timed_out'),
    superseded: count('superseded'),
    dependencyFailed: count('dependency_failed'),
    pending: count('pending'),
    running: count('running'),
    averageDurationMs: succeeded?.avg_duration ?? null,
    averageArtifactSize: succeeded?.avg_size ?? null,
    averageImageSize: succeeded?.avg_image_size ?? null,
    averageImageBytesUploaded: succeeded?.avg_image_uploaded ?? null,
    busyMs,
  };
}

/** Builds that finished in bucket `idx`, by verdict. */
export interface TimelineFinishedRow {
  idx: number;
  finished: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  avg_ms: number | null;
}

/** Every requested bucket, empty ones included, from the rows of the buckets that had builds. */
export function timelineBuckets(
  query: TimelineQuery,
  rows: {
    finished: readonly TimelineFinishedRow[];
    p95: readonly { idx: number; duration_ms: number }[];
    overlap: readonly { idx: number; pending_ms: number; busy_ms: number }[];
  },
): BuildTimelineBucket[] {
  const { since, bucketMs, buckets } = query;
  const finished = new Map(rows.finished.map((row) => [row.idx, row]));
  const p95 = new Map(rows.p95.map((row) => [row.idx, row.duration_ms]));
  const overlap = new Map(rows.overlap.map((row) => [row.idx, row]));
  return Array.from({ length: buckets }, (_, i): BuildTimelineBucket => {
    const counts = finished.get(i);
    const spans = overlap.get(i);
    return {
      start: since + i * bucketMs,
      end: since + (i + 1) * bucketMs,
      finished: counts?.finished ?? 0,
      succeeded: counts?.succeeded ?? 0,
      failed: counts?.failed ?? 0,
      cancelled: counts?.cancelled ?? 0,
      averageDurationMs: counts?.avg_ms ?? null,
      p95DurationMs: p95.get(i) ?? null,
      pendingMs: spans?.pending_ms ?? 0,
      busyMs: spans?.busy_ms ?? 0,
    };
  });
}
