import { KilnError } from '../../errors/index.js';

// A cache name is a URL path segment, an object-key segment and the stem of its key names
// (`NAME-1`), so it gets a conservative set: lower case, digits, '-', '_' and '.' inside.
const CACHE_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/;
const NIX32_HASH_PART = /^[0123456789abcdfghijklmnpqrsvwxyz]{32}$/;
// What Nix writes: `nar/<52 nix32 chars>.nar[.suffix]`.
const NAR_FILE = /^nar\/([0123456789abcdfghijklmnpqrsvwxyz]{52})\.nar(\.xz|\.zst|\.bz2|\.br)?$/;
// A store path base name (`<hash>-<name>`), as in `log/<drv>`.
const BASE_NAME = /^[0123456789abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+\-._?=]{1,211}$/;

export function isCacheName(name: string): boolean {
  return CACHE_NAME.test(name) && !name.includes('..');
}

export function assertCacheName(name: string): void {
  if (!isCacheName(name)) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      'a cache name has 1 to 63 characters: lower-case letters, digits, and - _ . inside',
      { name: name.slice(0, 100) },
    );
  }
}

export function isStorePathHashPart(value: string): boolean {
  return NIX32_HASH_PART.test(value);
}

export function isStoreBaseName(value: string): boolean {
  return BASE_NAME.test(value) && value !== '.' && value !== '..';
}

const COMPRESSION_BY_SUFFIX: Readonly<Record<string, string>> = {
  '': 'none',
  '.xz': 'xz',
  '.zst': 'zstd',
  '.bz2': 'bzip2',
  '.br': 'br',
};

/** A NAR file key as Nix names it: the nix32 SHA-256 of the file and the compression it implies. */
export function parseNarFileKey(key: string): { fileHash: string; compression: string } | undefined {
  const match = NAR_FILE.exec(key);
  if (!match?.[1]) return undefined;
  const compression = COMPRESSION_BY_SUFFIX[match[2] ?? ''];
  return compression === undefined ? undefined : { fileHash: match[1], compression };
}
