import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage, nixClosureGraph, type BuildImageOptions } from '../../../src/oci/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { ENV, buildClosure, snapshot } from './image-fixture.js';

describe('buildImage (real Nix closure, real skopeo and tar)', () => {
  it('builds a reproducible OCI layout that skopeo reads and copies and whose layers unpack to the closure', async (t) => {
    const dir = tempDir(t);
    const app = buildClosure();
    const closure = await nixClosureGraph([app]);
    assert.equal(closure.paths.length, 3);
    const options = (outDir: string): BuildImageOptions => ({
      closure,
      system: 'x86_64-linux',
      outDir,
      config: {
        Entrypoint: [`${app}/bin/app`],
        Env: ['PATH=/bin'],
        WorkingDir: '/',
        ExposedPorts: ['8080/tcp'],
        Labels: { 'org.opencontainers.image.revision': 'abc123', 'dev.kiln.build-id': '42' },
      },
      customisation: { symlinks: [{ path: 'bin', target: `${app}/bin` }] },
    });
    const first = await buildImage(options(join(dir, 'one')));
    const second = await buildImage(options(join(dir, 'two')));
    assert.deepEqual(second, first, 'the same closure gives the same digests');
    assert.equal(first.layers.length, 4);
    assert.deepEqual(first.layers[3]!.paths, []);
    assert.ok(readFileSync(join(dir, 'one/index.json')).equals(readFileSync(join(dir, 'two/index.json'))));

    const inspect = JSON.parse(
      execFileSync('skopeo', ['inspect', `oci:${join(dir, 'one')}:latest`], { encoding: 'utf8', env: ENV }),
    ) as {
      Digest: string;
      Layers: string[];
      Architecture: string;
      Os: string;
      Labels: Record<string, string>;
    };
    assert.equal(inspect.Digest, first.manifest.digest);
    assert.deepEqual(
      inspect.Layers,
      first.layers.map((l) => l.digest),
    );
    assert.equal(inspect.Architecture, 'amd64');
    assert.equal(inspect.Os, 'linux');
    assert.equal(inspect.Labels['dev.kiln.build-id'], '42');
    const rawConfig = JSON.parse(
      execFileSync('skopeo', ['inspect', '--config', `oci:${join(dir, 'one')}:latest`], {
        encoding: 'utf8',
        env: ENV,
      }),
    ) as {
      rootfs: { diff_ids: string[] };
      config: { Entrypoint: string[]; ExposedPorts: Record<string, object> };
    };
    assert.deepEqual(
      rawConfig.rootfs.diff_ids,
      first.layers.map((l) => l.diffId),
    );
    assert.deepEqual(rawConfig.config.Entrypoint, [`${app}/bin/app`]);
    assert.deepEqual(rawConfig.config.ExposedPorts, { '8080/tcp': {} });

    // skopeo copy verifies every blob's digest and size as it reads it.
    const copy = join(dir, 'copy');
    execFileSync('skopeo', ['copy', `oci:${join(dir, 'one')}:latest`, `oci:${copy}:latest`], {
      env: ENV,
      stdio: 'pipe',
    });
    const copied = JSON.parse(readFileSync(join(copy, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    assert.equal(copied.manifests[0]!.digest, first.manifest.digest);

    // Unpack the copied image's layers in order, as a container runtime would.
    const rootfs = join(dir, 'rootfs');
    mkdirSync(rootfs);
    for (const layer of first.layers) {
      const blob = join(copy, 'blobs/sha256', layer.digest.slice('sha256:'.length));
      execFileSync('tar', ['-x', '-z', '-p', '--numeric-owner', '-f', blob, '-C', rootfs], { env: ENV });
    }
    for (const path of closure.paths.map((p) => p.path)) {
      assert.deepEqual(snapshot(join(rootfs, path)), snapshot(path), path);
    }
    const unpackedApp = join(rootfs, app, 'bin/app');
    assert.equal(lstatSync(unpackedApp).mode & 0o777, 0o555);
    assert.equal(readlinkSync(join(rootfs, app, 'bin/link')), 'app');
    assert.equal(readlinkSync(join(rootfs, 'bin')), `${app}/bin`);
    assert.match(readFileSync(join(rootfs, 'etc/passwd'), 'utf8'), /^root:x:0:0:/);
    assert.match(readFileSync(join(rootfs, 'etc/group'), 'utf8'), /^nobody:x:65534:/m);
    assert.equal(lstatSync(join(rootfs, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(lstatSync(unpackedApp).mtimeMs, 1000);
  });

  it('groups paths into fewer layers under a small budget, and every path is still in the image', async (t) => {
    const dir = tempDir(t);
    const app = buildClosure();
    const closure = await nixClosureGraph([app]);
    const image = await buildImage({
      closure,
      system: 'x86_64-linux',
      outDir: join(dir, 'img'),
      maxLayers: 2,
    });
    assert.equal(image.layers.length, 2);
    assert.deepEqual(image.layers.flatMap((l) => l.paths).sort(), closure.paths.map((p) => p.path).sort());
    const listing = execFileSync(
      'tar',
      ['-tzf', join(dir, 'img/blobs/sha256', image.layers[1]!.digest.slice(7))],
      {
        encoding: 'utf8',
        env: ENV,
      },
    );
    assert.ok(listing.startsWith('nix/\nnix/store/\n'), listing);
    for (const path of image.layers[1]!.paths) assert.ok(listing.includes(`${path.slice(1)}/\n`), path);
    execFileSync('skopeo', ['inspect', `oci:${join(dir, 'img')}:latest`], { env: ENV, stdio: 'pipe' });
  });
});
