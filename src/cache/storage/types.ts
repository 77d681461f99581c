import type { Readable } from 'node:stream';

/**
 * What a backend knows about one stored object. Keys are relative, '/'-separated paths such as
 * `nar/<hash>.nar.xz`, `<hash>.narinfo` or `log/<drv>` (see keys.ts for the accepted form).
 */
export interface ObjectInfo {
  readonly key: string;
  /** Total size in bytes, whatever range was read. */
  readonly size: number;
  /** When the current content was written; backs Last-Modified and cache expiry. */
  readonly modifiedAt: Date;
}

/** A byte range with an inclusive end, as in an HTTP Range header (`bytes=start-end`). */
export interface ByteRange {
  readonly start: number;
  /** Inclusive; omitted means "to the end". An end past the object is clamped to its last byte. */
  readonly end?: number;
}

export interface ReadResult {
  readonly info: ObjectInfo;
  /**
   * The requested bytes. The caller must consume or destroy it: a backend may hold a file
   * descriptor or a connection until then.
   */
  readonly stream: Readable;
  /** The bytes actually served, end inclusive (what a Content-Range header needs). */
  readonly range: { readonly start: number; readonly end: number };
}

export interface WriteOptions {
  /** Aborting before the object is committed rejects the write and leaves nothing visible. */
  readonly signal?: AbortSignal;
}

/**
 * Object storage for the warehouse (the binary cache). Contract, checked by
 * test/conformance/storage-conformance.ts for every backend:
 *
 * - Invalid keys (and list prefixes) reject with KILN_ERR_VALIDATION before any I/O.
 * - `write` is atomic: readers see either the previous object (or nothing) or the complete new one,
 *   never a partial one. A write whose source fails or whose signal aborts rejects and leaves the
 *   previous state untouched. Among concurrent writers to one key the last commit wins.
 * - `read` returns undefined for a missing key. A range whose start is at or past the end of the
 *   object (which includes every range of an empty object) is KILN_ERR_VALIDATION, with
 *   `details.size`, so the HTTP layer can answer 416 with `Content-Range: bytes * /size`.
 *   A read is a snapshot: an overwrite during the read does not change the bytes it returns.
 * - `delete` returns whether an object was removed.
 * - `list(prefix)` yields every object whose key starts with `prefix` (a plain string prefix, as
 *   in S3: `nar/` lists all NARs, `nar/0a` some of them), ascending by key in byte order.
 *   Objects written or deleted during a listing may or may not appear.
 */
export interface ObjectStorage {
  has(key: string): Promise<ObjectInfo | undefined>;
  read(key: string, range?: ByteRange): Promise<ReadResult | undefined>;
  write(
    key: string,
    source: AsyncIterable<Uint8Array> | Readable,
    options?: WriteOptions,
  ): Promise<ObjectInfo>;
  delete(key: string): Promise<boolean>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /**
   * Optional: a URL anyone holding it can GET the object from for `expiresSeconds`, without
   * kiln in the way (S3's presigned URLs). Backends that cannot hand out such URLs leave it out.
   * The URL does not check that the object exists.
   */
  downloadUrl?(key: string, expiresSeconds: number): Promise<string>;
}
