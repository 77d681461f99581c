import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeBase64,
  decodeHex,
  decodeNix32,
  encodeBase64,
  encodeHex,
  encodeNix32,
  nix32EncodedLength,
} from '../../../src/nar/index.js';
import { isKilnError } from '../../../src/errors/index.js';

const ABC_SHA256_HEX = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const ABC_SHA256_NIX32 = '1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s';

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function isValidationError(error: unknown): boolean {
  return isKilnError(error) && error.code === 'KILN_ERR_VALIDATION';
}

describe('nix32', () => {
  it('matches nix-hash --to-base32 on known digests', () => {
    assert.equal(encodeNix32(hex(ABC_SHA256_HEX)), ABC_SHA256_NIX32);
    // sha1("abc") and md5("abc"), from Nix's own hash tests / nix-hash --to-base32
    assert.equal(
      encodeNix32(hex('a9993e364706816aba3e25717850c26c9cd0d89d')),
      'kpcd173cq987hw957sx6m0868wv3x6d9',
    );
    assert.equal(encodeNix32(hex('900150983cd24fb0d6963f7d28e17f72')), '3jgzhjhz9zjvbb0kyj7jc500ch');
  });

  it('decodes known digests', () => {
    assert.deepEqual(decodeNix32(ABC_SHA256_NIX32), hex(ABC_SHA256_HEX));
  });

  it('has the lengths Nix uses', () => {
    assert.equal(nix32EncodedLength(32), 52);
    assert.equal(nix32EncodedLength(20), 32);
    assert.equal(nix32EncodedLength(16), 26);
    assert.equal(nix32EncodedLength(64), 103);
    assert.equal(nix32EncodedLength(0), 0);
  });

  it('puts the last byte first', () => {
    // Only the high bits of the last byte reach the first character.
    const bytes = new Uint8Array(32);
    bytes[31] = 0x80;
    assert.equal(encodeNix32(bytes), '1' + '0'.repeat(51));
  });

  it('rejects bad characters, lengths and padding bits', () => {
    for (const bad of ['e', 'o', 'u', 't', 'A', '-']) {
      assert.throws(() => decodeNix32(bad + ABC_SHA256_NIX32.slice(1)), isValidationError);
    }
    assert.throws(() => decodeNix32(ABC_SHA256_NIX32.slice(1)), isValidationError);
    assert.throws(() => decodeNix32('z' + '0'.repeat(51)), isValidationError);
    assert.throws(() => decodeNix32('2' + '0'.repeat(51)), isValidationError);
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = encodeNix32(bytes);
        assert.equal(text.length, nix32EncodedLength(bytes.length));
        assert.deepEqual(decodeNix32(text), bytes);
      }),
    );
  });

  it('re-encodes every string it accepts to itself', () => {
    const alphabet = '0123456789abcdfghijklmnpqrsvwxyz';
    const char = fc.integer({ min: 0, max: 31 }).map((i) => alphabet[i] ?? '0');
    fc.assert(
      fc.property(fc.array(char, { maxLength: 60 }), (chars) => {
        const text = chars.join('');
        let bytes: Uint8Array;
        try {
          bytes = decodeNix32(text);
        } catch (error) {
          assert.ok(isValidationError(error));
          return;
        }
        assert.equal(encodeNix32(bytes), text);
      }),
    );
  });
});

describe('hex and base64', () => {
  it('round-trips and rejects malformed input', () => {
    assert.equal(encodeHex(hex(ABC_SHA256_HEX)), ABC_SHA256_HEX);
    assert.deepEqual(decodeHex(ABC_SHA256_HEX.toUpperCase()), hex(ABC_SHA256_HEX));
    assert.throws(() => decodeHex('abc'), isValidationError);
    assert.throws(() => decodeHex('zz'), isValidationError);
    assert.equal(encodeBase64(hex(ABC_SHA256_HEX)), 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
    assert.deepEqual(decodeBase64('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='), hex(ABC_SHA256_HEX));
    assert.throws(() => decodeBase64('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0'), isValidationError);
    assert.throws(() => decodeBase64('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa1='), isValidationError);
    assert.throws(() => decodeBase64('ungWv48Bz_pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='), isValidationError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        assert.deepEqual(decodeHex(encodeHex(bytes)), bytes);
        assert.deepEqual(decodeBase64(encodeBase64(bytes)), bytes);
      }),
    );
  });
});
