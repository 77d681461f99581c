/**
 * A real S3 API server for tests: npm's s3rver (a Koa server speaking S3's REST protocol) on a
 * loopback port, over a temporary directory. Neither MinIO nor Garage can be installed here (no
 * npm or Debian package ships a server binary), so s3rver it is. It knows access key ids but does
 * not check SigV4 signatures, and lets anonymous requests in: tests here cannot prove auth.
 *
 * s3rver 3.7 departs from S3 in five ways our storage contract depends on, which this helper puts
 * right in s3rver's filesystem store and routes (nothing on the client side is touched):
 * - a PUT overwrites the object file in place, so readers see partial objects; here it writes a
 *   temporary file and renames it, as S3's atomic PUT promises;
 * - a GET stats the path and opens it separately; here it opens first and stats the descriptor,
 *   so one GET serves one version (S3 streams the version it started with);
 * - listings come in directory order, and pagination skips keys; here they are in key order;
 * - ListObjectsV2 continuation tokens are DES-encrypted, which OpenSSL 3 (Node 17+) refuses, so
 *   every truncated listing fails; here ListObjectsV2 is answered with plain tokens;
 * - AbortMultipartUpload is not routed (405); here it discards the upload's parts.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import S3rver from 's3rver';

const require = createRequire(import.meta.url);

/** s3rver's access key pair (its defaults; any other is refused). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const S3_TEST_REGION = 'us-east-1';

export interface S3TestServer {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly directory: string;
  /** Creates an empty bucket with a fresh name and returns the name. */
  createBucket(): Promise<string>;
  /** Upload ids of multipart uploads begun and neither completed nor aborted. */
  pendingUploads(bucket: string): string[];
  /** Files s3rver keeps for objects (`<key>._S3rver_object`), as keys, sorted. */
  objectFiles(bucket: string): string[];
  close(): Promise<void>;
}

// --- the parts of s3rver's internals this helper builds on (no types ship for them) ---------------

interface S3ObjectLike {
  bucket: string;
  key: string;
  content: Buffer | Readable | null;
  metadata: Record<string, string | number>;
  range?: { start: number; end: number };
  readonly size: number;
}
interface StoreLike {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getBucketPath(bucket: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, unknown>, md5?: string): Promise<void>;
  putBucket(bucket: string): Promise<unknown>;
  listObjects(
    bucket: string,
    options: { delimiter?: string; startAfter?: string; prefix?: string; maxKeys?: number },
  ): Promise<{ objects: S3ObjectLike[]; commonPrefixes: string[]; isTruncated: boolean }>;
}
type StoreClass = new (directory: string) => StoreLike;
type S3ObjectClass = new (
  bucket: string,
  key: string,
  content: Readable | null,
  metadata: Record<string, unknown>,
) => S3ObjectLike;
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  status: number;
  type: string;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

const FilesystemStore = require('s3rver/lib/stores/filesystem') as StoreClass;
const S3Object = require('s3rver/lib/models/object') as S3ObjectClass;

const OBJECT_SUFFIX = '._S3rver_object';

class FaithfulStore extends FilesystemStore {
  /** Content to a temporary file (not named like an object file, so never listed), then renamed. */
  async putObject(object: S3ObjectLike): Promise<{ size: number; md5: string }> {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const temp = `${objectPath}.tmp-${randomUUID()}`;
    const md5 = createHash('md5');
    let size = 0;
    const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    if (content === null) throw new Error('putObject without content');
    try {
      await pipeline(
        content,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            md5.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        }),
        createWriteStream(temp),
      );
      await rename(temp, objectPath);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const digest = md5.digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  }

  /** Opens the object first: size, range and bytes all come from that one open file. */
  async getObject(
    bucket: string,
    key: string,
    options?: { start?: number; end?: number },
  ): Promise<S3ObjectLike | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.getResourcePath(bucket, key, 'object'), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const stats = await handle.stat();
    const stored = await readFile(this.getResourcePath(bucket, key, 'metadata.json'), 'utf8').then(
      (text) => JSON.parse(text) as Record<string, unknown>,
      () => ({}),
    );
    const metadata = {
      ...stored,
      etag: JSON.stringify(`${stats.ino}-${stats.mtimeMs}`),
      'last-modified': stats.mtime.toUTCString(),
      'content-length': stats.size,
    };
    const ranged = options !== undefined && (options.start !== undefined || options.end !== undefined);
    if (!ranged) return new S3Object(bucket, key, handle.createReadStream(), metadata);
    const start = options.start ?? 0;
    const end = Math.min(options.end ?? Infinity, stats.size - 1);
    if (start >= stats.size) {
      // Unsatisfiable (every range of an empty object too): s3rver answers 416 for no content.
      await handle.close();
      const object = new S3Object(bucket, key, null, metadata);
      object.range = { start, end };
      return object;
    }
    const object = new S3Object(bucket, key, handle.createReadStream({ start, end }), metadata);
    object.range = { start, end };
    return object;
  }

  override async listObjects(
    bucket: string,
    options: { delimiter?: string; startAfter?: string; prefix?: string; maxKeys?: number },
  ): Promise<{ objects: S3ObjectLike[]; commonPrefixes: string[]; isTruncated: boolean }> {
    const all = await super.listObjects(bucket, { ...options, startAfter: '', maxKeys: Infinity });
    const after = options.startAfter ?? '';
    const sorted = all.objects
      .filter((object) => object.key > after)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const maxKeys = options.maxKeys ?? Infinity;
    return {
      objects: sorted.slice(0, maxKeys),
      commonPrefixes: all.commonPrefixes,
      isTruncated: sorted.length > maxKeys,
    };
  }
}

