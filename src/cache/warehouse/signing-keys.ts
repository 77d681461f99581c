import type { CacheKeyRecord } from '../../persistence/index.js';
import type { SecretBox } from '../../secrets/index.js';
import {
  formatPublicKey,
  formatSecretKey,
  generateSecretKey,
  parseSecretKey,
  type SecretKey,
} from '../formats/signing.js';

/** Associated data binding a sealed secret key to its name, so ciphertexts cannot be swapped. */
function associatedData(keyName: string): string {
  return `cache-signing-key:${keyName}`;
}

/** `NAME-<n>`: Nix's convention for key names, incremented on rotation. */
export function nextKeyName(cacheName: string, existing: readonly CacheKeyRecord[]): string {
  let highest = 0;
  const prefix = `${cacheName}-`;
  for (const key of existing) {
    const suffix = key.keyName.startsWith(prefix) ? key.keyName.slice(prefix.length) : '';
    if (/^\d+$/.test(suffix)) highest = Math.max(highest, Number(suffix));
  }
  return `${cacheName}-${highest + 1}`;
}

/** A new signing key for the cache, its secret sealed by `box`. */
export function newCacheKey(box: SecretBox, cacheName: string, keyName: string, now: number): CacheKeyRecord {
  const secret = generateSecretKey(keyName);
  return {
    cacheName,
    keyName,
    publicKey: formatPublicKey(secret.publicKey),
    secretKeyCiphertext: box.encrypt(formatSecretKey(secret), associatedData(keyName)),
    createdAt: now,
    activatedAt: now,
    retiresAt: null,
  };
}

export function openCacheKey(box: SecretBox, record: CacheKeyRecord): SecretKey {
  return parseSecretKey(box.decrypt(record.secretKeyCiphertext, associatedData(record.keyName)).toString());
}

/**
 * Until when a set of signing keys, read at `now`, stays the set: the next activation or
 * retirement among `keys` (all of the cache's keys).
 */
export function keySetValidUntil(keys: readonly CacheKeyRecord[], now: number): number {
  let until = Number.POSITIVE_INFINITY;
  for (const key of keys) {
    if (key.activatedAt > now) until = Math.min(until, key.activatedAt);
    if (key.retiresAt !== null && key.retiresAt > now) until = Math.min(until, key.retiresAt);
  }
  return until;
}
