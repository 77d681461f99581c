import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { isKilnError } from '../../src/errors/index.js';
import type { ErrorCode } from '../../src/errors/index.js';
import type { CacheKeyRecord, NewCache, Store, TokenRecord } from '../../src/persistence/types.js';
import type { StoreTest } from './harness.js';

export function newCache(overrides: Partial<NewCache> = {}): NewCache {
  return { name: 'main', private: false, priority: 40, retentionDays: null, createdAt: 1000, ...overrides };
}

export function cacheKey(
  cacheName: string,
  n: number,
  overrides: Partial<CacheKeyRecord> = {},
): CacheKeyRecord {
  const keyName = `${cacheName}-${n}`;
  return {
    cacheName,
    keyName,
    publicKey: `${keyName}:${Buffer.alloc(32, n).toString('base64')}`,
    secretKeyCiphertext: `v1:ciphertext-${keyName}-✓`,
    createdAt: 1000,
    activatedAt: 1000,
    retiresAt: null,
    ...overrides,
  };
}

/** Creates `name` with key `name-1`; returns that key. */
export async function createCache(store: Store, name: string, cache: Partial<NewCache> = {}) {
  const key = cacheKey(name, 1);
  await store.caches.create(newCache({ name, ...cache }), key);
  return key;
}

/** `assert.rejects` matcher for a KilnError with `code`. */
export function kilnError(code: ErrorCode) {
  return (error: unknown) => isKilnError(error) && error.code === code;
}

