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
  /** Paths neither fetched nor pushed for this many days go at the next GC; null keeps them. */
  retentionDays: number | null;
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

/**
 * One stored NAR file, shared by every cache that holds a path with this NarHash: the warehouse
 * keeps each NAR once, whichever cache or compression it was uploaded with.
 */
export interface NarRecord {
  /** `sha256:<nix-base32>` of the uncompressed NAR; the identity of the NAR. */
  narHash: string;
  narSize: number;
  /** Object-storage key of the stored (compressed) file, e.g. `nar/<fileHash>.nar.zst`. */
  fileKey: string;
  /** A compression name Nix knows (`none`, `xz`, `zstd`, `bzip2`, ...). */
  compression: string;
  /** `sha256:<nix-base32>` of the stored file. */
  fileHash: string;
  fileSize: number;
  createdAt: number;
}

/** One store path held by a cache: its narinfo fields and the NAR (by NarHash) it points to. */
export interface CacheObjectRecord {
  cacheName: string;
  /** The 32-character nix-base32 hash part of the store path. */
  storePathHash: string;
  /** The full store path, `/nix/store/<hash>-<name>`. */
  storePath: string;
  /** Must name a recorded NAR (putNar first). */
  narHash: string;
  narSize: number;
  /** Store path base names this path refers to, as in a narinfo's References line. */
  references: string[];
  /** Base name of the deriver, or null when unknown. */
  deriver: string | null;
  /** The content address (`CA:` line), or null. */
  ca: string | null;
  /** Signatures sent by the uploader (`name:base64`), kept and served next to the cache's own. */
  signatures: string[];
  createdAt: number;
  lastAccessedAt: number;
}

/** A path as served: the object joined with its NAR file. */
export interface CachePathView extends CacheObjectRecord {
  nar: NarRecord;
}

/** Counters of one cache, as kept by addStats; all start at zero. */
export interface CacheCounters {
  narinfoHits: number;
  narinfoMisses: number;
  narsServed: number;
  narBytesServed: number;
  uploads: number;
  uploadBytes: number;
}

/** The counters added during [start, end) (epoch milliseconds). */
export interface CacheCounterBucket extends CacheCounters {
  start: number;
  end: number;
}

/** `buckets` consecutive buckets of `bucketMs` each, the first starting at `since`. */
export interface CounterHistoryQuery {
  since: number;
  bucketMs: number;
  buckets: number;
}

/** What a cache holds now, computed from its objects. */
export interface CacheUsage {
  objects: number;
  /** Sum of the NAR sizes (uncompressed) of the cache's paths. */
  narBytes: number;
  /** Sum of the stored file sizes of the NARs its paths point to (a shared NAR counts in each cache). */
  fileBytes: number;
  pins: number;
}

/** What garbage collection needs to know about one path. */
export interface CachePathSummary {
  storePathHash: string;
  storePath: string;
  narHash: string;
  narSize: number;
  fileSize: number;
  references: string[];
  createdAt: number;
  lastAccessedAt: number;
}

export interface CachePin {
  cacheName: string;
  storePathHash: string;
  /** The full store path, for display. */
  storePath: string;
  createdAt: number;
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

  /** Sets the retention in days (null keeps paths forever). False if the cache is missing or deleted. */
  setRetention(cacheName: string, days: number | null): Promise<boolean>;

  /**
   * Records a NAR unless one with the same NarHash is recorded already, and records `fileKey` as a
   * name under which it can be found (getNarByFileKey) either way. Returns the NAR as now recorded
   * and whether this call created it: when `created` is false the caller's file is a duplicate
   * (unless its key is the recorded `fileKey`) and may be deleted.
   */
  putNar(nar: NarRecord): Promise<{ nar: NarRecord; created: boolean }>;
  getNar(narHash: string): Promise<NarRecord | undefined>;
  /** The NAR stored under, or first uploaded as, `fileKey`. */
  getNarByFileKey(fileKey: string): Promise<NarRecord | undefined>;
  /** Whether the cache holds a path whose NAR is `narHash`. */
  cacheHasNar(cacheName: string, narHash: string): Promise<boolean>;

  /**
   * Records a path, replacing an earlier record of the same path, in one transaction that checks:
   * the cache is live (else KILN_ERR_NOT_FOUND), the NAR is recorded (else KILN_ERR_VALIDATION with
   * `details.narHash`) and every reference other than the path itself is held by the cache (else
   * KILN_ERR_VALIDATION with `details.missing`, the missing base names). So a path is never
   * visible before what it references.
   */
  putPath(object: CacheObjectRecord): Promise<void>;
  getPath(cacheName: string, storePathHash: string): Promise<CachePathView | undefined>;
  /** The given hashes the cache does not hold, in the order given, each once. */
  missingPaths(cacheName: string, storePathHashes: readonly string[]): Promise<string[]>;
  /**
   * Replaces the signatures of a held path (the server's own are added when a new key first signs
   * it). False if the cache does not hold the path: a collected path is never brought back.
   */
  setSignatures(cacheName: string, storePathHash: string, signatures: readonly string[]): Promise<boolean>;
  /** Sets lastAccessedAt of the given paths (missing ones are ignored). */
  touchPaths(cacheName: string, storePathHashes: readonly string[], at: number): Promise<void>;
  /** Every path of the cache, by hash. */
  listPaths(cacheName: string): Promise<CachePathSummary[]>;
  /**
   * Deletes the given paths in one transaction, except pinned paths and paths still referenced by
   * a path that remains (a kept path's references are never deleted, so neither is anything a
   * pinned path references, transitively). Requested paths referenced only by other requested paths
   * that are deleted go too, so a whole chain can be deleted at once. Returns the hashes actually
   * deleted, in the order given, each once; hashes the cache does not hold are ignored.
   */
  deletePaths(cacheName: string, storePathHashes: readonly string[]): Promise<string[]>;
  /**
   * Deletes the records of NARs no cache path points to any more, created before `createdBefore`
   * (so that a NAR uploaded just before its narinfo is kept), and returns them: their files, and
   * every alias key, are the caller's to delete from storage.
   */
  deleteUnreferencedNars(
    createdBefore: number,
    limit: number,
  ): Promise<{ nar: NarRecord; aliases: string[] }[]>;

  /** Pins a held path; false if the cache does not hold it. Pinning twice keeps the first time. */
  pin(cacheName: string, storePathHash: string, now: number): Promise<boolean>;
  unpin(cacheName: string, storePathHash: string): Promise<boolean>;
  pins(cacheName: string): Promise<CachePin[]>;

  /**
   * Adds to the cache's counters and, in the same transaction, to those of the 5-minute bucket
   * holding `at` (default: now); deltas may be zero; a missing cache is ignored.
   */
  addStats(cacheName: string, deltas: Partial<CacheCounters>, at?: number): Promise<void>;
  /**
   * The counters added in each requested bucket, oldest first, every bucket (zeros included).
   * Counts are kept per 5 minutes: a stored 5-minute bucket counts in the requested bucket that
   * holds its start, so buckets that are multiples of 5 minutes, aligned to them, are exact.
   */
  counterHistory(cacheName: string, query: CounterHistoryQuery): Promise<CacheCounterBucket[]>;
  counters(cacheName: string): Promise<CacheCounters>;
  usage(cacheName: string): Promise<CacheUsage>;
}
