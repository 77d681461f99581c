import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planBuckets, timelinePoint } from '../../../src/builds/index.js';
import type { BuildTimelineBucket } from '../../../src/persistence/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('planBuckets', () => {
  it('splits a day into hours aligned to the hour, the last one holding now', () => {
    const now = Date.UTC(2026, 10, 22, 5, 48, 12);
    const plan = planBuckets(DAY, 24, 60_000, now);
    assert.equal(plan.bucketMs, HOUR);
    assert.equal(plan.buckets, 24);
    assert.equal(plan.until, Date.UTC(2026, 10, 22, 6));
    assert.equal(plan.since, Date.UTC(2026, 10, 21, 6));
    assert.ok(plan.since <= now - DAY + HOUR && plan.until > now);
  });

  it('gives the same buckets a little later, so a refreshed chart does not shift', () => {
    const now = Date.UTC(2026, 10, 22, 5, 0, 1);
    assert.deepEqual(
      planBuckets(7 * DAY, 28, 60_000, now),
      planBuckets(7 * DAY, 28, 60_000, now + 50 * 60_000),
    );
  });

  it('rounds the width up to the granularity, so stored 5-minute counters are never split', () => {
    const plan = planBuckets(HOUR, 7, 300_000, Date.UTC(2026, 0, 1, 0, 2));
    assert.equal(plan.bucketMs, 600_000);
    assert.equal(plan.buckets, 7);
    assert.equal(plan.since % 300_000, 0);
    assert.equal(plan.until - plan.since, 7 * 600_000);
    // Never thinner than the granularity, never no bucket.
    assert.equal(planBuckets(60_000, 500, 300_000, 0).bucketMs, 300_000);
    assert.equal(planBuckets(DAY, 0, 60_000, 0).buckets, 1);
  });
});

describe('timelinePoint', () => {
  const bucket = (fields: Partial<BuildTimelineBucket>): BuildTimelineBucket => ({
    start: 0,
    end: 1000,
    finished: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    averageDurationMs: null,
    p95DurationMs: null,
    pendingMs: 0,
    busyMs: 0,
    ...fields,
  });

  it('rates successes among verdicts only, null without any', () => {
    assert.equal(
      timelinePoint(bucket({ finished: 5, succeeded: 3, failed: 1, cancelled: 1 }), 2, 5000).successRate,
      75,
    );
    assert.equal(timelinePoint(bucket({ finished: 2, cancelled: 2 }), 2, 5000).successRate, null);
    assert.equal(timelinePoint(bucket({}), 2, 5000).successRate, null);
  });

  it('averages the queue and utilisation over the elapsed part of the bucket', () => {
    // Two slots, 1000 ms bucket: 1500 busy ms is 75 %; 3000 pending ms is 3 builds waiting on average.
    const full = timelinePoint(bucket({ busyMs: 1500, pendingMs: 3000 }), 2, 5000);
    assert.equal(full.utilization, 0.75);
    assert.equal(full.queueLength, 3);
    // The bucket holding now: only 250 ms have passed.
    const current = timelinePoint(bucket({ busyMs: 250, pendingMs: 500 }), 2, 250);
    assert.equal(current.utilization, 0.5);
    assert.equal(current.queueLength, 2);
    // Never over 100 %, nothing before the bucket began, no slots no utilisation.
    assert.equal(timelinePoint(bucket({ busyMs: 9000 }), 2, 5000).utilization, 1);
    assert.deepEqual(
      [timelinePoint(bucket({}), 2, -1).utilization, timelinePoint(bucket({}), 2, -1).queueLength],
      [0, 0],
    );
    assert.equal(timelinePoint(bucket({ busyMs: 10 }), 0, 5000).utilization, null);
  });

  it('passes build times through', () => {
    const point = timelinePoint(bucket({ averageDurationMs: 1200, p95DurationMs: 3000 }), 1, 5000);
    assert.deepEqual([point.averageBuildTimeMs, point.p95BuildTimeMs], [1200, 3000]);
  });
});