export function cacheTests(storeTest: StoreTest): void {
  void describe('caches', () => {
    storeTest('create stores the cache and its first key; get and list return them', async ({ store }) => {
      const key = cacheKey('main', 1);
      const created = await store.caches.create(newCache(), key);
      assert.deepEqual(created, { ...newCache(), deletedAt: null });
      assert.deepEqual(await store.caches.get('main'), created);
      assert.deepEqual(await store.caches.keys('main'), [key]);
      const secret = await store.caches.create(newCache({ name: 'Secret', private: true, priority: 10 }), {
        ...cacheKey('Secret', 1),
        retiresAt: 9000,
      });
      assert.equal(secret.private, true);
      assert.deepEqual(await store.caches.list(), [secret, created], 'by name, exactly (upper case first)');
      assert.equal(await store.caches.get('missing'), undefined);
    });

    storeTest('names are case-sensitive', async ({ store }) => {
      await createCache(store, 'main');
      await createCache(store, 'Main');
      assert.deepEqual((await store.caches.list()).map((cache) => cache.name).sort(), ['Main', 'main']);
      assert.equal(await store.caches.get('MAIN'), undefined);
    });

    storeTest('a second create of a name conflicts and leaves the first untouched', async ({ store }) => {
      const key = await createCache(store, 'main');
      const before = await store.caches.get('main');
      await assert.rejects(
        store.caches.create(newCache({ private: true, priority: 1, createdAt: 5 }), cacheKey('main', 2)),
        kilnError('KILN_ERR_CONFLICT'),
      );
      assert.deepEqual(await store.caches.get('main'), before);
      assert.deepEqual(await store.caches.keys('main'), [key], 'the second key was not added');
    });

    storeTest('create is all or nothing: a taken key name leaves no cache behind', async ({ store }) => {
      const key = await createCache(store, 'main');
      await assert.rejects(
        store.caches.create(newCache({ name: 'other' }), { ...cacheKey('other', 1), keyName: key.keyName }),
        kilnError('KILN_ERR_CONFLICT'),
      );
      assert.equal(await store.caches.get('other'), undefined);
      assert.deepEqual(await store.caches.keys('other'), []);
      assert.deepEqual(await store.caches.keys('main'), [key]);
      // The name is still free afterwards.
      await createCache(store, 'other');
    });

    storeTest('create rejects a first key that belongs to another cache', async ({ store }) => {
      await assert.rejects(
        store.caches.create(newCache({ name: 'main' }), cacheKey('other', 1)),
        kilnError('KILN_ERR_VALIDATION'),
      );
      assert.deepEqual(await store.caches.list(), []);
    });

    storeTest(
      'create stores the retention; setRetention changes it on live caches only',
      async ({ store }) => {
        await createCache(store, 'main', { retentionDays: 30 });
        assert.equal((await store.caches.get('main'))?.retentionDays, 30);
        assert.equal(await store.caches.setRetention('main', 7), true);
        assert.deepEqual(await store.caches.get('main'), {
          ...newCache({ retentionDays: 7 }),
          deletedAt: null,
        });
        assert.equal(await store.caches.setRetention('main', null), true);
        assert.equal((await store.caches.get('main'))?.retentionDays, null, 'null keeps paths forever');
        assert.equal(await store.caches.setRetention('missing', 7), false);
        await createCache(store, 'gone', { retentionDays: 3 });
        await store.caches.markDeleted('gone', 2000);
        assert.equal(await store.caches.setRetention('gone', 9), false);
        assert.equal((await store.caches.get('gone'))?.retentionDays, 3, 'a deleted cache keeps its record');
      },
    );

    storeTest('markDeleted keeps the record, the first time and the name', async ({ store }) => {
      await createCache(store, 'main');
      assert.equal(await store.caches.markDeleted('main', 7000), true);
      assert.equal(await store.caches.markDeleted('main', 8000), false);
      assert.equal(await store.caches.markDeleted('missing', 8000), false);
      assert.deepEqual(await store.caches.get('main'), { ...newCache(), deletedAt: 7000 });
      assert.deepEqual(await store.caches.list(), [{ ...newCache(), deletedAt: 7000 }]);
      await assert.rejects(createCache(store, 'main'), kilnError('KILN_ERR_CONFLICT'));
    });
  });

  void describe('cache signing keys', () => {
    storeTest('addKey adds keys; keys lists them by activation time', async ({ store }) => {
      const first = await createCache(store, 'main');
      const third = cacheKey('main', 3, { activatedAt: 1500, createdAt: 1400 });
      const second = cacheKey('main', 2, { activatedAt: 5000, createdAt: 1200, retiresAt: 90_000 });
      await store.caches.addKey(second);
      await store.caches.addKey(third);
      assert.deepEqual(await store.caches.keys('main'), [first, third, second]);
      assert.deepEqual(await store.caches.keys('missing'), []);
    });

    storeTest('addKey rejects missing and deleted caches and taken key names', async ({ store }) => {
      const key = await createCache(store, 'main');
      await createCache(store, 'gone');
      await store.caches.markDeleted('gone', 2000);
      await assert.rejects(store.caches.addKey(cacheKey('missing', 1)), kilnError('KILN_ERR_NOT_FOUND'));
      await assert.rejects(store.caches.addKey(cacheKey('gone', 2)), kilnError('KILN_ERR_NOT_FOUND'));
      await assert.rejects(store.caches.addKey(key), kilnError('KILN_ERR_CONFLICT'));
      // Key names are unique across caches: Nix trusts one key per name.
      await createCache(store, 'other');
      await assert.rejects(
        store.caches.addKey({ ...cacheKey('other', 2), keyName: key.keyName }),
        kilnError('KILN_ERR_CONFLICT'),
      );
      assert.deepEqual(await store.caches.keys('main'), [key]);
      assert.equal((await store.caches.keys('other')).length, 1);
    });

    storeTest('signingKeys are the keys active at now, bounds included as specified', async ({ store }) => {
      const old = await createCache(store, 'main');
      const next = cacheKey('main', 2, { activatedAt: 2000 });
      await store.caches.addKey(next);
      const names = async (now: number) =>
        (await store.caches.signingKeys('main', now)).map((key) => key.keyName);
      assert.deepEqual(await names(999), []);
      assert.deepEqual(await names(1000), ['main-1'], 'activatedAt <= now');
      assert.deepEqual(await names(2000), ['main-1', 'main-2']);
      // Rotation with an overlap: the old key keeps signing until it retires.
      assert.deepEqual(await store.caches.retireKey('main', old.keyName, 3000), { ...old, retiresAt: 3000 });
      assert.deepEqual(await names(2999), ['main-1', 'main-2']);
      assert.deepEqual(await names(3000), ['main-2'], 'retiresAt > now');
      assert.deepEqual(await store.caches.signingKeys('main', 3000), [next]);
      assert.deepEqual(await names(100_000), ['main-2']);
      assert.deepEqual(await store.caches.signingKeys('missing', 3000), []);
    });

    storeTest('a deleted cache has no signing keys but keeps its keys', async ({ store }) => {
      const key = await createCache(store, 'main');
      await store.caches.markDeleted('main', 1500);
      assert.deepEqual(await store.caches.signingKeys('main', 2000), []);
      assert.deepEqual(await store.caches.keys('main'), [key]);
    });

    storeTest('retireKey only moves the retirement earlier', async ({ store }) => {
      const key = await createCache(store, 'main');
      assert.equal((await store.caches.retireKey('main', key.keyName, 5000))?.retiresAt, 5000);
      assert.equal((await store.caches.retireKey('main', key.keyName, 9000))?.retiresAt, 5000);
      assert.equal((await store.caches.retireKey('main', key.keyName, 4000))?.retiresAt, 4000);
      assert.deepEqual(await store.caches.keys('main'), [{ ...key, retiresAt: 4000 }]);
      assert.equal(await store.caches.retireKey('main', 'main-9', 4000), undefined);
      assert.equal(await store.caches.retireKey('other', key.keyName, 4000), undefined);
    });
  });

  void describe('cache tokens and migrations', () => {
    storeTest('cache-scoped tokens round-trip with their expiry', async ({ store }) => {
      await createCache(store, 'main');
      const tokens: TokenRecord[] = [
        scopedToken('push', 'main', 50_000),
        scopedToken('pull', 'main', null),
        scopedToken('pull', 'Main', 60_000),
      ];
      for (const token of tokens) await store.tokens.insert(token);
      for (const token of tokens)
        assert.deepEqual(await store.tokens.findBySecretHash(token.secretHash), token);
      const listed = (await store.tokens.list()).filter((token) => token.scope !== null);
      assert.deepEqual(listed.map((token) => [token.perm, token.scope, token.expiresAt]).sort(), [
        ['pull', 'Main', 60_000],
        ['pull', 'main', null],
        ['push', 'main', 50_000],
      ]);
    });

    storeTest('migrate() again keeps caches and keys, on this store and another', async ({ store, open }) => {
      const key = await createCache(store, 'main', { private: true });
      await store.migrate();
      const other = await open();
      await other.migrate();
      for (const s of [store, other]) {
        assert.deepEqual(await s.caches.list(), [{ ...newCache({ private: true }), deletedAt: null }]);
        assert.deepEqual(await s.caches.keys('main'), [key]);
      }
      await other.caches.addKey(cacheKey('main', 2));
      assert.equal((await store.caches.keys('main')).length, 2);
    });

    storeTest('closing and reopening keeps caches and keys', async ({ store, open }) => {
      await createCache(store, 'main');
      await createCache(store, 'gone', { private: true });
      await store.caches.addKey(cacheKey('main', 2, { activatedAt: 4000, retiresAt: 8000 }));
      await store.caches.markDeleted('gone', 3000);
      const before = { caches: await store.caches.list(), keys: await store.caches.keys('main') };
      await store.close();
      const reopened = await open();
      assert.deepEqual(
        { caches: await reopened.caches.list(), keys: await reopened.caches.keys('main') },
        before,
      );
    });
  });
}

let tokenCounter = 0;

function scopedToken(perm: 'push' | 'pull', scope: string, expiresAt: number | null): TokenRecord {
  tokenCounter += 1;
  const id = `cache-token-${tokenCounter}`;
  return {
    id,
    secretHash: `${id}-`.padEnd(64, 'c'),
    perm,
    scope,
    description: `${perm} ${scope}`,
    createdAt: 2000,
    expiresAt,
    revokedAt: null,
  };
}
