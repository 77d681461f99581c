import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { decompressStream, XZ_DECOMPRESS_MEMLIMIT_BYTES } from '../../../src/compression/index.js';
import { isKilnError } from '../../../src/errors/index.js';

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield data;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

const payload = Buffer.concat([randomBytes(200_000), Buffer.alloc(300_000, 'nix-archive-1 ')]);

/**
 * Rewrites the LZMA2 dictionary size in the first block header of a (single-threaded) xz stream
 * and fixes the header's CRC32: the data still decodes, but the decoder must allocate the new
 * dictionary, as a hostile upload would ask it to.
 */
function withDictionarySize(xz: Buffer, propsByte: number): Buffer {
  const out = Buffer.from(xz);
  const start = 12; // after the stream header
  const headerSize = (out[start]! + 1) * 4;
  const flags = out[start + 1]!;
  let offset = start + 2;
  const skipVli = (): void => {
    while ((out[offset++]! & 0x80) !== 0);
  };
  if (flags & 0x40) skipVli(); // compressed size
  if (flags & 0x80) skipVli(); // uncompressed size
  assert.equal(flags & 0x03, 0, 'one filter');
  assert.equal(out[offset], 0x21, 'LZMA2 filter');
  assert.equal(out[offset + 1], 1, 'one property byte');
  out[offset + 2] = propsByte;
  const crcAt = start + headerSize - 4;
  out.writeUInt32LE(crc32(out.subarray(start, crcAt)), crcAt);
  return out;
}

describe('xz decompression of untrusted uploads', () => {
  for (const level of ['-0', '-6', '-9']) {
    it(`still decompresses an ordinary stream (xz ${level}, as Nix and users produce)`, async () => {
      const xz = execFileSync('xz', ['--compress', '--stdout', '-T1', level], { input: payload });
      assert.deepEqual(await collect(decompressStream('xz', once(xz))), payload);
    });
  }

  it('refuses a stream asking for a 1 GiB dictionary, naming the limit', async () => {
    const xz = execFileSync('xz', ['--compress', '--stdout', '-T1', '-1'], { input: payload });
    // The tampered stream is otherwise valid: plain xz without a limit still decodes it.
    const hostile = withDictionarySize(xz, 36); // 2 << (36 / 2 + 11) = 1 GiB
    assert.deepEqual(execFileSync('xz', ['--decompress', '--stdout'], { input: hostile }), payload);
    await assert.rejects(collect(decompressStream('xz', once(hostile))), (error: unknown) => {
      assert.ok(isKilnError(error));
      assert.equal(error.code, 'KILN_ERR_VALIDATION');
      assert.match(error.message, new RegExp(`more than ${XZ_DECOMPRESS_MEMLIMIT_BYTES / 1024 / 1024} MiB`));
      return true;
    });
  });
});
