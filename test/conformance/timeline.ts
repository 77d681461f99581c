import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { BuildPatch, BuildTimelineBucket, NewBuild, Store } from '../../src/persistence/types.js';
import { createCache } from './caches.js';
import { newBuild } from './harness.js';
import type { StoreTest } from './harness.js';

/** Times in these tests are offsets from T; buckets are 1000 ms wide. */
const T = 10_000_000;

async function seed(store: Store, builds: readonly [Partial<NewBuild>, BuildPatch][]): Promise<void> {
  for (const [fields, patch] of builds) {
    const inserted = await store.builds.insert(newBuild(fields));
    if (Object.keys(patch).length > 0) await store.builds.update(inserted.id, patch);
  }
}

const at = (offset: number) => T + offset;

/** A build created at `created` that ran from `started` to `finished` with that duration. */
function ran(
  created: number,
  started: number,
  finished: number,
  status: BuildPatch['status'],
): [Partial<NewBuild>, BuildPatch] {
  return [
    { createdAt: at(created) },
    { status, startedAt: at(started), finishedAt: at(finished), durationMs: finished - started },
  ];
}

function bucket(index: number, fields: Partial<BuildTimelineBucket>): BuildTimelineBucket {
  return {
    start: at(index * 1000),
    end: at((index + 1) * 1000),
    finished: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    averageDurationMs: null,
    p95DurationMs: null,
    pendingMs: 0,
    busyMs: 0,
    ...fields,
  };
}

const ZERO_COUNTERS = {
  narinfoHits: 0,
  narinfoMisses: 0,
  narsServed: 0,
  narBytesServed: 0,
  uploads: 0,
  uploadBytes: 0,
};

/** A multiple of the 5-minute counter resolution. */
const HOUR = 1_700_000_100_000;
const FIVE_MINUTES = 300_000;

