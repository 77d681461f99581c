import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HASH_SIZES, hashBytes, nixHashEquals, parseNixHash, renderNixHash } from '../../../src/nar/index.js';
import type { HashAlgo, HashFormat, NixHash } from '../../../src/nar/index.js';
import { isKilnError } from '../../../src/errors/index.js';

function isValidationError(error: unknown): boolean {
  return isKilnError(error) && error.code === 'KILN_ERR_VALIDATION';
}

// "abc" under each algorithm, rendered by nix-hash / nix hash to-sri (Nix 2.8).
const VECTORS: { algo: HashAlgo; hex: string; nix32: string; sri: string }[] = [
  {
    algo: 'md5',
    hex: '900150983cd24fb0d6963f7d28e17f72',
    nix32: '3jgzhjhz9zjvbb0kyj7jc500ch',
    sri: 'md5-kAFQmDzST7DWlj99KOF/cg==',
  },
  {
    algo: 'sha1',
    hex: 'a9993e364706816aba3e25717850c26c9cd0d89d',
    nix32: 'kpcd173cq987hw957sx6m0868wv3x6d9',
    sri: 'sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0=',
  },
  {
    algo: 'sha256',
    hex: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    nix32: '1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s',
    sri: 'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=',
  },
  {
    algo: 'sha512',
    hex: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    nix32:
      '2gs8k559z4rlahfx0y688s49m2vvszylcikrfinm30ly9rak69236nkam5ydvly1ai7xac99vxfc4ii84hawjbk876blyk1jfhkbbyx',
    sri: 'sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==',
  },
];

describe('NixHash', () => {
  for (const v of VECTORS) {
    it(`renders and parses ${v.algo} in every form`, () => {
      const h = hashBytes(v.algo, 'abc');
      assert.equal(renderNixHash(h, 'hex'), `${v.algo}:${v.hex}`);
      assert.equal(renderNixHash(h, 'base32'), `${v.algo}:${v.nix32}`);
      assert.equal(renderNixHash(h, 'base32', { typed: false }), v.nix32);
      assert.equal(renderNixHash(h, 'sri'), v.sri);
      const b64 = v.sri.slice(v.algo.length + 1);
      assert.equal(renderNixHash(h, 'base64'), `${v.algo}:${b64}`);
      for (const text of [`${v.algo}:${v.hex}`, `${v.algo}:${v.nix32}`, `${v.algo}:${b64}`, v.sri]) {
        assert.ok(nixHashEquals(parseNixHash(text), h), text);
      }
      for (const bare of [v.hex, v.hex.toUpperCase(), v.nix32, b64]) {
        assert.ok(nixHashEquals(parseNixHash(bare, { algo: v.algo }), h), bare);
      }
    });
  }

  it('rejects malformed hashes with a validation error', () => {
    const sha = VECTORS[2];
    assert.ok(sha);
    for (const bad of [
      sha.nix32, // bare without an algorithm
      `sha3:${sha.hex}`,
      `sha256:${sha.hex.slice(2)}`,
      `sha256:${sha.nix32.replace('1', 'e')}`,
      `sha256:${sha.hex.replace('b', 'g')}`,
      'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0',
      `sha256-${Buffer.alloc(20).toString('base64')}`,
      'sha256:',
      '',
    ]) {
      assert.throws(() => parseNixHash(bad), isValidationError, bad);
    }
    assert.throws(() => parseNixHash(`sha1:${VECTORS[1]?.hex ?? ''}`, { algo: 'sha256' }), isValidationError);
  });

  it('accepts the empty hash only when asked, as the all-zero hash', () => {
    const h = parseNixHash('', { algo: 'sha256', allowEmpty: true });
    assert.equal(renderNixHash(h, 'sri'), 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    assert.throws(() => parseNixHash('', { algo: 'sha256' }), isValidationError);
  });

  it('round-trips every algorithm through every format', () => {
    const algo = fc.constantFrom<HashAlgo>('md5', 'sha1', 'sha256', 'sha512');
    const hash = algo.chain((a) =>
      fc
        .uint8Array({ minLength: HASH_SIZES[a], maxLength: HASH_SIZES[a] })
        .map((digest): NixHash => ({ algo: a, digest })),
    );
    const format = fc.constantFrom<HashFormat>('base32', 'hex', 'base64', 'sri');
    fc.assert(
      fc.property(hash, format, fc.boolean(), (h, f, typed) => {
        const text = renderNixHash(h, f, { typed });
        const back = parseNixHash(text, typed || f === 'sri' ? {} : { algo: h.algo });
        assert.ok(nixHashEquals(back, h));
        assert.equal(renderNixHash(back, f, { typed }), text);
      }),
    );
  });
});
