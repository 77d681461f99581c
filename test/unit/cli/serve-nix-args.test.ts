import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { parseCommandLine } from '../../../src/cli/args/index.js';
import { loadConfig } from '../../../src/config/index.js';

function serveNix(argv: string[]): unknown {
  const plan = parseCommandLine(['serve', ...argv]);
  assert.equal(plan.command, 'serve');
  return plan.command === 'serve' ? plan.nix : undefined;
}

describe('kiln serve: per-worker Nix flags', () => {
  it('takes the store, builders file, substituters and keys; paths become absolute', () => {
    assert.deepEqual(
      serveNix([
        '--nix-store',
        'stores/w1',
        '--builders',
        'machines',
        '--substituter',
        'http://127.0.0.1:7070/cache/main',
        '--substituter',
        'http://127.0.0.1:7071/cache/team',
        '--trusted-public-key',
        'main-1:abc=',
      ]),
      {
        store: resolve('stores/w1'),
        builders: resolve('machines'),
        substituters: ['http://127.0.0.1:7070/cache/main', 'http://127.0.0.1:7071/cache/team'],
        trustedPublicKeys: ['main-1:abc='],
      },
    );
    assert.deepEqual(serveNix([]), {});
  });

  it('keeps store URLs and Nix store names as they are', () => {
    assert.deepEqual(serveNix(['--nix-store', 'local?root=/srv/w1']), { store: 'local?root=/srv/w1' });
    assert.deepEqual(serveNix(['--nix-store', 'daemon']), { store: 'daemon' });
  });

  it('rejects empty values', () => {
    assert.throws(() => serveNix(['--nix-store', '']), /'--nix-store' must not be empty/);
    assert.throws(() => serveNix(['--substituter', ' ']), /'--substituter' must not be empty/);
  });
});

describe('config: a worker’s own store and builders from the environment', () => {
  it('reads KILN_NIX_STORE, KILN_BUILDERS and NIX_SSHOPTS; a relative store directory is resolved', () => {
    const config = loadConfig(
      { dataDir: '/d' },
      { KILN_NIX_STORE: 'w1', KILN_BUILDERS: '/etc/kiln/machines', NIX_SSHOPTS: '-p 2222' },
    );
    assert.equal(config.nix.store, resolve('w1'));
    assert.equal(config.nix.builders, '/etc/kiln/machines');
    assert.equal(config.nix.sshOptions, '-p 2222');
    assert.equal(config.nix.buildersUseSubstitutes, true);
    assert.equal(
      loadConfig({ dataDir: '/d' }, { KILN_NIX_STORE: 'local?root=/w' }).nix.store,
      'local?root=/w',
    );
    assert.equal(loadConfig({ dataDir: '/d' }, {}).nix.store, '');
  });
});
