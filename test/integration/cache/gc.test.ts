import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import {
  collectGarbage,
  handleGcRequest,
  startGcSchedule,
  type GcDeps,
  type GcReport,
  type GcStorage,
} from '../../../src/cache/index.js';
import type { Store } from '../../../src/persistence/index.js';
import { isKilnError } from '../../../src/errors/index.js';
import {
  chunksOf,
  createCache,
  DAY,
  gcWorld,
  hashOf,
  putNarFile,
  putPath,
  storePathOf,
} from './gc-fixture.js';

const NOW = Date.now();
const clock = (): number => NOW;
const depsOf = (world: { store: Store; storage: GcStorage }): GcDeps => ({
  repo: world.store.caches,
  storage: world.storage,
  clock,
});

/**
 * Cache `main` (30-day retention):
 *   app (pinned, old) -> lib (old) -> libc (old)
 *   tool (old) -> libc
 *   web (recent) -> dep (old)
 *   junk (old) -> junkdep (old); `other` (no retention) also holds junk, sharing its NAR
 * plus an orphan NAR recorded 2 hours ago, one recorded a minute ago, and an alias of junkdep's NAR.
 */
async function scenario(t: TestContext) {
  const world = await gcWorld(t);
  const { store, storage } = world;
  await createCache(store, 'main', 30);
  await createCache(store, 'other', null);
  const put = (label: string, ageDays: number, refs: string[] = []) =>
    putPath(world, 'main', label, { now: NOW, ageDays, refs });
  const nars = {
    libc: await put('libc', 60),
    lib: await put('lib', 60, ['libc']),
    app: await put('app', 60, ['lib', 'app']),
    tool: await put('tool', 60, ['libc']),
    dep: await put('dep', 90),
    web: await put('web', 1, ['dep']),
    junkdep: await put('junkdep', 60),
    junk: await put('junk', 45, ['junkdep']),
  };
  await putPath(world, 'other', 'junkdep', { now: NOW, ageDays: 60, nar: nars.junkdep });
  assert.ok(await store.caches.pin('main', hashOf('app'), NOW));
  const oldOrphan = await putNarFile(store, storage, 'old-orphan', NOW - 2 * 3600_000);
  const newOrphan = await putNarFile(store, storage, 'new-orphan', NOW - 60_000);
  // The same NAR as junk, uploaded again under another name: recorded as an alias of junk's NAR.
  const aliasKey = `nar/${'0'.repeat(52)}.nar.xz`;
  await storage.write(aliasKey, chunksOf(Buffer.from('duplicate upload')));
  await store.caches.putNar({ ...nars.junk, fileKey: aliasKey, compression: 'xz' });
  return { ...world, nars, oldOrphan, newOrphan, aliasKey };
}

async function held(world: { store: Store }): Promise<(string | undefined)[]> {
  return (await world.store.caches.listPaths('main')).map((p) => p.storePath.split('-').pop()).sort();
}

