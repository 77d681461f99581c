import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { pushImage, pushImageIndex, type PushReport } from '../../../src/oci/registry/index.js';
import { startCountingProxy, startRegistry } from '../../helpers/registry.js';
import { tempDir } from '../../helpers/tmp.js';
import { makeTestImage, randomContent, skopeoInspect } from './registry-fixtures.js';

const FAST_RETRY = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 800 };

function outcomes(report: PushReport): Record<string, string> {
  return Object.fromEntries(report.blobs.map((b) => [b.digest, b.outcome]));
}

function inspectDigest(reference: string, creds?: string): string {
  const result = skopeoInspect(reference, { creds });
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { Digest: string }).Digest;
}

describe('pushing to a real docker-registry', () => {
  it('pushes an image skopeo sees, re-pushes nothing, and sends only a changed layer', async (t) => {
    const registry = await startRegistry(t);
    const proxy = await startCountingProxy(t, registry);
    const dir = tempDir(t);
    const image = makeTestImage(dir, [{ 'etc/hello': 'hello\n' }, { 'bin/app': randomContent(200_000) }]);

    const first = await pushImage({
      reference: `${proxy.host}/team/app:v1`,
      imageDir: dir,
      manifest: image.manifest,
      extraTags: ['build-42', '20250101T000000Z'],
    });
    assert.equal(first.manifestDigest, image.manifestDigest);
    assert.deepEqual(first.tags, ['v1', 'build-42', '20250101T000000Z']);
    assert.equal(first.upToDate, false);
    assert.ok(first.blobs.every((b) => b.outcome === 'uploaded'));
    const total = image.config.size + image.layers.reduce((n, l) => n + l.size, 0);
    assert.equal(first.bytesUploaded, total);
    assert.equal(proxy.blobBytes(), total);
    for (const tag of first.tags)
      assert.equal(inspectDigest(`${registry.host}/team/app:${tag}`), image.manifestDigest);

    proxy.reset();
    const again = await pushImage({
      reference: `${proxy.host}/team/app:v1`,
      imageDir: dir,
      manifest: image.manifest,
    });
    assert.equal(again.upToDate, true);
    assert.equal(again.bytesUploaded, 0);
    assert.equal(proxy.blobBytes(), 0);
    assert.ok(
      !proxy.requests.some((r) => r.startsWith('PUT') || r.startsWith('POST') || r.startsWith('PATCH')),
    );

    // Same layer 0, a new layer 1 (and so a new config, whose diff_ids changed).
    const dir2 = tempDir(t);
    const changed = makeTestImage(dir2, [{ 'etc/hello': 'hello\n' }, { 'bin/app': randomContent(150_000) }]);
    assert.equal(changed.layers[0]!.digest, image.layers[0]!.digest);
    proxy.reset();
    const third = await pushImage({
      reference: `${proxy.host}/team/app:v2`,
      imageDir: dir2,
      manifest: changed.manifest,
    });
    assert.deepEqual(outcomes(third), {
      [changed.config.digest]: 'uploaded',
      [changed.layers[0]!.digest]: 'skipped',
      [changed.layers[1]!.digest]: 'uploaded',
    });
    assert.equal(proxy.blobBytes(), changed.config.size + changed.layers[1]!.size);
    assert.equal(third.bytesUploaded, proxy.blobBytes());
    assert.equal(inspectDigest(`${registry.host}/team/app:v2`), changed.manifestDigest);
  });

  it('mounts blobs from another repository instead of uploading them', async (t) => {
    const registry = await startRegistry(t);
    const proxy = await startCountingProxy(t, registry);
    const dir = tempDir(t);
    const image = makeTestImage(dir, [{ 'a.txt': randomContent(50_000) }]);
    await pushImage({ reference: `${proxy.host}/one:latest`, imageDir: dir, manifest: image.manifest });
    proxy.reset();
    const mountFrom = Object.fromEntries([image.config, ...image.layers].map((b) => [b.digest, 'one']));
    const report = await pushImage({
      reference: `${proxy.host}/two:latest`,
      imageDir: dir,
      manifest: image.manifest,
      mountFrom,
    });
    assert.ok(
      report.blobs.every((b) => b.outcome === 'mounted'),
      JSON.stringify(report.blobs),
    );
    assert.equal(proxy.blobBytes(), 0);
    assert.equal(inspectDigest(`${registry.host}/two:latest`), image.manifestDigest);
  });

  it('uploads a 10 MiB blob in chunks', async (t) => {
    const registry = await startRegistry(t);
    const proxy = await startCountingProxy(t, registry);
    const dir = tempDir(t);
    const image = makeTestImage(dir, [{ big: randomContent(10 << 20) }], { gzip: false });
    const report = await pushImage({
      reference: `${proxy.host}/big:1`,
      imageDir: dir,
      manifest: image.manifest,
      chunkThresholdBytes: 1 << 20,
      chunkSizeBytes: 4 << 20,
    });
    const patches = proxy.requests.filter((r) => r.startsWith('PATCH'));
    assert.equal(patches.length, Math.ceil(image.layers[0]!.size / (4 << 20)));
    assert.equal(report.bytesUploaded, image.config.size + image.layers[0]!.size);
    assert.equal(inspectDigest(`${registry.host}/big:1`), image.manifestDigest);
  });

  it('authenticates with htpasswd Basic auth and says so clearly when the password is wrong', async (t) => {
    const registry = await startRegistry(t, { auth: { username: 'kiln', password: 's3cret' } });
    const dir = tempDir(t);
    const image = makeTestImage(dir, [{ f: 'x' }]);
    const push = (password: string): Promise<PushReport> =>
      pushImage({
        reference: `${registry.host}/private/app:1`,
        imageDir: dir,
        manifest: image.manifest,
        credentials: { username: 'kiln', password },
      });
    await assert.rejects(push('wrong'), (error) => {
      assert.ok(isKilnError(error));
      assert.equal(error.code, 'KILN_ERR_UNAUTHORIZED');
      assert.match(error.message, /rejected the credentials of user 'kiln'/);
      assert.doesNotMatch(error.message, /wrong/);
      return true;
    });
    await assert.rejects(
      pushImage({ reference: `${registry.host}/private/app:1`, imageDir: dir, manifest: image.manifest }),
      /requires authentication; set DOCKER_REGISTRY_USERNAME/,
    );
    const report = await push('s3cret');
    assert.equal(inspectDigest(`${registry.host}/private/app:1`, 'kiln:s3cret'), report.manifestDigest);
  });

  it('survives the registry being killed mid-upload and restarted on the same port', async (t) => {
    const registry = await startRegistry(t);
    const proxy = await startCountingProxy(t, registry);
    const dir = tempDir(t);
    const image = makeTestImage(dir, [{ big: randomContent(10 << 20) }], { gzip: false });
    const pushing = pushImage({
      reference: `${proxy.host}/crash:1`,
      imageDir: dir,
      manifest: image.manifest,
      chunkThresholdBytes: 1 << 20,
      chunkSizeBytes: 256 << 10,
      retry: FAST_RETRY,
    });
    await proxy.whenBlobBytesReach(2 << 20);
    await registry.kill();
    await new Promise((r) => setTimeout(r, 300));
    await registry.restart();
    const report = await pushing;
    assert.equal(report.manifestDigest, image.manifestDigest);
    assert.ok(report.bytesUploaded > image.layers[0]!.size, 'the interrupted attempt was sent again');
    assert.equal(inspectDigest(`${registry.host}/crash:1`), image.manifestDigest);
  });

  it('fails with a clear error after bounded attempts when the registry stays down', async (t) => {
    const registry = await startRegistry(t);
    const dir = tempDir(t);
    const image = makeTestImage(dir, [{ f: 'y' }]);
    await registry.kill();
    const started = Date.now();
    await assert.rejects(
      pushImage({
        reference: `${registry.host}/down:1`,
        imageDir: dir,
        manifest: image.manifest,
        retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 100 },
      }),
      (error) => {
        assert.ok(isKilnError(error));
        assert.equal(error.code, 'KILN_ERR_UNAVAILABLE');
        assert.match(
          error.message,
          new RegExp(`registry ${registry.host}: .* failed after 3 attempts \\(last: ECONNREFUSED`),
        );
        return true;
      },
    );
    assert.ok(Date.now() - started < 5_000);
  });

  it('pushes a multi-platform image index that skopeo reads back', async (t) => {
    const registry = await startRegistry(t);
    const amd = makeTestImage(tempDir(t), [{ f: 'amd64' }], { architecture: 'amd64' });
    const arm = makeTestImage(tempDir(t), [{ f: 'arm64' }], { architecture: 'arm64' });
    const reports = [];
    for (const [image, arch] of [
      [amd, 'amd64'],
      [arm, 'arm64'],
    ] as const) {
      reports.push({
        report: await pushImage({
          reference: `${registry.host}/multi:${arch}`,
          imageDir: image.dir,
          manifest: image.manifest,
        }),
        arch,
      });
    }
    const index = await pushImageIndex({
      reference: `${registry.host}/multi:latest`,
      manifests: reports.map(({ report, arch }) => ({
        digest: report.manifestDigest,
        size: report.manifestSize,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        platform: { architecture: arch, os: 'linux' },
      })),
    });
    const raw = skopeoInspect(`${registry.host}/multi:latest`, { raw: true });
    assert.equal(raw.code, 0, raw.stderr);
    const parsed = JSON.parse(raw.stdout) as {
      mediaType: string;
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    assert.equal(parsed.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(
      parsed.manifests.map((m) => [m.platform.architecture, m.digest]),
      [
        ['amd64', amd.manifestDigest],
        ['arm64', arm.manifestDigest],
      ],
    );
    const { createHash } = await import('node:crypto');
    assert.equal(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`, index.indexDigest);

    await assert.rejects(
      pushImageIndex({
        reference: `${registry.host}/multi:broken`,
        manifests: [
          {
            digest: `sha256:${'0'.repeat(64)}`,
            size: 1,
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            platform: { architecture: 'amd64', os: 'linux' },
          },
        ],
      }),
      /push each platform's image before the index/,
    );
  });
});
