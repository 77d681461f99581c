import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { BuildView } from '../../../src/api/index.js';
import { finishedBuild, startTestApp, type TestApp } from '../../helpers/kiln-app.js';
import { drvExpr } from '../../helpers/nix.js';
import { startCountingProxy, startRegistry } from '../../helpers/registry.js';

async function build(app: TestApp, expression: string, image: string): Promise<BuildView> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/api/v1/builds',
    headers: app.auth,
    payload: { source: { kind: 'expr', expression }, image },
  });
  assert.equal(res.statusCode, 201, res.body);
  const id = res.json<{ builds: BuildView[] }>().builds[0]!.id;
  return finishedBuild(app, id, 120_000);
}

function skopeoDigest(reference: string): string {
  const out = execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${reference}`], {
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { Digest: string }).Digest;
}

describe('builds that push an image', () => {
  it('push an image skopeo agrees with, tagged with the build id, and re-push no unchanged layer', async (t) => {
    const registry = await startRegistry(t);
    const proxy = await startCountingProxy(t, registry);
    const app = await startTestApp(t);
    const expression = drvExpr(
      'mkdir -p $out/bin; printf "#!/bin/sh\\necho hello\\n" > $out/bin/hello; chmod +x $out/bin/hello',
      { name: 'image-app' },
    );
    const first = await build(app, expression, `${proxy.host}/team/app:v1`);
    assert.equal(first.status, 'succeeded', first.error ?? '');
    assert.ok(first.image, 'the image is recorded');
    assert.equal(first.image.ref, `${proxy.host}/team/app:v1`);
    assert.equal(skopeoDigest(`${registry.host}/team/app:v1`), first.image.digest);
    assert.equal(skopeoDigest(`${registry.host}/team/app:${first.id.toLowerCase()}`), first.image.digest);
    assert.ok(
      first.image.tags.some((tag) => /^\d{8}T\d{6}Z$/.test(tag)),
      'a UTC timestamp tag',
    );
    assert.ok(first.image.bytesUploaded > 0);
    assert.deepEqual(
      first.steps?.filter((s) => s.name === 'image' || s.name === 'registry').map((s) => s.status),
      ['succeeded', 'succeeded'],
    );

    // The same outputs again: the same layers (reproducible), and none of them goes up again; only
    // the config differs (its labels name the build) and is uploaded.
    proxy.reset();
    const second = await build(app, expression, `${proxy.host}/team/app:v1`);
    assert.equal(second.status, 'succeeded', second.error ?? '');
    assert.deepEqual(second.image?.layers, first.image.layers, 'reproducible layers');
    assert.notEqual(second.image?.digest, first.image.digest, 'a new config: the build id label');
    assert.ok((second.image?.bytesUploaded ?? Infinity) < 4096, `${second.image?.bytesUploaded} bytes`);
    assert.equal(proxy.blobBytes(), second.image?.bytesUploaded);
    assert.equal(skopeoDigest(`${registry.host}/team/app:v1`), second.image?.digest, 'the tag moved');
    assert.equal(skopeoDigest(`${registry.host}/team/app:${first.id.toLowerCase()}`), first.image.digest);
  });

  it('fails with the registry step named when the registry is down, and refuses a bad reference', async (t) => {
    const registry = await startRegistry(t);
    const app = await startTestApp(t);
    await registry.stop();
    const failed = await build(
      app,
      drvExpr('echo down > $out', { name: 'image-down' }),
      `${registry.host}/app`,
    );
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /^step registry: /);
    assert.equal(failed.image, null);
    assert.equal(failed.reason, 'registry-failed');

    const bad = await app.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: app.auth,
      payload: { source: { kind: 'expr', expression: drvExpr('echo > $out') }, image: 'UPPER/Case::x' },
    });
    assert.equal(bad.statusCode, 400, bad.body);
  });
});
