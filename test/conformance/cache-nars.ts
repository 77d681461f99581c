import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { hashPart, narHash, narRecord, putObject } from './cache-fixtures.js';
import { createCache, kilnError } from './caches.js';
import type { StoreTest } from './harness.js';

export function cacheNarTests(storeTest: StoreTest): void {
  void describe('cache NARs', () => {
    storeTest('putNar records a NAR, found by NarHash and by file key', async ({ store }) => {
      const nar = narRecord(1);
      assert.deepEqual(await store.caches.putNar(nar), { nar, created: true });
      assert.deepEqual(await store.caches.getNar(nar.narHash), nar);
      assert.deepEqual(await store.caches.getNarByFileKey(nar.fileKey), nar);
      assert.equal(await store.caches.getNar(narHash(2)), undefined);
      assert.equal(await store.caches.getNarByFileKey('nar/unknown.nar.zst'), undefined);
    });

    storeTest(
      'a second upload of a NAR keeps the first record and records its key as an alias',
      async ({ store }) => {
        const first = narRecord(1);
        await store.caches.putNar(first);
        const xz = narRecord(1, {
          fileKey: 'nar/0xzcopy.nar.xz',
          compression: 'xz',
          fileHash: 'sha256:0xzcopy',
          fileSize: 400,
          createdAt: 9000,
        });
        assert.deepEqual(await store.caches.putNar(xz), { nar: first, created: false });
        assert.deepEqual(await store.caches.getNar(first.narHash), first, 'the first record is kept');
        assert.deepEqual(await store.caches.getNarByFileKey(xz.fileKey), first, 'the alias finds it');
        assert.deepEqual(await store.caches.getNarByFileKey(first.fileKey), first);
        // Uploading under either key again changes nothing.
        assert.deepEqual(await store.caches.putNar(xz), { nar: first, created: false });
        assert.deepEqual(await store.caches.putNar(first), { nar: first, created: false });
      },
    );

    storeTest('putNar refuses a file key that already holds another NAR', async ({ store }) => {
      const first = narRecord(1);
      await store.caches.putNar(first);
      await store.caches.putNar(narRecord(1, { fileKey: 'nar/alias.nar.xz' }));
      for (const fileKey of [first.fileKey, 'nar/alias.nar.xz']) {
        await assert.rejects(store.caches.putNar(narRecord(2, { fileKey })), kilnError('KILN_ERR_CONFLICT'));
      }
      assert.equal(await store.caches.getNar(narHash(2)), undefined);
      assert.deepEqual(await store.caches.getNarByFileKey('nar/alias.nar.xz'), first);
    });

    storeTest('cacheHasNar tells whether the cache holds a path with that NAR', async ({ store }) => {
      await createCache(store, 'main');
      await createCache(store, 'other');
      await putObject(store, 'main', 1);
      await store.caches.putNar(narRecord(2));
      assert.equal(await store.caches.cacheHasNar('main', narHash(1)), true);
      assert.equal(await store.caches.cacheHasNar('other', narHash(1)), false);
      assert.equal(await store.caches.cacheHasNar('main', narHash(2)), false, 'recorded, but no path');
      assert.equal(await store.caches.cacheHasNar('missing', narHash(1)), false);
      await store.caches.deletePaths('main', [hashPart(1)]);
      assert.equal(await store.caches.cacheHasNar('main', narHash(1)), false);
    });

    storeTest(
      'deleteUnreferencedNars deletes NARs no path points to, created before the time',
      async ({ store }) => {
        await createCache(store, 'main');
        await putObject(store, 'main', 1);
        await store.caches.putNar(narRecord(2, { createdAt: 3000 }));
        await store.caches.putNar(narRecord(2, { fileKey: 'nar/two-b.nar.xz' }));
        await store.caches.putNar(narRecord(2, { fileKey: 'nar/two-a.nar' }));
        await store.caches.putNar(narRecord(3, { createdAt: 3500 }));
        // Uploaded just now: its narinfo may be on the way.
        await store.caches.putNar(narRecord(4, { createdAt: 5000 }));
        assert.deepEqual(await store.caches.deleteUnreferencedNars(5000, 100), [
          { nar: narRecord(2, { createdAt: 3000 }), aliases: ['nar/two-a.nar', 'nar/two-b.nar.xz'] },
          { nar: narRecord(3, { createdAt: 3500 }), aliases: [] },
        ]);
        assert.equal(await store.caches.getNar(narHash(2)), undefined);
        assert.equal(await store.caches.getNarByFileKey('nar/two-a.nar'), undefined);
        assert.equal(await store.caches.getNarByFileKey(narRecord(2).fileKey), undefined);
        assert.deepEqual(await store.caches.getNar(narHash(1)), narRecord(1), 'a path points to it');
        assert.deepEqual(await store.caches.getNar(narHash(4)), narRecord(4, { createdAt: 5000 }));
        assert.deepEqual(await store.caches.deleteUnreferencedNars(5000, 100), []);
        // The key of a deleted NAR is free again.
        assert.equal((await store.caches.putNar(narRecord(2))).created, true);
      },
    );

    storeTest('deleteUnreferencedNars honours the limit, oldest first', async ({ store }) => {
      for (const n of [1, 2, 3]) await store.caches.putNar(narRecord(n, { createdAt: 4000 - n }));
      const first = await store.caches.deleteUnreferencedNars(10_000, 2);
      assert.deepEqual(
        first.map(({ nar }) => nar.narHash),
        [narHash(3), narHash(2)],
      );
      assert.deepEqual(
        (await store.caches.deleteUnreferencedNars(10_000, 2)).map(({ nar }) => nar.narHash),
        [narHash(1)],
      );
    });

    storeTest('a NAR shared by caches is deleted only when no cache points to it', async ({ store }) => {
      await createCache(store, 'main');
      await createCache(store, 'other');
      await createCache(store, 'gone');
      await putObject(store, 'main', 1);
      await putObject(store, 'other', 1);
      await putObject(store, 'gone', 2);
      await store.caches.markDeleted('gone', 4500);
      assert.deepEqual(await store.caches.deletePaths('main', [hashPart(1)]), [hashPart(1)]);
      assert.deepEqual(
        await store.caches.deleteUnreferencedNars(10_000, 100),
        [],
        'other and gone still point',
      );
      assert.deepEqual(await store.caches.deletePaths('other', [hashPart(1)]), [hashPart(1)]);
      assert.deepEqual(await store.caches.deletePaths('gone', [hashPart(2)]), [hashPart(2)]);
      assert.deepEqual(
        (await store.caches.deleteUnreferencedNars(10_000, 100)).map(({ nar }) => nar.narHash),
        [narHash(1), narHash(2)],
      );
    });
  });
}
