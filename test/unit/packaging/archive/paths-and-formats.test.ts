import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../../src/errors/index.js';
import { detectArchiveFormat } from '../../../../src/packaging/archive/detect.js';
import { entrySegments } from '../../../../src/packaging/archive/entry-path.js';
import { classifySource, defaultPrefetchName } from '../../../../src/packaging/prefetch/source.js';
import { tarHeader } from './tar-blocks.js';

describe('entrySegments', () => {
  it('drops leading slashes, "." and empty segments, as Nix extracting to <dir>/<name> does', () => {
    assert.deepEqual(entrySegments('pkg/a.txt'), ['pkg', 'a.txt']);
    assert.deepEqual(entrySegments('./pkg//b/./c/'), ['pkg', 'b', 'c']);
    assert.deepEqual(entrySegments('/abs/x'), ['abs', 'x']);
    assert.equal(entrySegments('./'), null);
    assert.equal(entrySegments(''), null);
  });

  it("refuses '..' anywhere, even when it would stay inside", () => {
    for (const path of ['../x', 'a/../b', 'a/..']) {
      assert.throws(
        () => entrySegments(path),
        (error) => isKilnError(error) && error.code === 'KILN_ERR_ARCHIVE' && error.message.includes("'..'"),
      );
    }
  });
});

describe('detectArchiveFormat', () => {
  it('recognises compressed tars and zips by magic bytes', () => {
    const cases: Array<[number[], string]> = [
      [[0x1f, 0x8b, 0x08], 'tar.gz'],
      [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'tar.xz'],
      [[0x42, 0x5a, 0x68, 0x39], 'tar.bz2'],
      [[0x28, 0xb5, 0x2f, 0xfd], 'tar.zst'],
      [[0x50, 0x4b, 0x03, 0x04], 'zip'],
      [[0x50, 0x4b, 0x05, 0x06], 'zip'],
    ];
    for (const [bytes, format] of cases) assert.equal(detectArchiveFormat(Buffer.from(bytes)), format);
  });

  it('recognises plain tars by ustar magic, by a valid v7 checksum, or as all end blocks', () => {
    assert.equal(detectArchiveFormat(tarHeader({ name: 'a' })), 'tar');
    const v7 = tarHeader({ name: 'a' });
    v7.fill(0, 257, 265);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (v7[i] ?? 0);
    v7.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    assert.equal(detectArchiveFormat(v7), 'tar');
    assert.equal(detectArchiveFormat(Buffer.alloc(512)), 'tar');
  });

  it('returns null for anything else', () => {
    assert.equal(detectArchiveFormat(Buffer.from('just some text that is not an archive')), null);
    assert.equal(detectArchiveFormat(Buffer.alloc(0)), null);
  });
});

describe('classifySource', () => {
  it('tells git, http, file URLs and local paths apart', () => {
    assert.deepEqual(classifySource('git+https://example.org/r.git', undefined), {
      kind: 'git',
      location: 'https://example.org/r.git',
    });
    assert.deepEqual(classifySource('https://example.org/r.git', 'abc'), {
      kind: 'git',
      location: 'https://example.org/r.git',
    });
    assert.deepEqual(classifySource('HTTPS://example.org/a.tgz', undefined), {
      kind: 'http',
      location: 'HTTPS://example.org/a.tgz',
    });
    assert.deepEqual(classifySource('file:///tmp/a%20b.zip', undefined), {
      kind: 'file',
      location: 'file:///tmp/a%20b.zip',
      localPath: '/tmp/a b.zip',
    });
    assert.deepEqual(classifySource('src/x.tar', undefined, '/work'), {
      kind: 'path',
      location: '/work/src/x.tar',
      localPath: '/work/src/x.tar',
    });
  });

  it('refuses empty sources and unsupported schemes', () => {
    assert.throws(() => classifySource('', undefined), /empty/);
    assert.throws(
      () => classifySource('ftp://example.org/a.tgz', undefined),
      /unsupported scheme 'ftp:\/\/'/,
    );
  });
});

describe('defaultPrefetchName', () => {
  it("is the URL's last path component, as nix-prefetch-url's baseNameOf, and 'source' for git", () => {
    const name = (location: string, kind: 'http' | 'path' | 'git' = 'http'): string =>
      defaultPrefetchName({ kind, location });
    assert.equal(name('https://example.org/dl/pkg-1.0.tar.gz'), 'pkg-1.0.tar.gz');
    assert.equal(name('https://example.org/dl/pkg/'), 'pkg');
    assert.equal(name('https://example.org/get?file=a.zip'), 'get?file=a.zip');
    assert.equal(name('/home/me/tree', 'path'), 'tree');
    assert.equal(name('https://example.org/r.git', 'git'), 'source');
  });
});
