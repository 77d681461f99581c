import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { CacheObjectRecord } from '../../src/persistence/types.js';
import { createCache, kilnError } from './caches.js';
import type { StoreTest } from './harness.js';

const NIX_BASE32 = '0123456789abcdfghijklmnpqrsvwxyz';

/** A distinct 32-character hash part per `n`: `n` written in nix-base32. */
function hashPart(n: number): string {
  const digits = n
    .toString(32)
    .split('')
    .map((digit) => NIX_BASE32[parseInt(digit, 32)] ?? '0');
  return digits.join('').padStart(32, '0');
}

function cacheObject(cacheName: string, n: number, overrides: Partial<CacheObjectRecord> = {}) {
  const hash = hashPart(n);
  const record: CacheObjectRecord = {
    cacheName,
    storePathHash: hash,
    narinfoKey: `${cacheName}/${hash}.narinfo`,
    narHash: `sha256:${'1'.repeat(52)}`,
    narSize: 1000 + n,
    fileKey: `${cacheName}/nar/${hash}.nar.zst`,
    fileSize: 500 + n,
    references: [`${hash}-hello-2.12`, `${hashPart(n + 1000)}-glibc-2.39`],
    createdAt: 5000,
    lastAccessedAt: 6000,
    ...overrides,
  };
  return record;
}

export function cachePathTests(storeTest: StoreTest): void {
  void describe('cache paths', () => {
    storeTest('putPath then getPath returns every field', async ({ store }) => {
      await createCache(store, 'main');
      const object = cacheObject('main', 1);
      const leaf = cacheObject('main', 2, { references: [] });
      await store.caches.putPath(object);
      await store.caches.putPath(leaf);
      assert.deepEqual(await store.caches.getPath('main', object.storePathHash), object);
      assert.deepEqual(await store.caches.getPath('main', leaf.storePathHash), leaf);
      assert.equal(await store.caches.getPath('main', hashPart(3)), undefined);
    });

    storeTest('paths belong to one cache', async ({ store }) => {
      await createCache(store, 'main');
      await createCache(store, 'other');
      const object = cacheObject('main', 1);
      await store.caches.putPath(object);
      assert.equal(await store.caches.getPath('other', object.storePathHash), undefined);
      assert.deepEqual(await store.caches.missingPaths('other', [object.storePathHash]), [
        object.storePathHash,
      ]);
      assert.equal(await store.caches.deletePath('other', object.storePathHash), false);
      assert.deepEqual(await store.caches.getPath('main', object.storePathHash), object);
    });

    storeTest('putPath again replaces the record', async ({ store }) => {
      await createCache(store, 'main');
      await store.caches.putPath(cacheObject('main', 1));
      const replacement = cacheObject('main', 1, {
        fileKey: 'main/nar/new.nar.xz',
        fileSize: 7,
        createdAt: 9000,
      });
      await store.caches.putPath(replacement);
      assert.deepEqual(await store.caches.getPath('main', replacement.storePathHash), replacement);
    });

    storeTest('putPath rejects missing and deleted caches', async ({ store }) => {
      await createCache(store, 'gone');
      await store.caches.markDeleted('gone', 2000);
      await assert.rejects(store.caches.putPath(cacheObject('missing', 1)), kilnError('KILN_ERR_NOT_FOUND'));
      await assert.rejects(store.caches.putPath(cacheObject('gone', 1)), kilnError('KILN_ERR_NOT_FOUND'));
      assert.equal(await store.caches.getPath('gone', hashPart(1)), undefined);
    });

    storeTest('missingPaths keeps the given order and reports each hash once', async ({ store }) => {
      await createCache(store, 'main');
      for (const n of [2, 4]) await store.caches.putPath(cacheObject('main', n));
      const [h1, h2, h3, h4, h5] = [hashPart(1), hashPart(2), hashPart(3), hashPart(4), hashPart(5)];
      assert.deepEqual(await store.caches.missingPaths('main', [h5, h2, h1, h5, h4, h3]), [h5, h1, h3]);
      assert.deepEqual(await store.caches.missingPaths('main', []), []);
      assert.deepEqual(await store.caches.missingPaths('main', [h2, h4]), []);
    });

    storeTest('missingPaths answers for many hashes at once', async ({ store }) => {
      await createCache(store, 'main');
      const held = new Set<string>();
      for (let n = 0; n < 3000; n += 3) {
        await store.caches.putPath(cacheObject('main', n));
        held.add(hashPart(n));
      }
      const asked = Array.from({ length: 3000 }, (_, n) => hashPart(n));
      assert.deepEqual(
        await store.caches.missingPaths('main', asked),
        asked.filter((hash) => !held.has(hash)),
      );
    });

    storeTest('deletePath removes the record once', async ({ store }) => {
      await createCache(store, 'main');
      const object = cacheObject('main', 1);
      await store.caches.putPath(object);
      assert.equal(await store.caches.deletePath('main', object.storePathHash), true);
      assert.equal(await store.caches.deletePath('main', object.storePathHash), false);
      assert.equal(await store.caches.getPath('main', object.storePathHash), undefined);
      assert.deepEqual(await store.caches.missingPaths('main', [object.storePathHash]), [
        object.storePathHash,
      ]);
    });
  });
}