/** DELETE /bucket/key?uploadId=X: S3's AbortMultipartUpload. */
function abortMultipartUpload(store: StoreLike): KoaMiddleware {
  return async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || uploadId === undefined || !/^[\w-]+$/.test(uploadId)) return next();
    const bucket = ctx.path.split('/')[1] ?? '';
    await rm(join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId), {
      recursive: true,
      force: true,
    });
    ctx.status = 204;
  };
}

/** GET /bucket?list-type=2: ListObjectsV2 (no delimiter support: kiln lists flat). */
function listObjectsV2(store: StoreLike): KoaMiddleware {
  return async (ctx, next) => {
    const segments = ctx.path.split('/').filter(Boolean);
    if (ctx.method !== 'GET' || ctx.query['list-type'] !== '2' || segments.length !== 1) return next();
    if (ctx.query.delimiter) return next();
    const bucket = segments[0] ?? '';
    const prefix = ctx.query.prefix ?? '';
    const maxKeys = Math.min(1000, Number(ctx.query['max-keys'] ?? 1000));
    const token = ctx.query['continuation-token'];
    const startAfter =
      token === undefined ? (ctx.query['start-after'] ?? '') : Buffer.from(token, 'base64url').toString();
    const page = await store.listObjects(bucket, { prefix, startAfter, maxKeys });
    const last = page.objects.at(-1)?.key;
    const contents = page.objects.map(
      (object) =>
        `<Contents><Key>${xml(object.key)}</Key><LastModified>${new Date(
          String(object.metadata['last-modified']),
        ).toISOString()}</LastModified><ETag>${xml(String(object.metadata.etag))}</ETag><Size>${
          object.size
        }</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><MaxKeys>${maxKeys}</MaxKeys>` +
      `<KeyCount>${page.objects.length}</KeyCount><IsTruncated>${page.isTruncated}</IsTruncated>` +
      (page.isTruncated && last !== undefined
        ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>`
        : '') +
      contents.join('') +
      '</ListBucketResult>';
  };
}

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

interface S3rverInternals {
  store: StoreLike;
  context: { store: StoreLike };
  middleware: KoaMiddleware[];
}

/**
 * Starts an S3 server on 127.0.0.1 (a free port) over a fresh directory. With a test context it is
 * closed and its directory removed when that test (or suite) ends.
 */
export async function startS3Server(t?: { after(fn: () => unknown): void }): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'kiln-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const internals = server as unknown as S3rverInternals;
  const store = new FaithfulStore(directory);
  internals.store = internals.context.store = store;
  // Koa composes its middleware when the server starts. These go last but one: after s3rver's
  // logging, error rendering and access-key check, before its router.
  internals.middleware.splice(-1, 0, abortMultipartUpload(store), listObjectsV2(store));
  const address = await server.run();
  let bucketCount = 0;
  let closed = false;

  const result: S3TestServer = {
    endpoint: `http://127.0.0.1:${address.port}`,
    directory,
    async createBucket() {
      bucketCount += 1;
      const name = `kiln-test-${bucketCount}`;
      await store.putBucket(name);
      return name;
    },
    pendingUploads(bucket) {
      const uploads = store.getResourcePath(bucket, undefined, 'uploads');
      return existsSync(uploads) ? readdirSync(uploads).sort() : [];
    },
    objectFiles(bucket) {
      const root = store.getBucketPath(bucket);
      return readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && entry.name.endsWith(OBJECT_SUFFIX))
        .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1, -OBJECT_SUFFIX.length))
        .sort();
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      rmSync(directory, { recursive: true, force: true, maxRetries: 5 });
    },
  };
  t?.after(() => result.close());
  return result;
}
