import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  createS3Storage,
  S3_MIN_PART_BYTES,
  type ObjectStorage,
  type S3ObjectStorage,
  type S3StorageOptions,
} from '../../../src/cache/index.js';
import { isKilnError } from '../../../src/errors/index.js';
import { runStorageConformance } from '../../conformance/storage-conformance.js';
import { S3RVER_CREDENTIALS, S3_TEST_REGION, startS3Server, type S3TestServer } from '../../helpers/s3.js';

const MiB = 1024 * 1024;

let server: S3TestServer;
before(async () => {
  server = await startS3Server();
});
after(async () => {
  await server.close();
});

function storageOn(bucket: string, extra: Partial<S3StorageOptions> = {}): S3ObjectStorage {
  const storage = createS3Storage({
    endpoint: server.endpoint,
    region: S3_TEST_REGION,
    bucket,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    // Small enough that the conformance suite's larger objects go through lib-storage's Upload (one
    // part each: multipart with several parts is exercised below, with objects over 10 MiB).
    multipartThresholdBytes: MiB,
    partSizeBytes: S3_MIN_PART_BYTES,
    ...extra,
  });
  return storage;
}

async function* chunked(data: Uint8Array, size = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) {
    await Promise.resolve();
    yield data.subarray(offset, offset + size);
  }
}

async function listKeys(storage: ObjectStorage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of storage.list(prefix)) keys.push(info.key);
  return keys;
}

const buckets = new WeakMap<TestContext, string>();

runStorageConformance(
  's3 (s3rver)',
  async (t) => {
    const bucket = await server.createBucket();
    buckets.set(t, bucket);
    const storage = storageOn(bucket);
    t.after(() => storage.close());
    return storage;
  },
  {
    // No multipart upload left pending, and every object the server keeps is one the storage lists.
    assertNoLeftovers: async (t) => {
      const bucket = buckets.get(t);
      assert.ok(bucket);
      assert.deepEqual(server.pendingUploads(bucket), []);
      const listed = await listKeys(storageOn(bucket), '');
      assert.deepEqual(server.objectFiles(bucket), listed);
    },
  },
);

