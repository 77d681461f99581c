import { KilnError } from '../../errors/index.js';

/**
 * String-level checks shared by the cache formats. They only decide whether a value is
 * well-formed enough to write back out; decoding hashes and store paths is src/nar's job.
 */

const NIX32 = '[0123456789abcdfghijklmnpqrsvwxyz]';
// Store path names as Nix accepts them (checkName): no leading dot, restricted charset, ≤ 211 chars.
const NAME = '[a-zA-Z0-9+\\-_?=][a-zA-Z0-9+\\-._?=]{0,210}';
const BASE_NAME = new RegExp(`^${NIX32}{32}-${NAME}$`);

export function invalid(message: string, details?: Record<string, unknown>): KilnError {
  return new KilnError('KILN_ERR_VALIDATION', message, details);
}

/** `<32 nix32 chars>-<name>`, the last component of a store path. */
export function isStorePathBaseName(value: string): boolean {
  return BASE_NAME.test(value);
}

/** An absolute store path `/<storeDir>/<hash>-<name>`; returns its store dir or undefined. */
export function storeDirOf(storePath: string): string | undefined {
  const slash = storePath.lastIndexOf('/');
  if (slash <= 0 || !storePath.startsWith('/')) return undefined;
  if (!isStorePathBaseName(storePath.slice(slash + 1))) return undefined;
  return storePath.slice(0, slash);
}

// Encoded lengths per algorithm: [base16, nix32, base64 (padded)].
const HASH_LENGTHS: Readonly<Record<string, readonly [number, number, number]>> = {
  md5: [32, 26, 24],
  sha1: [40, 32, 28],
  sha256: [64, 52, 44],
  sha512: [128, 103, 88],
};

/**
 * True for what Nix's `Hash::parseAnyPrefixed` accepts: `<algo>:<base16|nix32|base64>` or SRI
 * `<algo>-<base64>`. The encoding is told apart by length, exactly as Nix does.
 */
export function isPrefixedHash(value: string): boolean {
  const match = /^(md5|sha1|sha256|sha512)([:-])(.*)$/.exec(value);
  if (!match) return false;
  const [, algo = '', sep, body = ''] = match;
  const lengths = HASH_LENGTHS[algo];
  if (!lengths) return false;
  const [hex, nix32, base64] = lengths;
  const isBase64 = body.length === base64 && /^[A-Za-z0-9+/]+=*$/.test(body);
  if (sep === '-') return isBase64;
  if (body.length === hex) return /^[0-9a-fA-F]+$/.test(body);
  if (body.length === nix32) return new RegExp(`^${NIX32}+$`).test(body);
  return isBase64;
}

/** The one form Nix puts into fingerprints and writes into narinfo files. */
export function isNix32Sha256(value: string): boolean {
  return new RegExp(`^sha256:${NIX32}{52}$`).test(value);
}

/** Decimal digits only, as Nix's `string2Int` for an unsigned size; undefined if not one. */
export function parseSize(value: string): number | undefined {
  if (!/^[0-9]{1,16}$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Field values are single-line text; a control character would corrupt the line format. */
export function hasControlChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Byte-wise order, as std::set<std::string> sorts (JS `<` compares UTF-16 units). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareBytes);
}
