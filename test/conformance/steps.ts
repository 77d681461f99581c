import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { insertBuilds, newBuild } from './harness.js';
import type { StoreTest } from './harness.js';

export function stepTests(storeTest: StoreTest): void {
  void describe('steps', () => {
    storeTest('start records a running step, finish completes it', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      await store.steps.start(build.id, 'evaluate', 100);
      assert.deepEqual(await store.steps.list(build.id), [
        {
          buildId: build.id,
          name: 'evaluate',
          startedAt: 100,
          finishedAt: null,
          status: 'running',
          detail: null,
        },
      ]);
      await store.steps.finish(build.id, 'evaluate', 'failed', 250, 'attribute missing: ü');
      assert.deepEqual(await store.steps.list(build.id), [
        {
          buildId: build.id,
          name: 'evaluate',
          startedAt: 100,
          finishedAt: 250,
          status: 'failed',
          detail: 'attribute missing: ü',
        },
      ]);
    });

    storeTest('finish without detail stores null', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      await store.steps.start(build.id, 'build', 1);
      await store.steps.finish(build.id, 'build', 'succeeded', 2);
      assert.equal((await store.steps.list(build.id))[0]?.detail, null);
    });

    storeTest('lists steps in the order they started, per build', async ({ store }) => {
      const [a, b] = await insertBuilds(store, [newBuild(), newBuild()]);
      assert.ok(a && b);
      await store.steps.start(a.id, 'evaluate', 10);
      await store.steps.start(b.id, 'other', 11);
      await store.steps.finish(a.id, 'evaluate', 'succeeded', 20);
      await store.steps.start(a.id, 'build', 20);
      // Same millisecond as `build`: order of starting breaks the tie.
      await store.steps.start(a.id, 'archive', 20);
      assert.deepEqual(
        (await store.steps.list(a.id)).map((step) => [step.name, step.status]),
        [
          ['evaluate', 'succeeded'],
          ['build', 'running'],
          ['archive', 'running'],
        ],
      );
      assert.deepEqual(
        (await store.steps.list(b.id)).map((step) => step.name),
        ['other'],
      );
    });

    storeTest('starting a step again (a retried build) resets it', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      await store.steps.start(build.id, 'build', 10);
      await store.steps.finish(build.id, 'build', 'failed', 20, 'exit 1');
      await store.steps.start(build.id, 'build', 30);
      assert.deepEqual(await store.steps.list(build.id), [
        {
          buildId: build.id,
          name: 'build',
          startedAt: 30,
          finishedAt: null,
          status: 'running',
          detail: null,
        },
      ]);
    });

    storeTest('finishing a step that never started records it as instantaneous', async ({ store }) => {
      const build = await store.builds.insert(newBuild());
      await store.steps.finish(build.id, 'push', 'skipped', 40, 'no cache configured');
      assert.deepEqual(await store.steps.list(build.id), [
        {
          buildId: build.id,
          name: 'push',
          startedAt: 40,
          finishedAt: 40,
          status: 'skipped',
          detail: 'no cache configured',
        },
      ]);
    });

    storeTest('steps of an unknown build: list is empty, start rejects', async ({ store }) => {
      assert.deepEqual(await store.steps.list('no-such-build'), []);
      await assert.rejects(store.steps.start('no-such-build', 'evaluate', 1));
      assert.deepEqual(await store.steps.list('no-such-build'), []);
    });
  });
}