describe('s3 storage specifics', () => {
  it('stores an object larger than two parts through a multipart upload, whole', async (t) => {
    const bucket = await server.createBucket();
    const storage = storageOn(bucket, { multipartThresholdBytes: 5 * MiB, uploadConcurrency: 2 });
    t.after(() => storage.close());
    const data = randomBytes(12 * MiB + 12345);
    const info = await storage.write('nar/big.nar', chunked(data, 1000 * 1000));
    assert.equal(info.size, data.length);
    assert.equal((await storage.has('nar/big.nar'))?.size, data.length);
    const read = await storage.read('nar/big.nar');
    assert.ok(read);
    assert.ok(data.equals(await buffer(read.stream)));
    const tail = await storage.read('nar/big.nar', { start: 11 * MiB });
    assert.ok(tail);
    assert.deepEqual(tail.range, { start: 11 * MiB, end: data.length - 1 });
    assert.ok(data.subarray(11 * MiB).equals(await buffer(tail.stream)));
    assert.deepEqual(server.pendingUploads(bucket), []);
  });

  it('a multipart upload that fails after parts were sent aborts and leaves the old object', async (t) => {
    const bucket = await server.createBucket();
    const storage = storageOn(bucket, { multipartThresholdBytes: 5 * MiB });
    t.after(() => storage.close());
    await storage.write('nar/x.nar', chunked(Buffer.from('old')));
    let sent = 0;
    // Fails after three parts' worth of bytes, so parts were uploaded before it did.
    async function* failingLate(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunked(randomBytes(16 * MiB), MiB)) {
        yield chunk;
        sent += chunk.length;
        if (sent >= 16 * MiB) throw new Error('peer went away');
      }
    }
    await assert.rejects(storage.write('nar/x.nar', failingLate()), /peer went away/);
    assert.equal(sent, 16 * MiB);
    assert.equal((await buffer((await storage.read('nar/x.nar'))!.stream)).toString(), 'old');
    assert.deepEqual(server.pendingUploads(bucket), []);
    assert.deepEqual(server.objectFiles(bucket), ['nar/x.nar']);
  });

  it('an abort while a multipart upload waits for its source discards the parts', async (t) => {
    const bucket = await server.createBucket();
    const storage = storageOn(bucket, { multipartThresholdBytes: 5 * MiB });
    t.after(() => storage.close());
    const controller = new AbortController();
    let reached!: () => void;
    const stalled = new Promise<void>((done) => (reached = done));
    async function* stallingAfterParts(): AsyncGenerator<Uint8Array> {
      yield* chunked(randomBytes(11 * MiB), MiB);
      reached();
      await new Promise(() => undefined);
    }
    const write = storage.write('nar/y.nar', stallingAfterParts(), { signal: controller.signal });
    await stalled;
    // Wait until the server has the upload's parts: the abort must clean up something real.
    for (let i = 0; i < 200 && server.pendingUploads(bucket).length === 0; i++)
      await new Promise((done) => setTimeout(done, 25));
    assert.equal(server.pendingUploads(bucket).length, 1, 'a multipart upload was begun');
    controller.abort();
    await assert.rejects(write);
    assert.equal(await storage.has('nar/y.nar'), undefined);
    assert.deepEqual(server.pendingUploads(bucket), []);
  });

  it('keeps its objects under the prefix and lists them without it', async (t) => {
    const bucket = await server.createBucket();
    const storage = storageOn(bucket, { prefix: 'kiln/warehouse/' });
    const other = storageOn(bucket, { prefix: 'other' });
    t.after(() => (storage.close(), other.close()));
    await storage.write('nar/a.nar', chunked(Buffer.from('a')));
    await other.write('nar/b.nar', chunked(Buffer.from('b')));
    assert.deepEqual(server.objectFiles(bucket), ['kiln/warehouse/nar/a.nar', 'other/nar/b.nar']);
    assert.deepEqual(await listKeys(storage, ''), ['nar/a.nar']);
    assert.deepEqual(await listKeys(other, 'nar/'), ['nar/b.nar']);
    assert.equal(await storage.has('nar/b.nar'), undefined);
  });

  it('lists across pages in key order', async (t) => {
    const bucket = await server.createBucket();
    const storage = storageOn(bucket, { listPageSize: 7 });
    t.after(() => storage.close());
    const keys = Array.from({ length: 30 }, (_, i) => `nar/${(i * 7919) % 1000}.nar`);
    for (const key of keys) await storage.write(key, chunked(Buffer.from(key)));
    await storage.write('log/x', chunked(Buffer.from('x')));
    const sorted = [...keys].sort();
    assert.deepEqual(await listKeys(storage, 'nar/'), sorted);
    assert.deepEqual(await listKeys(storage, ''), ['log/x', ...sorted]);
  });

  it('hands out presigned URLs a plain HTTP client downloads from', async (t) => {
    const bucket = await server.createBucket();
    const storage = storageOn(bucket);
    t.after(() => storage.close());
    const data = randomBytes(3000);
    await storage.write('nar/p.nar.xz', chunked(data));
    const url = await storage.downloadUrl('nar/p.nar.xz', 60);
    assert.match(url, /X-Amz-Signature=/);
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.ok(data.equals(Buffer.from(await response.arrayBuffer())));
    const ranged = await fetch(url, { headers: { range: 'bytes=100-199' } });
    assert.equal(ranged.status, 206);
    assert.ok(data.subarray(100, 200).equals(Buffer.from(await ranged.arrayBuffer())));
    await assert.rejects(storage.downloadUrl('nar/p.nar.xz', 0), isKilnError);
  });

  it('refuses a part size below S3’s minimum and an invalid prefix', () => {
    assert.throws(() => storageOn('b', { partSizeBytes: MiB }), /5 MiB/);
    assert.throws(() => storageOn('b', { prefix: '../x' }), /prefix/);
  });

  it('reports refused credentials as an error, not as a missing object', async (t) => {
    const bucket = await server.createBucket();
    // s3rver checks access key ids (not SigV4 signatures): an unknown one is refused.
    const storage = storageOn(bucket, { credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'x' } });
    t.after(() => storage.close());
    await assert.rejects(storage.write('a', chunked(Buffer.from('x'))));
    await assert.rejects(storage.read('a'), /Access Key Id/);
    await assert.rejects(storage.has('a'));
  });
});
