import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { isKilnError } from '../../src/errors/index.js';
import { baseName, cacheObject, hashPart, narHash, narRecord, putObject } from './cache-fixtures.js';
import { createCache, kilnError } from './caches.js';
import type { StoreTest } from './harness.js';

/** `assert.rejects` matcher for KILN_ERR_VALIDATION carrying exactly `details[key]`. */
function validationWith(key: string, value: unknown) {
  return (error: unknown) => {
    assert.ok(isKilnError(error), 'a KilnError');
    assert.equal(error.code, 'KILN_ERR_VALIDATION');
    assert.deepEqual(error.details?.[key], value);
    return true;
  };
}

export function cachePathTests(storeTest: StoreTest): void {
  void describe('cache paths', () => {
    storeTest('putPath then getPath returns every field, joined with its NAR', async ({ store }) => {
      await createCache(store, 'main');
      const leaf = await putObject(store, 'main', 2, [], { deriver: null, ca: 'fixed:r:sha256:abc' });
      // References keep the order given; a path may reference itself.
      const object = await putObject(store, 'main', 1, [1, 2], { signatures: ['a-1:AAAA', 'b-1:BBBB'] });
      assert.deepEqual(await store.caches.getPath('main', object.storePathHash), {
        ...object,
        nar: narRecord(1),
      });
      assert.deepEqual(object.references, [baseName(1), baseName(2)]);
      assert.deepEqual(await store.caches.getPath('main', leaf.storePathHash), {
        ...leaf,
        nar: narRecord(2),
      });
      assert.equal(await store.caches.getPath('main', hashPart(3)), undefined);
      assert.equal(await store.caches.getPath('missing', object.storePathHash), undefined);
    });

    storeTest('paths belong to one cache; NARs are shared', async ({ store }) => {
      await createCache(store, 'main');
      await createCache(store, 'other');
      const object = await putObject(store, 'main', 1);
      assert.equal(await store.caches.getPath('other', object.storePathHash), undefined);
      assert.deepEqual(await store.caches.missingPaths('other', [object.storePathHash]), [
        object.storePathHash,
      ]);
      assert.deepEqual(await store.caches.deletePaths('other', [object.storePathHash]), []);
      assert.deepEqual(await store.caches.listPaths('other'), []);
      assert.equal(await store.caches.cacheHasNar('other', object.narHash), false);
      // Another cache can hold the same path with the NAR already stored.
      const copy = cacheObject('other', 1, { signatures: [] });
      await store.caches.putPath(copy);
      assert.deepEqual(await store.caches.getPath('other', copy.storePathHash), {
        ...copy,
        nar: narRecord(1),
      });
      assert.deepEqual(await store.caches.getPath('main', object.storePathHash), {
        ...object,
        nar: narRecord(1),
      });
    });

    storeTest('putPath again replaces the record, keeping its pin', async ({ store }) => {
      await createCache(store, 'main');
      await putObject(store, 'main', 1);
      await putObject(store, 'main', 3);
      await store.caches.pin('main', hashPart(1), 7000);
      await store.caches.putNar(narRecord(2));
      const replacement = cacheObject('main', 1, {
        narHash: narHash(2),
        narSize: 1002,
        references: [baseName(3)],
        deriver: null,
        ca: 'text:sha256:xyz',
        signatures: [],
        createdAt: 9000,
        lastAccessedAt: 9500,
      });
      await store.caches.putPath(replacement);
      assert.deepEqual(await store.caches.getPath('main', hashPart(1)), {
        ...replacement,
        nar: narRecord(2),
      });
      assert.deepEqual(
        (await store.caches.pins('main')).map((pin) => [pin.storePathHash, pin.createdAt]),
        [[hashPart(1), 7000]],
      );
      // The new reference protects path 3 (and the old NAR is no longer pointed to).
      assert.deepEqual(await store.caches.deletePaths('main', [hashPart(3)]), []);
      assert.equal(await store.caches.cacheHasNar('main', narHash(1)), false);
    });

    storeTest('putPath rejects missing and deleted caches with not found', async ({ store }) => {
      await createCache(store, 'gone');
      await store.caches.markDeleted('gone', 2000);
      await store.caches.putNar(narRecord(1));
      await assert.rejects(store.caches.putPath(cacheObject('missing', 1)), kilnError('KILN_ERR_NOT_FOUND'));
      await assert.rejects(store.caches.putPath(cacheObject('gone', 1)), kilnError('KILN_ERR_NOT_FOUND'));
      assert.equal(await store.caches.getPath('gone', hashPart(1)), undefined);
    });

    storeTest('putPath rejects a NAR that was not recorded, naming it', async ({ store }) => {
      await createCache(store, 'main');
      await assert.rejects(
        store.caches.putPath(cacheObject('main', 1)),
        validationWith('narHash', narHash(1)),
      );
      assert.equal(await store.caches.getPath('main', hashPart(1)), undefined);
      assert.deepEqual(await store.caches.listPaths('main'), []);
    });

    storeTest('putPath rejects references the cache does not hold, naming each once', async ({ store }) => {
      await createCache(store, 'main');
      await createCache(store, 'other');
      await putObject(store, 'main', 2);
      // Held by another cache only: still missing here.
      await putObject(store, 'other', 3);
      await store.caches.putNar(narRecord(1));
      const references = [
        baseName(4),
        baseName(1),
        baseName(2),
        baseName(3),
        baseName(4),
        'not-a-store-path',
      ];
      await assert.rejects(
        store.caches.putPath(cacheObject('main', 1, { references })),
        validationWith('missing', [baseName(4), baseName(3), 'not-a-store-path']),
      );
      assert.equal(await store.caches.getPath('main', hashPart(1)), undefined, 'nothing recorded');
      // Once the references are there, the same path goes in; the self-reference never counts.
      await putObject(store, 'main', 3);
      await putObject(store, 'main', 4);
      const object = cacheObject('main', 1, { references: references.slice(0, 5) });
      await store.caches.putPath(object);
      assert.deepEqual((await store.caches.getPath('main', hashPart(1)))?.references, references.slice(0, 5));
    });

    storeTest('missingPaths keeps the given order and reports each hash once', async ({ store }) => {
      await createCache(store, 'main');
      for (const n of [2, 4]) await putObject(store, 'main', n);
      const [h1, h2, h3, h4, h5] = [hashPart(1), hashPart(2), hashPart(3), hashPart(4), hashPart(5)];
      assert.deepEqual(await store.caches.missingPaths('main', [h5, h2, h1, h5, h4, h3]), [h5, h1, h3]);
      assert.deepEqual(await store.caches.missingPaths('main', []), []);
      assert.deepEqual(await store.caches.missingPaths('main', [h2, h4]), []);
      assert.deepEqual(await store.caches.missingPaths('missing', [h2]), [h2]);
    });

    storeTest('missingPaths answers for many hashes at once', async ({ store }) => {
      await createCache(store, 'main');
      const held = new Set<string>();
      for (let n = 0; n < 3000; n += 3) {
        await putObject(store, 'main', n);
        held.add(hashPart(n));
      }
      const asked = Array.from({ length: 3000 }, (_, n) => hashPart(n));
      assert.deepEqual(
        await store.caches.missingPaths('main', asked),
        asked.filter((hash) => !held.has(hash)),
      );
    });

    storeTest('setSignatures replaces the signatures of a held path only', async ({ store }) => {
      await createCache(store, 'main');
      await createCache(store, 'other');
      const object = await putObject(store, 'main', 1, [], { signatures: ['a-1:AAAA'] });
      await putObject(store, 'other', 1, [], { signatures: ['a-1:AAAA'] });
      assert.equal(
        await store.caches.setSignatures('main', object.storePathHash, ['a-1:AAAA', 'main-2:CCCC']),
        true,
      );
      assert.deepEqual((await store.caches.getPath('main', object.storePathHash))?.signatures, [
        'a-1:AAAA',
        'main-2:CCCC',
      ]);
      assert.deepEqual((await store.caches.getPath('other', object.storePathHash))?.signatures, ['a-1:AAAA']);
      assert.equal(await store.caches.setSignatures('main', hashPart(2), ['x-1:AAAA']), false);
      assert.deepEqual(await store.caches.missingPaths('main', [hashPart(2)]), [hashPart(2)], 'not created');
    });

    storeTest('touchPaths sets lastAccessedAt of the given paths only', async ({ store }) => {
      await createCache(store, 'main');
      await createCache(store, 'other');
      for (const n of [1, 2, 3]) await putObject(store, 'main', n);
      await putObject(store, 'other', 1);
      await store.caches.touchPaths('main', [hashPart(1), hashPart(3), hashPart(9), hashPart(1)], 8000);
      const accessed = async (cache: string, n: number) =>
        (await store.caches.getPath(cache, hashPart(n)))?.lastAccessedAt;
      assert.equal(await accessed('main', 1), 8000);
      assert.equal(await accessed('main', 2), 6000);
      assert.equal(await accessed('main', 3), 8000);
      assert.equal(await accessed('other', 1), 6000);
      assert.deepEqual(await store.caches.missingPaths('main', [hashPart(9)]), [hashPart(9)], 'not created');
      await store.caches.touchPaths('main', [], 9000);
      await store.caches.touchPaths('missing', [hashPart(1)], 9000);
    });

    storeTest('listPaths summarises every path of the cache by hash', async ({ store }) => {
      await createCache(store, 'main');
      await putObject(store, 'main', 7);
      await putObject(store, 'main', 3, [7]);
      await putObject(store, 'main', 5, [5, 3], { lastAccessedAt: 6500 });
      const summary = (n: number, references: number[], lastAccessedAt = 6000) => ({
        storePathHash: hashPart(n),
        storePath: `/nix/store/${baseName(n)}`,
        narHash: narHash(n),
        narSize: 1000 + n,
        fileSize: 500 + n,
        references: references.map(baseName),
        createdAt: 5000,
        lastAccessedAt,
      });
      assert.deepEqual(await store.caches.listPaths('main'), [
        summary(3, [7]),
        summary(5, [5, 3], 6500),
        summary(7, []),
      ]);
      assert.deepEqual(await store.caches.listPaths('missing'), []);
    });

    storeTest(
      'closing and reopening keeps paths, NARs, aliases, pins and counters',
      async ({ store, open }) => {
        await createCache(store, 'main');
        const object = await putObject(store, 'main', 1);
        await store.caches.putNar(narRecord(1, { fileKey: 'nar/alias.nar.xz' }));
        await store.caches.pin('main', object.storePathHash, 7000);
        await store.caches.addStats('main', { uploads: 1 });
        await store.close();
        const reopened = await open();
        assert.deepEqual(await reopened.caches.getPath('main', object.storePathHash), {
          ...object,
          nar: narRecord(1),
        });
        assert.deepEqual(await reopened.caches.getNarByFileKey('nar/alias.nar.xz'), narRecord(1));
        assert.equal((await reopened.caches.pins('main')).length, 1);
        assert.equal((await reopened.caches.counters('main')).uploads, 1);
      },
    );
  });
}
