import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compressHash,
  hashBytes,
  isValidStorePathName,
  makeFixedOutputPath,
  makeStorePath,
  makeTextPath,
  parseNixHash,
  parseStorePath,
  storePathHashBytes,
  validateStorePathName,
} from '../../../src/nar/index.js';
import { isKilnError } from '../../../src/errors/index.js';

function isValidationError(error: unknown): boolean {
  return isKilnError(error) && error.code === 'KILN_ERR_VALIDATION';
}

// Vectors from Nix 2.8 (nix-store --print-fixed-path, builtins.toFile) on the fixture in nar.test.ts.
const HELLO_FLAT = parseNixHash('sha256:00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq'); // "hello\n"
const D_NAR = parseNixHash('sha256:09l5a1i81b0h12vpk0fiywyj6xlbr90v8w4pfgm3g3h8g4ni08lp');

describe('store paths', () => {
  it('XOR-folds digests as compressHash does', () => {
    const digest = new Uint8Array(32).map((_, i) => i);
    const folded = compressHash(digest, 20);
    assert.equal(folded[0], 0 ^ 20);
    assert.equal(folded[11], 11 ^ 31);
    assert.equal(folded[12], 12);
  });

  it('computes fixed-output paths like Nix', () => {
    assert.equal(
      makeFixedOutputPath('d', 'recursive', D_NAR),
      '/nix/store/ndb5ffrvasxcsr3k6asb79vladcnq567-d',
    );
    assert.equal(
      makeFixedOutputPath('hello.txt', 'flat', HELLO_FLAT),
      '/nix/store/gy454w1cxaq731grqwylhzf4pp9r5izh-hello.txt',
    );
    assert.equal(
      makeFixedOutputPath('hello.txt', 'flat', hashBytes('sha512', 'hello\n')),
      '/nix/store/9a8mxachqmcv8x2cfijdps9dyxgyyrzm-hello.txt',
    );
  });

  it('computes text paths with references like builtins.toFile', () => {
    const a = makeTextPath('a', hashBytes('sha256', 'x'));
    assert.equal(a, '/nix/store/12wigjpizrn8axaqxj288q1b751qmwya-a');
    assert.equal(makeTextPath('foo.txt', HELLO_FLAT), '/nix/store/xl3jbiq4g9jnqn8yp9y4cski5n3ylk1q-foo.txt');
    assert.equal(
      makeTextPath('b', hashBytes('sha256', `ref ${a}`), { references: [a] }),
      '/nix/store/kbnsdqvza4r1hzcr5vs2bhx8kv150g37-b',
    );
  });

  it('builds the documented fingerprint', () => {
    // makeStorePath is makeFixedOutputPath's "source" case.
    assert.equal(makeStorePath('source', D_NAR, 'd'), makeFixedOutputPath('d', 'recursive', D_NAR));
    assert.notEqual(makeStorePath('source', D_NAR, 'd', '/other/store'), makeStorePath('source', D_NAR, 'd'));
    assert.ok(makeStorePath('source', D_NAR, 'd', '/other/store').startsWith('/other/store/'));
  });

  it('refuses references where Nix does', () => {
    const ref = '/nix/store/12wigjpizrn8axaqxj288q1b751qmwya-a';
    assert.throws(
      () => makeFixedOutputPath('x', 'flat', HELLO_FLAT, { references: [ref] }),
      isValidationError,
    );
    assert.throws(() => makeTextPath('x', hashBytes('sha1', 'x')), isValidationError);
    assert.throws(
      () => makeTextPath('x', hashBytes('sha256', 'x'), { references: ['/tmp/x'] }),
      isValidationError,
    );
    assert.notEqual(
      makeFixedOutputPath('x', 'recursive', D_NAR, { references: [ref] }),
      makeFixedOutputPath('x', 'recursive', D_NAR),
    );
  });

  it('validates names as Nix 2.8 does', () => {
    for (const ok of ['hello-1.0', '.dot', 'a+b=c?d_e.f', 'x'.repeat(211)])
      assert.ok(isValidStorePathName(ok), ok);
    for (const bad of ['', 'x'.repeat(212), 'with space', 'ünï', 'a/b', 'a:b']) {
      assert.throws(() => validateStorePathName(bad), isValidationError, bad);
    }
  });

  it('parses store paths', () => {
    const path = '/nix/store/ndb5ffrvasxcsr3k6asb79vladcnq567-d';
    assert.deepEqual(parseStorePath(path), { hashPart: 'ndb5ffrvasxcsr3k6asb79vladcnq567', name: 'd' });
    assert.equal(storePathHashBytes('ndb5ffrvasxcsr3k6asb79vladcnq567').length, 20);
    assert.deepEqual(parseStorePath('/s/ndb5ffrvasxcsr3k6asb79vladcnq567-a-b', '/s').name, 'a-b');
    for (const bad of [
      '/nix/store/ndb5ffrvasxcsr3k6asb79vladcnq567',
      '/nix/store/ndb5ffrvasxcsr3k6asb79vladcnq567-',
      '/nix/store/ndb5ffrvasxcsr3k6asb79vladcnqe67-d',
      '/nix/store/ndb5ffrvasxcsr3k6asb79vladcnq56-d',
      '/nix/stor/ndb5ffrvasxcsr3k6asb79vladcnq567-d',
      '/nix/store/ndb5ffrvasxcsr3k6asb79vladcnq567-d/sub',
    ]) {
      assert.throws(() => parseStorePath(bad), isValidationError, bad);
    }
  });
});