export function timelineTests(storeTest: StoreTest): void {
  void describe('builds: timeline', () => {
    storeTest('returns every bucket, empty ones as zeros and nulls', async ({ store }) => {
      const buckets = await store.builds.timeline({ since: T, bucketMs: 1000, buckets: 3, now: at(5000) });
      assert.deepEqual(buckets, [bucket(0, {}), bucket(1, {}), bucket(2, {})]);
      assert.deepEqual(await store.builds.timeline({ since: T, bucketMs: 1000, buckets: 0, now: T }), []);
    });

    storeTest(
      'counts verdicts per bucket of finishing and splits pending and running time',
      async ({ store }) => {
        await seed(store, [
          ran(100, 200, 1200, 'succeeded'), // A
          ran(300, 1500, 2500, 'failed'), // B
          // C: answered from an earlier build: finished as it was created; its duration is no build time.
          [
            { createdAt: at(1800) },
            { status: 'succeeded', finishedAt: at(1800), durationMs: 5, cached: true },
          ],
          ran(1000, 1000, 1900, 'timed_out'), // H
          [{ createdAt: at(2200) }, {}], // D: still pending at `now`
          [{ createdAt: at(2100) }, { status: 'running', startedAt: at(2600) }], // E: still running
          [{ createdAt: at(400) }, { status: 'superseded', finishedAt: at(2900) }], // F: never started
          [{ createdAt: at(2900) }, { status: 'dependency_failed', finishedAt: at(2950) }], // G
          ran(-3000, -2500, -1500, 'succeeded'), // before the range: no trace
          ran(5000, 5100, 5200, 'failed'), // after it (clock skew): no trace
        ]);
        const buckets = await store.builds.timeline({ since: T, bucketMs: 1000, buckets: 4, now: at(3500) });
        assert.deepEqual(buckets, [
          bucket(0, { pendingMs: 100 + 700 + 600, busyMs: 800 }),
          bucket(1, {
            finished: 3,
            succeeded: 2,
            failed: 1,
            averageDurationMs: 1000,
            p95DurationMs: 1000,
            pendingMs: 500 + 1000,
            busyMs: 200 + 500 + 900,
          }),
          bucket(2, {
            finished: 3,
            failed: 2,
            cancelled: 1,
            pendingMs: 800 + 500 + 900 + 50,
            busyMs: 500 + 400,
          }),
          // Open spans end at `now` (3500), halfway through the bucket.
          bucket(3, { pendingMs: 500, busyMs: 500 }),
        ]);
      },
    );

    storeTest('reports the mean and nearest-rank 95th percentile of build times', async ({ store }) => {
      const builds: [Partial<NewBuild>, BuildPatch][] = [];
      // Durations 100..2000 ms, finishing in bucket 0 in shuffled order; a slow failure does not count.
      for (const n of [7, 3, 20, 1, 15, 11, 2, 19, 4, 18, 5, 6, 17, 8, 9, 16, 10, 12, 14, 13]) {
        builds.push([{ createdAt: at(0) }, { status: 'succeeded', finishedAt: at(n), durationMs: n * 100 }]);
      }
      builds.push([{ createdAt: at(0) }, { status: 'failed', finishedAt: at(30), durationMs: 999_999 }]);
      builds.push([{ createdAt: at(1000) }, { status: 'succeeded', finishedAt: at(1500), durationMs: 42 }]);
      await seed(store, builds);
      const [first, second] = await store.builds.timeline({
        since: T,
        bucketMs: 1000,
        buckets: 2,
        now: at(2000),
      });
      assert.equal(first?.finished, 21);
      assert.equal(first?.averageDurationMs, 1050);
      // ceil(0.95 * 20) = 19th smallest.
      assert.equal(first?.p95DurationMs, 1900);
      assert.equal(second?.averageDurationMs, 42);
      assert.equal(second?.p95DurationMs, 42);
    });
  });

  void describe('cache counters: history', () => {
    storeTest('adds each delta to the 5-minute bucket of its time, with the totals', async ({ store }) => {
      await createCache(store, 'main');
      await createCache(store, 'other');
      await store.caches.addStats('main', { narinfoHits: 2 }, HOUR);
      await store.caches.addStats('main', { narinfoMisses: 1 }, HOUR + FIVE_MINUTES - 1);
      await store.caches.addStats(
        'main',
        { narinfoHits: 1, narsServed: 1, narBytesServed: 700 },
        HOUR + FIVE_MINUTES,
      );
      await store.caches.addStats('main', { uploads: 1, uploadBytes: 10 }, HOUR + 650_000);
      await store.caches.addStats('main', { narinfoHits: 100 }, HOUR - 1); // before the range
      await store.caches.addStats('main', { narinfoHits: 100 }, HOUR + 1_800_000); // after it
      await store.caches.addStats('other', { narinfoMisses: 9 }, HOUR);
      await store.caches.addStats('main', {}, HOUR);

      const history = await store.caches.counterHistory('main', {
        since: HOUR,
        bucketMs: 600_000,
        buckets: 3,
      });
      assert.deepEqual(history, [
        {
          start: HOUR,
          end: HOUR + 600_000,
          ...ZERO_COUNTERS,
          narinfoHits: 3,
          narinfoMisses: 1,
          narsServed: 1,
          narBytesServed: 700,
        },
        { start: HOUR + 600_000, end: HOUR + 1_200_000, ...ZERO_COUNTERS, uploads: 1, uploadBytes: 10 },
        { start: HOUR + 1_200_000, end: HOUR + 1_800_000, ...ZERO_COUNTERS },
      ]);
      // The cumulative counters got every delta, the ones outside the range included.
      assert.deepEqual(await store.caches.counters('main'), {
        narinfoHits: 203,
        narinfoMisses: 1,
        narsServed: 1,
        narBytesServed: 700,
        uploads: 1,
        uploadBytes: 10,
      });
      const other = await store.caches.counterHistory('other', {
        since: HOUR,
        bucketMs: FIVE_MINUTES,
        buckets: 1,
      });
      assert.deepEqual(other, [
        { start: HOUR, end: HOUR + FIVE_MINUTES, ...ZERO_COUNTERS, narinfoMisses: 9 },
      ]);
    });

    storeTest('is all zeros for a missing cache, which addStats ignores', async ({ store }) => {
      await store.caches.addStats('missing', { narinfoHits: 1 }, HOUR);
      assert.deepEqual(
        await store.caches.counterHistory('missing', { since: HOUR, bucketMs: FIVE_MINUTES, buckets: 2 }),
        [
          { start: HOUR, end: HOUR + FIVE_MINUTES, ...ZERO_COUNTERS },
          { start: HOUR + FIVE_MINUTES, end: HOUR + 2 * FIVE_MINUTES, ...ZERO_COUNTERS },
        ],
      );
    });

    storeTest('without a time, counts the delta now', async ({ store }) => {
      await createCache(store, 'main');
      const before = Date.now();
      await store.caches.addStats('main', { uploads: 2 });
      const since = Math.floor(before / FIVE_MINUTES) * FIVE_MINUTES;
      // Two buckets, in case the clock crossed a boundary in between.
      const history = await store.caches.counterHistory('main', {
        since,
        bucketMs: FIVE_MINUTES,
        buckets: 2,
      });
      assert.equal(
        history.reduce((sum, entry) => sum + entry.uploads, 0),
        2,
      );
    });
  });
}
