import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  dumpNar,
  hashChunks,
  narHash,
  narPathToString,
  parseNar,
  renderNixHash,
  validateNar,
  writeNar,
} from '../../../src/nar/index.js';
import type { NarEvent } from '../../../src/nar/index.js';
import { narHashHere } from '../../../src/nar/nar.js';
import { isKilnError } from '../../../src/errors/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { prng, randomTree, richTree, writeTree } from '../../integration/nar/random-tree.js';

/** An independent NAR string encoder for hand-made archives. */
function str(value: string | Uint8Array): Buffer {
  const bytes = Buffer.from(value);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([len, bytes, Buffer.alloc((8 - (bytes.length % 8)) % 8)]);
}

function nar(...tokens: (string | Uint8Array)[]): Buffer {
  return Buffer.concat([str('nix-archive-1'), ...tokens.map(str)]);
}

/** The same bytes one at a time, to exercise reads across chunk borders. */
function* byteByByte(bytes: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
}

/** The same bytes cut at random places. */
function* randomChunks(bytes: Uint8Array, seed: number): Generator<Uint8Array> {
  const rand = prng(seed);
  for (let i = 0; i < bytes.length;) {
    const n = 1 + Math.floor(rand() * 3000);
    yield bytes.subarray(i, i + n);
    i += n;
  }
}

async function events(bytes: Uint8Array): Promise<NarEvent[]> {
  const out: NarEvent[] = [];
  for await (const event of parseNar([bytes])) out.push(event);
  return out;
}

function isValidationError(error: unknown): boolean {
  return isKilnError(error) && error.code === 'KILN_ERR_VALIDATION';
}

/** The fixture also used to take the vectors below from Nix 2.8. */
function makeFixture(root: string): string {
  const d = join(root, 'd');
  mkdirSync(d);
  writeFileSync(join(d, 'a'), 'abc');
  symlinkSync('a', join(d, 'l'));
  writeFileSync(join(d, 'x'), '#!/bin/sh\n');
  chmodSync(join(d, 'x'), 0o755);
  mkdirSync(join(d, 'empty'));
  return d;
}

describe('dumpNar', () => {
  it('frames a single regular file exactly', async (t) => {
    const file = join(tempDir(t), 'hello.txt');
    writeFileSync(file, 'hello\n');
    const expected = Buffer.concat([
      nar('(', 'type', 'regular', 'contents'),
      Buffer.from([6, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from('hello\n\0\0'),
      str(')'),
    ]);
    assert.deepEqual(await buffer(dumpNar(file)), expected);
    // nix-hash --type sha256 --base32 hello.txt (Nix 2.8)
    const { hash, size } = await narHash(file);
    assert.equal(
      renderNixHash(hash, 'base32'),
      'sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw',
    );
    assert.equal(size, expected.length);
  });

  it('serialises directories, executables, symlinks and empty dirs like Nix', async (t) => {
    const d = makeFixture(tempDir(t));
    const expected = nar(
      '(', 'type', 'directory',
      'entry', '(', 'name', 'a', 'node', '(', 'type', 'regular', 'contents', 'abc', ')', ')',
      'entry', '(', 'name', 'empty', 'node', '(', 'type', 'directory', ')', ')',
      'entry', '(', 'name', 'l', 'node', '(', 'type', 'symlink', 'target', 'a', ')', ')',
      'entry', '(', 'name', 'x', 'node', '(', 'type', 'regular', 'executable', '', 'contents', '#!/bin/sh\n', ')', ')',
      ')',
    ); // prettier-ignore
    assert.deepEqual(await buffer(dumpNar(d)), expected);
    const { hash, size } = await narHash(d);
    assert.equal(
      renderNixHash(hash, 'base32'),
      'sha256:09l5a1i81b0h12vpk0fiywyj6xlbr90v8w4pfgm3g3h8g4ni08lp',
    );
    assert.equal(size, 880);
  });

  it('rejects files of unsupported types', async (t) => {
    await assert.rejects(buffer(dumpNar('/dev/null')), isValidationError);
    await assert.rejects(buffer(dumpNar(join(tempDir(t), 'missing'))));
  });
});

/** A Unix socket inside `dir`: a file type NARs cannot hold. */
async function withSocket(dir: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(dir, 'sock'), resolve));
  return server;
}

