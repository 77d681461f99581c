import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { isKilnError } from '../../../src/errors/index.js';
import { prefetch, unpackArchive } from '../../../src/packaging/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { nixPrefetchUrl } from './prefetch/corpus.js';
import { makeEdgeArchives, NIX_ACCEPTS, NIX_REFUSES } from './prefetch/edge-archives.js';

const execFileAsync = promisify(execFile);

describe('archives outside the usual', () => {
  for (const name of NIX_ACCEPTS) {
    it(`${name}: same hash as nix-prefetch-url --unpack`, async (t) => {
      const dir = tempDir(t);
      makeEdgeArchives(dir);
      const url = pathToFileURL(join(dir, name)).href;
      const nix = await nixPrefetchUrl(url, { unpack: true });
      const kiln = await prefetch(url, { unpack: true });
      assert.equal(kiln.nix32, nix.hash);
      assert.equal(kiln.storePath, nix.storePath);
    });
  }

  for (const [name, message] of NIX_REFUSES) {
    it(`${name}: refused, as Nix refuses it`, async (t) => {
      const dir = tempDir(t);
      makeEdgeArchives(dir);
      const url = pathToFileURL(join(dir, name)).href;
      await assert.rejects(execFileAsync('nix-prefetch-url', ['--unpack', url]));
      const dest = join(dir, 'out');
      await assert.rejects(unpackArchive(join(dir, name), dest), (error: Error) => {
        assert.ok(isKilnError(error));
        assert.equal(error.code, 'KILN_ERR_ARCHIVE');
        assert.match(error.message, message);
        return true;
      });
      assert.equal(existsSync(dest), false, 'a failed unpack leaves no directory');
      assert.equal(existsSync('/tmp/evil'), false);
    });
  }

  it('reports the format, the top-level names and the root Nix hashes', async (t) => {
    const dir = tempDir(t);
    makeEdgeArchives(dir);
    const several = await unpackArchive(join(dir, 'dot-root.tar'), join(dir, 'a'));
    assert.deepEqual(several, { format: 'tar', topLevel: ['a', 'b'], root: join(dir, 'a') });
    const one = await unpackArchive(join(dir, 'stored.zip'), join(dir, 'b'));
    assert.deepEqual(one, { format: 'zip', topLevel: ['p'], root: join(dir, 'b', 'p') });
    assert.deepEqual(readdirSync(one.root).sort(), ['plain.txt', 'x']);
  });

  it('refuses to unpack into a directory that is not empty', async (t) => {
    const dir = tempDir(t);
    makeEdgeArchives(dir);
    await assert.rejects(unpackArchive(join(dir, 'dos.zip'), dir), /is not empty/);
  });
});
