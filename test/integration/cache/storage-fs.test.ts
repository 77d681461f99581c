import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { createFsStorage, isValidKey } from '../../../src/cache/index.js';
import { isKilnError } from '../../../src/errors/index.js';
import { runStorageConformance } from '../../conformance/storage-conformance.js';
import { tempDir } from '../../helpers/tmp.js';

/** Every file under `dir`, as '/'-separated paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

async function* once(text: string): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield Buffer.from(text);
}

const roots = new WeakMap<TestContext, string>();

runStorageConformance(
  'filesystem',
  (t) => {
    const root = tempDir(t, 'kiln-storage-');
    roots.set(t, root);
    return Promise.resolve(createFsStorage(root));
  },
  {
    // Every file on disk must be an object the storage lists: no temporary files left behind.
    assertNoLeftovers: async (t) => {
      const root = roots.get(t);
      assert.ok(root);
      const listed: string[] = [];
      for await (const info of createFsStorage(root).list('')) listed.push(info.key);
      assert.deepEqual(filesUnder(root), listed.sort());
      assert.ok(filesUnder(root).every(isValidKey));
    },
  },
);

describe('filesystem storage specifics', () => {
  it('lays objects out as plain files at their key paths', async (t) => {
    const root = tempDir(t);
    const storage = createFsStorage(root);
    await storage.write('nar/abc.nar.xz', once('nar'));
    await storage.write('abc.narinfo', once('info'));
    assert.deepEqual(filesUnder(root), ['abc.narinfo', 'nar/abc.nar.xz']);
  });

  it('does not show stray temporary or dot files, nor directories', async (t) => {
    const root = tempDir(t);
    const storage = createFsStorage(root);
    await storage.write('nar/real.nar', once('x'));
    // What a crash mid-write leaves behind, and an empty directory.
    writeFileSync(join(root, 'nar', '.tmp-0123'), 'partial');
    writeFileSync(join(root, '.tmp-4567'), 'partial');
    mkdirSync(join(root, 'log'));
    const keys: string[] = [];
    for await (const info of storage.list('')) keys.push(info.key);
    assert.deepEqual(keys, ['nar/real.nar']);
    assert.equal(await storage.has('log'), undefined);
    assert.equal(await storage.read('log'), undefined);
    assert.equal(await storage.delete('log'), false);
    assert.equal(await storage.delete('nar'), false);
  });

  it('works when the root directory does not exist yet', async (t) => {
    const root = join(tempDir(t), 'not', 'yet');
    const storage = createFsStorage(root);
    assert.equal(await storage.has('x'), undefined);
    const keys: string[] = [];
    for await (const info of storage.list('')) keys.push(info.key);
    assert.deepEqual(keys, []);
    await storage.write('nix-cache-info', once('StoreDir: /nix/store\n'));
    assert.deepEqual(filesUnder(root), ['nix-cache-info']);
  });

  it('rejects a key that is both an object and a prefix with KILN_ERR_CONFLICT, leaving no temp file', async (t) => {
    const root = tempDir(t);
    const storage = createFsStorage(root);
    await storage.write('a', once('file'));
    await storage.write('b/c', once('deeper'));
    const conflict = (error: unknown): boolean => isKilnError(error) && error.code === 'KILN_ERR_CONFLICT';
    await assert.rejects(storage.write('a/b', once('x')), conflict);
    await assert.rejects(storage.write('b', once('x')), conflict);
    assert.deepEqual(filesUnder(root), ['a', 'b/c']);
  });
});
