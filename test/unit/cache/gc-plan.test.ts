import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planGarbageCollection, type GcPathInput, type GcPlan } from '../../../src/cache/index.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 0, 31);

/** A 32-character hash made from a short label, so tests read as `a -> b`. */
const hashOf = (label: string): string => label.padEnd(32, '_');

function path(label: string, opts: { ageDays: number; refs?: string[]; fileSize?: number }): GcPathInput {
  return {
    storePathHash: hashOf(label),
    storePath: `/nix/store/${hashOf(label)}-${label}`,
    references: (opts.refs ?? []).map((ref) => `${hashOf(ref)}-${ref}`),
    lastAccessedAt: NOW - opts.ageDays * DAY,
    fileSize: opts.fileSize ?? 100,
    narSize: (opts.fileSize ?? 100) * 3,
  };
}

const deleted = (plan: GcPlan): string[] => plan.delete.map((p) => p.storePath.split('-').pop()!);
const reasons = (plan: GcPlan): Record<string, string> =>
  Object.fromEntries(plan.keep.map((p) => [p.storePath.split('-').pop()!, p.reason]));

describe('GC plan', () => {
  it('deletes nothing when the cache has no retention, however old its paths', () => {
    const plan = planGarbageCollection({
      paths: [path('old', { ageDays: 3000 }), path('new', { ageDays: 0 })],
      pins: [],
      retentionDays: null,
      now: NOW,
    });
    assert.equal(plan.cutoff, null);
    assert.deepEqual(deleted(plan), []);
    assert.deepEqual(reasons(plan), { new: 'no-retention', old: 'no-retention' });
    assert.equal(plan.deleteFileBytes, 0);
  });

  it('deletes paths unused for longer than the retention and counts their bytes', () => {
    const plan = planGarbageCollection({
      paths: [
        path('a', { ageDays: 31, fileSize: 10 }),
        path('b', { ageDays: 29, fileSize: 20 }),
        path('c', { ageDays: 45, fileSize: 40 }),
      ],
      pins: [],
      retentionDays: 30,
      now: NOW,
    });
    assert.equal(plan.cutoff, NOW - 30 * DAY);
    assert.deepEqual(deleted(plan), ['a', 'c']);
    assert.deepEqual(reasons(plan), { b: 'recent' });
    assert.equal(plan.deleteFileBytes, 50);
    assert.equal(plan.deleteNarBytes, 150);
    assert.deepEqual(plan.keptByReason, { pinned: 0, recent: 1, referenced: 0, 'no-retention': 0 });
  });

  it('keeps a path used exactly at the cutoff (only strictly older paths are candidates)', () => {
    const plan = planGarbageCollection({
      paths: [path('edge', { ageDays: 30 })],
      pins: [],
      retentionDays: 30,
      now: NOW,
    });
    assert.deepEqual(deleted(plan), []);
  });

  it('with retention 0 deletes everything not used at this very moment', () => {
    const plan = planGarbageCollection({
      paths: [path('a', { ageDays: 0 }), { ...path('b', { ageDays: 0 }), lastAccessedAt: NOW - 1 }],
      pins: [],
      retentionDays: 0,
      now: NOW,
    });
    assert.deepEqual(deleted(plan), ['b']);
  });

  it('keeps the whole closure of a pinned path, however old, and says which pin', () => {
    // app -> lib -> libc ; app -> data ; stray is alone
    const plan = planGarbageCollection({
      paths: [
        path('app', { ageDays: 400, refs: ['lib', 'data', 'app'] }),
        path('lib', { ageDays: 400, refs: ['libc'] }),
        path('libc', { ageDays: 400 }),
        path('data', { ageDays: 400 }),
        path('stray', { ageDays: 400 }),
      ],
      pins: [hashOf('app')],
      retentionDays: 7,
      now: NOW,
    });
    assert.deepEqual(deleted(plan), ['stray']);
    assert.deepEqual(reasons(plan), { app: 'pinned', lib: 'pinned', libc: 'pinned', data: 'pinned' });
    const libc = plan.keep.find((p) => p.storePathHash === hashOf('libc'));
    assert.equal(libc?.via, hashOf('app'));
    assert.equal(plan.keep.find((p) => p.storePathHash === hashOf('app'))?.via, undefined);
  });

  it('keeps expired paths that a recent path references, transitively, naming the referrer', () => {
    const plan = planGarbageCollection({
      paths: [
        path('fresh', { ageDays: 1, refs: ['mid'] }),
        path('mid', { ageDays: 90, refs: ['deep'] }),
        path('deep', { ageDays: 90 }),
        path('orphan', { ageDays: 90, refs: ['deep'] }),
      ],
      pins: [],
      retentionDays: 30,
      now: NOW,
    });
    assert.deepEqual(deleted(plan), ['orphan']);
    assert.deepEqual(reasons(plan), { fresh: 'recent', mid: 'referenced', deep: 'referenced' });
    assert.equal(plan.keep.find((p) => p.storePathHash === hashOf('deep'))?.via, hashOf('mid'));
  });

  it('deletes an old path together with an old path it references when nothing kept needs them', () => {
    const plan = planGarbageCollection({
      paths: [path('top', { ageDays: 90, refs: ['dep'] }), path('dep', { ageDays: 90 })],
      pins: [],
      retentionDays: 30,
      now: NOW,
    });
    assert.deepEqual(deleted(plan).sort(), ['dep', 'top']);
  });

  it('reports a path reachable from a pin as pinned even when it is also recent', () => {
    const plan = planGarbageCollection({
      paths: [path('pin', { ageDays: 90, refs: ['shared'] }), path('shared', { ageDays: 1 })],
      pins: [hashOf('pin')],
      retentionDays: 30,
      now: NOW,
    });
    assert.deepEqual(reasons(plan), { pin: 'pinned', shared: 'pinned' });
  });

  it('ignores references outside the cache, pins of paths it does not hold and reference cycles', () => {
    const plan = planGarbageCollection({
      paths: [
        path('a', { ageDays: 1, refs: ['b', 'elsewhere'] }),
        path('b', { ageDays: 90, refs: ['c'] }),
        path('c', { ageDays: 90, refs: ['b'] }),
        path('x', { ageDays: 90, refs: ['y'] }),
        path('y', { ageDays: 90, refs: ['x'] }),
      ],
      pins: [hashOf('gone')],
      retentionDays: 30,
      now: NOW,
    });
    assert.deepEqual(deleted(plan), ['x', 'y']);
    assert.deepEqual(reasons(plan), { a: 'recent', b: 'referenced', c: 'referenced' });
  });

  it('rejects a negative retention', () => {
    assert.throws(
      () => planGarbageCollection({ paths: [], pins: [], retentionDays: -1, now: NOW }),
      RangeError,
    );
  });

  it('lists both sides by hash, so reports are stable', () => {
    const plan = planGarbageCollection({
      paths: [path('z', { ageDays: 90 }), path('m', { ageDays: 1 }), path('a', { ageDays: 90 })],
      pins: [],
      retentionDays: 30,
      now: NOW,
    });
    assert.deepEqual(deleted(plan), ['a', 'z']);
  });
});

