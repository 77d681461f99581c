import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, clientEnv } from '../../../src/config/index.js';
import { KilnError } from '../../../src/errors/index.js';

describe('configuration', () => {
  it('has the documented defaults and is frozen', () => {
    const config = loadConfig({ dataDir: '/tmp/kiln-x' }, {});
    assert.equal(config.builds.defaultTimeoutSeconds, 1800);
    assert.equal(config.builds.maxTimeoutSeconds, 3600);
    assert.equal(config.builds.logCapBytes, 64 * 1024 * 1024);
    assert.equal(config.builds.workspaceDir, '/tmp/kiln-x/workspace');
    assert.ok(config.builds.concurrency >= 1);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.builds));
    assert.throws(() => {
      (config.builds as { concurrency: number }).concurrency = 9;
    });
  });

  it("honours seed 002's environment variables", () => {
    const config = loadConfig(
      { dataDir: '/tmp/kiln-x' },
      {
        NIX_BUILD_WORKSPACE: '/tmp/skypanel-builds',
        DOCKER_REGISTRY_URL: 'localhost:5000',
        DOCKER_REGISTRY_USERNAME: 'admin',
        DOCKER_REGISTRY_PASSWORD: 'secret',
        NIX_CACHE_URL: 'https://cache.example.com',
        NIX_LOCAL_CACHE_DIR: '/var/cache/nix',
        KILN_MAX_TIMEOUT: '7200',
      },
    );
    assert.equal(config.builds.workspaceDir, '/tmp/skypanel-builds');
    assert.deepEqual(
      { ...config.registry },
      {
        url: 'localhost:5000',
        username: 'admin',
        password: 'secret',
        insecure: [],
        maxLayers: 100,
        compression: 'gzip',
        attempts: 6,
        retryBaseDelayMs: 250,
        fallbackUrl: '',
      },
    );
    assert.equal(config.deploy.secret, '');
    assert.equal(config.upstreamCache.url, 'https://cache.example.com');
    assert.equal(config.upstreamCache.localCacheDir, '/var/cache/nix');
    assert.equal(config.builds.maxTimeoutSeconds, 7200);
  });

  it('lets explicit input win over the environment', () => {
    const config = loadConfig({ dataDir: '/d', builds: { concurrency: 3 } }, { KILN_CONCURRENCY: '7' });
    assert.equal(config.builds.concurrency, 3);
  });

  it('rejects invalid settings with a config error', () => {
    assert.throws(
      () => loadConfig({ dataDir: '/d' }, { KILN_CONCURRENCY: 'many' }),
      (e: unknown) => e instanceof KilnError && e.code === 'KILN_ERR_CONFIG',
    );
    assert.throws(() => loadConfig({ dataDir: '/d', builds: { concurrency: 0 } }, {}), /concurrency/);
    assert.throws(
      () => loadConfig({ dataDir: '/d', builds: { defaultTimeoutSeconds: 5000 } }, {}),
      /defaultTimeoutSeconds/,
    );
    assert.throws(
      () => loadConfig({ dataDir: '/d', bogus: 1 } as never, {}),
      (e: unknown) => e instanceof KilnError,
    );
  });

  it('reads client settings', () => {
    assert.deepEqual(clientEnv({ KILN_SERVER: 'http://x', KILN_TOKEN: 't' }), {
      server: 'http://x',
      token: 't',
    });
    assert.deepEqual(clientEnv({ KILN_SERVER: '' }), { server: undefined, token: undefined });
  });
});
