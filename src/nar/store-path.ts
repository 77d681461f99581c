import { KilnError } from '../errors/index.js';
import { decodeNix32, encodeHex, encodeNix32, NIX32_ALPHABET } from './base32.js';
import { hashBytes } from './hash.js';
import type { NixHash } from './hash.js';

export const DEFAULT_STORE_DIR = '/nix/store';
/** Characters of the hash part: nix32 of the 20-byte compressed hash. */
export const STORE_PATH_HASH_LENGTH = 32;
/** Nix 2.8 libstore/path.cc: longest name allowed in a store path. */
export const STORE_PATH_NAME_MAX = 211;

/** `recursive` hashes the NAR serialisation (`nix-store --add`); `flat` the file's bytes. */
export type FileIngestionMethod = 'flat' | 'recursive';

/** Nix's compressHash (libutil/hash.cc): XOR-folds a digest down to `size` bytes. */
export function compressHash(digest: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  digest.forEach((byte, i) => {
    out[i % size] = (out[i % size] ?? 0) ^ byte;
  });
  return out;
}

function storePathError(message: string, path: string): KilnError {
  return new KilnError('KILN_ERR_VALIDATION', message, { path });
}

/** Throws unless `name` may follow the hash in a store path (Nix 2.8 path.cc checkName). */
export function validateStorePathName(name: string): void {
  if (name === '') throw storePathError(`store path name is empty`, name);
  if (name.length > STORE_PATH_NAME_MAX) {
    throw storePathError(`store path name '${name}' is longer than ${STORE_PATH_NAME_MAX} characters`, name);
  }
  const bad = /[^0-9A-Za-z+\-._?=]/.exec(name);
  if (bad) throw storePathError(`store path name '${name}' contains illegal character '${bad[0]}'`, name);
}

export function isValidStorePathName(name: string): boolean {
  try {
    validateStorePathName(name);
    return true;
  } catch {
    return false;
  }
}

export interface ParsedStorePath {
  /** The 32 nix32 characters before the dash. */
  readonly hashPart: string;
  readonly name: string;
}

/** Splits `/nix/store/<hash>-<name>` (exactly a store path, no subpath or trailing slash). */
export function parseStorePath(path: string, storeDir = DEFAULT_STORE_DIR): ParsedStorePath {
  const prefix = `${storeDir}/`;
  if (!path.startsWith(prefix)) throw storePathError(`path '${path}' is not in the Nix store`, path);
  return parseStorePathBaseName(path.slice(prefix.length), path);
}

/** Splits `<hash>-<name>`, the form narinfo `References:` use. */
export function parseStorePathBaseName(baseName: string, shown = baseName): ParsedStorePath {
  if (baseName.length < STORE_PATH_HASH_LENGTH + 1 || baseName[STORE_PATH_HASH_LENGTH] !== '-') {
    throw storePathError(`path '${shown}' is not a valid store path`, shown);
  }
  const hashPart = baseName.slice(0, STORE_PATH_HASH_LENGTH);
  for (const c of hashPart) {
    if (!NIX32_ALPHABET.includes(c)) {
      throw storePathError(`store path '${shown}' contains illegal base-32 character '${c}'`, shown);
    }
  }
  const name = baseName.slice(STORE_PATH_HASH_LENGTH + 1);
  validateStorePathName(name);
  return { hashPart, name };
}

/** The 20 bytes behind a hash part. */
export function storePathHashBytes(hashPart: string): Uint8Array {
  return decodeNix32(hashPart);
}

/**
 * Nix's makeStorePath: sha256 of `type:<algo>:<hex>:<storeDir>:<name>`, XOR-folded to 20 bytes,
 * nix32. The inner hash is rendered in base16 there, not nix32.
 */
export function makeStorePath(
  type: string,
  hash: NixHash,
  name: string,
  storeDir = DEFAULT_STORE_DIR,
): string {
  validateStorePathName(name);
  const fingerprint = `${type}:${hash.algo}:${encodeHex(hash.digest)}:${storeDir}:${name}`;
  const compressed = compressHash(hashBytes('sha256', fingerprint).digest, 20);
  return `${storeDir}/${encodeNix32(compressed)}-${name}`;
}

export interface ReferenceOptions {
  /** Full store paths this path refers to. */
  references?: readonly string[];
  /** The path refers to itself (only for recursive sha256 / source paths). */
  selfReference?: boolean;
  storeDir?: string;
}

/** `type` plus `:<ref>` per reference in sorted order, then `:self` (store-api makeType). */
function makeType(type: string, references: readonly string[], self: boolean, storeDir: string): string {
  for (const reference of references) parseStorePath(reference, storeDir);
  // StorePathSet orders by base name; all share the store dir, so sorting full paths is the same.
  const sorted = [...new Set(references)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [type, ...sorted, ...(self ? ['self'] : [])].join(':');
}

/** `builtins.toFile` / text paths: the hash is sha256 of the file's contents. */
export function makeTextPath(name: string, contentHash: NixHash, options: ReferenceOptions = {}): string {
  if (contentHash.algo !== 'sha256') {
    throw new KilnError('KILN_ERR_VALIDATION', 'text paths need a sha256 hash', { algo: contentHash.algo });
  }
  return makeStorePath(
    makeType('text', options.references ?? [], false, options.storeDir ?? DEFAULT_STORE_DIR),
    contentHash,
    name,
    options.storeDir,
  );
}

/**
 * Nix's makeFixedOutputPath. Recursive sha256 is a "source" path (what `nix-store --add` and
 * fetchFromGitHub produce); every other combination goes through the `fixed:out:` indirection and
 * may not have references.
 */
export function makeFixedOutputPath(
  name: string,
  method: FileIngestionMethod,
  hash: NixHash,
  options: ReferenceOptions = {},
): string {
  const references = options.references ?? [];
  const self = options.selfReference ?? false;
  if (method === 'recursive' && hash.algo === 'sha256') {
    return makeStorePath(
      makeType('source', references, self, options.storeDir ?? DEFAULT_STORE_DIR),
      hash,
      name,
      options.storeDir,
    );
  }
  if (references.length > 0 || self) {
    throw new KilnError('KILN_ERR_VALIDATION', 'only recursive sha256 fixed outputs may have references', {
      name,
    });
  }
  const inner = `fixed:out:${method === 'recursive' ? 'r:' : ''}${hash.algo}:${encodeHex(hash.digest)}:`;
  return makeStorePath('output:out', hashBytes('sha256', inner), name, options.storeDir);
}
