import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { baseName, hashPart, putObject } from './cache-fixtures.js';
import { createCache } from './caches.js';
import type { StoreTest } from './harness.js';
import type { Store } from '../../src/persistence/types.js';

/** Path 1 references 2, which references 3 (and itself); 4 stands alone. */
async function chain(store: Store): Promise<void> {
  await createCache(store, 'main');
  await putObject(store, 'main', 3);
  await putObject(store, 'main', 2, [2, 3]);
  await putObject(store, 'main', 1, [2]);
  await putObject(store, 'main', 4);
}

const held = async (store: Store) => (await store.caches.listPaths('main')).map((path) => path.storePathHash);
const hashes = (...ns: number[]) => ns.map(hashPart);

export function cacheDeletionTests(storeTest: StoreTest): void {
  void describe('cache path deletion', () => {
    storeTest(
      'deletePaths deletes unreferenced paths and returns them in the order given',
      async ({ store }) => {
        await chain(store);
        assert.deepEqual(await store.caches.deletePaths('main', hashes(4, 1, 4)), hashes(4, 1));
        assert.deepEqual(await held(store), hashes(2, 3).sort());
        assert.equal(await store.caches.getPath('main', hashPart(1)), undefined);
        assert.deepEqual(
          await store.caches.deletePaths('main', hashes(1, 9)),
          [],
          'missing hashes are ignored',
        );
        assert.deepEqual(await store.caches.deletePaths('main', []), []);
      },
    );

    storeTest('deletePaths never deletes a path a remaining path references', async ({ store }) => {
      await chain(store);
      assert.deepEqual(await store.caches.deletePaths('main', hashes(3)), []);
      assert.deepEqual(
        await store.caches.deletePaths('main', hashes(2, 3)),
        [],
        '1 remains and references 2',
      );
      // 1 goes; 3 stays because 2, which references it, stays.
      assert.deepEqual(await store.caches.deletePaths('main', hashes(3, 1)), hashes(1));
      assert.deepEqual(await held(store), hashes(2, 3, 4).sort());
      // A self-reference does not keep a path.
      assert.deepEqual(await store.caches.deletePaths('main', hashes(2)), hashes(2));
    });

    storeTest('deletePaths deletes a whole chain at once, whatever the order given', async ({ store }) => {
      await chain(store);
      assert.deepEqual(await store.caches.deletePaths('main', hashes(3, 2, 1)), hashes(3, 2, 1));
      assert.deepEqual(await held(store), hashes(4));
      await putObject(store, 'main', 3);
      await putObject(store, 'main', 2, [3]);
      await putObject(store, 'main', 1, [2]);
      assert.deepEqual(await store.caches.deletePaths('main', hashes(2, 1, 3)), hashes(2, 1, 3));
    });

    storeTest('deletePaths keeps pinned paths and everything they reference', async ({ store }) => {
      await chain(store);
      assert.equal(await store.caches.pin('main', hashPart(1), 7000), true);
      assert.deepEqual(await store.caches.deletePaths('main', hashes(1, 2, 3, 4)), hashes(4));
      assert.deepEqual(await held(store), hashes(1, 2, 3).sort());
      assert.equal(await store.caches.unpin('main', hashPart(1)), true);
      assert.equal(await store.caches.pin('main', hashPart(2), 7000), true);
      assert.deepEqual(await store.caches.deletePaths('main', hashes(1, 2, 3)), hashes(1));
      assert.deepEqual(await held(store), hashes(2, 3).sort());
    });

    storeTest('deletePaths of one cache leaves the same paths of another alone', async ({ store }) => {
      await chain(store);
      await createCache(store, 'other');
      await putObject(store, 'other', 3);
      await putObject(store, 'other', 5, [3]);
      // References count within a cache only: other's 5 does not keep main's 3.
      assert.deepEqual(await store.caches.deletePaths('main', hashes(1, 2, 3)), hashes(1, 2, 3));
      assert.deepEqual(await store.caches.deletePaths('other', hashes(3)), [], "other's 5 references it");
      assert.deepEqual(
        (await store.caches.listPaths('other')).map((path) => path.references),
        [[], [baseName(3)]],
      );
    });
  });

  void describe('cache pins', () => {
    storeTest('pin pins held paths once; pins lists them; unpin removes them', async ({ store }) => {
      await chain(store);
      await createCache(store, 'other');
      assert.equal(await store.caches.pin('main', hashPart(2), 7000), true);
      assert.equal(await store.caches.pin('main', hashPart(2), 8000), true, 'pinning twice is fine');
      assert.equal(await store.caches.pin('main', hashPart(1), 7500), true);
      assert.equal(await store.caches.pin('main', hashPart(9), 7000), false, 'not held');
      assert.equal(await store.caches.pin('other', hashPart(1), 7000), false, 'held by another cache');
      assert.deepEqual(await store.caches.pins('main'), [
        {
          cacheName: 'main',
          storePathHash: hashPart(1),
          storePath: `/nix/store/${baseName(1)}`,
          createdAt: 7500,
        },
        {
          cacheName: 'main',
          storePathHash: hashPart(2),
          storePath: `/nix/store/${baseName(2)}`,
          createdAt: 7000,
        },
      ]);
      assert.deepEqual(await store.caches.pins('other'), []);
      assert.equal(await store.caches.unpin('main', hashPart(2)), true);
      assert.equal(await store.caches.unpin('main', hashPart(2)), false);
      assert.equal(await store.caches.unpin('main', hashPart(9)), false);
      assert.deepEqual(
        (await store.caches.pins('main')).map((pin) => pin.storePathHash),
        hashes(1),
      );
    });

    storeTest('an unpinned path can be deleted, and its pin does not come back', async ({ store }) => {
      await chain(store);
      await store.caches.pin('main', hashPart(4), 7000);
      assert.deepEqual(await store.caches.deletePaths('main', hashes(4)), []);
      await store.caches.unpin('main', hashPart(4));
      assert.deepEqual(await store.caches.deletePaths('main', hashes(4)), hashes(4));
      assert.equal(await store.caches.pin('main', hashPart(4), 8000), false);
      await putObject(store, 'main', 4);
      assert.deepEqual(await store.caches.pins('main'), [], 'a path recorded again starts unpinned');
    });
  });
}
