import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { ProjectRecord } from '../../src/persistence/types.js';
import type { StoreTest } from './harness.js';

function project(overrides: Partial<ProjectRecord> = {}): ProjectRecord {
  return {
    name: 'web',
    repoUrl: 'https://git.example.com/team/web.git',
    branches: ['main', 'release/*'],
    tags: ['v*'],
    build: { kind: 'flake', outputs: ['packages', 'checks'] },
    systems: ['x86_64-linux', 'i686-linux'],
    pushCache: 'main',
    imageRepo: 'registry.example.com/web',
    deployHook: null,
    concurrency: { group: '{project}/{branch}', mode: 'replace', cancelInProgress: true },
    notify: {
      url: 'https://hooks.example.com/kiln',
      commitStatus: { forge: 'gitea', apiUrl: 'https://git.example.com/api/v1' },
    },
    timeoutSeconds: 900,
    secrets: 'sealed:abc',
    createdAt: 1_000,
    updatedAt: 1_000,
    ...overrides,
  };
}

export function projectTests(storeTest: StoreTest): void {
  void describe('projects', () => {
    storeTest('insert, get, list, update and delete', async ({ store }) => {
      assert.equal(await store.projects.insert(project()), true);
      assert.equal(await store.projects.insert(project({ repoUrl: 'https://other' })), false);
      assert.deepEqual(await store.projects.get('web'), project());
      const api = project({
        name: 'api',
        build: { kind: 'attrs', attrs: ['hello'] },
        secrets: null,
        notify: { url: null, commitStatus: null },
      });
      await store.projects.insert(api);
      assert.deepEqual(
        (await store.projects.list()).map((p) => p.name),
        ['api', 'web'],
      );
      const changed = project({
        branches: ['*'],
        updatedAt: 2_000,
        build: { kind: 'template', name: 'go', values: { a: 'b' } },
      });
      assert.equal(await store.projects.update(changed), true);
      assert.deepEqual(await store.projects.get('web'), changed);
      assert.equal(await store.projects.update(project({ name: 'nope' })), false);
      assert.equal(await store.projects.delete('web'), true);
      assert.equal(await store.projects.delete('web'), false);
      assert.equal(await store.projects.get('web'), undefined);
    });

    storeTest(
      'deliveries: a replay is recognised; old ids are pruned; unknown projects record nothing',
      async ({ store }) => {
        await store.projects.insert(project());
        assert.equal(await store.projects.recordDelivery('web', 'd1', 1, 2), true);
        assert.equal(await store.projects.recordDelivery('web', 'd1', 2, 2), false);
        assert.equal(await store.projects.recordDelivery('web', 'd2', 3, 2), true);
        assert.equal(await store.projects.recordDelivery('web', 'd3', 4, 2), true);
        assert.equal(await store.projects.recordDelivery('web', 'd1', 5, 2), true, 'd1 was pruned');
        assert.equal(await store.projects.recordDelivery('nope', 'd1', 6, 2), false);
      },
    );
  });
}
