import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { VersionSyncRecord } from '../../src/persistence/types.js';
import type { StoreTest } from './harness.js';

function sync(overrides: Partial<VersionSyncRecord> = {}): VersionSyncRecord {
  return {
    name: 'hello',
    repository: 'https://git.example/acme/packages.git',
    ref: 'main',
    file: 'pkgs/hello/package.nix',
    entry: 'default.nix',
    attr: 'hello',
    verify: 'result/bin/hello --version ✓',
    systems: ['x86_64-linux', 'aarch64-linux'],
    branch: 'bump/{name}-{version}',
    tagPattern: '^release-(\\d.*)$',
    token: 'sealed-token',
    webhookSecret: 'sealed-secret',
    createdAt: 1_700_000_000_000,
    ...overrides,
  };
}

/** Every optional field left out. */
const bare: Partial<VersionSyncRecord> = {
  ref: null,
  entry: null,
  attr: null,
  verify: null,
  systems: [],
  branch: null,
  tagPattern: null,
  token: null,
  webhookSecret: null,
};

export function versionSyncTests(storeTest: StoreTest): void {
  void describe('version syncs', () => {
    storeTest(
      'insert then get returns every field, set or null; unknown names are undefined',
      async ({ store }) => {
        const full = sync();
        const plain = sync({ name: 'plain', ...bare });
        assert.equal(await store.versionSyncs.insert(full), true);
        assert.equal(await store.versionSyncs.insert(plain), true);
        assert.deepEqual(await store.versionSyncs.get('hello'), full);
        assert.deepEqual(await store.versionSyncs.get('plain'), plain);
        assert.equal(await store.versionSyncs.get('other'), undefined);
      },
    );

    storeTest('names are unique: a second insert reports false and changes nothing', async ({ store }) => {
      const first = sync();
      await store.versionSyncs.insert(first);
      assert.equal(
        await store.versionSyncs.insert(sync({ repository: 'https://evil.example/x.git' })),
        false,
      );
      assert.deepEqual(await store.versionSyncs.list(), [first]);
    });

    storeTest('list is by name; remove deletes one and reports whether it existed', async ({ store }) => {
      assert.deepEqual(await store.versionSyncs.list(), []);
      for (const name of ['web', 'api', 'cli']) await store.versionSyncs.insert(sync({ name }));
      assert.deepEqual(
        (await store.versionSyncs.list()).map((s) => s.name),
        ['api', 'cli', 'web'],
      );
      assert.equal(await store.versionSyncs.remove('cli'), true);
      assert.equal(await store.versionSyncs.remove('cli'), false);
      assert.deepEqual(
        (await store.versionSyncs.list()).map((s) => s.name),
        ['api', 'web'],
      );
    });

    storeTest('a delivery id is accepted once per sync; unknown syncs accept none', async ({ store }) => {
      await store.versionSyncs.insert(sync({ name: 'a' }));
      await store.versionSyncs.insert(sync({ name: 'b' }));
      assert.equal(await store.versionSyncs.recordDelivery('a', 'd-1', 1, 100), true);
      assert.equal(await store.versionSyncs.recordDelivery('a', 'd-1', 2, 100), false, 'a replay');
      assert.equal(await store.versionSyncs.recordDelivery('b', 'd-1', 3, 100), true, 'another sync');
      assert.equal(await store.versionSyncs.recordDelivery('nope', 'd-2', 4, 100), false);
    });

    storeTest('only the newest `keep` delivery ids are kept', async ({ store }) => {
      await store.versionSyncs.insert(sync());
      for (let i = 1; i <= 5; i++)
        assert.equal(await store.versionSyncs.recordDelivery('hello', `d-${i}`, i, 3), true);
      // d-1 and d-2 were pruned: they count as new again; d-5 is still known.
      assert.equal(await store.versionSyncs.recordDelivery('hello', 'd-5', 6, 3), false);
      assert.equal(await store.versionSyncs.recordDelivery('hello', 'd-1', 7, 3), true);
    });

    storeTest(
      'removing a sync forgets its deliveries; a new sync of that name starts afresh',
      async ({ store }) => {
        await store.versionSyncs.insert(sync());
        await store.versionSyncs.recordDelivery('hello', 'd-1', 1, 100);
        await store.versionSyncs.remove('hello');
        await store.versionSyncs.insert(sync());
        assert.equal(await store.versionSyncs.recordDelivery('hello', 'd-1', 2, 100), true);
      },
    );

    storeTest('syncs and deliveries survive reopening the store', async ({ store, open }) => {
      const stored = sync();
      await store.versionSyncs.insert(stored);
      await store.versionSyncs.recordDelivery('hello', 'd-1', 1, 100);
      const again = await open();
      assert.deepEqual(await again.versionSyncs.get('hello'), stored);
      assert.equal(await again.versionSyncs.recordDelivery('hello', 'd-1', 2, 100), false);
    });
  });
}
