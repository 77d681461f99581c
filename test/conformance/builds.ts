import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { BuildPatch, BuildRecord, BuildSource } from '../../src/persistence/types.js';
import { ids, insertBuilds, newBuild } from './harness.js';
import type { StoreTest } from './harness.js';

const INITIAL_PROGRESS = { done: 0, expected: 0, running: 0, failed: 0, phase: null, activeDrv: null };

export function buildRecordTests(storeTest: StoreTest): void {
  void describe('builds: insert and get', () => {
    storeTest(
      'insert returns the stored record with every field, and get returns the same',
      async ({ store }) => {
        const input = newBuild({
          env: { PATH_EXTRA: '/opt/bin', UNICODE: 'héllo wörld ✓', QUOTES: `"'\\` },
          labels: { team: 'core', 'app.kubernetes.io/name': 'kiln' },
          priority: 7,
          timeoutSeconds: 120,
          maxSilentSeconds: 30,
          drvPaths: ['/nix/store/a-one.drv', '/nix/store/b-two.drv'],
          createdAt: 1_234_567,
        });
        const inserted = await store.builds.insert(input);
        const expected: Omit<BuildRecord, 'seq'> = {
          ...input,
          status: 'pending',
          outputs: [],
          artifactSize: null,
          exitCode: null,
          error: null,
          reason: null,
          progress: INITIAL_PROGRESS,
          startedAt: null,
          finishedAt: null,
          durationMs: null,
          cancelRequestedAt: null,
          attempts: 0,
          leaseOwner: null,
          leaseExpiresAt: null,
          runnerPid: null,
          runnerStartTime: null,
          pushCache: null,
          substituted: [],
          built: [],
          pushed: [],
          commit: null,
          cached: false,
          cacheKey: null,
          secrets: null,
          imageRef: null,
          image: null,
          imageConfig: null,
          deployHook: null,
          deploy: null,
          bump: null,
          projectId: null,
          trigger: null,
          concurrencyKey: null,
          runSeq: null,
          dependsOn: [],
          attrPath: null,
        };
        const { seq, ...rest } = inserted;
        assert.equal(typeof seq, 'number');
        assert.ok(Number.isInteger(seq) && seq > 0, `seq ${seq} is a positive integer`);
        assert.deepEqual(rest, expected);
        assert.deepEqual(await store.builds.get(input.id), inserted);
      },
    );

    storeTest('every kind of source round-trips, with and without optional fields', async ({ store }) => {
      const sources: BuildSource[] = [
        { kind: 'expr', expression: 'let x = "ü"; in x', fileName: 'flake.nix' },
        { kind: 'expr', expression: '1 + 1' },
        {
          kind: 'git',
          url: 'https://example.org/repo.git',
          ref: 'refs/heads/main',
          attr: 'packages.x86_64-linux.default',
        },
        { kind: 'git', url: 'git@example.org:repo.git' },
        { kind: 'template', name: 'node-app', values: { version: '20', name: 'api' } },
        { kind: 'template', name: 'empty', values: {} },
      ];
      for (const source of sources) {
        const inserted = await store.builds.insert(newBuild({ source }));
        assert.deepEqual(inserted.source, source);
        assert.deepEqual((await store.builds.get(inserted.id))?.source, source);
      }
    });

    storeTest('nullable and empty fields round-trip as null and empty', async ({ store }) => {
      const input = newBuild({
        system: null,
        groupId: null,
        serviceId: null,
        env: {},
        labels: {},
        drvPaths: [],
        priority: -3,
      });
      const got = await store.builds.get((await store.builds.insert(input)).id);
      assert.equal(got?.system, null);
      assert.equal(got?.groupId, null);
      assert.equal(got?.serviceId, null);
      assert.deepEqual(got?.env, {});
      assert.deepEqual(got?.labels, {});
      assert.deepEqual(got?.drvPaths, []);
      assert.equal(got?.priority, -3);
    });

    storeTest('seq increases with insertion order and is never reused after a delete', async ({ store }) => {
      const [a, b, c] = await insertBuilds(store, [newBuild(), newBuild(), newBuild()]);
      assert.ok(a && b && c);
      assert.ok(a.seq < b.seq && b.seq < c.seq);
      await store.builds.delete([c.id]);
      const d = await store.builds.insert(newBuild());
      assert.ok(d.seq > c.seq, `seq ${d.seq} after deleting seq ${c.seq}`);
    });

    storeTest('inserting an id twice rejects and keeps the first build', async ({ store }) => {
      const first = await store.builds.insert(newBuild());
      await assert.rejects(store.builds.insert(newBuild({ id: first.id, priority: 99 })));
      assert.deepEqual(await store.builds.get(first.id), first);
    });

    storeTest('get of an unknown id is undefined', async ({ store }) => {
      assert.equal(await store.builds.get('no-such-build'), undefined);
    });

    storeTest('a Git build keeps its commit, cache key and sealed secrets', async ({ store }) => {
      const commit = {
        sha: 'a'.repeat(40),
        branch: 'main',
        author: 'Ada Lovelace',
        authorEmail: 'ada@example.com',
        date: '2026-11-22T01:02:03.000Z',
        subject: 'Ünïcode subject',
      };
      const inserted = await store.builds.insert(
        newBuild({ commit, cacheKey: 'key-1', secrets: 'v1:k:sealed' }),
      );
      assert.deepEqual(
        [inserted.commit, inserted.cacheKey, inserted.secrets, inserted.cached],
        [commit, 'key-1', 'v1:k:sealed', false],
      );
      assert.deepEqual(await store.builds.get(inserted.id), inserted);
    });

    storeTest('findByCacheKey returns the newest succeeded build with that key', async ({ store }) => {
      const older = await store.builds.insert(newBuild({ cacheKey: 'k' }));
      const newer = await store.builds.insert(newBuild({ cacheKey: 'k' }));
      const failed = await store.builds.insert(newBuild({ cacheKey: 'k' }));
      await store.builds.insert(newBuild({ cacheKey: 'other' }));
      assert.equal(await store.builds.findByCacheKey('k'), undefined, 'nothing succeeded yet');
      await store.builds.update(older.id, { status: 'succeeded' });
      await store.builds.update(newer.id, { status: 'succeeded' });
      await store.builds.update(failed.id, { status: 'failed' });
      assert.equal((await store.builds.findByCacheKey('k'))?.id, newer.id);
      assert.equal(await store.builds.findByCacheKey('missing'), undefined);
    });

    storeTest('a build keeps the image reference it pushes to', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild({ imageRef: '127.0.0.1:5000/app:v1' }));
      assert.equal((await store.builds.get(inserted.id))?.imageRef, '127.0.0.1:5000/app:v1');
    });

    storeTest('a build keeps its image settings and deploy hook', async ({ store }) => {
      const imageConfig = {
        entrypoint: ['/bin/app', '--serve'],
        cmd: ['--port', '8080'],
        env: ['MODE=prod'],
        workingDir: '/srv',
        exposedPorts: ['8080/tcp'],
        user: '1000:1000',
      };
      const inserted = await store.builds.insert(
        newBuild({ imageConfig, deployHook: 'https://deploy.example/hook' }),
      );
      const got = await store.builds.get(inserted.id);
      assert.deepEqual(got?.imageConfig, imageConfig);
      assert.equal(got?.deployHook, 'https://deploy.example/hook');
      assert.equal(got?.deploy, null);
    });

    storeTest('a build keeps the cache it pushes to', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild({ pushCache: 'team' }));
      assert.equal(inserted.pushCache, 'team');
      assert.equal((await store.builds.get(inserted.id))?.pushCache, 'team');
    });
  });

  void describe('builds: update', () => {
    const fullPatch: Required<BuildPatch> = {
      status: 'succeeded',
      outputs: ['/nix/store/x-out', '/nix/store/x-dev'],
      artifactSize: 123_456_789,
      exitCode: 0,
      error: 'no error, really',
      reason: 'interrupted',
      progress: {
        done: 3,
        expected: 4,
        running: 1,
        failed: 0,
        phase: 'buildPhase',
        activeDrv: '/nix/store/y.drv',
      },
      startedAt: 1000,
      finishedAt: 2500,
      durationMs: 1500,
      cancelRequestedAt: 2000,
      leaseOwner: 'host:1',
      leaseExpiresAt: 9999,
      runnerPid: 4242,
      runnerStartTime: '12345678',
      substituted: ['/nix/store/s-dep'],
      built: ['/nix/store/y.drv'],
      pushed: ['/nix/store/x-out', '/nix/store/s-dep'],
      commit: {
        sha: 'b'.repeat(40),
        branch: null,
        author: 'A',
        authorEmail: 'a@b',
        date: '2026-01-01T00:00:00.000Z',
        subject: 's',
      },
      cached: true,
      secrets: 'v1:k:x',
      drvPaths: ['/nix/store/z-evaluated-later.drv'],
      image: {
        ref: '127.0.0.1:5000/app:latest',
        digest: `sha256:${'e'.repeat(64)}`,
        tags: ['latest', 'b1'],
        layers: [{ digest: `sha256:${'f'.repeat(64)}`, size: 123 }],
        size: 456,
        bytesUploaded: 123,
        pushDurationMs: 78,
        current: true,
        index: {
          ref: '127.0.0.1:5000/app:latest',
          digest: `sha256:${'d'.repeat(64)}`,
          tags: ['latest'],
          platforms: ['linux/amd64', 'linux/386'],
        },
      },
      imageRef: '127.0.0.1:5000/app:v2',
      deploy: {
        url: 'https://deploy.example/hook',
        deliveryId: 'd-1',
        status: 204,
        attempts: 2,
        durationMs: 40,
      },
      bump: {
        oldVersion: '1.0.0',
        newVersion: '1.1.0',
        hashes: [
          { path: 'src.hash', old: 'sha256-old', new: 'sha256-new', method: 'prefetch', verified: true },
        ],
        mismatches: [{ drv: '/nix/store/x-vendor.drv', specified: 'sha256-a', got: 'sha256-b' }],
        staleHashes: [],
        outputs: ['/nix/store/y-hello-1.1.0'],
        verify: { command: 'result/bin/hello', exitCode: 0, output: ['hello ✓'] },
        branch: 'kiln/bump-hello-1.1.0',
        commit: 'c'.repeat(40),
        diff: '-  version = "1.0.0";\n+  version = "1.1.0";\n',
      },
    };

    storeTest('a patch sets every patchable field and leaves the others alone', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      const updated = await store.builds.update(inserted.id, fullPatch);
      assert.deepEqual(updated, { ...inserted, ...fullPatch });
      assert.deepEqual(await store.builds.get(inserted.id), updated);
    });

    storeTest('nullable fields can be set back to null', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      await store.builds.update(inserted.id, fullPatch);
      const cleared: BuildPatch = {
        artifactSize: null,
        exitCode: null,
        error: null,
        reason: null,
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        cancelRequestedAt: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        runnerPid: null,
        runnerStartTime: null,
        commit: null,
        secrets: null,
        cached: false,
        image: null,
        imageRef: null,
        deploy: null,
        bump: null,
      };
      const updated = await store.builds.update(inserted.id, cleared);
      assert.deepEqual(updated, { ...inserted, ...fullPatch, ...cleared });
    });

    storeTest('fields given as undefined are left alone', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      await store.builds.update(inserted.id, { error: 'boom', exitCode: 2 });
      const updated = await store.builds.update(inserted.id, { error: undefined, exitCode: 3 });
      assert.equal(updated?.error, 'boom');
      assert.equal(updated?.exitCode, 3);
    });

    storeTest('a patch only touches the build it names', async ({ store }) => {
      const [a, b] = await insertBuilds(store, [newBuild(), newBuild()]);
      assert.ok(a && b);
      await store.builds.update(a.id, fullPatch);
      assert.deepEqual(await store.builds.get(b.id), b);
    });

    storeTest('a status precondition must hold, otherwise nothing changes', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      const refused = await store.builds.update(inserted.id, { status: 'failed' }, { status: ['running'] });
      assert.equal(refused, undefined);
      assert.deepEqual(await store.builds.get(inserted.id), inserted);

      const accepted = await store.builds.update(
        inserted.id,
        { status: 'cancelled' },
        { status: ['running', 'pending'] },
      );
      assert.equal(accepted?.status, 'cancelled');
    });

    storeTest('a leaseOwner precondition must hold, otherwise nothing changes', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      // No owner yet: any owner precondition fails.
      assert.equal(await store.builds.update(inserted.id, { exitCode: 1 }, { leaseOwner: 'w1' }), undefined);
      await store.builds.update(inserted.id, { leaseOwner: 'w1' });
      assert.equal(await store.builds.update(inserted.id, { exitCode: 1 }, { leaseOwner: 'w2' }), undefined);
      assert.equal((await store.builds.get(inserted.id))?.exitCode, null);
      const accepted = await store.builds.update(inserted.id, { exitCode: 1 }, { leaseOwner: 'w1' });
      assert.equal(accepted?.exitCode, 1);
    });

    storeTest('with both preconditions, both must hold', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      await store.builds.update(inserted.id, { status: 'running', leaseOwner: 'w1' });
      const patch: BuildPatch = { status: 'succeeded' };
      assert.equal(
        await store.builds.update(inserted.id, patch, { status: ['pending'], leaseOwner: 'w1' }),
        undefined,
      );
      assert.equal(
        await store.builds.update(inserted.id, patch, { status: ['running'], leaseOwner: 'w2' }),
        undefined,
      );
      assert.equal((await store.builds.get(inserted.id))?.status, 'running');
      const accepted = await store.builds.update(inserted.id, patch, {
        status: ['running'],
        leaseOwner: 'w1',
      });
      assert.equal(accepted?.status, 'succeeded');
    });

    storeTest('an empty status precondition matches no build', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      assert.equal(await store.builds.update(inserted.id, { status: 'failed' }, { status: [] }), undefined);
      assert.equal((await store.builds.get(inserted.id))?.status, 'pending');
    });

    storeTest('an empty patch returns the build when the preconditions hold', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      assert.deepEqual(await store.builds.update(inserted.id, {}), inserted);
      assert.deepEqual(await store.builds.update(inserted.id, {}, { status: ['pending'] }), inserted);
      assert.equal(await store.builds.update(inserted.id, {}, { status: ['running'] }), undefined);
    });

    storeTest('updating an unknown build returns undefined', async ({ store }) => {
      assert.equal(await store.builds.update('no-such-build', { status: 'failed' }), undefined);
    });

    storeTest('keys that are not patchable fields are ignored', async ({ store }) => {
      const inserted = await store.builds.insert(newBuild());
      // A caller passing a wider object (as JavaScript allows) must not reach other columns.
      const wide = { exitCode: 5, id: 'other-id', seq: 999, priority: 50, attempts: 9 } as BuildPatch;
      const updated = await store.builds.update(inserted.id, wide);
      assert.deepEqual(updated, { ...inserted, exitCode: 5 });
    });
  });

  void describe('builds: list', () => {
    storeTest('lists newest first, up to the limit', async ({ store }) => {
      const records = await insertBuilds(store, [newBuild(), newBuild(), newBuild(), newBuild()]);
      const newestFirst = ids(records).reverse();
      assert.deepEqual(ids(await store.builds.list({ limit: 10 })), newestFirst);
      assert.deepEqual(ids(await store.builds.list({ limit: 2 })), newestFirst.slice(0, 2));
      assert.deepEqual(await store.builds.list({ limit: 10 }), [...records].reverse());
    });

    storeTest('filters by status (any of several)', async ({ store }) => {
      const [a, b, c, d] = await insertBuilds(store, [newBuild(), newBuild(), newBuild(), newBuild()]);
      assert.ok(a && b && c && d);
      await store.builds.update(b.id, { status: 'running' });
      await store.builds.update(c.id, { status: 'failed' });
      await store.builds.update(d.id, { status: 'running' });
      assert.deepEqual(ids(await store.builds.list({ status: ['running'], limit: 10 })), [d.id, b.id]);
      assert.deepEqual(ids(await store.builds.list({ status: ['pending', 'failed'], limit: 10 })), [
        c.id,
        a.id,
      ]);
      assert.deepEqual(await store.builds.list({ status: ['succeeded'], limit: 10 }), []);
      assert.deepEqual(await store.builds.list({ status: [], limit: 10 }), []);
    });

    storeTest('filters by serviceId and groupId, alone and combined', async ({ store }) => {
      const [a, b, c, d] = await insertBuilds(store, [
        newBuild({ serviceId: 's1', groupId: 'g1' }),
        newBuild({ serviceId: 's2', groupId: 'g1' }),
        newBuild({ serviceId: 's1', groupId: 'g2' }),
        newBuild({ serviceId: null, groupId: null }),
      ]);
      assert.ok(a && b && c && d);
      await store.builds.update(c.id, { status: 'succeeded' });
      assert.deepEqual(ids(await store.builds.list({ serviceId: 's1', limit: 10 })), [c.id, a.id]);
      assert.deepEqual(ids(await store.builds.list({ groupId: 'g1', limit: 10 })), [b.id, a.id]);
      assert.deepEqual(ids(await store.builds.list({ serviceId: 's1', groupId: 'g1', limit: 10 })), [a.id]);
      assert.deepEqual(ids(await store.builds.list({ serviceId: 's1', status: ['succeeded'], limit: 10 })), [
        c.id,
      ]);
      assert.deepEqual(await store.builds.list({ serviceId: 'nobody', limit: 10 }), []);
    });

    storeTest(
      'beforeSeq pages through everything newest first, without gaps or repeats',
      async ({ store }) => {
        const records = await insertBuilds(
          store,
          Array.from({ length: 11 }, () => newBuild()),
        );
        const seen: string[] = [];
        let beforeSeq: number | undefined;
        // Bounded, so that a backend whose cursor does not advance fails instead of hanging.
        for (let pages = 0; pages < 10; pages++) {
          const page = await store.builds.list({
            limit: 3,
            ...(beforeSeq === undefined ? {} : { beforeSeq }),
          });
          if (page.length === 0) break;
          assert.ok(page.length <= 3);
          seen.push(...ids(page));
          beforeSeq = page.at(-1)?.seq;
        }
        assert.deepEqual(seen, ids(records).reverse());
      },
    );

    storeTest('beforeSeq combines with the other filters', async ({ store }) => {
      const records = await insertBuilds(store, [
        newBuild({ serviceId: 's1' }),
        newBuild({ serviceId: 's2' }),
        newBuild({ serviceId: 's1' }),
        newBuild({ serviceId: 's1' }),
      ]);
      const [a, , c, d] = records;
      assert.ok(a && c && d);
      assert.deepEqual(ids(await store.builds.list({ serviceId: 's1', beforeSeq: d.seq, limit: 10 })), [
        c.id,
        a.id,
      ]);
    });
  });
}
