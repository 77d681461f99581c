import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  dumpNar,
  flatFileHash,
  makeFixedOutputPath,
  narHash,
  parseNar,
  parseNixHash,
  renderNixHash,
  storePathForFile,
  validateNar,
  writeNar,
} from '../../../src/nar/index.js';
import { narHashHere } from '../../../src/nar/nar.js';
import { isKilnError } from '../../../src/errors/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { fileBytes, prng, randomTree, richTree, writeTree } from './random-tree.js';
import type { TreeNode } from './random-tree.js';

const run = promisify(execFile);
const NIX_FLAGS = ['--extra-experimental-features', 'nix-command'];

async function nix(cmd: string, args: string[]): Promise<Buffer> {
  const { stdout } = await run(cmd, args, { encoding: 'buffer', maxBuffer: 1 << 30 });
  return stdout;
}

async function nixText(cmd: string, args: string[]): Promise<string> {
  return (await nix(cmd, args)).toString('utf8').trim();
}

/** Everything Nix says about one path must match what we compute without it. */
async function checkAgainstNix(path: string): Promise<void> {
  const ours = await buffer(dumpNar(path));
  const theirs = await nix('nix-store', ['--dump', path]);
  assert.ok(ours.equals(theirs), `NAR of ${path} differs from nix-store --dump`);

  const { hash, size } = await narHash(path);
  assert.equal(size, theirs.length);
  assert.equal(
    renderNixHash(hash, 'sri'),
    await nixText('nix', [...NIX_FLAGS, 'hash', 'path', '--type', 'sha256', path]),
  );
  assert.equal(
    renderNixHash(hash, 'base32', { typed: false }),
    await nixText('nix-hash', ['--type', 'sha256', '--base32', path]),
  );

  const added = await nixText('nix-store', ['--add-fixed', '--recursive', 'sha256', path]);
  assert.equal((await storePathForFile(path)).storePath, added);
  assert.equal(await nixText('nix-store', ['--add', path]), added);

  const sha1 = await nixText('nix-hash', ['--type', 'sha1', '--base32', path]);
  const sha1Path = await nixText('nix-store', ['--print-fixed-path', '--recursive', 'sha1', sha1, 't']);
  const ourSha1 = await storePathForFile(path, { algo: 'sha1', name: 't' });
  assert.equal(renderNixHash(ourSha1.hash, 'base32', { typed: false }), sha1);
  assert.equal(ourSha1.storePath, sha1Path);

  // The parser takes Nix's own output and gives it back unchanged.
  assert.ok((await buffer(writeNar(parseNar([theirs])))).equals(theirs));
  assert.deepEqual((await validateNar([theirs])).hash, hash);
}

/** The hash and dump alone (the fast paths under test), both narHash paths: threaded and in-line. */
async function checkHashAndDump(path: string): Promise<void> {
  const theirs = await nix('nix-store', ['--dump', path]);
  assert.ok((await buffer(dumpNar(path))).equals(theirs), `NAR of ${path} differs from nix-store --dump`);
  const expected = await nixText('nix', [...NIX_FLAGS, 'hash', 'path', '--type', 'sha256', path]);
  for (const hashed of [await narHash(path), await narHashHere(path)]) {
    assert.equal(renderNixHash(hashed.hash, 'sri'), expected, path);
    assert.equal(hashed.size, theirs.length);
  }
}

function isValidationError(error: unknown): boolean {
  return isKilnError(error) && error.code === 'KILN_ERR_VALIDATION';
}

