import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { TemplateRecord } from '../../src/persistence/types.js';
import type { StoreTest } from './harness.js';

function template(overrides: Partial<TemplateRecord> = {}): TemplateRecord {
  const name = overrides.name ?? 'site';
  const version = overrides.version ?? '1.0.0';
  return {
    name,
    version,
    description: `the ${name} template ✓`,
    definition: JSON.stringify({ name, version, expression: '{ x }: x', quote: 'a "b" ${c}' }),
    createdAt: 1_700_000_000_000,
    ...overrides,
  };
}

export function templateTests(storeTest: StoreTest): void {
  void describe('templates', () => {
    storeTest(
      'insert then get returns every field; unknown names and versions are undefined',
      async ({ store }) => {
        const site = template();
        assert.equal(await store.templates.insert(site), true);
        assert.deepEqual(await store.templates.get('site', '1.0.0'), site);
        assert.deepEqual(await store.templates.get('site'), site);
        assert.equal(await store.templates.get('site', '2.0.0'), undefined);
        assert.equal(await store.templates.get('other'), undefined);
      },
    );

    storeTest(
      'name and version are unique: a second insert reports false and changes nothing',
      async ({ store }) => {
        const first = template();
        await store.templates.insert(first);
        assert.equal(
          await store.templates.insert(template({ description: 'impostor', createdAt: 5 })),
          false,
        );
        assert.deepEqual(await store.templates.list(), [first]);
        // The same version under another name is a different template.
        assert.equal(await store.templates.insert(template({ name: 'other' })), true);
      },
    );

    storeTest('get without a version returns the most recently inserted version', async ({ store }) => {
      await store.templates.insert(template({ version: '1.0.0', createdAt: 1 }));
      await store.templates.insert(template({ version: '1.2.0', createdAt: 2 }));
      await store.templates.insert(template({ name: 'zz', version: '9.0.0', createdAt: 3 }));
      assert.equal((await store.templates.get('site'))?.version, '1.2.0');
      assert.equal((await store.templates.get('site', '1.0.0'))?.createdAt, 1);
    });

    storeTest('list returns every version, by name, oldest insertion first', async ({ store }) => {
      assert.deepEqual(await store.templates.list(), []);
      const rows = [
        template({ name: 'web', version: '1' }),
        template({ name: 'api', version: '2' }),
        template({ name: 'web', version: '2' }),
        template({ name: 'api', version: '3' }),
      ];
      for (const row of rows) await store.templates.insert(row);
      assert.deepEqual(
        (await store.templates.list()).map((t) => `${t.name}@${t.version}`),
        ['api@2', 'api@3', 'web@1', 'web@2'],
      );
    });

    storeTest('remove one version, then all versions of a name', async ({ store }) => {
      for (const version of ['1', '2', '3']) await store.templates.insert(template({ version }));
      await store.templates.insert(template({ name: 'keep' }));
      assert.equal(await store.templates.remove('site', '3'), 1);
      assert.equal((await store.templates.get('site'))?.version, '2');
      assert.equal(await store.templates.remove('site', '3'), 0);
      assert.equal(await store.templates.remove('site'), 2);
      assert.equal(await store.templates.get('site'), undefined);
      assert.equal(await store.templates.remove('site'), 0);
      assert.deepEqual(
        (await store.templates.list()).map((t) => t.name),
        ['keep'],
      );
      // A removed version may be added again.
      assert.equal(await store.templates.insert(template({ version: '1' })), true);
    });

    storeTest('templates survive reopening the store', async ({ store, open }) => {
      const site = template();
      await store.templates.insert(site);
      const again = await open();
      assert.deepEqual(await again.templates.get('site'), site);
    });
  });
}
