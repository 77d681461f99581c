import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { encodeNix32 } from '../../nar/index.js';
import { compressStream } from '../../compression/index.js';
import type { PutBody } from './types.js';

export const DEFAULT_MEMORY_LIMIT = 64 * 1024 * 1024;

/** A compressed NAR ready to upload, possibly several times (retries). */
export interface CompressedNar {
  /** nix32 SHA-256 of the compressed bytes: the file's name in the cache. */
  fileHash: string;
  fileSize: number;
  body: PutBody;
  /** Deletes the spill file, if any. Idempotent. */
  dispose(): Promise<void>;
}

export interface CompressNarOptions {
  signal: AbortSignal;
  memoryLimitBytes?: number | undefined;
  tempDir?: string | undefined;
}

/**
 * Compresses a NAR with zstd, hashing and counting the compressed bytes on the way. The name of
 * the file must be the hash of its bytes, so the whole file exists before the upload starts: in
 * memory up to the limit, in a temp file (0600, own directory) beyond it.
 */
export async function compressNar(
  nar: AsyncIterable<Uint8Array>,
  options: CompressNarOptions,
): Promise<CompressedNar> {
  const limit = options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT;
  const hash = createHash('sha256');
  let size = 0;
  let chunks: Uint8Array[] = [];
  let spill: { dir: string; file: string; stream: WriteStream } | undefined;
  const dispose = async (): Promise<void> => {
    const dir = spill?.dir;
    if (spill) spill.stream.destroy();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  };
  try {
    for await (const chunk of compressStream('zstd', nar, { signal: options.signal })) {
      hash.update(chunk);
      size += chunk.length;
      if (!spill && size > limit) {
        const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'kiln-push-'));
        const file = join(dir, 'nar.zst');
        spill = { dir, file, stream: createWriteStream(file, { mode: 0o600 }) };
        for (const held of chunks) await write(spill.stream, held);
        chunks = [];
      }
      if (spill) await write(spill.stream, chunk);
      else chunks.push(chunk);
    }
    if (spill) {
      spill.stream.end();
      await once(spill.stream, 'finish');
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  const fileHash = encodeNix32(hash.digest());
  if (!spill) {
    return {
      fileHash,
      fileSize: size,
      body: { kind: 'bytes', bytes: Buffer.concat(chunks) },
      dispose: () => Promise.resolve(),
    };
  }
  const file = spill.file;
  return {
    fileHash,
    fileSize: size,
    body: {
      kind: 'stream',
      length: size,
      open: () => createReadStream(file) as AsyncIterable<Uint8Array>,
    },
    dispose,
  };
}

async function write(stream: WriteStream, chunk: Uint8Array): Promise<void> {
  if (stream.write(chunk)) return;
  // 'error' rejects the once() promise, so a full disk surfaces here.
  await once(stream, 'drain');
}
