import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import type { NarInfo } from './narinfo.js';
import { invalid, isNix32Sha256, isStorePathBaseName, sortedUnique, storeDirOf } from './text-fields.js';

/**
 * Nix signing keys (libutil/signature/local-keys.cc): `<name>:<base64>` where the secret key is
 * libsodium's 64 bytes (ed25519 seed ‖ public key) and the public key is 32 bytes. The secret is
 * kept only as a KeyObject so that logging a SecretKey never prints key material.
 */
export interface SecretKey {
  readonly name: string;
  readonly privateKey: KeyObject;
  readonly publicKey: PublicKey;
}

export interface PublicKey {
  readonly name: string;
  /** The raw 32-byte ed25519 public key. */
  readonly bytes: Buffer;
}

// DER prefixes that wrap a raw ed25519 seed / public key into PKCS#8 / SPKI (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SIGNATURE_BYTES = 64;

export function generateSecretKey(name: string): SecretKey {
  checkKeyName(name);
  const { privateKey } = generateKeyPairSync('ed25519');
  return secretKeyFromPrivate(name, privateKey);
}

export function parseSecretKey(text: string): SecretKey {
  const { name, data } = parseColonBase64(text.trim(), 'secret key', 64);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, data.subarray(0, 32)]),
    format: 'der',
    type: 'pkcs8',
  });
  const key = secretKeyFromPrivate(name, privateKey);
  // libsodium trusts the stored public half; a mismatch means the file is damaged.
  if (!key.publicKey.bytes.equals(data.subarray(32))) throw invalid('secret key is corrupt');
  return key;
}

/** The text `nix key generate-secret` writes (no trailing newline). */
export function formatSecretKey(key: SecretKey): string {
  const seed = Buffer.from(jwkField(key.privateKey, 'd'), 'base64url');
  return `${key.name}:${Buffer.concat([seed, key.publicKey.bytes]).toString('base64')}`;
}

export function parsePublicKey(text: string): PublicKey {
  const { name, data } = parseColonBase64(text.trim(), 'public key', 32);
  return { name, bytes: data };
}

/** The text `nix key convert-secret-to-public` writes (no trailing newline). */
export function formatPublicKey(key: PublicKey): string {
  return `${key.name}:${key.bytes.toString('base64')}`;
}

export interface FingerprintInput {
  storePath: string;
  /** Must be `sha256:<nix32>`, the form Nix re-renders into fingerprints. */
  narHash: string;
  narSize: number;
  /** Base names of the references, as in a narinfo. */
  references: readonly string[];
}

/**
 * `1;<storePath>;<narHash>;<narSize>;<refs>` as `ValidPathInfo::fingerprint`: references are
 * full store paths, sorted byte-wise and comma-joined (printStorePathSet returns a std::set).
 */
export function fingerprint(info: FingerprintInput): string {
  const storeDir = storeDirOf(info.storePath);
  if (storeDir === undefined) throw invalid('fingerprint needs a store path', { storePath: info.storePath });
  if (!isNix32Sha256(info.narHash)) throw invalid('fingerprint needs NarHash as sha256:<nix32>');
  if (!Number.isSafeInteger(info.narSize) || info.narSize <= 0) {
    throw invalid('fingerprint needs a positive NarSize');
  }
  for (const ref of info.references) {
    if (!isStorePathBaseName(ref)) throw invalid('reference is not a store path base name', { ref });
  }
  const refs = sortedUnique(info.references.map((ref) => `${storeDir}/${ref}`));
  return `1;${info.storePath};${info.narHash};${info.narSize};${refs.join(',')}`;
}

/** `<keyname>:<base64 detached ed25519 signature>`, as Nix's `SecretKey::signDetached`. */
export function sign(fingerprintText: string, key: SecretKey): string {
  const signature = cryptoSign(null, Buffer.from(fingerprintText, 'utf8'), key.privateKey);
  return `${key.name}:${signature.toString('base64')}`;
}

/**
 * True when `sig` is a valid signature of `fingerprintText` by the key of the same name, as
 * Nix's `verifyDetached`. Malformed signatures and unknown key names are simply not valid.
 */
export function verify(fingerprintText: string, sig: string, publicKeys: Iterable<PublicKey>): boolean {
  const colon = sig.indexOf(':');
  if (colon <= 0) return false;
  const name = sig.slice(0, colon);
  const signature = decodeBase64(sig.slice(colon + 1));
  if (signature?.length !== SIGNATURE_BYTES) return false;
  const data = Buffer.from(fingerprintText, 'utf8');
  for (const key of publicKeys) {
    if (key.name !== name) continue;
    if (cryptoVerify(null, data, publicKeyObject(key), signature)) return true;
  }
  return false;
}

/** A copy of `info` with a signature by `key` added (Nix keeps at most one per exact value). */
export function signNarInfo(info: NarInfo, key: SecretKey): NarInfo {
  const sig = sign(fingerprint(info), key);
  return { ...info, sigs: sortedUnique([...info.sigs, sig]) };
}

/** How many of the narinfo's signatures verify against `publicKeys`. */
export function countValidSignatures(info: NarInfo, publicKeys: readonly PublicKey[]): number {
  const text = fingerprint(info);
  return sortedUnique(info.sigs).filter((sig) => verify(text, sig, publicKeys)).length;
}

function secretKeyFromPrivate(name: string, privateKey: KeyObject): SecretKey {
  const bytes = Buffer.from(jwkField(createPublicKey(privateKey), 'x'), 'base64url');
  return { name, privateKey, publicKey: { name, bytes } };
}

function publicKeyObject(key: PublicKey): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, key.bytes]), format: 'der', type: 'spki' });
}

function jwkField(key: KeyObject, field: 'd' | 'x'): string {
  const value = key.export({ format: 'jwk' })[field];
  if (typeof value !== 'string') throw new TypeError(`ed25519 JWK lacks '${field}'`);
  return value;
}

function checkKeyName(name: string): void {
  if (name === '' || name.includes(':') || /\s/.test(name)) {
    throw invalid('key name must be non-empty without ":" or whitespace');
  }
}

// Error messages name only the kind of key: the text may be a secret and must never be echoed.
function parseColonBase64(text: string, what: string, bytes: number): { name: string; data: Buffer } {
  const colon = text.indexOf(':');
  if (colon <= 0) throw invalid(`${what} is not <name>:<base64>`);
  const name = text.slice(0, colon);
  checkKeyName(name);
  const data = decodeBase64(text.slice(colon + 1));
  if (data?.length !== bytes) throw invalid(`${what} is corrupt: expected ${bytes} bytes of base64`);
  return { name, data };
}

/** Strict base64 (Node's decoder silently skips junk). */
function decodeBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}
