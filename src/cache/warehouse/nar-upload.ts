import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { KilnError } from '../../errors/index.js';
import { encodeNix32, renderNixHash, validateNar } from '../../nar/index.js';
import { decompressStream } from '../../compression/index.js';
import type { ObjectInfo, ObjectStorage } from '../storage/types.js';
import { parseNarFileKey } from './names.js';

/** What the server computed from an uploaded NAR file. Hashes are `sha256:<nix32>`. */
export interface ReceivedNar {
  fileKey: string;
  compression: string;
  fileHash: string;
  fileSize: number;
  narHash: string;
  narSize: number;
}

export interface ReceiveNarOptions {
  maxBytes: number;
  signal?: AbortSignal;
}

/**
 * Stores an uploaded NAR file under `fileKey` only if it checks out: its name must be the nix32
 * SHA-256 of its bytes (Nix's naming, so one key always holds one content), it must decompress
 * with the compression its name implies, and what comes out must be a well-formed NAR. The
 * checks finish before the storage commits, so a rejected or interrupted upload leaves nothing.
 */
export async function receiveNar(
  storage: ObjectStorage,
  fileKey: string,
  body: AsyncIterable<Uint8Array>,
  options: ReceiveNarOptions,
): Promise<{ received: ReceivedNar; info: ObjectInfo }> {
  const named = parseNarFileKey(fileKey);
  if (named === undefined) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      'a NAR is uploaded as nar/<nix32 sha256 of the file>.nar[.xz|.zst|.bz2|.br]',
      { key: fileKey.slice(0, 200) },
    );
  }
  const fileHasher = createHash('sha256');
  let fileSize = 0;
  let nar: { hash: string; size: number } | undefined;

  async function* verified(): AsyncGenerator<Uint8Array, void, undefined> {
    // The decompressing side reads what the storage side writes, through a bounded buffer.
    const narSide = new PassThrough();
    const checking = validateNar(decompressStream(named!.compression, narSide, { signal: options.signal }));
    // Failures surface where they are awaited below; until then keep them from going unhandled.
    checking.catch(() => undefined);
    try {
      for await (const chunk of body) {
        fileSize += chunk.length;
        if (fileSize > options.maxBytes) {
          throw new KilnError('KILN_ERR_TOO_LARGE', `NAR uploads are limited to ${options.maxBytes} bytes`);
        }
        fileHasher.update(chunk);
        if (!narSide.write(chunk)) await Promise.race([once(narSide, 'drain'), checking]);
        yield chunk;
      }
      narSide.end();
      const result = await checking;
      nar = { hash: renderNixHash(result.hash, 'base32'), size: result.size };
      const fileHash = encodeNix32(fileHasher.digest());
      if (fileHash !== named!.fileHash) {
        throw new KilnError('KILN_ERR_VALIDATION', 'the NAR file does not match its name', {
          key: fileKey,
          fileHash: `sha256:${fileHash}`,
        });
      }
    } finally {
      narSide.destroy();
    }
  }

  const info = await storage.write(fileKey, verified(), { signal: options.signal });
  if (nar === undefined) throw new KilnError('KILN_ERR_INTERNAL', 'the NAR was stored without a check');
  return {
    info,
    received: {
      fileKey,
      compression: named.compression,
      fileHash: `sha256:${named.fileHash}`,
      fileSize,
      narHash: nar.hash,
      narSize: nar.size,
    },
  };
}
