import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ids, insertBuilds, newBuild, sortedIds } from './harness.js';
import type { StoreTest } from './harness.js';

const NOW = 1_700_000_100_000;
const LEASE_MS = 30_000;

export function claimTests(storeTest: StoreTest): void {
  void describe('builds: claimNext', () => {
    storeTest('returns undefined when nothing is pending', async ({ store }) => {
      assert.equal(await store.builds.claimNext('w1', LEASE_MS, NOW), undefined);
      const [a, b] = await insertBuilds(store, [newBuild(), newBuild()]);
      assert.ok(a && b);
      await store.builds.update(a.id, { status: 'running' });
      await store.builds.update(b.id, { status: 'cancelled' });
      assert.equal(await store.builds.claimNext('w1', LEASE_MS, NOW), undefined);
    });

    storeTest('takes the highest priority first, then the oldest within a priority', async ({ store }) => {
      const records = await insertBuilds(store, [
        newBuild({ priority: 0 }),
        newBuild({ priority: 5 }),
        newBuild({ priority: -1 }),
        newBuild({ priority: 5 }),
        newBuild({ priority: 10 }),
        newBuild({ priority: 0 }),
      ]);
      const [p0a, p5a, pNeg, p5b, p10, p0b] = ids(records);
      const claimed: (string | undefined)[] = [];
      for (let i = 0; i < records.length; i++)
        claimed.push((await store.builds.claimNext('w', LEASE_MS, NOW))?.id);
      assert.deepEqual(claimed, [p10, p5a, p5b, p0a, p0b, pNeg]);
      assert.equal(await store.builds.claimNext('w', LEASE_MS, NOW), undefined);
    });

    storeTest('skips builds that are not pending', async ({ store }) => {
      const [high, low] = await insertBuilds(store, [newBuild({ priority: 9 }), newBuild({ priority: 1 })]);
      assert.ok(high && low);
      await store.builds.update(high.id, { status: 'failed' });
      assert.equal((await store.builds.claimNext('w', LEASE_MS, NOW))?.id, low.id);
    });

    storeTest(
      'marks the build running with the lease, start time and one more attempt',
      async ({ store }) => {
        const inserted = await store.builds.insert(newBuild());
        const claimed = await store.builds.claimNext('host-a:123', LEASE_MS, NOW);
        assert.deepEqual(claimed, {
          ...inserted,
          status: 'running',
          leaseOwner: 'host-a:123',
          leaseExpiresAt: NOW + LEASE_MS,
          startedAt: NOW,
          attempts: 1,
        });
        assert.deepEqual(await store.builds.get(inserted.id), claimed);
      },
    );

    storeTest('keeps an existing start time when a requeued build is claimed again', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      await store.builds.claimNext('w1', LEASE_MS, NOW);
      await store.builds.update(inserted.id, { status: 'pending', leaseOwner: null, leaseExpiresAt: null });
      const again = await store.builds.claimNext('w2', LEASE_MS, NOW + 5000);
      assert.equal(again?.startedAt, NOW);
      assert.equal(again?.attempts, 2);
      assert.equal(again?.leaseOwner, 'w2');
      assert.equal(again?.leaseExpiresAt, NOW + 5000 + LEASE_MS);
    });

    storeTest(
      'concurrent claims from several stores never hand out a build twice',
      async ({ store, open }) => {
        const others = [await open(), await open()];
        const stores = [store, ...others];
        const records = await insertBuilds(
          store,
          Array.from({ length: 30 }, (_, i) => newBuild({ priority: i % 3 })),
        );
        const attempts = Array.from({ length: 60 }, (_, i) => {
          const claimer = stores[i % stores.length];
          assert.ok(claimer);
          return claimer.builds.claimNext(`w${i}`, LEASE_MS, NOW);
        });
        const claimed = (await Promise.all(attempts)).filter((build) => build !== undefined);
        assert.equal(claimed.length, records.length);
        assert.equal(new Set(ids(claimed)).size, records.length, 'no build claimed twice');
        assert.deepEqual(sortedIds(claimed), sortedIds(records));
        for (const build of claimed) {
          const stored = await store.builds.get(build.id);
          assert.equal(stored?.status, 'running');
          assert.equal(
            stored?.leaseOwner,
            build.leaseOwner,
            'the stored owner is the one that got the build',
          );
          assert.equal(stored?.attempts, 1);
        }
      },
    );
  });

  void describe('builds: renewLease', () => {
    storeTest('extends the lease of a running build held by the owner', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      await store.builds.claimNext('w1', LEASE_MS, NOW);
      assert.equal(await store.builds.renewLease(inserted.id, 'w1', LEASE_MS, NOW + 10_000), true);
      assert.equal((await store.builds.get(inserted.id))?.leaseExpiresAt, NOW + 10_000 + LEASE_MS);
    });

    storeTest('succeeds after expiry as long as nobody took the build over', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      await store.builds.claimNext('w1', LEASE_MS, NOW);
      const late = NOW + LEASE_MS * 3;
      assert.equal(await store.builds.renewLease(inserted.id, 'w1', LEASE_MS, late), true);
      assert.equal((await store.builds.get(inserted.id))?.leaseExpiresAt, late + LEASE_MS);
    });

    storeTest('refuses another owner and leaves the lease alone', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      await store.builds.claimNext('w1', LEASE_MS, NOW);
      assert.equal(await store.builds.renewLease(inserted.id, 'w2', LEASE_MS, NOW + 10_000), false);
      assert.equal((await store.builds.get(inserted.id))?.leaseExpiresAt, NOW + LEASE_MS);
    });

    storeTest('refuses a build that is no longer running, even for its owner', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      await store.builds.claimNext('w1', LEASE_MS, NOW);
      await store.builds.update(inserted.id, { status: 'succeeded' });
      assert.equal(await store.builds.renewLease(inserted.id, 'w1', LEASE_MS, NOW + 10_000), false);
      assert.equal((await store.builds.get(inserted.id))?.leaseExpiresAt, NOW + LEASE_MS);
    });

    storeTest('refuses a pending build and an unknown one', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      assert.equal(await store.builds.renewLease(inserted.id, 'w1', LEASE_MS, NOW), false);
      assert.equal(await store.builds.renewLease('no-such-build', 'w1', LEASE_MS, NOW), false);
    });
  });

  void describe('builds: listOrphaned', () => {
    storeTest('finds running builds with an expired lease or a sibling owner', async ({ store }) => {
      const setups = {
        expired: { status: 'running', leaseOwner: 'other-host:1', leaseExpiresAt: NOW - 1 },
        expiredSameHost: { status: 'running', leaseOwner: 'host-a:7', leaseExpiresAt: NOW - 1 },
        siblingProcess: { status: 'running', leaseOwner: 'host-a:2', leaseExpiresAt: NOW + 60_000 },
        self: { status: 'running', leaseOwner: 'host-a:1', leaseExpiresAt: NOW + 60_000 },
        selfExpired: { status: 'running', leaseOwner: 'host-a:1', leaseExpiresAt: NOW - 1 },
        otherHostAlive: { status: 'running', leaseOwner: 'other-host:1', leaseExpiresAt: NOW + 60_000 },
        // The lease is still valid at exactly its expiry time.
        expiresNow: { status: 'running', leaseOwner: 'other-host:2', leaseExpiresAt: NOW },
        // Shares the characters but not the prefix.
        lookalike: { status: 'running', leaseOwner: 'host-ab:1', leaseExpiresAt: NOW + 60_000 },
        finishedExpired: { status: 'succeeded', leaseOwner: 'other-host:1', leaseExpiresAt: NOW - 1 },
        finishedSibling: { status: 'failed', leaseOwner: 'host-a:2', leaseExpiresAt: NOW + 60_000 },
        pending: { status: 'pending', leaseOwner: null, leaseExpiresAt: null },
      } as const;
      const idOf = new Map<string, string>();
      for (const [name, patch] of Object.entries(setups)) {
        const inserted = await store.builds.insert(newBuild());
        await store.builds.update(inserted.id, patch);
        idOf.set(inserted.id, name);
      }
      const orphaned = await store.builds.listOrphaned(NOW, 'host-a:', 'host-a:1');
      assert.deepEqual(orphaned.map((build) => idOf.get(build.id)).sort(), [
        'expired',
        'expiredSameHost',
        'selfExpired',
        'siblingProcess',
      ]);
      for (const build of orphaned) assert.equal(build.status, 'running');
    });

    storeTest('treats the prefix literally, not as a pattern', async ({ store }) => {
      const [percent, plain] = await insertBuilds(store, [newBuild(), newBuild()]);
      assert.ok(percent && plain);
      const future = NOW + 60_000;
      await store.builds.update(percent.id, {
        status: 'running',
        leaseOwner: 'h%_:1',
        leaseExpiresAt: future,
      });
      await store.builds.update(plain.id, { status: 'running', leaseOwner: 'hxy:1', leaseExpiresAt: future });
      assert.deepEqual(ids(await store.builds.listOrphaned(NOW, 'h%_:', 'h%_:0')), [percent.id]);
    });

    storeTest('is empty when every running build is healthy', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      await store.builds.claimNext('host-a:1', LEASE_MS, NOW);
      assert.deepEqual(await store.builds.listOrphaned(NOW + 1, 'host-a:', 'host-a:1'), []);
      assert.deepEqual(ids(await store.builds.listOrphaned(NOW + LEASE_MS + 1, 'host-a:', 'host-a:1')), [
        inserted.id,
      ]);
    });
  });
}
