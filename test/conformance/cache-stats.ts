import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { cacheObject, hashPart, putObject } from './cache-fixtures.js';
import { createCache } from './caches.js';
import type { StoreTest } from './harness.js';

const ZERO = {
  narinfoHits: 0,
  narinfoMisses: 0,
  narsServed: 0,
  narBytesServed: 0,
  uploads: 0,
  uploadBytes: 0,
};

export function cacheStatsTests(storeTest: StoreTest): void {
  void describe('cache counters and usage', () => {
    storeTest('counters start at zero and addStats accumulates per cache', async ({ store }) => {
      await createCache(store, 'main');
      await createCache(store, 'other');
      assert.deepEqual(await store.caches.counters('main'), ZERO);
      await store.caches.addStats('main', { narinfoHits: 2, narinfoMisses: 1 });
      await store.caches.addStats('main', {});
      await store.caches.addStats('main', { narinfoHits: 1, narsServed: 1, narBytesServed: 5_000_000_000 });
      await store.caches.addStats('main', { uploads: 3, uploadBytes: 700 });
      await store.caches.addStats('other', { uploads: 1 });
      assert.deepEqual(await store.caches.counters('main'), {
        narinfoHits: 3,
        narinfoMisses: 1,
        narsServed: 1,
        narBytesServed: 5_000_000_000,
        uploads: 3,
        uploadBytes: 700,
      });
      assert.deepEqual(await store.caches.counters('other'), { ...ZERO, uploads: 1 });
    });

    storeTest('addStats ignores a missing cache', async ({ store }) => {
      await store.caches.addStats('missing', { narinfoMisses: 1 });
      assert.deepEqual(await store.caches.counters('missing'), ZERO);
      // A cache created later starts from zero.
      await createCache(store, 'missing');
      assert.deepEqual(await store.caches.counters('missing'), ZERO);
    });

    storeTest('usage sums the paths, their NARs and pins of the cache', async ({ store }) => {
      await createCache(store, 'main');
      await createCache(store, 'other');
      assert.deepEqual(await store.caches.usage('main'), { objects: 0, narBytes: 0, fileBytes: 0, pins: 0 });
      await putObject(store, 'main', 1);
      await putObject(store, 'main', 2, [1]);
      await store.caches.putPath(cacheObject('other', 1));
      await store.caches.pin('main', hashPart(2), 7000);
      // NAR n: narSize 1000 + n, fileSize 500 + n. A shared NAR counts in each cache.
      assert.deepEqual(await store.caches.usage('main'), {
        objects: 2,
        narBytes: 2003,
        fileBytes: 1003,
        pins: 1,
      });
      assert.deepEqual(await store.caches.usage('other'), {
        objects: 1,
        narBytes: 1001,
        fileBytes: 501,
        pins: 0,
      });
      await store.caches.unpin('main', hashPart(2));
      await store.caches.deletePaths('main', [hashPart(2)]);
      assert.deepEqual(await store.caches.usage('main'), {
        objects: 1,
        narBytes: 1001,
        fileBytes: 501,
        pins: 0,
      });
      assert.deepEqual(await store.caches.usage('missing'), {
        objects: 0,
        narBytes: 0,
        fileBytes: 0,
        pins: 0,
      });
    });
  });
}
