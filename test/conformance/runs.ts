import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { ConcurrencyPolicy, NewBuild, Store } from '../../src/persistence/types.js';
import { ids, newBuild, sortedIds } from './harness.js';
import type { StoreTest } from './harness.js';

const NOW = 1_700_000_100_000;
const LEASE_MS = 30_000;
const REPLACE: ConcurrencyPolicy = { key: 'web/Main', mode: 'replace', cancelInProgress: false };

/** A run of one build (no group). */
function single(overrides: Partial<NewBuild> = {}): NewBuild {
  return newBuild({ groupId: null, ...overrides });
}

async function claimAll(store: Store): Promise<string[]> {
  const claimed: string[] = [];
  for (let build = await store.builds.claimNext('w', LEASE_MS, NOW); build;) {
    claimed.push(build.id);
    build = await store.builds.claimNext('w', LEASE_MS, NOW);
  }
  return claimed;
}

export function runTests(storeTest: StoreTest): void {
  void describe('builds: runs and concurrency groups', () => {
    storeTest(
      'insertRun stores every build with the lower-cased key and one run order',
      async ({ store }) => {
        const builds = [newBuild({ groupId: 'g1' }), newBuild({ groupId: 'g1' })];
        const { inserted, superseded, cancelled } = await store.builds.insertRun(builds, REPLACE, NOW);
        assert.deepEqual(ids(inserted), ids(builds));
        assert.deepEqual([superseded, cancelled], [[], []]);
        const [first, second] = inserted;
        assert.ok(first && second);
        assert.equal(first.concurrencyKey, 'web/main');
        assert.equal(first.runSeq, first.seq);
        assert.equal(second.runSeq, first.seq);
        assert.deepEqual(await store.builds.get(second.id), second);
      },
    );

    storeTest(
      'a group runs one run at a time; other groups and ungrouped builds run alongside',
      async ({ store }) => {
        const { inserted: [a] = [] } = await store.builds.insertRun([single()], REPLACE, NOW);
        assert.equal((await store.builds.claimNext('w', LEASE_MS, NOW))?.id, a?.id);
        const { inserted: [b] = [] } = await store.builds.insertRun([single()], REPLACE, NOW);
        const { inserted: [other] = [] } = await store.builds.insertRun(
          [single()],
          { ...REPLACE, key: 'web/feature' },
          NOW,
        );
        const free = await store.builds.insert(single());
        assert.ok(a && b && other);
        assert.deepEqual(await claimAll(store), [other.id, free.id]);
        await store.builds.update(a.id, { status: 'succeeded' });
        assert.deepEqual(await claimAll(store), [b.id]);
      },
    );

    storeTest('replace: a newer run supersedes the pending one, never the running one', async ({ store }) => {
      const { inserted: [running] = [] } = await store.builds.insertRun([single()], REPLACE, NOW);
      assert.equal((await store.builds.claimNext('w', LEASE_MS, NOW))?.id, running?.id);
      const { inserted: [pending] = [] } = await store.builds.insertRun([single()], REPLACE, NOW);
      const burst = [];
      for (let i = 0; i < 5; i++) burst.push(await store.builds.insertRun([single()], REPLACE, NOW + i));
      assert.ok(running && pending);
      const newest = burst.at(-1)?.inserted[0];
      assert.ok(newest);
      assert.deepEqual(
        burst[0]?.superseded.map((s) => [s.id, s.status, s.reason]),
        [[pending.id, 'superseded', 'superseded']],
      );
      const open = await store.builds.list({ status: ['pending', 'running'], limit: 50 });
      assert.deepEqual(sortedIds(open), [running.id, newest.id].sort());
      const superseded = await store.builds.list({ status: ['superseded'], limit: 50 });
      assert.equal(superseded.length, 5);
      assert.ok(
        superseded.every((s) => s.finishedAt !== null && /superseded by a newer run/.test(s.error ?? '')),
      );
      assert.equal((await store.builds.get(running.id))?.status, 'running');
    });

    storeTest(
      'cancel-in-progress cancels every unfinished build of the run in progress',
      async ({ store }) => {
        const policy = { ...REPLACE, cancelInProgress: true };
        const run1 = [newBuild({ groupId: 'r1' }), newBuild({ groupId: 'r1' }), newBuild({ groupId: 'r1' })];
        await store.builds.insertRun(run1, policy, NOW);
        const first = await store.builds.claimNext('w', LEASE_MS, NOW);
        assert.equal(first?.id, run1[0]?.id);
        await store.builds.update(run1[0]?.id ?? '', { status: 'succeeded' });
        await store.builds.claimNext('w', LEASE_MS, NOW); // second running, third pending
        const { cancelled, superseded } = await store.builds.insertRun([single()], policy, NOW + 5);
        assert.deepEqual(superseded, []);
        assert.deepEqual(sortedIds(cancelled), [run1[1]?.id, run1[2]?.id].sort());
        for (const build of cancelled) {
          assert.equal(build.status, 'cancelled');
          assert.equal(build.reason, 'cancel-in-progress');
          assert.equal(build.cancelRequestedAt, NOW + 5);
        }
        assert.equal((await store.builds.get(run1[0]?.id ?? ''))?.status, 'succeeded');
      },
    );

    storeTest('queue: every run waits its turn, in order', async ({ store }) => {
      const queue: ConcurrencyPolicy = { key: 'deploy', mode: 'queue', cancelInProgress: false };
      const runs = [];
      for (let i = 0; i < 4; i++)
        runs.push((await store.builds.insertRun([single()], queue, NOW)).inserted[0]);
      const order: string[] = [];
      for (;;) {
        const claimed = await claimAll(store);
        if (claimed.length === 0) break;
        assert.equal(claimed.length, 1, 'one run at a time');
        order.push(...claimed);
        await store.builds.update(claimed[0] ?? '', { status: 'failed' });
      }
      assert.deepEqual(order, ids(runs.filter((r) => r !== undefined)));
    });

    storeTest('builds added to a run later keep its order (a matrix expanding)', async ({ store }) => {
      const policy = { ...REPLACE, mode: 'queue' as const };
      const { inserted: [parent] = [] } = await store.builds.insertRun(
        [newBuild({ groupId: 'm1' })],
        policy,
        NOW,
      );
      assert.ok(parent);
      assert.equal((await store.builds.claimNext('w', LEASE_MS, NOW))?.id, parent.id);
      const { inserted: [next] = [] } = await store.builds.insertRun(
        [newBuild({ groupId: 'm2' })],
        policy,
        NOW,
      );
      const children = [
        newBuild({ groupId: 'm1', runSeq: parent.runSeq, concurrencyKey: parent.concurrencyKey }),
        newBuild({ groupId: 'm1', runSeq: parent.runSeq, concurrencyKey: parent.concurrencyKey }),
      ];
      await store.builds.insertRun(children, null, NOW);
      await store.builds.update(parent.id, { status: 'succeeded' });
      const stored = await store.builds.get(children[0]?.id ?? '');
      assert.equal(stored?.concurrencyKey, 'web/main');
      assert.deepEqual(await claimAll(store), ids(children), 'the children go before the next run');
      for (const child of children) await store.builds.update(child.id, { status: 'succeeded' });
      assert.deepEqual(await claimAll(store), [next?.id]);
    });

    storeTest('a build waits for its dependencies to succeed', async ({ store }) => {
      const lib = newBuild({ groupId: 'g' });
      const app = newBuild({ groupId: 'g', dependsOn: [lib.id], priority: 5 });
      const free = newBuild({ groupId: 'g' });
      await store.builds.insertRun([lib, app, free], null, NOW);
      assert.deepEqual((await store.builds.get(app.id))?.dependsOn, [lib.id]);
      assert.deepEqual(await claimAll(store), [lib.id, free.id]);
      await store.builds.update(lib.id, { status: 'succeeded' });
      assert.deepEqual(await claimAll(store), [app.id]);
    });

    storeTest(
      'failDependents marks the transitive dependents dependency_failed, nothing else',
      async ({ store }) => {
        const lib = newBuild({ groupId: 'g' });
        const app = newBuild({ groupId: 'g', dependsOn: [lib.id] });
        const test = newBuild({ groupId: 'g', dependsOn: [app.id] });
        const free = newBuild({ groupId: 'g' });
        const elsewhere = newBuild({ groupId: 'h', dependsOn: [lib.id] });
        await store.builds.insertRun([lib, app, test, free], null, NOW);
        await store.builds.insertRun([elsewhere], null, NOW);
        await store.builds.update(lib.id, { status: 'failed' });
        const failed = await store.builds.failDependents(lib.id, NOW + 1);
        assert.deepEqual(sortedIds(failed), [app.id, test.id].sort());
        for (const build of failed) {
          assert.equal(build.status, 'dependency_failed');
          assert.equal(build.finishedAt, NOW + 1);
          assert.match(build.error ?? '', /dependency .* did not succeed/);
        }
        assert.equal((await store.builds.get(free.id))?.status, 'pending');
        assert.equal((await store.builds.get(elsewhere.id))?.status, 'pending');
        assert.deepEqual(await store.builds.failDependents(lib.id, NOW + 2), []);
      },
    );

    storeTest('a run can be inserted already finished (answered from a cache)', async ({ store }) => {
      const cached = newBuild({
        groupId: 'g',
        status: 'succeeded',
        cached: true,
        outputs: ['/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello'],
        reason: 'in-cache',
        finishedAt: NOW,
        attrPath: 'packages.x86_64-linux.hello',
        projectId: 'web',
        trigger: { kind: 'push', actor: 'octocat', forge: 'github', deliveryId: 'd1' },
      });
      const { inserted: [record] = [] } = await store.builds.insertRun([cached], null, NOW);
      assert.ok(record);
      assert.equal(record.status, 'succeeded');
      assert.equal(record.cached, true);
      assert.deepEqual(record.outputs, cached.outputs);
      assert.equal(record.reason, 'in-cache');
      assert.equal(record.durationMs, 0);
      assert.equal(record.attrPath, 'packages.x86_64-linux.hello');
      assert.deepEqual(record.trigger, cached.trigger);
      assert.equal(await store.builds.claimNext('w', LEASE_MS, NOW), undefined);
    });

    storeTest('list filters by project and branch', async ({ store }) => {
      const commit = (branch: string | null) => ({
        sha: 'a'.repeat(40),
        branch,
        author: '',
        authorEmail: '',
        date: '',
        subject: '',
      });
      const a = await store.builds.insert(single({ projectId: 'web', commit: commit('main') }));
      const b = await store.builds.insert(single({ projectId: 'web', commit: commit('dev') }));
      await store.builds.insert(single({ projectId: 'api', commit: commit('main') }));
      assert.deepEqual(ids(await store.builds.list({ projectId: 'web', limit: 10 })), [b.id, a.id]);
      assert.deepEqual(ids(await store.builds.list({ projectId: 'web', branch: 'main', limit: 10 })), [a.id]);
    });
  });
}
