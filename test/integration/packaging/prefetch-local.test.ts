import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { prefetch } from '../../../src/packaging/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { CORPUS, FORMATS, nixHashPath, nixPrefetchUrl } from './prefetch/corpus.js';

describe('prefetch of a local path', () => {
  it('hashes a directory as a NAR with the store path nix-store --add gives', async (t) => {
    const dir = join(tempDir(t), 'my-tree');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub/tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'sub/tool'), 0o755);
    writeFileSync(join(dir, 'data'), 'data\n');
    symlinkSync('data', join(dir, 'link'));

    const kiln = await prefetch(dir);
    assert.equal(kiln.sri, nixHashPath(dir));
    assert.equal(kiln.storePath, execFileSync('nix-store', ['--add', dir], { encoding: 'utf8' }).trim());
    assert.equal(kiln.method, 'recursive');
    assert.deepEqual(kiln.source, { kind: 'path', location: dir });
  });

  it('hashes a file flat, or unpacked with unpack, as nix-prefetch-url does for its file:// URL', async (t) => {
    const dir = tempDir(t);
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    CORPUS[0]?.build(tree);
    const archive = join(dir, 'pkg-1.0.tar.zst');
    FORMATS.find((f) => f.name === 'tar.zst')?.make(tree, archive);
    const url = pathToFileURL(archive).href;

    const flat = await prefetch(archive);
    const nixFlat = await nixPrefetchUrl(url);
    assert.equal(flat.nix32, nixFlat.hash);
    assert.equal(flat.storePath, nixFlat.storePath);
    const unpacked = await prefetch(archive, { unpack: true });
    const nixUnpacked = await nixPrefetchUrl(url, { unpack: true });
    assert.equal(unpacked.nix32, nixUnpacked.hash);
    assert.equal(unpacked.storePath, nixUnpacked.storePath);
  });

  it('reports a missing path and a missing file:// URL clearly', async (t) => {
    const missing = join(tempDir(t), 'nope.tar.gz');
    await assert.rejects(prefetch(missing), (error: Error) => {
      assert.ok(isKilnError(error));
      assert.equal(error.code, 'KILN_ERR_FILE_NOT_FOUND');
      assert.equal(error.message, `${missing}: no such file or directory`);
      return true;
    });
    await assert.rejects(prefetch(pathToFileURL(missing).href), (error: Error) => {
      assert.ok(isKilnError(error));
      assert.equal(error.code, 'KILN_ERR_FETCH');
      return true;
    });
  });

  it('refuses a name Nix would refuse', async (t) => {
    const file = join(tempDir(t), 'a.txt');
    writeFileSync(file, 'a\n');
    await assert.rejects(prefetch(file, { name: 'has space' }), /illegal character ' '/);
  });
});
