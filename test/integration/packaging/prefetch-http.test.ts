import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { prefetch } from '../../../src/packaging/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { CORPUS, FORMATS, nixPrefetchUrl } from './prefetch/corpus.js';
import { serveRoutes } from './prefetch/http-fixture.js';

function archiveOf(t: TestContext, caseName: string, formatName: string): Buffer {
  const dir = tempDir(t);
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  const corpusCase = CORPUS.find((c) => c.name === caseName);
  const format = FORMATS.find((f) => f.name === formatName);
  assert.ok(corpusCase && format);
  corpusCase.build(tree);
  format.make(tree, join(dir, 'out'));
  return readFileSync(join(dir, 'out'));
}

function code(error: unknown): string | undefined {
  return isKilnError(error) ? error.code : undefined;
}

describe('prefetch over HTTP', () => {
  it('downloads, unpacks and hashes as nix-prefetch-url does', async (t) => {
    const base = await serveRoutes(t, {
      '/pkg-1.0.tar.gz': { body: archiveOf(t, 'single-directory', 'tar.gz') },
      '/solo.zip': { body: archiveOf(t, 'single-file', 'zip') },
    });
    for (const url of [`${base}/pkg-1.0.tar.gz`, `${base}/solo.zip`]) {
      for (const unpack of [false, true]) {
        const nix = await nixPrefetchUrl(url, { unpack });
        const kiln = await prefetch(url, { unpack });
        assert.equal(kiln.nix32, nix.hash, `${url} unpack=${unpack}`);
        assert.equal(kiln.storePath, nix.storePath, `${url} unpack=${unpack}`);
        assert.deepEqual(kiln.source, { kind: 'http', location: url });
      }
    }
  });

  it('hashes with sha512, sha1 and md5 as nix-prefetch-url --type does', async (t) => {
    const base = await serveRoutes(t, { '/a.tar.xz': { body: archiveOf(t, 'several-top-level', 'tar.xz') } });
    const url = `${base}/a.tar.xz`;
    for (const algo of ['sha512', 'sha1', 'md5'] as const) {
      for (const unpack of [false, true]) {
        const nix = await nixPrefetchUrl(url, { unpack, type: algo });
        const kiln = await prefetch(url, { unpack, algo });
        // nix-prefetch-url prints md5 in base16, everything else in nix32.
        assert.equal(algo === 'md5' ? kiln.hex : kiln.nix32, nix.hash, `${algo} unpack=${unpack}`);
        assert.equal(kiln.storePath, nix.storePath, `${algo} unpack=${unpack}`);
        assert.ok(kiln.sri.startsWith(`${algo}-`));
      }
    }
  });

  it('follows redirects and names the result after the URL asked for, as Nix does', async (t) => {
    const body = archiveOf(t, 'single-directory', 'tar.bz2');
    const base = await serveRoutes(t, {
      '/latest': { redirect: '/files/pkg-2.tar.bz2' },
      '/files/pkg-2.tar.bz2': { body },
    });
    const nix = await nixPrefetchUrl(`${base}/latest`, { unpack: true });
    const kiln = await prefetch(`${base}/latest`, { unpack: true });
    assert.equal(kiln.name, 'latest');
    assert.equal(kiln.nix32, nix.hash);
    assert.equal(kiln.storePath, nix.storePath);
    const named = await prefetch(`${base}/latest`, { unpack: true, name: 'pkg-2-src' });
    assert.equal(
      named.storePath,
      (await nixPrefetchUrl(`${base}/latest`, { unpack: true, name: 'pkg-2-src' })).storePath,
    );
  });

  it('reports a 404 as KILN_ERR_FETCH naming the URL and status, leaving no temp files', async (t) => {
    const base = await serveRoutes(t, {});
    const tmp = tempDir(t);
    await assert.rejects(prefetch(`${base}/missing.tar.gz`, { tmpDir: tmp }), (error: Error) => {
      assert.equal(code(error), 'KILN_ERR_FETCH');
      assert.equal(error.message, `GET ${base}/missing.tar.gz: 404 Not Found`);
      return true;
    });
    assert.deepEqual(readdirSync(tmp), []);
  });

  it('reports a refused connection as KILN_ERR_FETCH', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(prefetch(`http://127.0.0.1:${port}/x.tar.gz`), (error: Error) => {
      assert.equal(code(error), 'KILN_ERR_FETCH');
      assert.match(error.message, /^GET http:\/\/127\.0\.0\.1:\d+\/x\.tar\.gz: .*ECONNREFUSED/);
      return true;
    });
  });

  it('rejects corrupt, truncated, foreign and empty archives with KILN_ERR_ARCHIVE, leaving no temp files', async (t) => {
    const good = archiveOf(t, 'single-directory', 'tar.gz');
    const emptyTar = Buffer.alloc(10240);
    const base = await serveRoutes(t, {
      '/garbage.tar.gz': { body: Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(200, 0x55)]) },
      '/truncated.tar.gz': { body: good.subarray(0, Math.floor(good.length / 2)) },
      '/text.tar.gz': { body: Buffer.from('this is not an archive\n') },
      '/empty.tar': { body: emptyTar },
      '/empty.zip': { body: archiveOfEmptyZip() },
    });
    const cases: Array<[string, RegExp]> = [
      ['garbage.tar.gz', /is corrupt: it is not valid gzip data/],
      ['truncated.tar.gz', /is corrupt: it is not valid gzip data|truncated/],
      ['text.tar.gz', /is not an archive kiln can unpack/],
      ['empty.tar', /^archive '.*\/empty\.tar' is empty$/],
      ['empty.zip', /^archive '.*\/empty\.zip' is empty$/],
    ];
    const tmp = tempDir(t);
    for (const [name, message] of cases) {
      await assert.rejects(prefetch(`${base}/${name}`, { unpack: true, tmpDir: tmp }), (error: Error) => {
        assert.equal(code(error), 'KILN_ERR_ARCHIVE', `${name}: ${error.message}`);
        assert.match(error.message, message);
        return true;
      });
      assert.deepEqual(readdirSync(tmp), [], name);
    }
  });

  it('stops a download when aborted and removes what it wrote', async (t) => {
    const base = await serveRoutes(t, { '/slow.tar.gz': { stall: Buffer.alloc(64 * 1024, 1) } });
    const tmp = tempDir(t);
    const controller = new AbortController();
    const reason = new Error('stop now');
    const pending = prefetch(`${base}/slow.tar.gz`, { unpack: true, tmpDir: tmp, signal: controller.signal });
    setTimeout(() => controller.abort(reason), 200);
    await assert.rejects(pending, (error) => error === reason);
    assert.deepEqual(readdirSync(tmp), []);
  });
});

/** An empty zip is only its 22-byte end record. */
function archiveOfEmptyZip(): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  return end;
}
