import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { computeStatistics } from '../../../src/builds/index.js';
import {
  openSqliteStore,
  type BuildImage,
  type BuildPatch,
  type Store,
} from '../../../src/persistence/index.js';
import { newBuild } from '../../conformance/harness.js';
import { tempDir } from '../../helpers/tmp.js';

const NOW = 10_000_000;
const WORKERS = { slots: 2, busy: 0 };

async function openStore(t: TestContext): Promise<Store> {
  const store = openSqliteStore(join(tempDir(t), 'kiln.db'));
  await store.migrate();
  t.after(() => store.close());
  return store;
}

function pushed(repo: string, size: number, bytesUploaded: number): BuildImage {
  const digest = `sha256:${repo.padEnd(64, 'f').slice(0, 64)}`;
  return {
    ref: `127.0.0.1:5000/${repo}:v1`,
    digest,
    tags: ['v1'],
    layers: [{ digest, size }],
    size,
    bytesUploaded,
    pushDurationMs: 5,
  };
}

async function add(
  store: Store,
  fields: { serviceId: string; labels?: Record<string, string>; createdAt?: number },
  patch: BuildPatch,
): Promise<string> {
  const inserted = await store.builds.insert(newBuild({ createdAt: NOW - 60_000, ...fields }));
  await store.builds.update(inserted.id, patch);
  return inserted.id;
}

describe('computeStatistics: images', () => {
  it('gives each service its image averages and last good image', async (t) => {
    const store = await openStore(t);
    await add(
      store,
      { serviceId: 'web' },
      { status: 'succeeded', finishedAt: NOW - 50_000, durationMs: 1000, image: pushed('web1', 2048, 2048) },
    );
    const webGood = await add(
      store,
      { serviceId: 'web' },
      { status: 'succeeded', finishedAt: NOW - 40_000, durationMs: 3000, image: pushed('web2', 4096, 0) },
    );
    // Its image went up but a later step (deploy) failed: not good.
    await add(
      store,
      { serviceId: 'web' },
      { status: 'failed', finishedAt: NOW - 30_000, image: pushed('web3', 1, 1) },
    );
    await add(
      store,
      { serviceId: 'api' },
      { status: 'succeeded', finishedAt: NOW - 20_000, durationMs: 500 },
    );

    const web = await computeStatistics(store, WORKERS, { serviceId: 'web' }, NOW);
    assert.equal(web.successRate, 200 / 3);
    assert.equal(web.averageBuildTimeMs, 2000);
    assert.equal(web.averageImageSize, 3072);
    assert.equal(web.averageBytesPushed, 1024);
    assert.deepEqual(web.lastGoodImage, {
      buildId: webGood,
      ref: '127.0.0.1:5000/web2:v1',
      digest: `sha256:web2${'f'.repeat(60)}`,
      finishedAt: NOW - 40_000,
    });

    // A service that builds without images has no image figures at all, rather than zeros.
    const api = await computeStatistics(store, WORKERS, { serviceId: 'api' }, NOW);
    assert.equal(api.successRate, 100);
    assert.equal(api.averageImageSize, null);
    assert.equal(api.averageBytesPushed, null);
    assert.equal(api.lastGoodImage, null);
  });

  it('keeps the last good image inside the scope of a label and a window', async (t) => {
    const store = await openStore(t);
    const old = await add(
      store,
      { serviceId: 'web', labels: { env: 'prod' }, createdAt: NOW - 7_200_000 },
      { status: 'succeeded', finishedAt: NOW - 7_000_000, image: pushed('old', 100, 100) },
    );
    const staging = await add(
      store,
      { serviceId: 'web', labels: { env: 'staging' } },
      { status: 'succeeded', finishedAt: NOW - 1000, image: pushed('staging', 300, 300) },
    );
    const prod = await computeStatistics(store, WORKERS, { label: 'env=prod' }, NOW);
    assert.equal(prod.lastGoodImage?.buildId, old);
    assert.equal(prod.averageImageSize, 100);
    const recentProd = await computeStatistics(
      store,
      WORKERS,
      { label: 'env=prod', since: NOW - 3_600_000 },
      NOW,
    );
    assert.equal(recentProd.lastGoodImage, null, 'the only prod image is older than the window');
    assert.equal(recentProd.averageImageSize, null);
    const all = await computeStatistics(store, WORKERS, {}, NOW);
    assert.equal(all.lastGoodImage?.buildId, staging);
    assert.equal(all.averageBytesPushed, 200);
  });
});
