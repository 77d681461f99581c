import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { prefetch } from '../../../src/packaging/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { CORPUS, FORMATS, nixHashPath, nixPrefetchUrl } from './prefetch/corpus.js';

// Every case of the corpus in every format: kiln's hash and store path must be Nix's own.
describe('prefetch --unpack agrees with nix-prefetch-url --unpack', () => {
  for (const format of FORMATS) {
    describe(format.name, () => {
      for (const corpusCase of CORPUS) {
        if (corpusCase.skip?.includes(format.name)) continue;
        it(corpusCase.name, async (t) => {
          const dir = tempDir(t);
          const tree = join(dir, 'tree');
          mkdirSync(tree);
          corpusCase.build(tree);
          const archive = join(dir, `${corpusCase.name}.${format.extension}`);
          format.make(tree, archive);
          const url = pathToFileURL(archive).href;

          const kiln = await prefetch(url, { unpack: true });
          if (corpusCase.nixFails?.includes(format.name)) {
            const [only] = readdirSync(tree);
            assert.equal(kiln.nix32, nixHashPath(join(tree, only ?? ''), 'base32'));
          } else {
            const nix = await nixPrefetchUrl(url, { unpack: true });
            assert.equal(kiln.nix32, nix.hash);
            assert.equal(kiln.storePath, nix.storePath);
          }
          assert.equal(kiln.method, 'recursive');
          assert.equal(kiln.name, `${corpusCase.name}.${format.extension}`);
        });
      }
    });
  }
});

describe('prefetch without --unpack agrees with nix-prefetch-url', () => {
  for (const format of FORMATS) {
    it(`hashes a ${format.name} file flat`, async (t) => {
      const dir = tempDir(t);
      const tree = join(dir, 'tree');
      mkdirSync(tree);
      CORPUS[0]?.build(tree);
      const archive = join(dir, `flat.${format.extension}`);
      format.make(tree, archive);
      const url = pathToFileURL(archive).href;

      const nix = await nixPrefetchUrl(url);
      const kiln = await prefetch(url);
      assert.equal(kiln.nix32, nix.hash);
      assert.equal(kiln.storePath, nix.storePath);
      assert.equal(kiln.method, 'flat');
    });
  }
});
