import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, readdir as readdirCb } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, it, type TestContext } from 'node:test';
import {
  compressStream,
  decompressStream,
  pipeThroughProgram,
  STREAM_COMPRESSIONS,
} from '../../../src/compression/index.js';
import { KilnError, isKilnError } from '../../../src/errors/index.js';
import { nonce, waitFor } from '../../helpers/nix.js';
import { tempDir } from '../../helpers/tmp.js';

const readdir = promisify(readdirCb);
const PROGRAMS = { xz: ['xz', '-dc'], zstd: ['zstd', '-dcq'], bzip2: ['bzip2', '-dc'] } as const;
const COMPRESSORS = { xz: ['xz', '-zc'], zstd: ['zstd', '-cq'], bzip2: ['bzip2', '-zc'] } as const;
const NIX = ['--extra-experimental-features', 'nix-command'];
const MiB = 1024 * 1024;

async function* chunksOf(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) {
    await tick();
    yield data.subarray(i, i + size);
  }
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Half random, half repetitive: exercises both the incompressible and the compressible paths. */
function sample(bytes: number): Buffer {
  const half = Math.floor(bytes / 2);
  return Buffer.concat([randomBytes(half), Buffer.alloc(bytes - half, 'kiln nar payload ')]);
}

function run(command: string, args: readonly string[], input?: Uint8Array): Buffer {
  return execFileSync(command, args, { input, maxBuffer: 256 * MiB, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Our direct children running a compressor (they are ours even though in their own group). */
async function compressorChildren(): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [state = '', ppid = ''] = stat.slice(close + 2).split(' ');
      if (Number(ppid) === process.pid && state !== 'Z' && ['xz', 'zstd', 'bzip2'].includes(comm))
        found.push(Number(entry));
    } catch {
      // the process exited while we looked
    }
  }
  return found;
}

async function assertNoChildren(): Promise<void> {
  await waitFor(async () => (await compressorChildren()).length === 0, {
    timeoutMs: 5000,
    what: 'compressor children to be gone',
  });
}

function assertInvalid(compression: string) {
  return (error: unknown): boolean => {
    assert.ok(isKilnError(error), `expected a KilnError, got ${String(error)}`);
    assert.equal(error.code, 'KILN_ERR_VALIDATION');
    assert.equal(error.message, `the upload is not valid ${compression} data`);
    return true;
  };
}

/** An endless source of random bytes that records whether it was closed. */
function endless(): { source: AsyncGenerator<Uint8Array>; closed: () => boolean } {
  let closed = false;
  async function* source(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        await tick();
        yield randomBytes(64 * 1024);
      }
    } finally {
      closed = true;
    }
  }
  return { source: source(), closed: () => closed };
}

