import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkWorkerCacheOptions,
  effectiveWorkerNixSettings,
  localCacheUrl,
  type WorkerNixConfigSource,
} from '../../../src/cache/index.js';
import { isKilnError } from '../../../src/errors/index.js';

const KEY_A = 'a-1:ZWV6ZmN3Y2l3ZGZ1aGdodmhkamhmdmp3Z2hmZ3dqZ2g=';
const KEY_B = 'b-1:bm9uc2Vuc2Vub25zZW5zZW5vbnNlbnNlbm9uc2Vuc2U=';
const KEY_LOCAL = 'local-1:bG9jYWxsb2NhbGxvY2FsbG9jYWxsb2NhbGxvY2FsbG8=';

function worker(over: Partial<WorkerNixConfigSource> = {}): WorkerNixConfigSource {
  return {
    dataDir: '/srv/kiln',
    nodeId: 'w2',
    nix: { store: '' },
    cache: { substituters: [], trustedPublicKeys: [] },
    upstreamCache: { url: '' },
    ...over,
  };
}

const code = (expected: string) => (error: unknown) => isKilnError(error) && error.code === expected;

describe('effectiveWorkerNixSettings: a worker’s own configuration, then its central settings', () => {
  it('without central settings the worker keeps its own configuration', () => {
    assert.deepEqual(effectiveWorkerNixSettings(worker(), undefined), {
      substituters: [],
      trustedPublicKeys: [],
      store: '',
      origin: { substituters: 'default', store: 'default' },
    });
    const own = worker({
      nix: { store: '/srv/store' },
      cache: { substituters: ['https://c.example'], trustedPublicKeys: [KEY_A] },
    });
    assert.deepEqual(effectiveWorkerNixSettings(own, undefined), {
      substituters: ['https://c.example'],
      trustedPublicKeys: [KEY_A],
      store: '/srv/store',
      origin: { substituters: 'configuration', store: 'configuration' },
    });
  });

  it('a worker with no cache flags takes the central cache URL, keys and a private store under its data dir', () => {
    const settings = effectiveWorkerNixSettings(
      worker({ cache: { substituters: [], trustedPublicKeys: [KEY_A] } }),
      {
        options: {
          cacheUrl: 'http://10.0.0.1:7070/cache/main',
          enableSharedStore: false,
          trustedPublicKeys: [KEY_B],
        },
      },
    );
    assert.deepEqual(settings, {
      substituters: ['http://10.0.0.1:7070/cache/main'],
      // The worker's own keys stay trusted next to the central ones.
      trustedPublicKeys: [KEY_A, KEY_B],
      store: '/srv/kiln/workers/w2/store',
      origin: { substituters: 'central', store: 'central' },
    });
  });

  it('flags and environment given explicitly win, each setting on its own', () => {
    const central = {
      options: {
        cacheUrl: 'http://central/cache/main',
        enableSharedStore: false,
        trustedPublicKeys: [KEY_B],
      },
    };
    const ownSubstituter = effectiveWorkerNixSettings(
      worker({ cache: { substituters: ['https://mine.example'], trustedPublicKeys: [KEY_A] } }),
      central,
    );
    assert.deepEqual(ownSubstituter.substituters, ['https://mine.example']);
    assert.deepEqual(
      ownSubstituter.trustedPublicKeys,
      [KEY_A],
      'the central keys come with the central caches only',
    );
    assert.equal(ownSubstituter.store, '/srv/kiln/workers/w2/store');
    assert.deepEqual(ownSubstituter.origin, { substituters: 'configuration', store: 'central' });

    const ownStore = effectiveWorkerNixSettings(worker({ nix: { store: '/fast/store' } }), central);
    assert.equal(ownStore.store, '/fast/store');
    assert.deepEqual(ownStore.substituters, ['http://central/cache/main']);
    assert.deepEqual(ownStore.origin, { substituters: 'central', store: 'configuration' });
  });

  it('a shared store is the machine’s store; the local cache comes first with its keys; NIX_CACHE_URL fills in', () => {
    const settings = effectiveWorkerNixSettings(
      worker({ upstreamCache: { url: 'https://upstream.example' } }),
      {
        options: { enableLocalCache: true, enableSharedStore: true },
        localCache: { url: 'https://kiln.example/cache/local', publicKeys: [KEY_LOCAL] },
      },
    );
    assert.deepEqual(settings, {
      substituters: ['https://kiln.example/cache/local', 'https://upstream.example'],
      trustedPublicKeys: [KEY_LOCAL],
      store: '',
      origin: { substituters: 'central', store: 'central' },
    });
  });

  it('central settings that set nothing leave the defaults', () => {
    assert.deepEqual(effectiveWorkerNixSettings(worker(), { options: {} }).origin, {
      substituters: 'default',
      store: 'default',
    });
  });
});

describe('localCacheUrl: where a worker reaches the warehouse', () => {
  const listen = { host: '0.0.0.0', port: 7070 };
  it('prefers the public URL, then the own listen address of a process that serves caches', () => {
    assert.equal(
      localCacheUrl({ publicUrl: 'https://kiln.example/', listen }, false, 'local'),
      'https://kiln.example/cache/local',
    );
    assert.equal(localCacheUrl({ publicUrl: '', listen }, true, 'team'), 'http://127.0.0.1:7070/cache/team');
  });
  it('a worker-only process without a public URL cannot know it', () => {
    assert.throws(() => localCacheUrl({ publicUrl: '', listen }, false, 'local'), code('KILN_ERR_CONFIG'));
    assert.throws(
      () => localCacheUrl({ publicUrl: '', listen: { host: '127.0.0.1', port: 0 } }, true, 'local'),
      code('KILN_ERR_CONFIG'),
    );
  });
});

describe('checkWorkerCacheOptions', () => {
  it('rejects bad worker ids, URLs, keys and cache names', () => {
    assert.throws(() => checkWorkerCacheOptions('../x', {}), code('KILN_ERR_VALIDATION'));
    assert.throws(() => checkWorkerCacheOptions('w', { cacheUrl: 'not a url' }), code('KILN_ERR_VALIDATION'));
    assert.throws(() => checkWorkerCacheOptions('w', { cacheUrl: 'ftp://x/y' }), code('KILN_ERR_VALIDATION'));
    assert.throws(
      () => checkWorkerCacheOptions('w', { trustedPublicKeys: ['nonsense'] }),
      code('KILN_ERR_VALIDATION'),
    );
    assert.throws(
      () => checkWorkerCacheOptions('w', { localCacheName: 'Bad Name' }),
      code('KILN_ERR_VALIDATION'),
    );
    checkWorkerCacheOptions('w-2.a', {
      cacheUrl: 'https://c.example',
      trustedPublicKeys: [KEY_A],
      localCacheName: 'local',
    });
  });
});
