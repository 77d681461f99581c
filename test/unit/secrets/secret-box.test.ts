import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isKilnError } from '../../../src/errors/index.js';
import { SecretBox, masterKeyFromBytes, type MasterKey } from '../../../src/secrets/index.js';

const newKey = (): MasterKey => masterKeyFromBytes(randomBytes(32));

function assertUndecryptable(fn: () => unknown, secrets: readonly string[] = []): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isKilnError(error));
    assert.equal(error.code, 'KILN_ERR_INTERNAL');
    assert.match(error.message, /^secret could not be decrypted/);
    for (const secret of secrets) assert.ok(!error.message.includes(secret), 'message leaks a secret');
    return true;
  });
}

/** Replaces the base64url character at `index` of the sealed part by a different valid one. */
function flipSealedChar(ciphertext: string, index: number): string {
  const prefix = ciphertext.slice(0, ciphertext.lastIndexOf(':') + 1);
  const sealed = Buffer.from(ciphertext.slice(prefix.length), 'base64url');
  const copy = Buffer.from(sealed);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return prefix + copy.toString('base64url');
}

describe('SecretBox', () => {
  it('round-trips text and bytes and produces the versioned format', () => {
    const key = newKey();
    const box = new SecretBox(key);
    const sealed = box.encrypt('hunter2', 'token:1');
    assert.match(sealed, new RegExp(`^v1:${key.id}:[A-Za-z0-9_-]+$`));
    assert.equal(box.decryptString(sealed, 'token:1'), 'hunter2');
    const bytes = randomBytes(100);
    assert.deepEqual(box.decrypt(box.encrypt(bytes, 'x'), 'x'), bytes);
    assert.equal(box.decryptString(box.encrypt('', 'empty'), 'empty'), '');
  });

  it('uses a fresh nonce for every encryption', () => {
    const box = new SecretBox(newKey());
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(box.encrypt('same', 'ad'));
    assert.equal(seen.size, 200);
  });

  it('detects tampering in the nonce, the ciphertext and the tag', () => {
    const box = new SecretBox(newKey());
    const plaintext = 'a secret of some length';
    const sealed = box.encrypt(plaintext, 'ad');
    const length = Buffer.from(sealed.split(':')[2] ?? '', 'base64url').length;
    assert.equal(length, 12 + plaintext.length + 16);
    for (let i = 0; i < length; i++) {
      assertUndecryptable(() => box.decrypt(flipSealedChar(sealed, i), 'ad'), [plaintext]);
    }
  });

  it('rejects edited headers, truncation and malformed text', () => {
    const key = newKey();
    const box = new SecretBox(key);
    const sealed = box.encrypt('s3cret', 'ad');
    const body = sealed.split(':')[2] ?? '';
    for (const bad of [
      `v2:${key.id}:${body}`,
      `v1:other:${body}`,
      `v1:${key.id}:${body.slice(0, -1)}`,
      `v1:${key.id}:${body.slice(0, 20)}`,
      `v1:${key.id}:${body}!`,
      `v1:${key.id}:${body}:x`,
      `v1:${key.id}`,
      '',
      'garbage',
    ]) {
      assertUndecryptable(() => box.decrypt(bad, 'ad'), ['s3cret']);
    }
  });

  it('refuses the wrong associated data, so ciphertexts cannot move between records', () => {
    const box = new SecretBox(newKey());
    const sealed = box.encrypt('s3cret', 'token:1');
    assertUndecryptable(() => box.decrypt(sealed, 'token:2'), ['s3cret']);
    assertUndecryptable(() => box.decrypt(sealed, ''), ['s3cret']);
  });

  it('refuses a ciphertext sealed by a different key, without leaking key material', () => {
    const a = newKey();
    const b = masterKeyFromBytes(randomBytes(32));
    const sealed = new SecretBox(a).encrypt('s3cret', 'ad');
    // Same id, different bytes: the id alone must not be trusted.
    const impostor = new SecretBox({ id: a.id, key: b.key });
    assertUndecryptable(
      () => impostor.decrypt(sealed, 'ad'),
      ['s3cret', Buffer.from(a.key).toString('hex'), Buffer.from(a.key).toString('base64')],
    );
    assertUndecryptable(() => new SecretBox(b).decrypt(sealed, 'ad'));
  });

  it('selects the decryption key by id (rotation)', () => {
    const old = newKey();
    const current = newKey();
    const sealedOld = new SecretBox(old).encrypt('old secret', 'ad');
    const box = new SecretBox(current, [old]);
    assert.equal(box.currentKeyId, current.id);
    assert.equal(box.decryptString(sealedOld, 'ad'), 'old secret');
    const sealedNew = box.encrypt('new secret', 'ad');
    assert.ok(sealedNew.startsWith(`v1:${current.id}:`));
    assertUndecryptable(() => new SecretBox(old).decrypt(sealedNew, 'ad'));
  });

  it('derives stable key ids and rejects bad keys', () => {
    const bytes = randomBytes(32);
    assert.equal(masterKeyFromBytes(bytes).id, masterKeyFromBytes(bytes).id);
    assert.notEqual(masterKeyFromBytes(bytes).id, newKey().id);
    assert.throws(() => masterKeyFromBytes(randomBytes(16)), { code: 'KILN_ERR_CONFIG' });
    assert.throws(() => new SecretBox({ id: 'bad id', key: randomBytes(32) }), { code: 'KILN_ERR_CONFIG' });
    const k = newKey();
    assert.throws(() => new SecretBox(k, [{ id: k.id, key: randomBytes(32) }]), { code: 'KILN_ERR_CONFIG' });
  });

  it('round-trips arbitrary plaintexts and associated data (property)', () => {
    const box = new SecretBox(newKey());
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.string(), (plaintext, ad) => {
        assert.deepEqual(new Uint8Array(box.decrypt(box.encrypt(plaintext, ad), ad)), plaintext);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string(), fc.string(), (text, ad, other) => {
        const sealed = box.encrypt(text, ad);
        assert.equal(box.decryptString(sealed, ad), text);
        if (other !== ad) assert.throws(() => box.decrypt(sealed, other), { code: 'KILN_ERR_INTERNAL' });
      }),
    );
  });
});
