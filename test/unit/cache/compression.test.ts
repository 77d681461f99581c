import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMPRESSIONS, compressionFromUrl, narExtension, narUrl } from '../../../src/cache/index.js';

const HASH = '0cjy6wpzabk8596bjp5bxikfkmixzwxr8li5is20vjrdaysyrhxs';

describe('compression names', () => {
  it('maps methods to the suffixes of BinaryCacheStore::uploadData', () => {
    assert.equal(narExtension('none'), '.nar');
    assert.equal(narExtension('xz'), '.nar.xz');
    assert.equal(narExtension('zstd'), '.nar.zst');
    assert.equal(narExtension('bzip2'), '.nar.bz2');
    assert.equal(narExtension('br'), '.nar.br');
    assert.equal(narExtension('gzip'), '.nar'); // Nix gives gzip no suffix
    assert.equal(narUrl(HASH, 'xz'), `nar/${HASH}.nar.xz`);
    assert.throws(() => narUrl('short', 'xz'));
  });

  it('guesses the method back from a URL where the suffix says it', () => {
    for (const name of ['none', 'xz', 'zstd', 'bzip2', 'br', 'lz4', 'lzip'] as const) {
      assert.equal(compressionFromUrl(narUrl(HASH, name)), name);
    }
    assert.equal(compressionFromUrl(`nar/${HASH}.nar.zst?hash=abc`), 'zstd');
    assert.equal(compressionFromUrl('nar/whatever'), undefined);
    assert.ok(COMPRESSIONS.includes('zstd'));
  });
});
