import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { assertValidKey, isValidKey, MAX_KEY_LENGTH } from '../../../src/cache/index.js';
import { isKilnError } from '../../../src/errors/index.js';
import { INVALID_KEYS, VALID_KEYS } from '../../conformance/storage-conformance.js';

const SEGMENT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+=-';
const segment = fc
  .string({ unit: fc.constantFrom(...SEGMENT_CHARS), minLength: 1, maxLength: 40 })
  .filter((s) => !s.startsWith('.'));

describe('object keys', () => {
  it('accepts the keys of a Nix binary cache', () => {
    for (const key of VALID_KEYS) assert.ok(isValidKey(key), key);
  });

  it('rejects unsafe or ambiguous keys with KILN_ERR_VALIDATION', () => {
    for (const key of INVALID_KEYS) {
      assert.equal(isValidKey(key), false, JSON.stringify(key));
      assert.throws(
        () => assertValidKey(key),
        (error: unknown) => isKilnError(error) && error.code === 'KILN_ERR_VALIDATION',
      );
    }
  });

  it('accepts keys up to the maximum length and no longer', () => {
    const long = Array.from({ length: 8 }, () => 'x'.repeat(127)).join('/'); // 8 * 128 - 1 chars
    assert.ok(isValidKey(long));
    assert.ok(isValidKey(`${long}y`) && `${long}y`.length === MAX_KEY_LENGTH);
    assert.equal(isValidKey(`${long}yz`), false);
  });

  it('accepts any join of well-formed segments', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => {
        assert.ok(isValidKey(segments.join('/')));
      }),
    );
  });

  it('never accepts a key that could leave the storage root', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (key) => {
        if (!isValidKey(key)) return;
        const parts = key.split('/');
        assert.ok(
          !key.startsWith('/') && !parts.includes('..') && !parts.includes('.') && !parts.includes(''),
        );
        assert.ok(!/[\\\0\s%?#]/.test(key));
      }),
    );
  });
});
