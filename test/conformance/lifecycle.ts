import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { LogLineInput, Store } from '../../src/persistence/types.js';
import { insertBuilds, newBuild } from './harness.js';
import type { StoreTest } from './harness.js';
import { assertCapped } from './log-cap.js';

const CAP = 300;

/** Everything observable through the Store, for before/after comparisons. */
async function snapshot(store: Store, buildIds: readonly string[], settingKeys: readonly string[]) {
  return {
    builds: await store.builds.list({ limit: 1000 }),
    steps: await Promise.all(buildIds.map((id) => store.steps.list(id))),
    logs: await Promise.all(buildIds.map((id) => store.logs.read(id, 0, 10_000))),
    tokens: await store.tokens.list(),
    settings: await Promise.all(settingKeys.map((key) => store.settings.get(key))),
  };
}

function logLines(from: number, count: number): LogLineInput[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: from + i,
    stream: 'stderr' as const,
    text: `line ${from + i} ${'y'.repeat(15)}`,
  }));
}

export function lifecycleTests(storeTest: StoreTest): void {
  void describe('migrate and reopen', () => {
    storeTest('migrate() again is harmless, on the same store and on another', async ({ store, open }) => {
      const build = await store.builds.insert(newBuild());
      await store.settings.set('k', 'v');
      await store.migrate();
      await store.migrate();
      const other = await open();
      await other.migrate();
      assert.deepEqual(await store.builds.get(build.id), build);
      assert.deepEqual(await other.builds.get(build.id), build);
      assert.equal(await other.settings.get('k'), 'v');
      await other.builds.insert(newBuild());
      assert.equal((await store.builds.list({ limit: 10 })).length, 2);
    });

    storeTest('closing and reopening keeps everything', async ({ store, open }) => {
      const [queued, claimed, finished] = await insertBuilds(store, [
        newBuild({ priority: 1 }),
        newBuild({ priority: 5, source: { kind: 'git', url: 'https://example.org/r.git', ref: 'main' } }),
        newBuild({ serviceId: null, labels: { a: 'b' } }),
      ]);
      assert.ok(queued && claimed && finished);
      assert.equal((await store.builds.claimNext('host:1', 60_000, 5000))?.id, claimed.id);
      await store.builds.update(finished.id, {
        status: 'succeeded',
        outputs: ['/nix/store/o'],
        artifactSize: 42,
        exitCode: 0,
        progress: { done: 1, expected: 1, running: 0, failed: 0, phase: null, activeDrv: null },
        startedAt: 10,
        finishedAt: 20,
        durationMs: 10,
        runnerPid: 77,
        runnerStartTime: 'boot-1',
      });
      await store.steps.start(claimed.id, 'evaluate', 5000);
      await store.steps.finish(claimed.id, 'evaluate', 'succeeded', 5100, 'ok');
      const logged = logLines(0, 40);
      await store.logs.append(claimed.id, logged, CAP);
      await store.logs.append(finished.id, logLines(100, 3), CAP);
      await store.tokens.insert({
        id: 't1',
        secretHash: 'ab'.repeat(32),
        perm: 'admin',
        scope: null,
        description: 'admin',
        createdAt: 1,
        expiresAt: null,
        revokedAt: null,
      });
      await store.tokens.revoke('t1', 2);
      await store.settings.set('instance', 'kiln');

      const buildIds = [queued.id, claimed.id, finished.id];
      const before = await snapshot(store, buildIds, ['instance', 'missing']);
      await store.close();
      const reopened = await open();
      assert.deepEqual(await snapshot(reopened, buildIds, ['instance', 'missing']), before);

      // The reopened store carries on where the first left off: seqs, claims and the log cap.
      const later = await reopened.builds.insert(newBuild());
      assert.ok(later.seq > Math.max(queued.seq, claimed.seq, finished.seq));
      assert.equal((await reopened.builds.claimNext('host:2', 60_000, 6000))?.id, queued.id);
      const seen = new Map<string, number>();
      await assertCapped(reopened, claimed.id, logged, CAP, seen);
      const more = logLines(40, 25);
      await reopened.logs.append(claimed.id, more, CAP);
      await assertCapped(reopened, claimed.id, [...logged, ...more], CAP, seen);
    });
  });
}
