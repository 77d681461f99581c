import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { BuildImage, BuildPatch, NewBuild, Store } from '../../src/persistence/types.js';
import { newBuild } from './harness.js';
import type { StoreTest } from './harness.js';

const NOW = 100_000;

function image(name: string, size: number, bytesUploaded: number): BuildImage {
  const digest = `sha256:${Buffer.from(name).toString('hex').padEnd(64, '0').slice(0, 64)}`;
  return {
    ref: `127.0.0.1:5000/${name}:v1`,
    digest,
    tags: ['v1'],
    layers: [{ digest, size }],
    size,
    bytesUploaded,
    pushDurationMs: 10,
  };
}

/** Inserts each build, applies its patch, and returns the ids in order. */
async function seed(store: Store, builds: readonly [Partial<NewBuild>, BuildPatch][]): Promise<string[]> {
  const ids: string[] = [];
  for (const [fields, patch] of builds) {
    const inserted = await store.builds.insert(newBuild({ createdAt: 60_000, ...fields }));
    await store.builds.update(inserted.id, patch);
    ids.push(inserted.id);
  }
  return ids;
}

const succeeded = (finishedAt: number, pushed: BuildImage | null): BuildPatch => ({
  status: 'succeeded',
  finishedAt,
  image: pushed,
});

export function imageStatsTests(storeTest: StoreTest): void {
  void describe('builds: image statistics', () => {
    storeTest(
      'averages image size and bytes uploaded over succeeded builds with an image',
      async ({ store }) => {
        await seed(store, [
          [{ serviceId: 'web' }, succeeded(61_000, image('web', 1000, 400))],
          [{ serviceId: 'web' }, succeeded(62_000, image('web', 3000, 0))],
          // No image: neither a zero nor counted.
          [{ serviceId: 'web' }, succeeded(63_000, null)],
          // The build failed after its push (e.g. the deploy step): not counted.
          [
            { serviceId: 'web' },
            { status: 'failed', finishedAt: 64_000, image: image('web', 90_000, 90_000) },
          ],
          [{ serviceId: 'api' }, succeeded(65_000, image('api', 10_000, 10_000))],
        ]);
        const web = await store.builds.aggregate({ now: NOW, serviceId: 'web' });
        assert.equal(web.averageImageSize, 2000);
        assert.equal(web.averageImageBytesUploaded, 200);
        assert.equal(web.succeeded, 3);
        const all = await store.builds.aggregate({ now: NOW });
        assert.equal(all.averageImageSize, 14_000 / 3);
        assert.equal(all.averageImageBytesUploaded, 10_400 / 3);
      },
    );

    storeTest('image averages are null when no succeeded build pushed an image', async ({ store }) => {
      await seed(store, [
        [{}, succeeded(61_000, null)],
        [{}, { status: 'failed', finishedAt: 62_000, image: image('app', 10, 10) }],
      ]);
      const aggregate = await store.builds.aggregate({ now: NOW });
      assert.equal(aggregate.averageImageSize, null);
      assert.equal(aggregate.averageImageBytesUploaded, null);
      assert.equal(await store.builds.newestSucceededWithImage({}), undefined);
    });

    storeTest('the newest succeeded build with an image, per service', async ({ store }) => {
      const [webOld, webNew, , , api] = await seed(store, [
        [{ serviceId: 'web' }, succeeded(61_000, image('web-old', 1, 1))],
        [{ serviceId: 'web' }, succeeded(63_000, image('web-new', 1, 1))],
        // Newer, but without an image, or failed with one: neither is a good image.
        [{ serviceId: 'web' }, succeeded(64_000, null)],
        [{ serviceId: 'web' }, { status: 'failed', finishedAt: 65_000, image: image('web-bad', 1, 1) }],
        [{ serviceId: 'api' }, succeeded(62_000, image('api', 1, 1))],
        // Still running, with no verdict yet.
        [{ serviceId: 'api' }, { status: 'running', image: image('api-running', 1, 1) }],
      ]);
      const web = await store.builds.newestSucceededWithImage({ serviceId: 'web' });
      assert.equal(web?.id, webNew);
      assert.equal(web?.image?.ref, '127.0.0.1:5000/web-new:v1');
      assert.notEqual(web?.id, webOld);
      assert.equal((await store.builds.newestSucceededWithImage({ serviceId: 'api' }))?.id, api);
      assert.equal((await store.builds.newestSucceededWithImage({}))?.id, webNew);
      assert.equal(await store.builds.newestSucceededWithImage({ serviceId: 'nobody' }), undefined);
    });

    // With several workers a build submitted later can finish first; the registry's tag moved with
    // the push that happened last.
    storeTest('newest means finished last, whatever the submission order', async ({ store }) => {
      const [early, late] = await seed(store, [
        [{}, succeeded(70_000, image('slow', 1, 1))],
        [{}, succeeded(65_000, image('quick', 1, 1))],
      ]);
      assert.equal((await store.builds.newestSucceededWithImage({}))?.id, early);
      assert.notEqual(early, late);
    });

    storeTest('label and since narrow the scope as they do for aggregate', async ({ store }) => {
      const [core, , older] = await seed(store, [
        [{ labels: { team: 'core' } }, succeeded(61_000, image('core', 100, 50))],
        [{ labels: { team: 'web' } }, succeeded(62_000, image('web', 300, 150))],
        [{ labels: { team: 'core' }, createdAt: 40_000 }, succeeded(63_000, image('core-old', 500, 250))],
      ]);
      const label = { key: 'team', value: 'core' };
      assert.equal((await store.builds.newestSucceededWithImage({ label }))?.id, older);
      assert.equal((await store.builds.newestSucceededWithImage({ label, since: 50_000 }))?.id, core);
      assert.equal(
        await store.builds.newestSucceededWithImage({ label: { key: 'team', value: 'ops' } }),
        undefined,
      );
      const aggregate = await store.builds.aggregate({ now: NOW, since: 50_000, label });
      assert.equal(aggregate.averageImageSize, 100);
      assert.equal(aggregate.averageImageBytesUploaded, 50);
      const both = await store.builds.aggregate({ now: NOW, label });
      assert.equal(both.averageImageSize, 300);
      assert.equal(both.averageImageBytesUploaded, 150);
    });
  });
}
