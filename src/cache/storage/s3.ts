import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { KilnError } from '../../errors/index.js';
import { assertValidKey, assertValidPrefix, isValidKey, keyProblem } from './keys.js';
import { assertRangeShape, resolveRange } from './range.js';
import { abortableChunks, prepend, readHead } from './s3-source.js';
import { bodyStream, isInvalidRange, isNotFound, servedSpan } from './s3-responses.js';
import type { ByteRange, ObjectInfo, ObjectStorage, ReadResult } from './types.js';

const MiB = 1024 * 1024;
/** S3 rejects multipart parts below 5 MiB (all but the last). */
export const S3_MIN_PART_BYTES = 5 * MiB;

export interface S3StorageOptions {
  /** e.g. `http://127.0.0.1:9000` for MinIO or Garage; empty for AWS itself. */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  /** Keys live under `<prefix>/` in the bucket, so one bucket can hold other things too. */
  readonly prefix?: string;
  /** `http://endpoint/bucket/key` instead of `http://bucket.endpoint/key` (MinIO, Garage, s3rver). */
  readonly forcePathStyle?: boolean;
  /** Omitted: the SDK's default provider chain (instance roles, web identity, shared files). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Objects up to this size are buffered and sent in one PUT; larger ones go multipart. */
  readonly multipartThresholdBytes?: number;
  /** Size of each multipart part (at least 5 MiB); up to `uploadConcurrency` are buffered at once. */
  readonly partSizeBytes?: number;
  readonly uploadConcurrency?: number;
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1000). */
  readonly listPageSize?: number;
}

/** The S3 backend: object storage plus presigned downloads and closing its connections. */
export interface S3ObjectStorage extends ObjectStorage {
  downloadUrl(key: string, expiresSeconds: number): Promise<string>;
  /** Closes idle connections; the storage is not used afterwards. */
  close(): void;
}

/**
 * Objects in an S3-compatible bucket, one per key under an optional prefix.
 *
 * How the contract maps to S3: a PUT or a completed multipart upload replaces an object atomically,
 * and a GET streams one version of it, so writes are atomic and reads are snapshots by the
 * protocol. A write whose source fails or aborts never completes its upload: small objects are
 * buffered until the source has ended and only then PUT; large ones abort their multipart upload,
 * which discards the parts. `delete` asks HEAD first to report whether there was an object (S3's
 * DELETE answers the same either way), so that answer can be stale under a concurrent write.
 * `modifiedAt` of a write is the local time it committed; listings show the server's time.
 */
