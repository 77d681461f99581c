import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { BuildView, StatsResponse } from '../../../src/api/index.js';
import { finishedBuild, startTestApp, type TestApp } from '../../helpers/kiln-app.js';
import { drvExpr, nonce } from '../../helpers/nix.js';
import { startRegistry } from '../../helpers/registry.js';

async function build(
  app: TestApp,
  serviceId: string,
  expression: string,
  image?: string,
): Promise<BuildView> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/api/v1/builds',
    headers: app.auth,
    payload: { source: { kind: 'expr', expression }, serviceId, ...(image !== undefined && { image }) },
  });
  assert.equal(res.statusCode, 201, res.body);
  const id = res.json<{ builds: BuildView[] }>().builds[0]!.id;
  const done = await finishedBuild(app, id, 120_000);
  assert.equal(done.status, 'succeeded', done.error ?? '');
  return done;
}

async function stats(app: TestApp, serviceId: string): Promise<StatsResponse> {
  const res = await app.app.inject({ url: `/api/v1/stats?serviceId=${serviceId}`, headers: app.auth });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<StatsResponse>();
}

describe('statistics of builds that push images', () => {
  it('report average image size, bytes pushed and the last good image a registry client can pull', async (t) => {
    const registry = await startRegistry(t);
    const app = await startTestApp(t);
    const app1 = drvExpr(`mkdir -p $out; echo ${nonce()} > $out/data`, { name: 'shop-app' });
    const first = await build(app, 'shop', app1, `${registry.host}/shop/app:v1`);
    // Same outputs again: the layer is already there, so only the config goes up.
    const second = await build(app, 'shop', app1, `${registry.host}/shop/app:v1`);
    // No image: counts for the success rate, not for the image figures.
    await build(app, 'shop', drvExpr(`echo ${nonce()} > $out`, { name: 'shop-plain' }));
    await build(
      app,
      'other',
      drvExpr(`echo ${nonce()} > $out`, { name: 'other' }),
      `${registry.host}/other:v1`,
    );
    assert.ok(first.image && second.image);
    assert.ok(second.image.bytesUploaded < first.image.bytesUploaded, 'the re-push skipped the layer');

    const shop = await stats(app, 'shop');
    assert.equal(shop.total, 3);
    assert.equal(shop.successRate, 100);
    assert.equal(shop.averageImageSize, (first.image.size + second.image.size) / 2);
    assert.equal(shop.averageBytesPushed, (first.image.bytesUploaded + second.image.bytesUploaded) / 2);
    assert.deepEqual(shop.lastGoodImage, {
      buildId: second.id,
      ref: `${registry.host}/shop/app:v1`,
      digest: second.image.digest,
      finishedAt: second.finishedAt,
    });
    // What the statistics name is what the registry holds.
    const inspected = execFileSync(
      'skopeo',
      [
        'inspect',
        '--tls-verify=false',
        `docker://${registry.host}/shop/app@${shop.lastGoodImage?.digest ?? ''}`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal((JSON.parse(inspected) as { Digest: string }).Digest, second.image.digest);

    assert.notEqual((await stats(app, 'other')).lastGoodImage?.buildId, second.id);
    const nobody = await stats(app, 'nobody');
    assert.deepEqual(
      [nobody.averageImageSize, nobody.averageBytesPushed, nobody.lastGoodImage],
      [null, null, null],
    );
  });
});
