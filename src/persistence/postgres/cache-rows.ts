import type { CachePathView, NarRecord } from '../types.js';

/*
 * Column lists that select a table's row straight into its record shape (camelCase aliases), so
 * most queries need no mapping. BIGINT and NUMERIC come back as numbers (see db.ts), TEXT[] as
 * arrays.
 */

export const CACHE_COLUMNS = `name, private, priority, retention_days AS "retentionDays",
  created_at AS "createdAt", deleted_at AS "deletedAt"`;

export const CACHE_KEY_COLUMNS = `cache_name AS "cacheName", key_name AS "keyName",
  public_key AS "publicKey", secret_key_ciphertext AS "secretKeyCiphertext",
  created_at AS "createdAt", activated_at AS "activatedAt", retires_at AS "retiresAt"`;

/** The nars columns of alias `n`. */
export const NAR_COLUMNS = `n.nar_hash AS "narHash", n.nar_size AS "narSize", n.file_key AS "fileKey",
  n.compression, n.file_hash AS "fileHash", n.file_size AS "fileSize", n.created_at AS "createdAt"`;

/** A cache_objects row (alias `o`) with its nars row (alias `n`), the NAR's columns prefixed. */
export const PATH_VIEW_COLUMNS = `o.cache_name AS "cacheName", o.store_path_hash AS "storePathHash",
  o.store_path AS "storePath", o.nar_hash AS "narHash", o.nar_size AS "narSize",
  o.refs AS "references", o.deriver, o.ca, o.sigs AS signatures, o.created_at AS "createdAt",
  o.last_accessed_at AS "lastAccessedAt", n.nar_size AS "narNarSize", n.file_key AS "narFileKey",
  n.compression AS "narCompression", n.file_hash AS "narFileHash", n.file_size AS "narFileSize",
  n.created_at AS "narCreatedAt"`;

export const PATH_SUMMARY_COLUMNS = `o.store_path_hash AS "storePathHash", o.store_path AS "storePath",
  o.nar_hash AS "narHash", o.nar_size AS "narSize", n.file_size AS "fileSize", o.refs AS "references",
  o.created_at AS "createdAt", o.last_accessed_at AS "lastAccessedAt"`;

export const COUNTER_COLUMNS = `narinfo_hits AS "narinfoHits", narinfo_misses AS "narinfoMisses",
  nars_served AS "narsServed", nar_bytes_served AS "narBytesServed", uploads,
  upload_bytes AS "uploadBytes"`;

export interface PathViewRow extends Omit<CachePathView, 'nar'> {
  narNarSize: number;
  narFileKey: string;
  narCompression: string;
  narFileHash: string;
  narFileSize: number;
  narCreatedAt: number;
}

export function rowToPathView(row: PathViewRow): CachePathView {
  const { narNarSize, narFileKey, narCompression, narFileHash, narFileSize, narCreatedAt, ...object } = row;
  const nar: NarRecord = {
    narHash: object.narHash,
    narSize: narNarSize,
    fileKey: narFileKey,
    compression: narCompression,
    fileHash: narFileHash,
    fileSize: narFileSize,
    createdAt: narCreatedAt,
  };
  return { ...object, nar };
}
