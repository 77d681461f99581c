import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KilnError } from '../errors/index.js';
import type { MasterKey } from './master-key.js';

export const CIPHERTEXT_VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function undecryptable(reason: string, details: Record<string, unknown> = {}): KilnError {
  // Never include key bytes, plaintext or the ciphertext itself: this message may reach logs.
  return new KilnError('KILN_ERR_INTERNAL', `secret could not be decrypted (${reason})`, details);
}

/**
 * AES-256-GCM with a random 96-bit nonce per encryption. Output: `v1:<keyId>:<base64url(nonce |
 * ciphertext | tag)>`. The associated data (e.g. "user-token:42") is authenticated but not stored,
 * so a ciphertext copied to another record fails to decrypt. The version and key id are
 * authenticated too, so the header cannot be edited.
 */
export class SecretBox {
  readonly #current: MasterKey;
  readonly #keys = new Map<string, Uint8Array>();

  /** `current` seals new secrets; `previous` keys can still open what they sealed (rotation). */
  constructor(current: MasterKey, previous: readonly MasterKey[] = []) {
    for (const key of [current, ...previous]) {
      if (!KEY_ID.test(key.id))
        throw new KilnError('KILN_ERR_CONFIG', 'a master key id must be 1-64 [A-Za-z0-9_-]');
      if (key.key.length !== 32)
        throw new KilnError('KILN_ERR_CONFIG', 'a master key must be exactly 32 bytes');
      const known = this.#keys.get(key.id);
      if (known && Buffer.compare(known, key.key) !== 0) {
        throw new KilnError('KILN_ERR_CONFIG', `two different master keys share the id ${key.id}`);
      }
      this.#keys.set(key.id, key.key);
    }
    this.#current = current;
  }

  get currentKeyId(): string {
    return this.#current.id;
  }

  encrypt(plaintext: string | Uint8Array, associatedData: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(this.#current.id, associatedData));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const sealed = Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
    return `${CIPHERTEXT_VERSION}:${this.#current.id}:${sealed}`;
  }

  decrypt(ciphertext: string, associatedData: string): Buffer {
    const parts = ciphertext.split(':');
    if (parts.length !== 3) throw undecryptable('malformed ciphertext');
    const [version = '', keyId = '', sealed = ''] = parts;
    if (version !== CIPHERTEXT_VERSION) throw undecryptable('unknown ciphertext version');
    if (!KEY_ID.test(keyId)) throw undecryptable('malformed key id');
    const key = this.#keys.get(keyId);
    if (!key) throw undecryptable('unknown key id', { keyId });
    // Buffer.from(…, 'base64url') skips invalid characters silently; check first so edits are caught.
    if (!BASE64URL.test(sealed)) throw undecryptable('malformed ciphertext');
    const bytes = Buffer.from(sealed, 'base64url');
    if (bytes.length < NONCE_BYTES + TAG_BYTES || bytes.toString('base64url') !== sealed) {
      throw undecryptable('malformed ciphertext');
    }
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad(keyId, associatedData));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw undecryptable('authentication failed: wrong key, wrong associated data or tampered data', {
        keyId,
      });
    }
  }

  decryptString(ciphertext: string, associatedData: string): string {
    return this.decrypt(ciphertext, associatedData).toString('utf8');
  }
}

/** Length-prefixed so that no (keyId, associatedData) pair can collide with another. */
function aad(keyId: string, associatedData: string): Buffer {
  const header = Buffer.from(`${CIPHERTEXT_VERSION}:${keyId}:`, 'utf8');
  const data = Buffer.from(associatedData, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  return Buffer.concat([length, header, data]);
}
