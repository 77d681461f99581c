import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { BuildAggregate, BuildPatch, NewBuild, Store } from '../../src/persistence/types.js';
import { newBuild } from './harness.js';
import type { StoreTest } from './harness.js';

const NOW = 100_000;
const SINCE = 50_000;

const EMPTY: BuildAggregate = {
  total: 0,
  succeeded: 0,
  failed: 0,
  cancelled: 0,
  timedOut: 0,
  superseded: 0,
  dependencyFailed: 0,
  pending: 0,
  running: 0,
  averageDurationMs: null,
  averageArtifactSize: null,
  averageImageSize: null,
  averageImageBytesUploaded: null,
  busyMs: 0,
};

async function seed(store: Store, builds: readonly [Partial<NewBuild>, BuildPatch][]): Promise<void> {
  for (const [fields, patch] of builds) {
    const inserted = await store.builds.insert(newBuild(fields));
    await store.builds.update(inserted.id, patch);
  }
}

export function statsTests(storeTest: StoreTest): void {
  void describe('builds: aggregate', () => {
    storeTest('is all zeros and nulls on an empty store', async ({ store }) => {
      assert.deepEqual(await store.builds.aggregate({ now: NOW }), EMPTY);
      assert.deepEqual(await store.builds.aggregate({ now: NOW, since: SINCE }), EMPTY);
    });

    storeTest('counts builds per status among those created at or after `since`', async ({ store }) => {
      const created = { createdAt: 60_000 };
      await seed(store, [
        [created, { status: 'succeeded' }],
        [created, { status: 'succeeded' }],
        [created, { status: 'failed' }],
        [created, { status: 'cancelled' }],
        [created, { status: 'timed_out' }],
        [created, { status: 'superseded' }],
        [created, {}],
        [created, {}],
        [created, { status: 'running' }],
        [{ createdAt: SINCE }, { status: 'failed' }],
        [{ createdAt: 40_000 }, { status: 'succeeded' }],
        [{ createdAt: 40_000 }, { status: 'failed' }],
      ]);
      const counts = { cancelled: 1, timedOut: 1, superseded: 1, pending: 2, running: 1 };
      assert.deepEqual(await store.builds.aggregate({ now: NOW, since: SINCE }), {
        ...EMPTY,
        ...counts,
        total: 10,
        succeeded: 2,
        failed: 2,
      });
      assert.deepEqual(await store.builds.aggregate({ now: NOW }), {
        ...EMPTY,
        ...counts,
        total: 12,
        succeeded: 3,
        failed: 3,
      });
    });

    storeTest('averages duration and artifact size over succeeded builds only', async ({ store }) => {
      const created = { createdAt: 60_000 };
      await seed(store, [
        [created, { status: 'succeeded', durationMs: 1000, artifactSize: 100 }],
        // A missing artifact size does not count as zero.
        [created, { status: 'succeeded', durationMs: 2000, artifactSize: null }],
        [created, { status: 'failed', durationMs: 50_000, artifactSize: 99_999 }],
        [created, { status: 'running', durationMs: 70_000 }],
        [{ createdAt: 40_000 }, { status: 'succeeded', durationMs: 9000, artifactSize: 900 }],
      ]);
      const windowed = await store.builds.aggregate({ now: NOW, since: SINCE });
      assert.equal(windowed.averageDurationMs, 1500);
      assert.equal(windowed.averageArtifactSize, 100);
      const all = await store.builds.aggregate({ now: NOW });
      assert.equal(all.averageDurationMs, 4000);
      assert.equal(all.averageArtifactSize, 500);
    });

    storeTest('averages are null when no build succeeded', async ({ store }) => {
      await seed(store, [[{ createdAt: 60_000 }, { status: 'failed', durationMs: 10, artifactSize: 10 }]]);
      const aggregate = await store.builds.aggregate({ now: NOW });
      assert.equal(aggregate.averageDurationMs, null);
      assert.equal(aggregate.averageArtifactSize, null);
    });

    // Busy time is about the window, not about when builds were submitted: a build created before
    // `since` that ran into the window counts for the part inside it.
    storeTest('busyMs sums running time clipped to [since, now]', async ({ store }) => {
      await seed(store, [
        // Inside the window: 10 s.
        [{ createdAt: 60_000 }, { status: 'succeeded', startedAt: 60_000, finishedAt: 70_000 }],
        // Started before the window: 5 s inside it.
        [{ createdAt: 40_000 }, { status: 'failed', startedAt: 40_000, finishedAt: 55_000 }],
        // Entirely before the window.
        [{ createdAt: 30_000 }, { status: 'failed', startedAt: 30_000, finishedAt: 45_000 }],
        // Still running: counts until now, 10 s.
        [{ createdAt: 90_000 }, { status: 'running', startedAt: 90_000 }],
        // Running since before the window: the whole window, 50 s.
        [{ createdAt: 45_000 }, { status: 'running', startedAt: 45_000 }],
        // Requeued after a start: not running, so no running time.
        [{ createdAt: 80_000 }, { status: 'pending', startedAt: 80_000 }],
        // Never started.
        [{ createdAt: 60_000 }, { status: 'cancelled' }],
        // Finishes after `now`: clipped at now, 5 s.
        [{ createdAt: 95_000 }, { status: 'succeeded', startedAt: 95_000, finishedAt: 120_000 }],
      ]);
      assert.equal((await store.builds.aggregate({ now: NOW, since: SINCE })).busyMs, 80_000);
      // Without `since` the window has no start: 10 + 15 + 15 + 10 + 55 + 5 seconds.
      assert.equal((await store.builds.aggregate({ now: NOW })).busyMs, 110_000);
    });

    storeTest('filters by service and by label, alone and together', async ({ store }) => {
      await seed(store, [
        [
          { serviceId: 's1', labels: { team: 'core' }, createdAt: 60_000 },
          { status: 'succeeded', durationMs: 1000, artifactSize: 10, startedAt: 60_000, finishedAt: 61_000 },
        ],
        [
          { serviceId: 's1', labels: { team: 'web' }, createdAt: 60_000 },
          { status: 'succeeded', durationMs: 3000, artifactSize: 30, startedAt: 60_000, finishedAt: 63_000 },
        ],
        [
          { serviceId: 's2', labels: { team: 'core' }, createdAt: 60_000 },
          { status: 'failed', startedAt: 60_000, finishedAt: 60_500 },
        ],
        [
          { serviceId: null, labels: { team: 'core', 'app.kubernetes.io/name': 'x"y' }, createdAt: 60_000 },
          { status: 'running', startedAt: 99_000 },
        ],
        // The value matches, but under another key.
        [{ serviceId: 's1', labels: { owner: 'core' }, createdAt: 60_000 }, {}],
      ]);
      const query = { now: NOW, since: SINCE };
      assert.deepEqual(await store.builds.aggregate({ ...query, serviceId: 's1' }), {
        ...EMPTY,
        total: 3,
        succeeded: 2,
        pending: 1,
        averageDurationMs: 2000,
        averageArtifactSize: 20,
        busyMs: 4000,
      });
      assert.deepEqual(await store.builds.aggregate({ ...query, label: { key: 'team', value: 'core' } }), {
        ...EMPTY,
        total: 3,
        succeeded: 1,
        failed: 1,
        running: 1,
        averageDurationMs: 1000,
        averageArtifactSize: 10,
        busyMs: 2500,
      });
      assert.deepEqual(
        await store.builds.aggregate({ ...query, serviceId: 's1', label: { key: 'team', value: 'core' } }),
        { ...EMPTY, total: 1, succeeded: 1, averageDurationMs: 1000, averageArtifactSize: 10, busyMs: 1000 },
      );
      assert.deepEqual(
        await store.builds.aggregate({ ...query, label: { key: 'app.kubernetes.io/name', value: 'x"y' } }),
        { ...EMPTY, total: 1, running: 1, busyMs: 1000 },
      );
      assert.deepEqual(
        await store.builds.aggregate({ ...query, label: { key: 'team', value: 'ops' } }),
        EMPTY,
      );
      assert.deepEqual(await store.builds.aggregate({ ...query, serviceId: 'nobody' }), EMPTY);
    });
  });
}