describe('garbage collection against SQLite and the filesystem', () => {
  it('a dry run reports what would go and deletes nothing', async (t) => {
    const world = await scenario(t);
    const report = await collectGarbage(depsOf(world), 'main', { dryRun: true });
    assert.equal(report.dryRun, true);
    assert.equal(report.deletedPaths, 3);
    assert.deepEqual(
      [...report.storePaths].sort(),
      [storePathOf('junk'), storePathOf('junkdep'), storePathOf('tool')].sort(),
    );
    assert.equal(
      report.deletedBytes,
      world.nars.tool.fileSize + world.nars.junk.fileSize + world.nars.junkdep.fileSize,
    );
    assert.equal(report.keptPaths, 5);
    assert.deepEqual(report.keptByReason, { pinned: 3, recent: 1, referenced: 1, 'no-retention': 0 });
    assert.equal(report.narsDeleted, 0);
    assert.deepEqual(await held(world), ['app', 'dep', 'junk', 'junkdep', 'lib', 'libc', 'tool', 'web']);
    for (const nar of [...Object.values(world.nars), world.oldOrphan])
      assert.ok(await world.storage.has(nar.fileKey), nar.fileKey);
  });

  it('a real run deletes expired paths, keeps pinned and referenced closures, and frees unneeded NAR files', async (t) => {
    const world = await scenario(t);
    const report = await collectGarbage(depsOf(world), 'main', { dryRun: false });
    assert.equal(report.dryRun, false);
    assert.equal(report.deletedPaths, 3);
    assert.equal(report.skippedPaths, 0);
    assert.equal(report.storageErrors, 0);
    assert.deepEqual(await held(world), ['app', 'dep', 'lib', 'libc', 'web']);
    // Still held by `other`: junkdep's NAR file stays; tool's and junk's (and junk's alias) go.
    assert.ok(await world.storage.has(world.nars.junkdep.fileKey));
    assert.equal(await world.storage.has(world.nars.tool.fileKey), undefined);
    assert.equal(await world.storage.has(world.nars.junk.fileKey), undefined);
    assert.equal(await world.storage.has(world.aliasKey), undefined);
    assert.equal(await world.store.caches.getNar(world.nars.junk.narHash), undefined);
    // The orphan older than the grace period goes; the one uploaded a minute ago waits for its narinfo.
    assert.equal(await world.storage.has(world.oldOrphan.fileKey), undefined);
    assert.ok(await world.storage.has(world.newOrphan.fileKey));
    assert.ok(await world.store.caches.getNar(world.newOrphan.narHash));
    assert.equal(report.narsDeleted, 3);
    assert.equal(
      report.narBytesFreed,
      world.nars.tool.fileSize + world.nars.junk.fileSize + world.oldOrphan.fileSize,
    );
    // Every kept path's NAR file is still there, so every narinfo served still resolves.
    for (const label of ['app', 'lib', 'libc', 'web', 'dep'] as const)
      assert.ok(await world.storage.has(world.nars[label].fileKey), label);
    // A second run finds nothing more to do.
    const again = await collectGarbage(depsOf(world), 'main');
    assert.equal(again.deletedPaths, 0);
    assert.equal(again.narsDeleted, 0);
  });

  it('unpinning lets the old closure go at the next run', async (t) => {
    const world = await scenario(t);
    await world.store.caches.unpin('main', hashOf('app'));
    await collectGarbage(depsOf(world), 'main');
    assert.deepEqual(await held(world), ['dep', 'web']);
    assert.equal(await world.storage.has(world.nars.libc.fileKey), undefined);
  });

  it('a path fetched since (touchPaths) is recent again and keeps what it references', async (t) => {
    const world = await scenario(t);
    await world.store.caches.touchPaths('main', [hashOf('junk')], NOW - DAY);
    const report = await collectGarbage(depsOf(world), 'main');
    assert.deepEqual(report.storePaths, [storePathOf('tool')]);
    assert.ok(await world.storage.has(world.nars.junk.fileKey));
  });

  it('deletes no path of a cache without retention, but an explicit retention overrides', async (t) => {
    const world = await scenario(t);
    await world.store.caches.setRetention('main', null);
    const kept = await collectGarbage(depsOf(world), 'main');
    assert.equal(kept.deletedPaths, 0);
    assert.equal(kept.retentionDays, null);
    assert.equal(kept.keptByReason['no-retention'], 8);
    // With 50 days, junk (45 days) is recent, so junkdep (60 days) stays as its reference.
    const strict = await collectGarbage(depsOf(world), 'main', { retentionDays: 50, dryRun: true });
    assert.deepEqual(strict.storePaths, [storePathOf('tool')]);
  });

  it('rejects a missing or deleted cache with KILN_ERR_NOT_FOUND', async (t) => {
    const world = await scenario(t);
    const notFound = (error: unknown): boolean => isKilnError(error) && error.code === 'KILN_ERR_NOT_FOUND';
    await assert.rejects(collectGarbage(depsOf(world), 'nope'), notFound);
    await world.store.caches.markDeleted('other', NOW);
    await assert.rejects(collectGarbage(depsOf(world), 'other'), notFound);
  });

  it('the route body accepts {dryRun} and rejects anything else', async (t) => {
    const world = await scenario(t);
    const deps = depsOf(world);
    assert.equal((await handleGcRequest(deps, 'main', { dryRun: true })).dryRun, true);
    assert.equal((await handleGcRequest(deps, 'main', undefined)).dryRun, false);
    const invalid = (error: unknown): boolean => isKilnError(error) && error.code === 'KILN_ERR_VALIDATION';
    await assert.rejects(handleGcRequest(deps, 'main', { dryRun: 'yes' }), invalid);
    await assert.rejects(handleGcRequest(deps, 'main', { dryrun: true }), invalid);
    await assert.rejects(handleGcRequest(deps, 'main', [true]), invalid);
  });
});

describe('periodic garbage collection', () => {
  it('collects every live cache with a retention, sweeps temp files, and logs failures', async (t) => {
    const world = await scenario(t);
    const reports: GcReport[] = [];
    const errors: string[] = [];
    const swept: number[] = [];
    const caches = world.store.caches;
    await createCache(world.store, 'broken', 1);
    const schedule = startGcSchedule(
      {
        repo: {
          list: () => caches.list(),
          get: (name) => caches.get(name),
          pins: (name) => caches.pins(name),
          deletePaths: (name, hashes) => caches.deletePaths(name, hashes),
          deleteUnreferencedNars: (before, limit) => caches.deleteUnreferencedNars(before, limit),
          // One cache whose paths cannot be read: the others are still collected.
          listPaths: (name) =>
            name === 'broken' ? Promise.reject(new Error('disk on fire')) : caches.listPaths(name),
        },
        storage: world.storage,
        clock,
        onReport: (report) => reports.push(report),
        onError: (error, cacheName) => errors.push(`${cacheName}: ${(error as Error).message}`),
        sweepTemporaryFiles: async (age) => {
          swept.push(age);
          return world.storage.sweepTemporaryFiles(age);
        },
      },
      3_600_000,
    );
    t.after(() => schedule.stop());
    await schedule.runOnce();
    assert.deepEqual(
      reports.map((r) => r.cacheName),
      ['main'],
      '`other` has no retention; `broken` failed',
    );
    assert.equal(reports[0]?.deletedPaths, 3);
    assert.deepEqual(errors, ['broken: disk on fire']);
    assert.deepEqual(swept, [24 * 3600_000]);
    await schedule.stop();
  });
});
