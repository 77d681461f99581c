/**
 * The binary-cache conformance groups on PostgreSQL, with a few races between two stores (two API
 * nodes) on one database that SQLite, with one writer at a time, cannot have.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { TestContext } from 'node:test';
import { openPostgresStore } from '../../../src/persistence/postgres/store.js';
import type { Store } from '../../../src/persistence/types.js';
import { cacheDeletionTests } from '../../conformance/cache-deletion.js';
import {
  baseName,
  cacheObject,
  hashPart,
  narHash,
  narRecord,
  putObject,
} from '../../conformance/cache-fixtures.js';
import { cacheNarTests } from '../../conformance/cache-nars.js';
import { cachePathTests } from '../../conformance/cache-paths.js';
import { cacheStatsTests } from '../../conformance/cache-stats.js';
import { cacheTests, createCache } from '../../conformance/caches.js';
import { storeTestWith } from '../../conformance/harness.js';
import { postgresUnavailableReason, sharedPostgres } from '../../helpers/postgres.js';

const unavailable = postgresUnavailableReason();

/** One database per test context, so that stores opened in one test share it. */
const databases = new WeakMap<TestContext, Promise<string>>();

function databaseFor(t: TestContext): Promise<string> {
  let url = databases.get(t);
  if (!url) {
    url = sharedPostgres().then((server) => server.createDatabase());
    databases.set(t, url);
  }
  return url;
}

const openStore = async (t: TestContext): Promise<Store> => openPostgresStore(await databaseFor(t));

void describe('PostgreSQL caches', { skip: unavailable ?? false }, () => {
  const storeTest = storeTestWith(openStore);
  cacheTests(storeTest);
  cacheNarTests(storeTest);
  cachePathTests(storeTest);
  cacheDeletionTests(storeTest);
  cacheStatsTests(storeTest);

  void describe('two API nodes on one database', () => {
    storeTest('concurrent counter flushes from both nodes add up', async ({ store, open }) => {
      const other = await open();
      await createCache(store, 'main');
      const at = 3_600_000;
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? store : other).caches.addStats('main', { narinfoHits: 1, narBytesServed: 10 }, at),
        ),
      );
      const counters = await other.caches.counters('main');
      assert.equal(counters.narinfoHits, 40);
      assert.equal(counters.narBytesServed, 400);
      const [bucket] = await store.caches.counterHistory('main', {
        since: at,
        bucketMs: 300_000,
        buckets: 1,
      });
      assert.equal(bucket?.narinfoHits, 40, 'the history bucket agrees with the totals');
    });

    storeTest('concurrent uploads of one NAR create it once', async ({ store, open }) => {
      const other = await open();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? store : other).caches.putNar(
            narRecord(1, { fileKey: `nar/copy-${i}.nar.zst`, createdAt: 4000 + i }),
          ),
        ),
      );
      assert.equal(results.filter((result) => result.created).length, 1);
      const recorded = await store.caches.getNar(narHash(1));
      for (const result of results) assert.deepEqual(result.nar, recorded);
      for (let i = 0; i < 10; i++) {
        assert.deepEqual(await other.caches.getNarByFileKey(`nar/copy-${i}.nar.zst`), recorded);
      }
    });

    storeTest('concurrent creates of one cache name: exactly one wins', async ({ store, open }) => {
      const other = await open();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 === 0 ? store : other).caches.create(
            { name: 'main', private: false, priority: 40, retentionDays: null, createdAt: 1000 + i },
            {
              cacheName: 'main',
              keyName: `main-${i}`,
              publicKey: `main-${i}:x`,
              secretKeyCiphertext: 'v1:x',
              createdAt: 1000,
              activatedAt: 1000,
              retiresAt: null,
            },
          ),
        ),
      );
      assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1);
      assert.equal((await store.caches.keys('main')).length, 1, 'the losers left no key behind');
    });

    storeTest(
      'deletion racing uploads that reference the doomed paths never leaves a dangling reference',
      async ({ store, open }) => {
        const other = await open();
        await createCache(store, 'main');
        // Paths 1..20 stand alone; uploads of 101..120 each reference one of them while a
        // deletion of all of 1..20 runs on the other node.
        for (let n = 1; n <= 20; n++) await putObject(store, 'main', n);
        for (let n = 101; n <= 120; n++) await store.caches.putNar(narRecord(n));
        const uploads = Array.from({ length: 20 }, (_, i) =>
          other.caches
            .putPath(cacheObject('main', 101 + i, { references: [baseName(1 + i)] }))
            .then(() => true)
            .catch(() => false),
        );
        const deleted = await store.caches.deletePaths(
          'main',
          Array.from({ length: 20 }, (_, i) => hashPart(1 + i)),
        );
        const accepted = await Promise.all(uploads);
        const held = new Set((await store.caches.listPaths('main')).map((path) => path.storePathHash));
        for (let i = 0; i < 20; i++) {
          const referrer = hashPart(101 + i);
          const reference = hashPart(1 + i);
          // An upload either went in before the deletion (which then kept its reference) or was
          // refused because the reference was gone: never a path whose reference is missing.
          assert.equal(held.has(referrer), accepted[i], `upload ${101 + i} is held iff it was accepted`);
          if (held.has(referrer)) assert.ok(held.has(reference), `reference of ${101 + i} kept`);
          assert.equal(deleted.includes(reference), !held.has(reference));
        }
      },
    );

    storeTest('a pin racing a deletion either keeps the path or reports it gone', async ({ store, open }) => {
      const other = await open();
      await createCache(store, 'main');
      for (let n = 1; n <= 30; n++) await putObject(store, 'main', n);
      const hashes = Array.from({ length: 30 }, (_, i) => hashPart(1 + i));
      const pins = hashes.map((hash) => other.caches.pin('main', hash, 7000));
      const deleted = new Set(await store.caches.deletePaths('main', hashes));
      const pinned = await Promise.all(pins);
      const held = new Set((await store.caches.listPaths('main')).map((path) => path.storePathHash));
      hashes.forEach((hash, i) => {
        assert.equal(held.has(hash), !deleted.has(hash));
        assert.equal(pinned[i], held.has(hash), `pin() answered ${String(pinned[i])} for ${hash}`);
      });
      assert.equal((await store.caches.pins('main')).length, held.size);
    });

    storeTest(
      'NAR collection racing uploads never strands a path without its NAR',
      async ({ store, open }) => {
        const other = await open();
        await createCache(store, 'main');
        for (let n = 1; n <= 30; n++) await store.caches.putNar(narRecord(n, { createdAt: 1000 }));
        const uploads = Array.from({ length: 30 }, (_, i) =>
          other.caches
            .putPath(cacheObject('main', 1 + i))
            .then(() => true)
            .catch(() => false),
        );
        const collected = await store.caches.deleteUnreferencedNars(10_000, 100);
        const accepted = await Promise.all(uploads);
        const gone = new Set(collected.map(({ nar }) => nar.narHash));
        for (let i = 0; i < 30; i++) {
          const path = await store.caches.getPath('main', hashPart(1 + i));
          assert.equal(path !== undefined, accepted[i]);
          assert.equal(
            gone.has(narHash(1 + i)),
            !accepted[i],
            'a NAR is collected iff its upload was refused',
          );
        }
      },
    );
  });
});
