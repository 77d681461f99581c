import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Memo } from '../../../src/cache/warehouse/memo.js';
import { isCacheName, parseNarFileKey } from '../../../src/cache/warehouse/names.js';
import { keySetValidUntil, nextKeyName } from '../../../src/cache/warehouse/signing-keys.js';
import type { CacheKeyRecord } from '../../../src/persistence/index.js';

describe('warehouse names', () => {
  it('accepts conservative cache names only', () => {
    for (const name of ['main', 'a', 'team-ci', 'x86_64.linux', '0cache9'])
      assert.ok(isCacheName(name), name);
    for (const name of ['', 'Main', '-x', 'x-', '.x', 'a..b', 'a/b', 'a b', 'x'.repeat(64), 'é']) {
      assert.ok(!isCacheName(name), name);
    }
  });

  it('reads the file hash and compression from a NAR key as Nix names it', () => {
    const hash = '0'.repeat(52);
    assert.deepEqual(parseNarFileKey(`nar/${hash}.nar.xz`), { fileHash: hash, compression: 'xz' });
    assert.deepEqual(parseNarFileKey(`nar/${hash}.nar.zst`), { fileHash: hash, compression: 'zstd' });
    assert.deepEqual(parseNarFileKey(`nar/${hash}.nar`), { fileHash: hash, compression: 'none' });
    assert.deepEqual(parseNarFileKey(`nar/${hash}.nar.bz2`), { fileHash: hash, compression: 'bzip2' });
    for (const key of [
      `nar/${hash}.nar.lz4`,
      `nar/${hash.slice(1)}.nar`,
      `nar/${'e'.repeat(52)}.nar`,
      `x/${hash}.nar`,
    ]) {
      assert.equal(parseNarFileKey(key), undefined, key);
    }
  });
});

describe('signing key names and lifetimes', () => {
  const key = (keyName: string, activatedAt: number, retiresAt: number | null): CacheKeyRecord => ({
    cacheName: 'main',
    keyName,
    publicKey: `${keyName}:x`,
    secretKeyCiphertext: 'v1:x:y',
    createdAt: activatedAt,
    activatedAt,
    retiresAt,
  });

  it('numbers keys NAME-1, NAME-2, … after the highest one', () => {
    assert.equal(nextKeyName('main', []), 'main-1');
    assert.equal(nextKeyName('main', [key('main-1', 0, null), key('main-7', 0, null)]), 'main-8');
    assert.equal(nextKeyName('main', [key('main-x', 0, null)]), 'main-1');
  });

  it('knows when the set of signing keys changes next', () => {
    const keys = [key('main-1', 0, 500), key('main-2', 100, null), key('main-3', 900, null)];
    assert.equal(keySetValidUntil(keys, 200), 500);
    assert.equal(keySetValidUntil(keys, 600), 900);
    assert.equal(keySetValidUntil(keys, 1000), Number.POSITIVE_INFINITY);
  });
});

describe('Memo', () => {
  it('forgets the least recently used entry first and honours expiry', () => {
    const memo = new Memo<number>(2);
    memo.set('a', 1);
    memo.set('b', 2);
    assert.equal(memo.get('a', 0), 1); // a is now the most recent
    memo.set('c', 3);
    assert.equal(memo.get('b', 0), undefined);
    assert.equal(memo.get('a', 0), 1);
    memo.set('d', 4, 10);
    assert.equal(memo.get('d', 9), 4);
    assert.equal(memo.get('d', 10), undefined);
    memo.set('x/1', 1);
    memo.set('x/2', 2);
    memo.deletePrefix('x/');
    assert.equal(memo.size, 0);
  });
});
