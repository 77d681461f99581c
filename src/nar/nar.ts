import { createHash } from 'node:crypto';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { KilnError } from '../errors/index.js';
import type { HashAlgo, NixHash } from './hash.js';
import { compareBytes, NAR_MAGIC, narStrings, padding, u64 } from './nar-framing.js';

/** Read size for file contents: bounded so a large file never sits in memory whole. */
const READ_CHUNK = 256 * 1024;
/** Small tokens are batched into chunks of about this size before they are yielded. */
const BATCH = 64 * 1024;

/**
 * Serialises `path` as a NAR exactly as `nix-store --dump` does (libutil/archive.cc dump), as a
 * stream of chunks. Paths are handled as raw bytes so names that are not UTF-8 survive.
 */
export async function* dumpNar(path: string): AsyncGenerator<Uint8Array, void, undefined> {
  const batch = new Batcher();
  batch.push(narStrings(NAR_MAGIC));
  yield* dumpNode(Buffer.from(path), batch);
  const rest = batch.take();
  if (rest.length > 0) yield rest;
}

class Batcher {
  private parts: Uint8Array[] = [];
  private length = 0;

  push(part: Uint8Array): void {
    this.parts.push(part);
    this.length += part.length;
  }

  get full(): boolean {
    return this.length >= BATCH;
  }

  /** Everything pending as one chunk (empty when nothing is). */
  take(): Uint8Array {
    const out = this.parts.length === 1 && this.parts[0] ? this.parts[0] : Buffer.concat(this.parts);
    this.parts = [];
    this.length = 0;
    return out;
  }
}

async function* dumpNode(path: Buffer, batch: Batcher): AsyncGenerator<Uint8Array, void, undefined> {
  const st = await lstat(path);
  if (st.isFile()) {
    // Only the owner-executable bit is recorded (posix-source-accessor.cc: st_mode & S_IXUSR).
    const executable = (st.mode & 0o100) !== 0;
    batch.push(narStrings('(', 'type', 'regular', ...(executable ? ['executable', ''] : []), 'contents'));
    batch.push(u64(st.size));
    yield* dumpContents(path, st.size, batch);
    batch.push(narStrings(')'));
  } else if (st.isSymbolicLink()) {
    const target = await readlink(path, { encoding: 'buffer' });
    batch.push(narStrings('(', 'type', 'symlink', 'target', target, ')'));
  } else if (st.isDirectory()) {
    batch.push(narStrings('(', 'type', 'directory'));
    const names = await readdir(path, { encoding: 'buffer' });
    names.sort(compareBytes);
    for (const name of names) {
      batch.push(narStrings('entry', '(', 'name', name, 'node'));
      yield* dumpNode(Buffer.concat([path, Buffer.from('/'), name]), batch);
      batch.push(narStrings(')'));
      if (batch.full) yield batch.take();
    }
    batch.push(narStrings(')'));
  } else {
    throw new KilnError('KILN_ERR_VALIDATION', `file '${path.toString()}' has an unsupported type`, {
      path: path.toString(),
    });
  }
}

async function* dumpContents(
  path: Buffer,
  size: number,
  batch: Batcher,
): AsyncGenerator<Uint8Array, void, undefined> {
  const handle = await open(path, 'r');
  try {
    let done = 0;
    while (done < size) {
      // A fresh buffer per chunk: the consumer may keep chunks after we move on.
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - done));
      const { bytesRead } = await handle.read(buf, 0, buf.length, done);
      if (bytesRead === 0) {
        // The length is already written; a shrinking file would yield a corrupt NAR.
        throw new KilnError('KILN_ERR_VALIDATION', `file '${path.toString()}' changed while it was read`, {
          path: path.toString(),
        });
      }
      done += bytesRead;
      const chunk = buf.subarray(0, bytesRead);
      if (bytesRead < BATCH) {
        batch.push(chunk);
        if (batch.full) yield batch.take();
      } else {
        const pending = batch.take();
        if (pending.length > 0) yield pending;
        yield chunk;
      }
    }
  } finally {
    await handle.close();
  }
  batch.push(new Uint8Array(padding(size)));
}

/** The NAR hash (sha256 of the serialisation, as `nix hash path`) and the NAR size. */
export async function narHash(path: string): Promise<{ hash: NixHash; size: number }> {
  return hashChunks(dumpNar(path));
}

/** Hash (sha256 unless told) and length of a byte stream, e.g. a NAR being uploaded. */
export async function hashChunks(
  chunks: AsyncIterable<Uint8Array>,
  algo: HashAlgo = 'sha256',
): Promise<{ hash: NixHash; size: number }> {
  const hasher = createHash(algo);
  let size = 0;
  for await (const chunk of chunks) {
    hasher.update(chunk);
    size += chunk.length;
  }
  return { hash: { algo, digest: new Uint8Array(hasher.digest()) }, size };
}