describe('narHash', () => {
  it('agrees with hashing dumpNar, on this thread and on the walker thread', async (t) => {
    const root = tempDir(t);
    for (let seed = 1; seed <= 6; seed++) {
      const path = join(root, `r${seed}`);
      // Large files cross the 256 KiB dump chunks and the 1 MiB hash buffers at odd offsets.
      writeTree(path, richTree(seed, 5 + seed, 1));
      const expected = await hashChunks(dumpNar(path));
      assert.deepEqual(await narHash(path), expected);
      assert.deepEqual(await narHashHere(path), expected);
      assert.deepEqual(await narHash(path, 'sha512'), await hashChunks(dumpNar(path), 'sha512'));
    }
  });

  it('gives the same results when many run at once (threads are capped; the rest run here)', async (t) => {
    const root = tempDir(t);
    const paths = Array.from({ length: 6 }, (_, i) => join(root, `c${i}`));
    paths.forEach((path, i) => writeTree(path, randomTree(100 + i, 'dir')));
    const alone = [];
    for (const path of paths) alone.push(await narHashHere(path));
    assert.deepEqual(await Promise.all(paths.map((path) => narHash(path))), alone);
  });

  it('reports a file type NARs cannot hold, from either thread', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'a'), 'a');
    const server = await withSocket(dir);
    t.after(() => server.close());
    await assert.rejects(
      narHash(dir),
      (error) => isValidationError(error) && /unsupported type/.test(String(error)),
    );
    await assert.rejects(narHashHere(dir), isValidationError);
    await assert.rejects(buffer(dumpNar(dir)), isValidationError);
  });

  it('reports a missing path with its errno code', async (t) => {
    const missing = join(tempDir(t), 'missing');
    await assert.rejects(narHash(missing), { code: 'ENOENT' });
    await assert.rejects(narHashHere(missing), { code: 'ENOENT' });
  });

  it('passes a system error from the walker thread on with its code', async (t) => {
    // A tree whose full paths exceed PATH_MAX: built with relative paths, unreadable by path.
    const root = tempDir(t);
    const home = process.cwd();
    t.after(() => process.chdir(home));
    process.chdir(root);
    const name = 'n'.repeat(250);
    for (let i = 0; i < 18; i++) {
      mkdirSync(name);
      process.chdir(name);
    }
    process.chdir(home);
    try {
      await assert.rejects(narHash(root), { code: 'ENAMETOOLONG', syscall: 'scandir' });
    } finally {
      // rmSync fails on it too; GNU rm walks by file descriptor.
      execFileSync('rm', ['-rf', join(root, name)]);
    }
  });

  it('keeps the event loop responsive on a large file and on many small ones', async (t) => {
    const root = tempDir(t);
    const big = join(root, 'big');
    // 384 MiB: hashing it without a break blocks for 250 ms or more even at 1.5 GB/s.
    const block = Buffer.alloc(16 * 1024 * 1024, 7);
    writeFileSync(big, block);
    for (let i = 1; i < 24; i++) appendFileSync(big, block);
    const many = join(root, 'many');
    mkdirSync(many);
    for (let i = 0; i < 3000; i++) writeFileSync(join(many, `f${i}`), String(i));
    for (const [path, hash] of [
      [big, narHash],
      [many, narHash],
      [big, narHashHere],
      [many, narHashHere],
      [big, (p: string) => hashChunks(dumpNar(p))],
    ] as const) {
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      await hash(path);
      // The histogram records a block when its timer fires late: give it that chance.
      await sleep(20);
      delay.disable();
      // Slices are 10 ms; the bound leaves room for a loaded machine.
      assert.ok(delay.max / 1e6 < 150, `${path}: event loop blocked for ${(delay.max / 1e6).toFixed(0)} ms`);
    }
  });
});