describe('NAR, hashes and store paths against nix (Nix 2.8)', () => {
  it('matches on random trees', async (t) => {
    const root = tempDir(t);
    for (let seed = 1; seed <= 30; seed++) {
      const path = join(root, `t${seed}`);
      writeTree(path, randomTree(seed * 7919, 'dir'));
      await checkAgainstNix(path);
    }
  });

  it('matches on rich random trees: deep nesting, large files, odd names, empty dirs and files', async (t) => {
    const root = tempDir(t);
    for (let seed = 1; seed <= 12; seed++) {
      const path = join(root, `rich${seed}`);
      // Depths up to 70: past the 64 that newer Nix refuses; Nix 2.8 has no limit, nor do we.
      writeTree(path, richTree(seed * 104_729, seed === 12 ? 70 : 30 + seed, seed % 3));
      await checkHashAndDump(path);
    }
  });

  it('matches on a large single file at the root (hashed on the walker thread)', async (t) => {
    const root = tempDir(t);
    const path = join(root, 'large');
    writeTree(path, { kind: 'file', size: 9 * 1024 * 1024 + 3, seed: 5, executable: true });
    await checkHashAndDump(path);
  });

  it('matches on single files and symlinks at the root', async (t) => {
    const root = tempDir(t);
    const roots: TreeNode['kind'][] = ['file', 'symlink'];
    for (let seed = 1; seed <= 24; seed++) {
      const path = join(root, `r${seed}`);
      writeTree(path, randomTree(seed, roots[seed % 2]));
      await checkAgainstNix(path);
    }
  });

  it('matches on files sized around the padding boundaries', async (t) => {
    const root = tempDir(t);
    for (let size = 0; size <= 17; size++) {
      const path = join(root, `s${size}`);
      writeFileSync(path, fileBytes(size, size));
      await checkAgainstNix(path);
    }
  });

  it('streams multi-MiB files without holding them whole, and matches', async (t) => {
    const root = tempDir(t);
    const big = join(root, 'big');
    writeTree(big, {
      kind: 'dir',
      entries: new Map([
        [
          'a',
          {
            name: Buffer.from('a'),
            node: { kind: 'file', size: 3 * 1024 * 1024 + 5, seed: 1, executable: false },
          },
        ],
        [
          'b',
          {
            name: Buffer.from('b'),
            node: { kind: 'file', size: 5 * 1024 * 1024, seed: 2, executable: true },
          },
        ],
      ]),
    });
    let largest = 0;
    for await (const chunk of dumpNar(big)) largest = Math.max(largest, chunk.length);
    assert.ok(largest <= 512 * 1024, `largest chunk ${largest} bytes`);
    await checkAgainstNix(big);
  });

  it('computes flat file hashes and paths like nix-prefetch-url and --add-fixed', async (t) => {
    const root = tempDir(t);
    for (const size of [0, 1, 7, 8, 9, 100_000]) {
      const path = join(root, `f${size}.bin`);
      writeFileSync(path, fileBytes(size, size + 1));
      const [hashText, storePath] = (
        await nixText('nix-prefetch-url', ['--print-path', `file://${path}`])
      ).split('\n');
      const hash = await flatFileHash(path);
      assert.equal(renderNixHash(hash, 'base32', { typed: false }), hashText);
      assert.equal(makeFixedOutputPath(`f${size}.bin`, 'flat', hash), storePath);
      assert.equal((await storePathForFile(path, { method: 'flat' })).storePath, storePath);
      assert.equal(await nixText('nix-store', ['--add-fixed', 'sha256', path]), storePath);
      const sha512 = parseNixHash(
        await nixText('nix-hash', ['--type', 'sha512', '--flat', '--base32', path]),
        {
          algo: 'sha512',
        },
      );
      assert.deepEqual((await storePathForFile(path, { method: 'flat', algo: 'sha512' })).hash, sha512);
    }
  });

  it('rejects corrupted Nix archives, and accepts only canonical ones', async (t) => {
    const root = tempDir(t);
    const path = join(root, 'c');
    writeTree(path, randomTree(4242, 'dir'));
    const good = await nix('nix-store', ['--dump', path]);
    const rand = prng(99);
    for (let i = 0; i < 200; i++) {
      const cut = Math.floor(rand() * good.length);
      await assert.rejects(validateNar([good.subarray(0, cut)]), isValidationError);
    }
    await assert.rejects(validateNar([Buffer.concat([good, Buffer.alloc(8)])]), isValidationError);
    // A flipped byte may land in file contents (still a valid NAR); anything accepted must be
    // exactly what the serialiser would produce for what was parsed.
    let rejected = 0;
    for (let i = 0; i < 300; i++) {
      const bad = Buffer.from(good);
      const at = Math.floor(rand() * bad.length);
      bad[at] = (bad[at] ?? 0) ^ (1 + Math.floor(rand() * 255));
      try {
        assert.ok((await buffer(writeNar(parseNar([bad])))).equals(bad));
      } catch (error) {
        assert.ok(isValidationError(error), String(error));
        rejected++;
      }
    }
    assert.ok(rejected > 0);
  });
});