/** A random cache: paths with references only to earlier paths (as Nix closures are), plus some cycles. */
const cacheArb = fc
  .record({
    count: fc.integer({ min: 0, max: 25 }),
    seed: fc.array(
      fc.record({
        ageDays: fc.integer({ min: 0, max: 60 }),
        refs: fc.array(fc.nat(), { maxLength: 4 }),
        back: fc.boolean(),
        fileSize: fc.integer({ min: 0, max: 1_000_000 }),
      }),
      { minLength: 25, maxLength: 25 },
    ),
    pins: fc.array(fc.nat({ max: 30 }), { maxLength: 4 }),
    retentionDays: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
  })
  .map(({ count, seed, pins, retentionDays }) => {
    const labels = Array.from({ length: count }, (_, i) => `p${i}`);
    const paths = labels.map((label, i) => {
      const s = seed[i]!;
      // Mostly references to earlier paths; `back` adds a reference forward, making cycles possible.
      const refs = s.refs
        .map((r) => (s.back ? r % count : i === 0 ? -1 : r % i))
        .filter((r) => r >= 0)
        .map((r) => labels[r]!);
      return path(label, { ageDays: s.ageDays, refs, fileSize: s.fileSize });
    });
    return { paths, pins: pins.map((p) => hashOf(`p${p}`)), retentionDays };
  });

describe('GC plan properties', () => {
  it('never deletes what a kept path references, a pinned closure or a recent path', () => {
    fc.assert(
      fc.property(cacheArb, ({ paths, pins, retentionDays }) => {
        const plan = planGarbageCollection({ paths, pins, retentionDays, now: NOW });
        const gone = new Set(plan.delete.map((p) => p.storePathHash));
        const byHash = new Map(paths.map((p) => [p.storePathHash, p]));
        const refsOf = (hash: string): string[] =>
          (byHash.get(hash)?.references ?? []).map((r) => r.slice(0, 32)).filter((h) => byHash.has(h));

        // Every path is on exactly one side.
        assert.equal(plan.delete.length + plan.keep.length, byHash.size);
        // No kept path references a deleted path.
        for (const kept of plan.keep) for (const ref of refsOf(kept.storePathHash)) assert.ok(!gone.has(ref));
        // Pinned closures are never deleted.
        const stack = pins.filter((p) => byHash.has(p));
        const closure = new Set(stack);
        while (stack.length > 0)
          for (const ref of refsOf(stack.pop()!))
            if (!closure.has(ref)) {
              closure.add(ref);
              stack.push(ref);
            }
        for (const hash of closure) assert.ok(!gone.has(hash));
        // Paths newer than the retention are never deleted; null retention deletes nothing.
        if (retentionDays === null) assert.equal(plan.delete.length, 0);
        else
          for (const p of plan.delete) assert.ok(p.lastAccessedAt < NOW - retentionDays * DAY, p.storePath);
        // The bytes are those of the deleted paths.
        assert.equal(
          plan.deleteFileBytes,
          plan.delete.reduce((sum, p) => sum + p.fileSize, 0),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('deletes every expired path that nothing kept reaches (it is not over-cautious)', () => {
    fc.assert(
      fc.property(cacheArb, ({ paths, pins, retentionDays }) => {
        fc.pre(retentionDays !== null);
        const plan = planGarbageCollection({ paths, pins, retentionDays, now: NOW });
        const byHash = new Map(paths.map((p) => [p.storePathHash, p]));
        const cutoff = NOW - retentionDays * DAY;
        // Reachable set from the roots (pins and recent paths), computed independently.
        const roots = paths
          .filter((p) => p.lastAccessedAt >= cutoff || pins.includes(p.storePathHash))
          .map((p) => p.storePathHash);
        const reach = new Set(roots);
        const stack = [...roots];
        while (stack.length > 0)
          for (const ref of byHash.get(stack.pop()!)!.references.map((r) => r.slice(0, 32)))
            if (byHash.has(ref) && !reach.has(ref)) {
              reach.add(ref);
              stack.push(ref);
            }
        assert.deepEqual(
          plan.delete.map((p) => p.storePathHash),
          [...byHash.keys()].filter((h) => !reach.has(h)).sort(),
        );
      }),
      { numRuns: 500 },
    );
  });
});
