import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { orderByPopularity, packageName, planLayers, type ClosureGraph } from '../../../src/oci/index.js';
import { isKilnError } from '../../../src/errors/index.js';

const p = (hash: string, name: string): string => `/nix/store/${hash.padEnd(32, hash[0])}-${name}`;

/** A → B, A → C, B → C (C shared). */
const A = p('a', 'app-1.0');
const B = p('b', 'lib');
const C = p('c', 'glibc-2.38');
const diamond: ClosureGraph = {
  paths: [
    { path: A, references: [A, B, C], narSize: 100 },
    { path: B, references: [C], narSize: 10 },
    { path: C, references: [C], narSize: 1000 },
  ],
};

describe('orderByPopularity', () => {
  it('ranks shared, deep paths first, as nixpkgs does (root 1, B 2, C 1+1+2 = 4)', () => {
    assert.deepEqual(orderByPopularity(diamond), [C, B, A]);
  });

  it('breaks ties by package name, not by hash', () => {
    const root = p('r', 'root');
    const zlib = p('0', 'zlib');
    const acl = p('9', 'acl');
    const graph: ClosureGraph = {
      paths: [
        { path: root, references: [zlib, acl], narSize: 1 },
        { path: zlib, references: [], narSize: 1 },
        { path: acl, references: [], narSize: 1 },
      ],
    };
    assert.deepEqual(orderByPopularity(graph), [acl, zlib, root]);
    assert.equal(packageName(zlib), `zlib-/nix/store/${'0'.repeat(32)}`);
  });

  it('counts every root of a multi-root closure, and ranks unreachable paths last', () => {
    const r1 = p('d', 'one');
    const r2 = p('e', 'two');
    const shared = p('f', 'shared');
    const stray = p('g', 'stray');
    const graph: ClosureGraph = {
      roots: [r1, r2],
      paths: [
        { path: r1, references: [shared], narSize: 1 },
        { path: r2, references: [shared], narSize: 1 },
        { path: shared, references: [], narSize: 1 },
        { path: stray, references: [], narSize: 1 },
      ],
    };
    assert.deepEqual(orderByPopularity(graph), [shared, r1, r2, stray]);
  });

  it('handles a deep chain of diamonds whose tree has more than 2^53 paths', () => {
    const paths = [];
    const levels = 60;
    for (let i = 0; i < levels; i++) {
      const next = i + 1 < levels ? [p(`l${i + 1}`, 'x'), p(`r${i + 1}`, 'x')] : [];
      paths.push({ path: p(`l${i}`, 'x'), references: next, narSize: 1 });
      paths.push({ path: p(`r${i}`, 'x'), references: next, narSize: 1 });
    }
    const order = orderByPopularity({ paths, roots: [p('l0', 'x')] });
    assert.equal(order.length, 2 * levels);
    assert.deepEqual(order.slice(0, 2), [p(`l${levels - 1}`, 'x'), p(`r${levels - 1}`, 'x')]);
  });

  it('rejects references outside the closure, duplicates, cycles and unknown roots', () => {
    const bad: ClosureGraph[] = [
      { paths: [{ path: A, references: [B], narSize: 1 }] },
      { paths: [...diamond.paths, diamond.paths[0]!] },
      {
        paths: [
          { path: A, references: [B], narSize: 1 },
          { path: B, references: [A], narSize: 1 },
        ],
        roots: [A],
      },
      { ...diamond, roots: [p('z', 'missing')] },
    ];
    for (const graph of bad) {
      assert.throws(
        () => orderByPopularity(graph),
        (e: unknown) => isKilnError(e) && e.code === 'KILN_ERR_VALIDATION',
      );
    }
  });
});

describe('planLayers', () => {
  it('gives each path its own layer when the budget allows, most popular first', () => {
    const plan = planLayers(diamond);
    assert.deepEqual(
      plan.layers.map((l) => l.paths),
      [[C], [B], [A]],
    );
    assert.deepEqual(
      plan.layers.map((l) => l.narSize),
      [1000, 10, 100],
    );
  });

  it('groups the least popular into the last layer, and the customisation layer takes one of the budget', () => {
    assert.deepEqual(
      planLayers(diamond, { maxLayers: 2 }).layers.map((l) => l.paths),
      [[C], [A, B].sort()],
    );
    assert.deepEqual(
      planLayers(diamond, { maxLayers: 3, customisationLayer: true }).layers.map((l) => l.paths),
      [[C], [A, B].sort()],
    );
    assert.equal(planLayers(diamond, { maxLayers: 4, customisationLayer: true }).layers.length, 3);
  });

  it('refuses a budget below 2', () => {
    for (const maxLayers of [1, 0, -3, 2.5, Number.NaN]) {
      assert.throws(
        () => planLayers(diamond, { maxLayers }),
        (e: unknown) => isKilnError(e),
      );
    }
  });

  /** Random closures: a DAG where path i may refer only to paths with a larger index. */
  const closures = fc
    .array(fc.array(fc.nat(), { maxLength: 6 }), { minLength: 1, maxLength: 40 })
    .chain((refLists) =>
      fc.record({
        refLists: fc.constant(refLists),
        names: fc.array(fc.constantFrom('a', 'b', 'lib', 'glibc'), {
          minLength: refLists.length,
          maxLength: refLists.length,
        }),
        maxLayers: fc.integer({ min: 2, max: 12 }),
        customisation: fc.boolean(),
      }),
    )
    .map(({ refLists, names, maxLayers, customisation }) => {
      const n = refLists.length;
      const path = (i: number): string => `/nix/store/${String(i).padStart(32, '0')}-${names[i]}`;
      const graph: ClosureGraph = {
        paths: refLists.map((refs, i) => ({
          path: path(i),
          references: refs.filter((r) => i + 1 + (r % n) < n).map((r) => path(i + 1 + (r % n))),
          narSize: i,
        })),
      };
      return { graph, maxLayers, customisation };
    });

  it('puts every path in exactly one layer, within the budget, the same way every time (property)', () => {
    fc.assert(
      fc.property(closures, fc.boolean(), ({ graph, maxLayers, customisation }, reverse) => {
        const plan = planLayers(graph, { maxLayers, customisationLayer: customisation });
        const all = plan.layers.flatMap((l) => l.paths);
        assert.equal(all.length, graph.paths.length);
        assert.deepEqual([...all].sort(), graph.paths.map((x) => x.path).sort());
        assert.ok(plan.layers.length + (customisation ? 1 : 0) <= maxLayers);
        assert.ok(plan.layers.every((l) => l.paths.length > 0));
        // Input order does not matter.
        const shuffled: ClosureGraph = {
          paths: reverse ? [...graph.paths].reverse() : graph.paths,
        };
        assert.deepEqual(planLayers(shuffled, { maxLayers, customisationLayer: customisation }), plan);
      }),
    );
  });
});
