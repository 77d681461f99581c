import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { BuildPatch } from '../../src/persistence/types.js';
import { TERMINAL_STATUSES } from '../../src/persistence/types.js';
import { ids, insertBuilds, newBuild, sortedIds } from './harness.js';
import type { StoreTest } from './harness.js';

/** Queries used by cleanup, retention and the dashboard counters. */
export function maintenanceTests(storeTest: StoreTest): void {
  void describe('builds: listFinishedBefore', () => {
    storeTest(
      'lists terminal builds finished before the time, oldest first, up to the limit',
      async ({ store }) => {
        const patches: BuildPatch[] = [
          { status: 'failed', finishedAt: 300 },
          { status: 'succeeded', finishedAt: 100 },
          { status: 'cancelled', finishedAt: 200 },
          { status: 'timed_out', finishedAt: 400 },
          { status: 'superseded', finishedAt: 50 },
          { status: 'dependency_failed', finishedAt: 450 },
          // Exactly at the boundary: not before it.
          { status: 'succeeded', finishedAt: 500 },
          { status: 'succeeded', finishedAt: 900 },
          // Not terminal, whatever finishedAt says.
          { status: 'running', finishedAt: 10 },
          { status: 'pending', finishedAt: 10 },
          // Terminal without a finish time.
          { status: 'failed', finishedAt: null },
        ];
        const records = await insertBuilds(
          store,
          patches.map(() => newBuild()),
        );
        for (const [index, patch] of patches.entries()) {
          const record = records[index];
          assert.ok(record);
          await store.builds.update(record.id, patch);
        }
        const finishedAtOf = async (found: readonly { id: string }[]) =>
          Promise.all(found.map(async ({ id }) => (await store.builds.get(id))?.finishedAt));
        const all = await store.builds.listFinishedBefore(500, 100);
        assert.deepEqual(await finishedAtOf(all), [50, 100, 200, 300, 400, 450]);
        assert.deepEqual(all.map((build) => build.status).sort(), [...TERMINAL_STATUSES].sort());
        assert.deepEqual(await finishedAtOf(await store.builds.listFinishedBefore(500, 2)), [50, 100]);
        assert.deepEqual(await store.builds.listFinishedBefore(50, 100), []);
      },
    );
  });

  void describe('builds: newestSucceededPerService', () => {
    // "Newest" is the most recently submitted (highest seq), whatever the finishing order.
    storeTest(
      'returns the newest succeeded build of each service, null service included',
      async ({ store }) => {
        const [a1, a2, a3, b1, n1, n2, c1] = await insertBuilds(store, [
          newBuild({ serviceId: 'a' }),
          newBuild({ serviceId: 'a' }),
          newBuild({ serviceId: 'a' }),
          newBuild({ serviceId: 'b' }),
          newBuild({ serviceId: null }),
          newBuild({ serviceId: null }),
          newBuild({ serviceId: 'c' }),
        ]);
        assert.ok(a1 && a2 && a3 && b1 && n1 && n2 && c1);
        await store.builds.update(a1.id, { status: 'succeeded', finishedAt: 900 });
        await store.builds.update(a2.id, { status: 'succeeded', finishedAt: 500 });
        await store.builds.update(a3.id, { status: 'failed', finishedAt: 950 });
        await store.builds.update(b1.id, { status: 'failed' });
        await store.builds.update(n1.id, { status: 'succeeded' });
        await store.builds.update(n2.id, { status: 'succeeded' });
        await store.builds.update(c1.id, { status: 'succeeded' });
        const newest = await store.builds.newestSucceededPerService();
        assert.deepEqual(sortedIds(newest), [a2.id, n2.id, c1.id].sort());
        assert.deepEqual(
          newest.find((build) => build.id === a2.id),
          await store.builds.get(a2.id),
        );
      },
    );

    storeTest('is empty without succeeded builds', async ({ store }) => {
      await insertBuilds(store, [newBuild(), newBuild({ serviceId: null })]);
      assert.deepEqual(await store.builds.newestSucceededPerService(), []);
    });
  });

  void describe('builds: delete', () => {
    storeTest('removes the builds with their steps and logs, and counts them', async ({ store }) => {
      const [gone, kept] = await insertBuilds(store, [newBuild(), newBuild()]);
      assert.ok(gone && kept);
      for (const build of [gone, kept]) {
        await store.steps.start(build.id, 'evaluate', 1);
        await store.logs.append(build.id, [{ ts: 1, stream: 'stdout', text: `log of ${build.id}` }], 1 << 20);
      }
      assert.equal(await store.builds.delete([gone.id, 'no-such-build', gone.id]), 1);
      assert.equal(await store.builds.get(gone.id), undefined);
      assert.deepEqual(await store.steps.list(gone.id), []);
      assert.deepEqual(await store.logs.read(gone.id, 0, 100), []);
      assert.deepEqual(await store.logs.tail(gone.id, 100), []);

      assert.deepEqual(await store.builds.get(kept.id), kept);
      assert.equal((await store.steps.list(kept.id)).length, 1);
      assert.deepEqual(
        (await store.logs.read(kept.id, 0, 100)).map((line) => line.text),
        [`log of ${kept.id}`],
      );
    });

    storeTest('deleting nothing or unknown ids deletes nothing', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      assert.equal(await store.builds.delete([]), 0);
      assert.equal(await store.builds.delete(['no-such-build']), 0);
      assert.deepEqual(await store.builds.get(inserted.id), inserted);
    });

    storeTest('a build inserted again under a deleted id starts with an empty log', async ({ store }) => {
      const first = await store.builds.insert(newBuild());
      const lines = Array.from({ length: 20 }, (_, i) => ({
        ts: i,
        stream: 'stdout' as const,
        text: `old ${i} ${'x'.repeat(20)}`,
      }));
      // Small cap so that the first incarnation also has cap bookkeeping to forget.
      await store.logs.append(first.id, lines, 100);
      await store.builds.delete([first.id]);
      await store.builds.insert(newBuild({ id: first.id }));
      await store.logs.append(first.id, [{ ts: 99, stream: 'stdout', text: 'fresh' }], 100);
      const log = await store.logs.read(first.id, 0, 100);
      assert.deepEqual(
        log.map((line) => line.text),
        ['fresh'],
      );
    });
  });

  void describe('builds: countByStatus', () => {
    storeTest('counts builds in one status', async ({ store }) => {
      const records = await insertBuilds(store, [newBuild(), newBuild(), newBuild(), newBuild()]);
      const [a, b] = ids(records);
      assert.ok(a && b);
      await store.builds.update(a, { status: 'running' });
      await store.builds.update(b, { status: 'running' });
      assert.equal(await store.builds.countByStatus('pending'), 2);
      assert.equal(await store.builds.countByStatus('running'), 2);
      assert.equal(await store.builds.countByStatus('failed'), 0);
    });
  });
}
