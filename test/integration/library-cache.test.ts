import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { NixCacheService, isKilnError } from '../../src/index.js';
import { drvExpr } from '../helpers/nix.js';
import { tempDir } from '../helpers/tmp.js';

async function openService(t: TestContext): Promise<{ service: NixCacheService; dataDir: string }> {
  const dataDir = tempDir(t, 'kiln-libcache-');
  const service = await NixCacheService.open({
    dataDir,
    nix: { sandbox: 'false', nixPath: '' },
    upstreamCache: { url: 'https://cache.example.com' },
    listen: { host: '127.0.0.1', port: 7071 },
  });
  t.after(() => service.close());
  return { service, dataDir };
}

/** Nix's own reading of a worker's nix.conf. */
function nixSettings(confDir: string): Record<string, { value: unknown }> {
  const out = execFileSync('nix', ['--extra-experimental-features', 'nix-command', 'show-config', '--json'], {
    env: { PATH: '/usr/bin:/bin', HOME: confDir, NIX_CONF_DIR: confDir },
  });
  return JSON.parse(out.toString()) as Record<string, { value: unknown }>;
}

describe('library: NixCacheService (seed 002)', () => {
  it('configureCacheForWorker writes a nix.conf that Nix reads: local kiln cache, external cache, keys, shared store', async (t) => {
    const { service, dataDir } = await openService(t);
    const local = await service.kiln.warehouse.createCache({ name: 'local' });
    const config = await service.configureCacheForWorker('worker-123', {
      cacheUrl: 'https://cache.example.org',
      enableLocalCache: true,
      enableSharedStore: true,
    });
    const dir = join(dataDir, 'workers', 'worker-123');
    assert.equal(config.path, join(dir, 'nix.conf'));
    assert.equal(readFileSync(config.path, 'utf8'), config.text);
    assert.deepEqual(config.substituters, ['http://127.0.0.1:7071/cache/local', 'https://cache.example.org']);
    assert.deepEqual(config.trustedPublicKeys, local.trustedPublicKeys);
    assert.equal(config.store, 'local');
    const settings = nixSettings(dir);
    assert.deepEqual(settings['substituters']?.value, config.substituters);
    assert.deepEqual(settings['trusted-public-keys']?.value, local.trustedPublicKeys);
    assert.equal(settings['store']?.value, 'local');
    // Stored centrally too: the worker (KILN_NODE_ID=worker-123) applies them when it starts.
    assert.deepEqual((await service.kiln.workerCache.get('worker-123'))?.options, {
      cacheUrl: 'https://cache.example.org',
      enableLocalCache: true,
      enableSharedStore: true,
    });

    // Without a cacheUrl the configured NIX_CACHE_URL is used; a private store lives with the worker.
    const second = await service.configureCacheForWorker('worker-2', { enableSharedStore: false });
    assert.deepEqual(second.substituters, ['https://cache.example.com']);
    assert.equal(second.store, join(dataDir, 'workers', 'worker-2', 'store'));
  });

  it('configureCacheForWorker rejects bad worker ids, URLs and keys, and a missing local cache', async (t) => {
    const { service } = await openService(t);
    const code = (c: string) => (error: unknown) => isKilnError(error) && error.code === c;
    await assert.rejects(service.configureCacheForWorker('../etc', {}), code('KILN_ERR_VALIDATION'));
    await assert.rejects(
      service.configureCacheForWorker('w', { cacheUrl: 'not a url' }),
      code('KILN_ERR_VALIDATION'),
    );
    await assert.rejects(
      service.configureCacheForWorker('w', { trustedPublicKeys: ['nonsense'] }),
      code('KILN_ERR_VALIDATION'),
    );
    await assert.rejects(
      service.configureCacheForWorker('w', { enableLocalCache: true }),
      (error: unknown) => {
        assert.ok(isKilnError(error));
        assert.equal(error.code, 'KILN_ERR_NOT_FOUND');
        assert.match(error.message, /kiln cache create local/);
        return true;
      },
    );
  });

  it('cacheCommonPackages explains that package names need <nixpkgs> on NIX_PATH', async (t) => {
    const { service } = await openService(t);
    await assert.rejects(service.cacheCommonPackages('worker-1', ['nodejs']), (error: unknown) => {
      assert.ok(isKilnError(error));
      assert.equal(error.code, 'KILN_ERR_CONFIG');
      assert.match(error.message, /cannot resolve package 'nodejs': <nixpkgs> is not on NIX_PATH/);
      return true;
    });
  });

  it('cacheCommonPackages realises store paths, .drv paths and expressions, pushes them; statistics and cleanup follow', async (t) => {
    const { service, dataDir } = await openService(t);
    await service.kiln.warehouse.createCache({ name: 'team' });
    // A store path made beforehand, a .drv not built yet, and an expression.
    const scratch = tempDir(t);
    writeFileSync(join(scratch, 'a.nix'), drvExpr('echo a > $out', { name: 'kiln-warm-a' }));
    writeFileSync(join(scratch, 'b.nix'), drvExpr('echo b > $out', { name: 'kiln-warm-b' }));
    const nix = { env: { PATH: '/usr/bin:/bin', HOME: scratch } };
    const drvA = execFileSync('nix-instantiate', [join(scratch, 'a.nix')], nix)
      .toString()
      .trim();
    const outA = execFileSync('nix-store', ['--realise', drvA, '--option', 'build-users-group', ''], nix)
      .toString()
      .trim();
    const drvB = execFileSync('nix-instantiate', [join(scratch, 'b.nix')], nix)
      .toString()
      .trim();
    const expression = drvExpr('echo c > $out', { name: 'kiln-warm-c' });

    const result = await service.cacheCommonPackages('worker-1', [outA, drvB, expression], { cache: 'team' });
    assert.deepEqual(result.packages[0], { input: outA, outputs: [outA] });
    assert.match(result.packages[1]?.outputs[0] ?? '', /-kiln-warm-b$/);
    assert.match(result.packages[2]?.outputs[0] ?? '', /-kiln-warm-c$/);
    assert.equal(readFileSync(result.packages[1]!.outputs[0]!, 'utf8'), 'b\n');
    assert.equal(result.push?.pushed, 3);
    // Roots keep the warmed outputs from Nix's GC.
    const roots = execFileSync(
      'nix-store',
      ['--query', '--roots', result.packages[2]!.outputs[0]!],
      nix,
    ).toString();
    assert.match(roots, new RegExp(join(dataDir, 'workers', 'worker-1', 'gcroots')));

    const stats = await service.getCacheStatistics('team');
    assert.equal(stats.objects, 3);
    assert.ok(stats.cacheSizeMb >= 0 && stats.fileBytes > 0);
    assert.equal(stats.uploads, 3);
    assert.equal(stats.hitRate, 0);
    const all = await service.getCacheStatistics();
    assert.deepEqual(all.caches, ['team']);
    assert.equal(all.objects, 3);

    assert.equal(await service.cleanupOldPackages(30, 'team'), 0, 'nothing is 30 days old');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await service.cleanupOldPackages(0), 3);
    assert.equal((await service.getCacheStatistics('team')).objects, 0);
  });

  it('optimiseStore runs nix-store --optimise and reports what Nix freed', async (t) => {
    const { service } = await openService(t);
    const result = await service.optimiseStore();
    assert.ok(result.bytesFreed === null || result.bytesFreed >= 0);
    assert.ok(result.durationMs >= 0);
  });
});
