import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  MEDIA_TYPES,
  buildImage,
  nixClosureGraph,
  type BuildImageOptions,
  type ClosureGraph,
} from '../../../src/oci/index.js';
import { startRegistry } from '../../helpers/registry.js';
import { tempDir } from '../../helpers/tmp.js';
import { ENV, buildClosure, snapshot } from './image-fixture.js';

function imageOptions(closure: ClosureGraph, app: string, outDir: string): BuildImageOptions {
  return {
    closure,
    system: 'x86_64-linux',
    outDir,
    compression: 'zstd',
    config: { Env: ['PATH=/bin'], Labels: { 'dev.kiln.build-id': 'zstd' } },
    customisation: { symlinks: [{ path: 'bin', target: `${app}/bin` }] },
  };
}

function skopeo(args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8', env: ENV, stdio: 'pipe' });
}

function blobPath(dir: string, digest: string): string {
  return join(dir, 'blobs/sha256', digest.slice('sha256:'.length));
}

describe('buildImage with zstd layers (real Nix closure, skopeo, registry, zstd and tar)', () => {
  it('writes reproducible tar+zstd layers that skopeo reads and pushes and that unpack to the closure', async (t) => {
    const dir = tempDir(t);
    const app = buildClosure();
    const closure = await nixClosureGraph([app]);
    const first = await buildImage(imageOptions(closure, app, join(dir, 'one')));
    const second = await buildImage(imageOptions(closure, app, join(dir, 'two')));
    assert.deepEqual(second, first, 'the same closure gives the same digests');
    assert.equal(first.layers.length, 4);
    for (const layer of first.layers) {
      assert.ok(
        readFileSync(blobPath(join(dir, 'one'), layer.digest)).equals(
          readFileSync(blobPath(join(dir, 'two'), layer.digest)),
        ),
      );
    }

    // The manifest as stored: every layer is tar+zstd.
    const manifest = JSON.parse(readFileSync(blobPath(join(dir, 'one'), first.manifest.digest), 'utf8')) as {
      layers: { mediaType: string; digest: string }[];
    };
    assert.deepEqual(
      manifest.layers.map((l) => l.mediaType),
      first.layers.map(() => MEDIA_TYPES.layerZstd),
    );
    assert.equal(MEDIA_TYPES.layerZstd, 'application/vnd.oci.image.layer.v1.tar+zstd');

    // The diffIDs are of the uncompressed tars, so a gzip image of the same closure has the same ones.
    const gzip = await buildImage({ ...imageOptions(closure, app, join(dir, 'gzip')), compression: 'gzip' });
    assert.deepEqual(
      gzip.layers.map((l) => l.diffId),
      first.layers.map((l) => l.diffId),
    );
    assert.notDeepEqual(
      gzip.layers.map((l) => l.digest),
      first.layers.map((l) => l.digest),
    );
    assert.ok(gzip.layers.every((l) => l.mediaType === MEDIA_TYPES.layerGzip));
    assert.deepEqual(
      readdirSync(join(dir, 'one/blobs/sha256')).filter((name) => name.startsWith('.')),
      [],
      'no temp file is left behind',
    );

    const inspect = JSON.parse(skopeo(['inspect', `oci:${join(dir, 'one')}:latest`])) as {
      Digest: string;
      Layers: string[];
    };
    assert.equal(inspect.Digest, first.manifest.digest);
    assert.deepEqual(
      inspect.Layers,
      first.layers.map((l) => l.digest),
    );

    // A real registry takes the image as it is (skopeo verifies each blob's digest as it reads it).
    const registry = await startRegistry(t);
    const remote = `docker://${registry.host}/kiln/zstd:latest`;
    skopeo(['copy', '--dest-tls-verify=false', `oci:${join(dir, 'one')}:latest`, remote]);
    const pushed = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', remote])) as {
      layers: { mediaType: string; digest: string }[];
    };
    assert.deepEqual(pushed, manifest, 'the registry serves our manifest unchanged');

    // Unpack the layers in order with the zstd and tar programs, as a container runtime would.
    const rootfs = join(dir, 'rootfs');
    mkdirSync(rootfs);
    for (const layer of first.layers) {
      const tar = join(dir, `${layer.digest.slice('sha256:'.length)}.tar`);
      execFileSync('zstd', ['-d', '-q', '-o', tar, blobPath(join(dir, 'one'), layer.digest)], { env: ENV });
      const diffId = execFileSync('sha256sum', [tar], { encoding: 'utf8', env: ENV }).split(' ')[0];
      assert.equal(`sha256:${diffId}`, layer.diffId, 'the diffID is the sha256 of the decompressed tar');
      execFileSync('tar', ['-x', '-p', '--numeric-owner', '-f', tar, '-C', rootfs], { env: ENV });
    }
    for (const path of closure.paths.map((p) => p.path)) {
      assert.deepEqual(snapshot(join(rootfs, path)), snapshot(path), path);
    }
    assert.equal(lstatSync(join(rootfs, app, 'bin/app')).mode & 0o777, 0o555);
    assert.equal(readlinkSync(join(rootfs, app, 'bin/link')), 'app');
    assert.equal(readlinkSync(join(rootfs, 'bin')), `${app}/bin`);
  });

  it('fails with AbortError and leaves no temp blob when aborted', async (t) => {
    const dir = tempDir(t);
    const app = buildClosure();
    const closure = await nixClosureGraph([app]);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      buildImage({ ...imageOptions(closure, app, join(dir, 'img')), signal: controller.signal }),
      { name: 'AbortError' },
    );
    assert.deepEqual(readdirSync(join(dir, 'img/blobs/sha256')), []);
  });

  it('refuses a compression it does not write', async (t) => {
    const dir = tempDir(t);
    await assert.rejects(
      buildImage({
        closure: { paths: [] },
        system: 'x86_64-linux',
        outDir: join(dir, 'img'),
        compression: 'xz' as never,
      }),
      { code: 'KILN_ERR_VALIDATION', message: 'unsupported layer compression "xz"' },
    );
  });
});