describe('parseNar', () => {
  it('reports events and reserialises byte-identically, whatever the chunking', async (t) => {
    const d = makeFixture(tempDir(t));
    const bytes = await buffer(dumpNar(d));
    const list = await events(bytes);
    assert.deepEqual(
      list.map((e) => `${e.type} ${narPathToString(e.path)}`),
      [
        'directory ',
        'file a',
        'file-data a',
        'file-end a',
        'directory empty',
        'directory-end empty',
        'symlink l',
        'file x',
        'file-data x',
        'file-end x',
        'directory-end ',
      ],
    );
    assert.deepEqual(list[7], { type: 'file', path: [Buffer.from('x')], executable: true, size: 10 });
    assert.deepEqual(await buffer(writeNar(parseNar(byteByByte(bytes)))), bytes);
    const { hash, size } = await validateNar(byteByByte(bytes));
    assert.equal(
      renderNixHash(hash, 'base32'),
      'sha256:09l5a1i81b0h12vpk0fiywyj6xlbr90v8w4pfgm3g3h8g4ni08lp',
    );
    assert.equal(size, bytes.length);
  });

  it('rejects every truncation and trailing data', async (t) => {
    const bytes = await buffer(dumpNar(makeFixture(tempDir(t))));
    for (let cut = 0; cut < bytes.length; cut++) {
      await assert.rejects(validateNar([bytes.subarray(0, cut)]), isValidationError, `cut at ${cut}`);
    }
    await assert.rejects(validateNar([Buffer.concat([bytes, Buffer.alloc(1)])]), isValidationError);
  });

  const file = (name: string, body = 'x'): string[] => [
    'entry', '(', 'name', name, 'node', '(', 'type', 'regular', 'contents', body, ')', ')',
  ]; // prettier-ignore
  const dir = (...entries: string[][]): Buffer => nar('(', 'type', 'directory', ...entries.flat(), ')');

  it('accepts a well-formed hand-made archive', async () => {
    await validateNar([dir(file('a'), file('b'))]);
  });

  const corrupt: [string, Buffer][] = [
    ['wrong magic', Buffer.concat([str('nix-archive-2'), str('('), str('type'), str('symlink'), str('target'), str('a'), str(')')])],
    ['unsorted entries', dir(file('b'), file('a'))],
    ['duplicate entries', dir(file('a'), file('a'))],
    ['byte order, not locale order', dir(file('a'), file('B'))],
    ['empty name', dir(file(''))],
    ['dot name', dir(file('.'))],
    ['dot-dot name', dir(file('..'))],
    ['slash in name', dir(file('a/b'))],
    ['NUL in name', dir(file('a\0b'))],
    ['unknown type', nar('(', 'type', 'fifo', ')')],
    ['unknown tag', nar('(', 'type', 'regular', 'mtime', '0', 'contents', 'x', ')')],
    ['non-empty executable marker', nar('(', 'type', 'regular', 'executable', 'yes', 'contents', 'x', ')')],
    ['missing close', nar('(', 'type', 'symlink', 'target', 'a')],
    ['missing type', nar('(', 'regular', 'contents', 'x', ')')],
    ['entry without node', nar('(', 'type', 'directory', 'entry', '(', 'name', 'a', ')', ')')],
    ['entries in a file', nar('(', 'type', 'regular', 'contents', 'x', 'entry', ')')],
  ]; // prettier-ignore
  for (const [what, bytes] of corrupt) {
    it(`rejects ${what}`, async () => {
      await assert.rejects(validateNar([bytes]), isValidationError);
    });
  }

  it('rejects non-zero padding and absurd lengths', async () => {
    const good = nar('(', 'type', 'regular', 'contents', 'abc', ')');
    const contentsEnd = good.indexOf('abc') + 3;
    const badPad = Buffer.from(good);
    badPad[contentsEnd] = 1;
    await assert.rejects(validateNar([badPad]), isValidationError);
    const huge = Buffer.from(good);
    huge.writeBigUInt64LE(2n ** 63n, contentsEnd - 8 - 3);
    await assert.rejects(validateNar([huge]), isValidationError);
    const longName = dir(file('n'.repeat(5000)));
    await assert.rejects(validateNar([longName]), isValidationError);
  });

  it('closes its source when it stops early', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield await Promise.resolve(nar('(', 'type', 'bogus'));
        yield nar(')');
      } finally {
        closed = true;
      }
    }
    await assert.rejects(validateNar(source()), isValidationError);
    assert.ok(closed);
  });

  it('limits nesting depth', async () => {
    let node: string[] = ['(', 'type', 'symlink', 'target', 't', ')'];
    for (let i = 0; i < 20; i++)
      node = ['(', 'type', 'directory', 'entry', '(', 'name', 'd', 'node', ...node, ')', ')'];
    const bytes = nar(...node);
    await validateNar([bytes], { maxDepth: 20 });
    await assert.rejects(validateNar([bytes], { maxDepth: 19 }), isValidationError);
  });

  it('round-trips random trees: dump, parse, write', async (t) => {
    const root = tempDir(t);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
        const path = join(root, `t${n++}`);
        writeTree(path, randomTree(seed));
        const bytes = await buffer(dumpNar(path));
        assert.deepEqual(await buffer(writeNar(parseNar([bytes]))), bytes);
        const { hash } = await narHash(path);
        assert.deepEqual((await validateNar(randomChunks(bytes, seed))).hash, hash);
      }),
      { numRuns: 25 },
    );
  });
});
