import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { TokenRecord } from '../../src/persistence/types.js';
import type { StoreTest } from './harness.js';

function token(overrides: Partial<TokenRecord> = {}): TokenRecord {
  const id = overrides.id ?? `tok-${Math.random().toString(36).slice(2, 10)}`;
  return {
    id,
    secretHash: `${id}-`.padEnd(64, 'a'),
    perm: 'admin',
    scope: null,
    description: 'ci token',
    createdAt: 1000,
    expiresAt: null,
    revokedAt: null,
    ...overrides,
  };
}

export function tokenAndSettingsTests(storeTest: StoreTest): void {
  void describe('tokens', () => {
    storeTest('insert then findBySecretHash and get return every field', async ({ store }) => {
      const admin = token({ description: 'the admin ✓' });
      const scoped = token({ perm: 'push', scope: 'cache-main', expiresAt: 99_000, createdAt: 2000 });
      await store.tokens.insert(admin);
      await store.tokens.insert(scoped);
      assert.deepEqual(await store.tokens.findBySecretHash(admin.secretHash), admin);
      assert.deepEqual(await store.tokens.findBySecretHash(scoped.secretHash), scoped);
      assert.equal(await store.tokens.findBySecretHash('f'.repeat(64)), undefined);
      assert.deepEqual(await store.tokens.get(scoped.id), scoped);
      assert.equal(await store.tokens.get('no-such-token'), undefined);
    });

    storeTest('a token inserted as revoked keeps its revocation time', async ({ store }) => {
      const revoked = token({ perm: 'pull', revokedAt: 5000 });
      await store.tokens.insert(revoked);
      assert.deepEqual(await store.tokens.findBySecretHash(revoked.secretHash), revoked);
    });

    storeTest('revoke marks the token once; the lookup still finds it', async ({ store }) => {
      const t = token();
      await store.tokens.insert(t);
      assert.equal(await store.tokens.revoke(t.id, 7000), true);
      assert.deepEqual(await store.tokens.findBySecretHash(t.secretHash), { ...t, revokedAt: 7000 });
      // A second revocation reports false and keeps the first time.
      assert.equal(await store.tokens.revoke(t.id, 8000), false);
      assert.equal((await store.tokens.findBySecretHash(t.secretHash))?.revokedAt, 7000);
      assert.equal(await store.tokens.revoke('no-such-token', 7000), false);
    });

    storeTest('list returns every token', async ({ store }) => {
      assert.deepEqual(await store.tokens.list(), []);
      const tokens = [
        token({ createdAt: 3 }),
        token({ createdAt: 1, perm: 'pull', scope: 's' }),
        token({ createdAt: 2 }),
      ];
      for (const t of tokens) await store.tokens.insert(t);
      const byId = (a: TokenRecord, b: TokenRecord) => a.id.localeCompare(b.id);
      assert.deepEqual((await store.tokens.list()).sort(byId), [...tokens].sort(byId));
    });

    storeTest('ids and secret hashes are unique', async ({ store }) => {
      const t = token();
      await store.tokens.insert(t);
      await assert.rejects(store.tokens.insert(token({ id: t.id })));
      await assert.rejects(store.tokens.insert(token({ secretHash: t.secretHash })));
      assert.deepEqual(await store.tokens.list(), [t]);
    });
  });

  void describe('settings', () => {
    storeTest('get of a missing key is undefined; set then get returns the value', async ({ store }) => {
      assert.equal(await store.settings.get('missing'), undefined);
      await store.settings.set('instance.name', 'kiln ✓');
      await store.settings.set('empty', '');
      assert.equal(await store.settings.get('instance.name'), 'kiln ✓');
      assert.equal(await store.settings.get('empty'), '');
    });

    storeTest('set overwrites and leaves other keys alone', async ({ store }) => {
      await store.settings.set('a', '1');
      await store.settings.set('b', '2');
      await store.settings.set('a', '3');
      assert.equal(await store.settings.get('a'), '3');
      assert.equal(await store.settings.get('b'), '2');
    });

    storeTest('delete removes one key and says whether it was set', async ({ store }) => {
      await store.settings.set('a', '1');
      await store.settings.set('b', '2');
      assert.equal(await store.settings.delete('a'), true);
      assert.equal(await store.settings.delete('a'), false);
      assert.equal(await store.settings.get('a'), undefined);
      assert.equal(await store.settings.get('b'), '2');
    });
  });
}
