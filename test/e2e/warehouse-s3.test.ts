import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { S3RVER_CREDENTIALS, S3_TEST_REGION, startS3Server, type S3TestServer } from '../helpers/s3.js';
import { startTestApp } from '../helpers/kiln-app.js';
import { nixBuildExpr, MK_DERIVATION } from '../helpers/closure.js';
import { nonce } from '../helpers/nix.js';
import { chainBottomUp, nixCopyTo, substitute, writeNetrc } from '../helpers/warehouse.js';

const MiB = 1024 * 1024;

let s3: S3TestServer;
let dir: string;
before(async () => {
  s3 = await startS3Server();
  dir = mkdtempSync(join(tmpdir(), 'kiln-warehouse-s3-'));
});
after(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});

/** A kiln on a real port whose warehouse lives in a fresh bucket; a cache `main` with a push token. */
async function kilnOnS3(t: TestContext, presignDownloads: boolean) {
  const bucket = await s3.createBucket();
  const test = await startTestApp(t, {
    cache: {
      storage: {
        kind: 's3',
        endpoint: s3.endpoint,
        region: S3_TEST_REGION,
        bucket,
        prefix: 'warehouse',
        forcePathStyle: true,
        ...S3RVER_CREDENTIALS,
        presignDownloads,
        // NARs over 5 MiB go multipart, in 5 MiB parts (S3's minimum).
        multipartThresholdBytes: 5 * MiB,
        partSizeBytes: 5 * MiB,
      },
    },
  });
  const url = await test.app.listen({ host: '127.0.0.1', port: 0 });
  const api = async <T>(path: string, body: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { ...test.auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as T;
  };
  const cache = await api<{ trustedPublicKeys: string[] }>('/api/v1/caches', { name: 'main' });
  const push = await api<{ token: string }>('/api/v1/tokens', { cache: 'main', perm: 'push' });
  return {
    ...test,
    bucket,
    cacheUrl: `${url}/cache/main`,
    publicKey: cache.trustedPublicKeys.join(' '),
    netrc: writeNetrc(dir, push.token),
  };
}

/** An 11 MiB path of random bytes: its NAR does not compress, so it is uploaded in three parts. */
function bigPath(): string {
  const name = `big-${nonce()}`;
  const [path = ''] = nixBuildExpr(
    `let ${MK_DERIVATION} in mk "${name}" "head -c ${11 * MiB} /dev/urandom > $out"`,
  );
  return path;
}

describe('a warehouse on S3 storage with real nix clients', () => {
  for (const presign of [false, true]) {
    const how = presign ? 'redirected to presigned URLs' : 'streamed through kiln';
    it(`takes nix copy --to into the bucket and substitutes it back, NARs ${how}`, async (t) => {
      const kiln = await kilnOnS3(t, presign);
      const chain = chainBottomUp(3);
      const big = bigPath();
      const copied = await nixCopyTo(kiln.cacheUrl, [chain.at(-1)!, big], kiln.netrc);
      assert.equal(copied.code, 0, copied.stderr);

      // The NARs are objects in the bucket, under the prefix; nothing went to the local disk.
      const objects = s3.objectFiles(kiln.bucket);
      const nars = objects.filter((key) => key.startsWith('warehouse/nar/'));
      assert.ok(nars.length >= chain.length + 1, `NARs in the bucket: ${objects.join(', ')}`);
      assert.deepEqual(s3.pendingUploads(kiln.bucket), [], 'every multipart upload completed');
      const sizes: number[] = [];
      for await (const info of kiln.kiln.warehouse.storage.list('nar/')) sizes.push(info.size);
      assert.ok(
        sizes.some((size) => size > 10 * MiB),
        'the big NAR was stored whole (a multipart upload)',
      );
      const localWarehouse = join(kiln.dataDir, 'warehouse');
      assert.ok(!existsSync(localWarehouse) || readdirSync(localWarehouse).length === 0);

      if (presign) {
        const narinfo = await (await fetch(`${kiln.cacheUrl}/${hashOf(big)}.narinfo`)).text();
        const narUrl = /^URL: (.+)$/m.exec(narinfo)?.[1];
        assert.ok(narUrl);
        const response = await fetch(`${kiln.cacheUrl}/${narUrl}`, { redirect: 'manual' });
        assert.equal(response.status, 302);
        const location = response.headers.get('location') ?? '';
        assert.ok(location.startsWith(`${s3.endpoint}/${kiln.bucket}/warehouse/${narUrl}?`), location);
        assert.match(location, /X-Amz-Signature=/);
      }

      const store = join(dir, `customer-${nonce()}`);
      for (const path of [chain.at(-1)!, big]) {
        const got = await substitute(store, path, kiln.cacheUrl, kiln.publicKey);
        assert.equal(got.code, 0, got.stderr);
      }
      for (const path of [...chain, big]) assert.ok(existsSync(join(store, path)), `${path} substituted`);
    });
  }
});

function hashOf(storePath: string): string {
  return storePath.slice('/nix/store/'.length, '/nix/store/'.length + 32);
}
