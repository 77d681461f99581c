import type { CacheObjectRecord, NarRecord, Store } from '../../src/persistence/types.js';

const NIX_BASE32 = '0123456789abcdfghijklmnpqrsvwxyz';

/** A distinct 32-character hash part per `n`: `n` written in nix-base32. */
export function hashPart(n: number): string {
  const digits = n
    .toString(32)
    .split('')
    .map((digit) => NIX_BASE32[parseInt(digit, 32)] ?? '0');
  return digits.join('').padStart(32, '0');
}

/** The store path base name of path `n`, as in a References line. */
export function baseName(n: number): string {
  return `${hashPart(n)}-pkg-${n}`;
}

export function narHash(n: number): string {
  return `sha256:${'1'.repeat(20)}${hashPart(n)}`;
}

/** NAR `n`, stored zstd-compressed under its file hash as Nix names it. */
export function narRecord(n: number, overrides: Partial<NarRecord> = {}): NarRecord {
  const fileHash = `${'2'.repeat(20)}${hashPart(n)}`;
  return {
    narHash: narHash(n),
    narSize: 1000 + n,
    fileKey: `nar/${fileHash}.nar.zst`,
    compression: 'zstd',
    fileHash: `sha256:${fileHash}`,
    fileSize: 500 + n,
    createdAt: 4000,
    ...overrides,
  };
}

/** Path `n` of `cacheName`, pointing to NAR `n`, with every optional field set. */
export function cacheObject(
  cacheName: string,
  n: number,
  overrides: Partial<CacheObjectRecord> = {},
): CacheObjectRecord {
  return {
    cacheName,
    storePathHash: hashPart(n),
    storePath: `/nix/store/${baseName(n)}`,
    narHash: narHash(n),
    narSize: 1000 + n,
    references: [],
    deriver: `${hashPart(n + 5000)}-pkg-${n}.drv`,
    ca: null,
    signatures: [`upstream-1:${Buffer.alloc(64, n).toString('base64')}`],
    createdAt: 5000,
    lastAccessedAt: 6000,
    ...overrides,
  };
}

/** Records NAR `n` (if new) and path `n` of `cacheName`, referencing the given paths. */
export async function putObject(
  store: Store,
  cacheName: string,
  n: number,
  references: readonly number[] = [],
  overrides: Partial<CacheObjectRecord> = {},
): Promise<CacheObjectRecord> {
  await store.caches.putNar(narRecord(n));
  const object = cacheObject(cacheName, n, { references: references.map(baseName), ...overrides });
  await store.caches.putPath(object);
  return object;
}
