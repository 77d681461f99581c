import { createHash } from 'node:crypto';
import { KilnError } from '../errors/index.js';
import {
  decodeBase64,
  decodeHex,
  decodeNix32,
  encodeBase64,
  encodeHex,
  encodeNix32,
  nix32EncodedLength,
} from './base32.js';

export type HashAlgo = 'md5' | 'sha1' | 'sha256' | 'sha512';

export interface NixHash {
  readonly algo: HashAlgo;
  readonly digest: Uint8Array;
}

/** `base32` is Nix32 (what Nix calls base32 / nix32); `sri` is `<algo>-<base64>`. */
export type HashFormat = 'base32' | 'hex' | 'base64' | 'sri';

export const HASH_SIZES: Readonly<Record<HashAlgo, number>> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

export function isHashAlgo(value: string): value is HashAlgo {
  return Object.hasOwn(HASH_SIZES, value);
}

export function parseHashAlgo(value: string): HashAlgo {
  if (!isHashAlgo(value)) {
    throw new KilnError('KILN_ERR_VALIDATION', `unknown hash algorithm '${value}'`, { algo: value });
  }
  return value;
}

export function hashBytes(algo: HashAlgo, data: Uint8Array | string): NixHash {
  return { algo, digest: new Uint8Array(createHash(algo).update(data).digest()) };
}

export function nixHashEquals(a: NixHash, b: NixHash): boolean {
  return a.algo === b.algo && Buffer.from(a.digest).equals(Buffer.from(b.digest));
}

export interface ParseHashOptions {
  /** Required for a bare digest; when the text names an algorithm too, the two must agree. */
  algo?: HashAlgo;
  /** Nix's `newHashAllowEmpty`: `""` stands for the all-zero hash of `algo` (the fake-hash trick). */
  allowEmpty?: boolean;
}

/**
 * Parses every form Nix accepts (libutil/hash.cc Hash::parseAny): `<algo>:<digest>`, SRI
 * `<algo>-<base64>`, and a bare digest when the algorithm is given. The digest encoding of the
 * non-SRI forms is told apart by length, as Nix does.
 */
export function parseNixHash(text: string, options: ParseHashOptions = {}): NixHash {
  const { algo: expected } = options;
  if (text === '' && options.allowEmpty && expected) {
    return { algo: expected, digest: new Uint8Array(HASH_SIZES[expected]) };
  }
  const colon = text.indexOf(':');
  const dash = text.indexOf('-');
  let algo: HashAlgo;
  let rest: string;
  let sri = false;
  if (colon >= 0) {
    algo = parseHashAlgo(text.slice(0, colon));
    rest = text.slice(colon + 1);
  } else if (dash >= 0) {
    algo = parseHashAlgo(text.slice(0, dash));
    rest = text.slice(dash + 1);
    sri = true;
  } else if (expected) {
    algo = expected;
    rest = text;
  } else {
    throw new KilnError('KILN_ERR_VALIDATION', `hash '${text}' does not include a type`, { hash: text });
  }
  if (expected && expected !== algo) {
    throw new KilnError('KILN_ERR_VALIDATION', `hash '${text}' should have type '${expected}'`, {
      hash: text,
      expected,
    });
  }
  const size = HASH_SIZES[algo];
  const digest = sri ? decodeBase64Digest(rest, text) : decodeByLength(rest, size, text);
  if (digest.length !== size) {
    throw new KilnError('KILN_ERR_VALIDATION', `hash '${text}' has wrong length for hash type '${algo}'`, {
      hash: text,
    });
  }
  return { algo, digest };
}

function decodeBase64Digest(rest: string, text: string): Uint8Array {
  try {
    return decodeBase64(rest);
  } catch (cause) {
    throw new KilnError('KILN_ERR_VALIDATION', `invalid SRI hash '${text}'`, { hash: text }, { cause });
  }
}

function decodeByLength(rest: string, size: number, text: string): Uint8Array {
  try {
    if (rest.length === size * 2) return decodeHex(rest);
    if (rest.length === nix32EncodedLength(size)) return decodeNix32(rest);
    if (rest.length === base64Length(size)) return decodeBase64(rest);
  } catch (cause) {
    throw new KilnError('KILN_ERR_VALIDATION', `invalid hash '${text}'`, { hash: text }, { cause });
  }
  throw new KilnError('KILN_ERR_VALIDATION', `hash '${text}' has wrong length for its hash type`, {
    hash: text,
  });
}

function base64Length(size: number): number {
  return Math.ceil(size / 3) * 4;
}

export interface RenderHashOptions {
  /** Prefix `<algo>:` (ignored for SRI, which always names its algorithm). Default true. */
  typed?: boolean;
}

export function renderNixHash(hash: NixHash, format: HashFormat, options: RenderHashOptions = {}): string {
  if (format === 'sri') return `${hash.algo}-${encodeBase64(hash.digest)}`;
  const body =
    format === 'base32'
      ? encodeNix32(hash.digest)
      : format === 'hex'
        ? encodeHex(hash.digest)
        : encodeBase64(hash.digest);
  return options.typed === false ? body : `${hash.algo}:${body}`;
}