export function createS3Storage(options: S3StorageOptions): S3ObjectStorage {
  const bucket = options.bucket;
  const root = normalizePrefix(options.prefix ?? '');
  const threshold = options.multipartThresholdBytes ?? 16 * MiB;
  const partSize = options.partSizeBytes ?? 8 * MiB;
  const queueSize = options.uploadConcurrency ?? 4;
  if (!Number.isSafeInteger(threshold) || threshold < 0)
    throw new KilnError('KILN_ERR_CONFIG', 'multipartThresholdBytes must be a whole number >= 0');
  if (!Number.isSafeInteger(partSize) || partSize < S3_MIN_PART_BYTES)
    throw new KilnError('KILN_ERR_CONFIG', `partSizeBytes must be at least ${S3_MIN_PART_BYTES} (5 MiB)`);
  if (!Number.isSafeInteger(queueSize) || queueSize < 1)
    throw new KilnError('KILN_ERR_CONFIG', 'uploadConcurrency must be at least 1');

  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    // Checksums only where S3 requires them: newer SDK defaults (CRC32 trailers on every PUT) are
    // not understood by every S3-compatible server, and our NAR uploads carry their own hash.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const objectKey = (key: string): string => root + key;

  async function has(key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      return { key, size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async function read(key: string, range: ByteRange | undefined): Promise<ReadResult | undefined> {
    // A range past the end is a 416 without the object's size; HEAD tells it. Should the object
    // have grown in between, the range may fit now: ask again (a few times at most).
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: objectKey(key),
            ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end ?? ''}` }),
          }),
        );
      } catch (error) {
        if (isNotFound(error)) return undefined;
        if (range === undefined || !isInvalidRange(error) || attempt >= 2) throw error;
        const info = await has(key);
        if (info === undefined) return undefined;
        resolveRange(range, info.size); // throws KILN_ERR_VALIDATION with the size, as a rule
        continue;
      }
      const stream = bodyStream(response.Body);
      try {
        const served = servedSpan(response.ContentRange, response.ContentLength);
        // Servers differ on ranges of empty objects (416, or a 206 for nothing): check ourselves.
        const wanted = resolveRange(range, served.size);
        if (served.size > 0 && (wanted.start !== served.start || wanted.end !== served.end))
          throw new KilnError('KILN_ERR_INTERNAL', 'object storage served another byte range than asked', {
            key,
            wanted,
            served,
          });
        const info = { key, size: served.size, modifiedAt: response.LastModified ?? new Date(0) };
        return { info, stream, range: wanted };
      } catch (error) {
        stream.destroy();
        throw error;
      }
    }
  }

  async function write(
    key: string,
    source: AsyncIterable<Uint8Array> | Readable,
    signal: AbortSignal | undefined,
  ): Promise<ObjectInfo> {
    signal?.throwIfAborted();
    const chunks = abortableChunks(source as AsyncIterable<Uint8Array>, signal);
    try {
      const { head, size, ended } = await readHead(chunks, threshold + 1);
      if (ended) {
        const body = Buffer.concat(head, size);
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: objectKey(key), Body: body, ContentLength: size }),
        );
        return { key, size, modifiedAt: new Date() };
      }
      const counter = { bytes: 0 };
      // lib-storage reads the source part by part and, if it fails, aborts the multipart upload
      // (leavePartsOnError: false) so no part outlives the failed write.
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: objectKey(key), Body: Readable.from(prepend(head, chunks, counter)) },
        partSize,
        queueSize,
        leavePartsOnError: false,
      });
      await upload.done();
      return { key, size: counter.bytes, modifiedAt: new Date() };
    } finally {
      // Ends the source when we stop early; a no-op once it has ended.
      chunks.return(undefined).catch(() => undefined);
    }
  }

  async function* listFrom(prefix: string): AsyncGenerator<ObjectInfo> {
    let continuationToken: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: objectKey(prefix),
          ...(options.listPageSize === undefined ? {} : { MaxKeys: options.listPageSize }),
          ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
        }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(root.length);
        // Objects someone else put under our prefix with names we never use are not ours.
        if (key === undefined || !isValidKey(key)) continue;
        yield { key, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
      }
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  return {
    async has(key) {
      assertValidKey(key);
      return await has(key);
    },

    async read(key, range) {
      assertValidKey(key);
      if (range !== undefined) assertRangeShape(range);
      return await read(key, range);
    },

    async write(key, source, writeOptions) {
      assertValidKey(key);
      return await write(key, source, writeOptions?.signal);
    },

    async delete(key) {
      assertValidKey(key);
      const existed = (await has(key)) !== undefined;
      if (existed) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      return existed;
    },

    list(prefix) {
      assertValidPrefix(prefix);
      return listFrom(prefix);
    },

    async downloadUrl(key, expiresSeconds) {
      assertValidKey(key);
      if (!Number.isSafeInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > 604_800)
        throw new KilnError('KILN_ERR_VALIDATION', 'a presigned URL lives 1 second to 7 days', {
          expiresSeconds,
        });
      return await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }), {
        expiresIn: expiresSeconds,
      });
    },

    close() {
      client.destroy();
    },
  };
}

/** '' stays ''; 'a/b' and 'a/b/' become 'a/b/'. */
function normalizePrefix(prefix: string): string {
  const bare = prefix.replace(/\/+$/, '');
  if (bare === '') return '';
  const problem = keyProblem(bare);
  if (problem !== undefined) throw new KilnError('KILN_ERR_CONFIG', `invalid S3 key prefix: ${problem}`);
  return `${bare}/`;
}
