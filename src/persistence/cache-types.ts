/**
 * The binary-cache part of the persistence contract (re-exported by ./types.ts). Times are epoch
 * milliseconds. Names are compared exactly (case-sensitive); their format is the service's to check.
 */

export interface CacheRecord {
  name: string;
  /** Private caches need a pull token to read. */
  private: boolean;
  /** The `Priority` announced in nix-cache-info (lower is preferred by Nix). */
  priority: number;
  createdAt: number;
  /**
   * Set once by markDeleted. A deleted cache keeps its name, so that a new cache cannot inherit
   * tokens scoped to that name or the trust clients placed in its keys.
   */
  deletedAt: number | null;
}

export type NewCache = Omit<CacheRecord, 'deletedAt'>;

export interface CacheKeyRecord {
  cacheName: string;
  /**
   * The key's name as clients see it in trusted-public-keys, e.g. `NAME-1`. Unique across all
   * caches: Nix keeps one key per name, so a reused name would make one of the two unverifiable.
   */
  keyName: string;
  /** `keyName:base64` text, as put in trusted-public-keys. */
  publicKey: string;
  /** Encrypted by the caller; stored and returned as is. */
  secretKeyCiphertext: string;
  createdAt: number;
  /** The key signs from this time on. */
  activatedAt: number;
  /** After this time the key no longer signs; null while no retirement is planned. */
  retiresAt: number | null;
}

/** One store path held by a cache: its narinfo and the (compressed) NAR file it points to. */
export interface CacheObjectRecord {
  cacheName: string;
  /** The 32-character nix-base32 hash part of the store path. */
  storePathHash: string;
  /** Object-storage key of the narinfo. */
  narinfoKey: string;
  narHash: string;
  narSize: number;
  /** Object-storage key of the NAR file, and its size as stored (after compression). */
  fileKey: string;
  fileSize: number;
  /** Store paths (base names) this path refers to. */
  references: string[];
  createdAt: number;
  lastAccessedAt: number;
}

export interface CacheRepo {
  /**
   * Creates the cache with its first signing key, both or neither. Rejects with KILN_ERR_CONFLICT
   * when the name is taken (deleted caches included) or the key name is in use, and with
   * KILN_ERR_VALIDATION when `firstKey.cacheName` is not `cache.name`.
   */
  create(cache: NewCache, firstKey: CacheKeyRecord): Promise<CacheRecord>;
  /** The cache, deleted or not. */
  get(name: string): Promise<CacheRecord | undefined>;
  /** Every cache, deleted ones included, by name. */
  list(): Promise<CacheRecord[]>;
  /** Marks the cache deleted; false if it is missing or already deleted (the first time is kept). */
  markDeleted(name: string, now: number): Promise<boolean>;
  /**
   * Adds a key (rotation). Rejects with KILN_ERR_NOT_FOUND when the cache is missing or deleted and
   * with KILN_ERR_CONFLICT when the key name is in use.
   */
  addKey(key: CacheKeyRecord): Promise<void>;
  /** Every key of the cache, retired ones included, by activation time then name. */
  keys(cacheName: string): Promise<CacheKeyRecord[]>;
  /**
   * Keys that sign at `now` (`activatedAt <= now` and `retiresAt` null or later than `now`), by
   * activation time then name. Empty for a missing or deleted cache.
   */
  signingKeys(cacheName: string, now: number): Promise<CacheKeyRecord[]>;
  /**
   * Plans the key's retirement at `at`. Retirement only ever moves earlier, so that a retired key
   * never signs again. Returns the key as now stored, or undefined if there is no such key.
   */
  retireKey(cacheName: string, keyName: string, at: number): Promise<CacheKeyRecord | undefined>;

  /**
   * Records a path, replacing an earlier record of the same path. Rejects with KILN_ERR_NOT_FOUND
   * when the cache is missing or deleted.
   */
  putPath(object: CacheObjectRecord): Promise<void>;
  getPath(cacheName: string, storePathHash: string): Promise<CacheObjectRecord | undefined>;
  /** The given hashes the cache does not hold, in the order given, each once. */
  missingPaths(cacheName: string, storePathHashes: readonly string[]): Promise<string[]>;
  /** False if the path was not recorded. */
  deletePath(cacheName: string, storePathHash: string): Promise<boolean>;
}
