import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  batches,
  hashPartOf,
  parseNarInfo,
  parsePathInfoJson,
  renderPushNarInfo,
  topologicalOrder,
  type PushPathInfo,
} from '../../../src/cache/index.js';

const H = (c: string): string => c.repeat(32);
const path = (c: string, name = c): string => `/nix/store/${H(c)}-${name}`;
const NAR_HASH = 'sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s';

function info(p: string, references: string[] = []): PushPathInfo {
  return { path: p, narHash: NAR_HASH, narSize: 120, references, signatures: [] };
}

describe('batches', () => {
  it('cuts a list into slices of at most the given size, in order', () => {
    assert.deepEqual(batches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(batches([], 1000), []);
    assert.equal(
      batches(
        Array.from({ length: 2500 }, (_, i) => i),
        1000,
      ).length,
      3,
    );
  });

  it('rejects a size below one', () => {
    assert.throws(() => batches([1], 0), RangeError);
  });

  it('keeps every item exactly once (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 50 }), (items, size) => {
        const cut = batches(items, size);
        assert.deepEqual(cut.flat(), items);
        assert.ok(cut.every((batch) => batch.length >= 1 && batch.length <= size));
      }),
    );
  });
});

describe('topologicalOrder', () => {
  it('puts every path after the paths it references', () => {
    // a → b → c, a → c; given top-down, as nix path-info might list them.
    const order = topologicalOrder([
      info(path('a'), [path('b'), path('c')]),
      info(path('b'), [path('c')]),
      info(path('c')),
    ]).map((i) => i.path);
    assert.deepEqual(order, [path('c'), path('b'), path('a')]);
  });

  it('ignores self-references and references outside the set (already in the cache)', () => {
    const order = topologicalOrder([
      info(path('a'), [path('a'), path('z')]),
      info(path('b'), [path('b'), path('a')]),
    ]).map((i) => i.path);
    assert.deepEqual(order, [path('a'), path('b')]);
  });

  it('reports a reference cycle instead of looping', () => {
    assert.throws(
      () => topologicalOrder([info(path('a'), [path('b')]), info(path('b'), [path('a')])]),
      /reference cycle/,
    );
  });

  it('handles a chain deeper than the call stack would allow', () => {
    const letters = (i: number): string => `/nix/store/${i.toString(32).padStart(32, '0')}-p`;
    const chain = Array.from({ length: 20_000 }, (_, i) => info(letters(i), i > 0 ? [letters(i - 1)] : []));
    const order = topologicalOrder([...chain].reverse());
    assert.equal(order[0]!.path, letters(0));
    assert.equal(order.at(-1)!.path, letters(19_999));
  });

  it('yields a valid order for random DAGs (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat()),
        (edges, shuffle) => {
          // Node i may only reference nodes j < i: acyclic by construction.
          const nodes = edges.map((refs, i) =>
            info(
              `/nix/store/${i.toString(32).padStart(32, '0')}-n`,
              i === 0 ? [] : refs.map((r) => `/nix/store/${(r % i).toString(32).padStart(32, '0')}-n`),
            ),
          );
          const input = [...nodes];
          for (const [k, s] of shuffle.entries()) {
            const a = k % input.length;
            const b = s % input.length;
            [input[a], input[b]] = [input[b]!, input[a]!];
          }
          const order = topologicalOrder(input);
          assert.equal(order.length, nodes.length);
          const position = new Map(order.map((n, i) => [n.path, i]));
          for (const node of nodes) {
            for (const ref of node.references) assert.ok(position.get(ref)! < position.get(node.path)!);
          }
        },
      ),
    );
  });
});

describe('parsePathInfoJson', () => {
  it("reads Nix 2.8's array with SRI hashes into sha256:nix32", () => {
    const json = JSON.stringify([
      {
        path: path('q', 'bench-13'),
        narHash: 'sha256-z7UlvuHAGmldMhDlOmQrLgrpnjObTreVa/yfERvYRRo=',
        narSize: 128,
        references: [path('r')],
        deriver: path('d', 'bench-13.drv'),
        registrationTime: 1795304630,
        signatures: ['cache-1:c2ln'],
        ultimate: true,
      },
    ]);
    const [entry] = parsePathInfoJson(json);
    assert.deepEqual(entry, {
      path: path('q', 'bench-13'),
      // `nix hash to-base32 sha256-z7Ul…` prints this.
      narHash: 'sha256:06j5v0di37zwdfavfklv6fgfj2if5dj3mr8h69fnj6n0w6z2bdfg',
      narSize: 128,
      references: [path('r')],
      deriver: path('d', 'bench-13.drv'),
      ca: undefined,
      signatures: ['cache-1:c2ln'],
    });
  });

  it('reads the newer object keyed by path, with a CA and no deriver', () => {
    const json = JSON.stringify({
      [path('f')]: { narHash: NAR_HASH, narSize: 1, references: [], ca: 'fixed:r:sha256:abc' },
    });
    const [entry] = parsePathInfoJson(json);
    assert.equal(entry!.ca, 'fixed:r:sha256:abc');
    assert.equal(entry!.deriver, undefined);
    assert.deepEqual(entry!.signatures, []);
  });

  it('rejects invalid paths and entries without hashes', () => {
    assert.throws(() => parsePathInfoJson(JSON.stringify({ [path('x')]: null })), /not a valid store path/);
    assert.throws(
      () => parsePathInfoJson(JSON.stringify([{ path: path('x'), narSize: 1, references: [] }])),
      /no narHash/,
    );
  });
});

describe('hashPartOf', () => {
  it('is the 32 characters naming the narinfo', () => {
    assert.equal(hashPartOf(path('a', 'hello-1.0')), H('a'));
    assert.throws(() => hashPartOf('/tmp/x'), /not in the Nix store/);
  });
});

describe('renderPushNarInfo', () => {
  it('writes the narinfo Nix would: zstd URL named by the file hash, base-name references', () => {
    const fileHash = '0qfvi4hvjgawjasrg8chxx5iqhngdw2r3dng30xbq6bhgsw8jm3g';
    const text = renderPushNarInfo(
      {
        path: path('a', 'app'),
        narHash: NAR_HASH,
        narSize: 4096,
        references: [path('c', 'lib'), path('a', 'app'), path('b', 'dep')],
        deriver: path('d', 'app.drv'),
        signatures: ['cache.example.org-1:c2lnbmF0dXJl'],
      },
      { fileHash, fileSize: 777 },
    );
    assert.equal(
      text,
      [
        `StorePath: ${path('a', 'app')}`,
        `URL: nar/${fileHash}.nar.zst`,
        'Compression: zstd',
        `FileHash: sha256:${fileHash}`,
        'FileSize: 777',
        `NarHash: ${NAR_HASH}`,
        'NarSize: 4096',
        `References: ${H('a')}-app ${H('b')}-dep ${H('c')}-lib`,
        `Deriver: ${H('d')}-app.drv`,
        'Sig: cache.example.org-1:c2lnbmF0dXJl',
        '',
      ].join('\n'),
    );
    assert.equal(parseNarInfo(text).references.length, 3);
  });

  it('writes a CA line and an empty References line for a leaf', () => {
    const text = renderPushNarInfo(
      { ...info(path('f')), ca: 'fixed:r:sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s' },
      { fileHash: '0qfvi4hvjgawjasrg8chxx5iqhngdw2r3dng30xbq6bhgsw8jm3g', fileSize: 10 },
    );
    assert.match(text, /\nReferences: \n/);
    assert.match(text, /\nCA: fixed:r:sha256:/);
    assert.doesNotMatch(text, /Deriver/);
  });
});
