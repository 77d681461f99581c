import type {
  CacheCounters,
  CacheKeyRecord,
  CacheObjectRecord,
  CachePathSummary,
  CachePathView,
  CachePin,
  CacheRecord,
  NarRecord,
} from '../types.js';

export interface CacheRow {
  name: string;
  private: number;
  priority: number;
  retention_days: number | null;
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

export interface NarRow {
  nar_hash: string;
  nar_size: number;
  file_key: string;
  compression: string;
  file_hash: string;
  file_size: number;
  created_at: number;
}

export interface CacheObjectRow {
  cache_name: string;
  store_path_hash: string;
  store_path: string;
  nar_hash: string;
  nar_size: number;
  refs: string;
  deriver: string | null;
  ca: string | null;
  sigs: string;
  created_at: number;
  last_accessed_at: number;
}

/** A cache_objects row joined with its nars row; the NAR's columns carry a `nar_` prefix. */
export interface CachePathViewRow extends CacheObjectRow {
  nar_nar_size: number;
  nar_file_key: string;
  nar_compression: string;
  nar_file_hash: string;
  nar_file_size: number;
  nar_created_at: number;
}

export interface CachePathSummaryRow {
  store_path_hash: string;
  store_path: string;
  nar_hash: string;
  nar_size: number;
  file_size: number;
  refs: string;
  created_at: number;
  last_accessed_at: number;
}

export interface CachePinRow {
  cache_name: string;
  store_path_hash: string;
  store_path: string;
  created_at: number;
}

export interface CacheCountersRow {
  narinfo_hits: number;
  narinfo_misses: number;
  nars_served: number;
  nar_bytes_served: number;
  uploads: number;
  upload_bytes: number;
}

/** Named parameters for cache_objects, with the arrays encoded as the stored JSON. */
export type CacheObjectParams = Omit<CacheObjectRecord, 'references' | 'signatures'> & {
  refs: string;
  sigs: string;
};

export function rowToCache(row: CacheRow): CacheRecord {
  return {
    name: row.name,
    // SQLite has no boolean type; the column is checked to hold 0 or 1.
    private: row.private === 1,
    priority: row.priority,
    retentionDays: row.retention_days,
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

export function rowToNar(row: NarRow): NarRecord {
  return {
    narHash: row.nar_hash,
    narSize: row.nar_size,
    fileKey: row.file_key,
    compression: row.compression,
    fileHash: row.file_hash,
    fileSize: row.file_size,
    createdAt: row.created_at,
  };
}

/** Only this backend writes the JSON columns, always from a string array. */
function stringArray(json: string): string[] {
  return JSON.parse(json) as string[];
}

export function rowToCacheObject(row: CacheObjectRow): CacheObjectRecord {
  return {
    cacheName: row.cache_name,
    storePathHash: row.store_path_hash,
    storePath: row.store_path,
    narHash: row.nar_hash,
    narSize: row.nar_size,
    references: stringArray(row.refs),
    deriver: row.deriver,
    ca: row.ca,
    signatures: stringArray(row.sigs),
    createdAt: row.created_at,
    lastAccessedAt: row.last_accessed_at,
  };
}

export function rowToCachePathView(row: CachePathViewRow): CachePathView {
  return {
    ...rowToCacheObject(row),
    nar: {
      narHash: row.nar_hash,
      narSize: row.nar_nar_size,
      fileKey: row.nar_file_key,
      compression: row.nar_compression,
      fileHash: row.nar_file_hash,
      fileSize: row.nar_file_size,
      createdAt: row.nar_created_at,
    },
  };
}

export function rowToCachePathSummary(row: CachePathSummaryRow): CachePathSummary {
  return {
    storePathHash: row.store_path_hash,
    storePath: row.store_path,
    narHash: row.nar_hash,
    narSize: row.nar_size,
    fileSize: row.file_size,
    references: stringArray(row.refs),
    createdAt: row.created_at,
    lastAccessedAt: row.last_accessed_at,
  };
}

export function rowToCachePin(row: CachePinRow): CachePin {
  return {
    cacheName: row.cache_name,
    storePathHash: row.store_path_hash,
    storePath: row.store_path,
    createdAt: row.created_at,
  };
}

export function rowToCacheCounters(row: CacheCountersRow | undefined): CacheCounters {
  return {
    narinfoHits: row?.narinfo_hits ?? 0,
    narinfoMisses: row?.narinfo_misses ?? 0,
    narsServed: row?.nars_served ?? 0,
    narBytesServed: row?.nar_bytes_served ?? 0,
    uploads: row?.uploads ?? 0,
    uploadBytes: row?.upload_bytes ?? 0,
  };
}

/** Picks exactly the columns, so that extra properties on the caller's object never reach SQL. */
export function cacheKeyParams(key: CacheKeyRecord): CacheKeyRecord {
  const { cacheName, keyName, publicKey, secretKeyCiphertext, createdAt, activatedAt, retiresAt } = key;
  return { cacheName, keyName, publicKey, secretKeyCiphertext, createdAt, activatedAt, retiresAt };
}

export function narParams(nar: NarRecord): NarRecord {
  const { narHash, narSize, fileKey, compression, fileHash, fileSize, createdAt } = nar;
  return { narHash, narSize, fileKey, compression, fileHash, fileSize, createdAt };
}

export function cacheObjectParams(object: CacheObjectRecord): CacheObjectParams {
  const { cacheName, storePathHash, storePath, narHash, narSize, deriver, ca } = object;
  const { createdAt, lastAccessedAt } = object;
  return {
    cacheName,
    storePathHash,
    storePath,
    narHash,
    narSize,
    refs: JSON.stringify(object.references),
    deriver,
    ca,
    sigs: JSON.stringify(object.signatures),
    createdAt,
    lastAccessedAt,
  };
}
