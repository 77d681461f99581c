import assert from 'node:assert/strict';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import {
  COMPRESSIONS,
  canDecompress,
  compressionFromUrl,
  createDecompressor,
  narExtension,
  narUrl,
} from '../../../src/cache/index.js';

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

describe('decompression', () => {
  const data = Buffer.from('nix-archive-1 '.repeat(100));

  it('supports none, br and gzip natively', async () => {
    const inputs = { none: data, br: brotliCompressSync(data), gzip: gzipSync(data) };
    for (const [name, compressed] of Object.entries(inputs)) {
      assert.ok(canDecompress(name));
      const out = await buffer(Readable.from([compressed]).pipe(createDecompressor(name)));
      assert.deepEqual(out, data);
    }
  });

  it('says so for methods Node 20 lacks', () => {
    for (const name of ['xz', 'zstd', 'bzip2']) {
      assert.ok(!canDecompress(name));
      assert.throws(() => createDecompressor(name), { code: 'KILN_ERR_VALIDATION' });
    }
  });
});
