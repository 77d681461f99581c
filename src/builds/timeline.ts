import type { BuildTimelineBucket, Store } from '../persistence/index.js';

/** Consecutive time buckets: `buckets` of `bucketMs` each, from `since` to `until`. */
export interface BucketPlan {
  since: number;
  until: number;
  bucketMs: number;
  buckets: number;
}

/**
 * Splits about the `rangeMs` before `now` into `buckets` buckets whose width is a multiple of
 * `granularityMs` (at least rangeMs / buckets), aligned to multiples of that width, so that a chart
 * refreshed a little later shows the same buckets and stored counters at `granularityMs`
 * resolution fall wholly inside one bucket. The last bucket holds `now` and is still filling.
 */
export function planBuckets(
  rangeMs: number,
  buckets: number,
  granularityMs: number,
  now: number,
): BucketPlan {
  const count = Math.max(1, Math.floor(buckets));
  const bucketMs = Math.max(1, Math.ceil(rangeMs / count / granularityMs)) * granularityMs;
  const until = Math.floor(now / bucketMs) * bucketMs + bucketMs;
  return { since: until - bucketMs * count, until, bucketMs, buckets: count };
}

/** One bucket of the build timeline as the API reports it. */
export interface TimelinePoint {
  start: number;
  end: number;
  finished: number;
  succeeded: number;
  /** failed + timed out + dependency failed. */
  failed: number;
  /** cancelled + superseded. */
  cancelled: number;
  /** Percent of builds with a verdict (succeeded or failed) that succeeded; null when none. */
  successRate: number | null;
  averageBuildTimeMs: number | null;
  p95BuildTimeMs: number | null;
  /** Time-weighted average number of pending builds over the (elapsed part of the) bucket. */
  queueLength: number;
  /** Busy build time over slots x elapsed bucket time, 0..1; null with no slots. */
  utilization: number | null;
}

export interface BuildTimeline extends BucketPlan {
  /** Worker slots (builds.concurrency) utilisation is measured against: today's, for every bucket. */
  slots: number;
  points: TimelinePoint[];
}

/** Builds finished per bucket, success rate, build times, queue length and worker utilisation. */
export async function computeTimeline(
  store: Store,
  slots: number,
  request: { rangeMs: number; buckets: number },
  now: number,
): Promise<BuildTimeline> {
  // Minutes: finer buckets than that would chart noise.
  const plan = planBuckets(request.rangeMs, request.buckets, 60_000, now);
  const buckets = await store.builds.timeline({ ...plan, now });
  return { ...plan, slots, points: buckets.map((bucket) => timelinePoint(bucket, slots, now)) };
}

/** Turns stored sums into rates; the part of a bucket after `now` has not happened yet. */
export function timelinePoint(bucket: BuildTimelineBucket, slots: number, now: number): TimelinePoint {
  const elapsed = Math.max(0, Math.min(bucket.end, now) - bucket.start);
  const verdicts = bucket.succeeded + bucket.failed;
  return {
    start: bucket.start,
    end: bucket.end,
    finished: bucket.finished,
    succeeded: bucket.succeeded,
    failed: bucket.failed,
    cancelled: bucket.cancelled,
    successRate: verdicts === 0 ? null : (100 * bucket.succeeded) / verdicts,
    averageBuildTimeMs: bucket.averageDurationMs,
    p95BuildTimeMs: bucket.p95DurationMs,
    queueLength: elapsed === 0 ? 0 : bucket.pendingMs / elapsed,
    utilization: slots === 0 ? null : elapsed === 0 ? 0 : Math.min(1, bucket.busyMs / (slots * elapsed)),
  };
}