describe('compression streams', () => {
  for (const compression of STREAM_COMPRESSIONS) {
    it(`round-trips ${compression} with multi-MiB data and varied chunk sizes`, async () => {
      const data = sample(3 * MiB + 17);
      for (const size of [4093, 64 * 1024, MiB + 3]) {
        const packed = await collect(compressStream(compression, chunksOf(data, size)));
        const unpacked = await collect(
          decompressStream(compression, chunksOf(packed, Math.max(1, size >> 4))),
        );
        assert.ok(unpacked.equals(data), `${compression} round trip with ${size}-byte chunks`);
      }
      const tiny = Buffer.from('hello nix');
      const packed = await collect(compressStream(compression, chunksOf(tiny, 1)));
      assert.ok((await collect(decompressStream(compression, chunksOf(packed, 1)))).equals(tiny));
    });
  }

  for (const compression of ['xz', 'zstd', 'bzip2'] as const) {
    it(`interoperates with the ${compression} program in both directions`, async () => {
      const data = sample(2 * MiB);
      const ours = await collect(compressStream(compression, chunksOf(data, 100_000)));
      const [dcmd, ...dargs] = PROGRAMS[compression];
      assert.ok(run(dcmd, dargs, ours).equals(data), `${dcmd} reads our ${compression}`);
      const [ccmd, ...cargs] = COMPRESSORS[compression];
      const theirs = run(ccmd, cargs, data);
      assert.ok((await collect(decompressStream(compression, chunksOf(theirs, 8191)))).equals(data));
    });

    it(`rejects corrupt and truncated ${compression} input with a coded error`, async () => {
      const packed = await collect(compressStream(compression, chunksOf(sample(MiB), 65536)));
      const flipped = Buffer.from(packed);
      const middle = Math.floor(flipped.length / 2);
      flipped[middle] = (flipped[middle] ?? 0) ^ 0xff;
      for (const bad of [randomBytes(4096), packed.subarray(0, packed.length - 40), flipped]) {
        await assert.rejects(
          collect(decompressStream(compression, chunksOf(bad, 1000))),
          assertInvalid(compression),
        );
      }
      await assertNoChildren();
    });
  }

  it('rejects corrupt gzip and br input with a coded error', async () => {
    // Not random bytes: brotli has no header, and a random stream is now and then a valid one.
    const notGzip = Buffer.concat([Buffer.from('not gzip'), randomBytes(4096)]);
    await assert.rejects(collect(decompressStream('gzip', chunksOf(notGzip, 1000))), assertInvalid('gzip'));
    for (const compression of ['gzip', 'br'] as const) {
      const packed = await collect(compressStream(compression, chunksOf(sample(MiB), 65536)));
      const truncated = packed.subarray(0, Math.floor(packed.length / 2));
      await assert.rejects(
        collect(decompressStream(compression, chunksOf(truncated, 1000))),
        assertInvalid(compression),
      );
    }
  });

  it('compresses zstd reproducibly: same bytes for any chunking, and as plain `zstd -c` in a pipe', async () => {
    // OCI layer digests are the sha256 of these bytes, so they must not depend on how they arrive.
    const data = sample(5 * MiB + 3);
    const first = await collect(compressStream('zstd', chunksOf(data, 4093)));
    const second = await collect(compressStream('zstd', chunksOf(data, MiB + 7)));
    assert.ok(first.equals(second), 'same zstd bytes for different chunkings');
    assert.ok(first.equals(run('zstd', ['-cq'], data)), 'same bytes as the zstd program with defaults');
    assert.ok(!first.equals(run('zstd', ['-cq', '-19'], data)), 'the level is part of the bytes');
  });

  it('refuses compressions it cannot stream when asked, not on first read', () => {
    for (const name of ['lz4', 'lzip', 'nope']) {
      assert.throws(() => compressStream(name, chunksOf(Buffer.alloc(1), 1)), {
        code: 'KILN_ERR_VALIDATION',
      });
      assert.throws(() => decompressStream(name, chunksOf(Buffer.alloc(1), 1)), {
        code: 'KILN_ERR_VALIDATION',
      });
    }
  });

  for (const compression of ['xz', 'zstd', 'bzip2', 'gzip'] as const) {
    it(`${compression}: aborting midway leaves no child process and stops the source`, async () => {
      const controller = new AbortController();
      const { source, closed } = endless();
      let received = 0;
      await assert.rejects(
        (async () => {
          for await (const chunk of compressStream(compression, source, { signal: controller.signal })) {
            received += chunk.length;
            if (compression !== 'gzip')
              assert.ok((await compressorChildren()).length > 0, 'child is running');
            controller.abort();
          }
        })(),
        { name: 'AbortError' },
      );
      assert.ok(received > 0);
      await assertNoChildren();
      await waitFor(async () => Promise.resolve(closed()), {
        timeoutMs: 5000,
        what: 'the source to be closed',
      });
    });
  }

  it('kills the child when the consumer stops reading early', async () => {
    for (const compression of ['xz', 'zstd', 'bzip2'] as const) {
      const { source } = endless();
      for await (const chunk of compressStream(compression, source)) {
        assert.ok(chunk.length > 0);
        break;
      }
      await assertNoChildren();
    }
  });

  it('fails at once when already aborted, without starting a child', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      collect(decompressStream('xz', chunksOf(Buffer.alloc(10), 1), { signal: controller.signal })),
      { name: 'AbortError' },
    );
  });

  it('reports a missing program as unavailable', async () => {
    const missing = pipeThroughProgram(
      {
        command: 'kiln-no-such-compressor',
        args: [],
        failure: () => new KilnError('KILN_ERR_INTERNAL', 'unreachable'),
      },
      chunksOf(Buffer.from('x'), 1),
    );
    await assert.rejects(collect(missing), { code: 'KILN_ERR_UNAVAILABLE' });
  });

  it('passes a failure of the source through and kills the child', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(1000);
      await tick();
      throw new Error('upload connection reset');
    }
    for (const compression of ['xz', 'gzip'] as const) {
      await assert.rejects(collect(compressStream(compression, failing())), /upload connection reset/);
    }
    await assertNoChildren();
  });
});

/** A fresh tiny store path, copied by Nix into file:// caches with each compression. */
function buildPath(t: TestContext): { path: string; dir: string } {
  const dir = tempDir(t, 'kiln-compress-');
  const expr = `derivation { name = "c"; system = "x86_64-linux"; builder = "/bin/sh"; nonce = "${nonce()}"; args = ["-c" "echo hi > $out"]; }`;
  const path = run('nix-build', ['--no-out-link', '-E', expr]).toString('utf8').trim();
  return { path, dir };
}

describe('compression streams and real Nix', () => {
  it('decompresses the NARs nix copy writes to what nix-store --dump produces', async (t) => {
    const { path, dir } = buildPath(t);
    const dump = run('nix-store', ['--dump', path]);
    for (const [compression, suffix] of [
      ['xz', '.nar.xz'],
      ['zstd', '.nar.zst'],
      ['bzip2', '.nar.bz2'],
    ] as const) {
      const cache = join(dir, compression);
      run('nix', [...NIX, 'copy', '--to', `file://${cache}?compression=${compression}`, path]);
      const nars = readdirSync(join(cache, 'nar')).filter((name) => name.endsWith(suffix));
      assert.equal(nars.length, 1, `one ${suffix} file`);
      const file = readFileSync(join(cache, 'nar', nars[0] ?? ''));
      const narinfo = readFileSync(
        join(cache, `${path.slice('/nix/store/'.length, '/nix/store/'.length + 32)}.narinfo`),
        'utf8',
      );
      assert.match(narinfo, new RegExp(`^Compression: ${compression}$`, 'm'));
      const unpacked = await collect(decompressStream(compression, chunksOf(file, 1000)));
      assert.ok(unpacked.equals(dump), `our ${compression} decompression equals nix-store --dump`);
      // And the other way: what we compress, Nix's own tooling reads back.
      const ours = await collect(compressStream(compression, chunksOf(dump, 1000)));
      const [dcmd, ...dargs] = PROGRAMS[compression];
      assert.ok(run(dcmd, dargs, ours).equals(dump));
    }
  });
});
