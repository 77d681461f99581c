import type { CacheKeyRecord, CacheObjectRecord, CacheRecord } from '../types.js';

export interface CacheRow {
  name: string;
  private: number;
  priority: number;
  created_at: number;
  deleted_at: number | null;
}

export interface CacheKeyRow {
  cache_name: string;
  key_name: string;
  public_key: string;
  secret_key_ciphertext: string;
  created_at: number;
  activated_at: number;
  retires_at: number | null;
}

export interface CacheObjectRow {
  cache_name: string;
  store_path_hash: string;
  narinfo_key: string;
  nar_hash: string;
  nar_size: number;
  file_key: string;
  file_size: number;
  refs: string;
  created_at: number;
  last_accessed_at: number;
}

/** Named parameters for cache_objects, with references encoded as the stored JSON. */
export type CacheObjectParams = Omit<CacheObjectRecord, 'references'> & { refs: string };

export function rowToCache(row: CacheRow): CacheRecord {
  return {
    name: row.name,
    // SQLite has no boolean type; the column is checked to hold 0 or 1.
    private: row.private === 1,
    priority: row.priority,
    createdAt: row.created_at,
    deletedAt: row.deleted_at,
  };
}

export function rowToCacheKey(row: CacheKeyRow): CacheKeyRecord {
  return {
    cacheName: row.cache_name,
    keyName: row.key_name,
    publicKey: row.public_key,
    secretKeyCiphertext: row.secret_key_ciphertext,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    retiresAt: row.retires_at,
  };
}

export function rowToCacheObject(row: CacheObjectRow): CacheObjectRecord {
  return {
    cacheName: row.cache_name,
    storePathHash: row.store_path_hash,
    narinfoKey: row.narinfo_key,
    narHash: row.nar_hash,
    narSize: row.nar_size,
    fileKey: row.file_key,
    fileSize: row.file_size,
    // Only this backend writes the column, always from a string array.
    references: JSON.parse(row.refs) as string[],
    createdAt: row.created_at,
    lastAccessedAt: row.last_accessed_at,
  };
}

/** Picks exactly the columns, so that extra properties on the caller's object never reach SQL. */
export function cacheKeyParams(key: CacheKeyRecord): CacheKeyRecord {
  const { cacheName, keyName, publicKey, secretKeyCiphertext, createdAt, activatedAt, retiresAt } = key;
  return { cacheName, keyName, publicKey, secretKeyCiphertext, createdAt, activatedAt, retiresAt };
}

export function cacheObjectParams(object: CacheObjectRecord): CacheObjectParams {
  const { cacheName, storePathHash, narinfoKey, narHash, narSize, fileKey, fileSize } = object;
  const { createdAt, lastAccessedAt } = object;
  return {
    cacheName,
    storePathHash,
    narinfoKey,
    narHash,
    narSize,
    fileKey,
    fileSize,
    refs: JSON.stringify(object.references),
    createdAt,
    lastAccessedAt,
  };
}
