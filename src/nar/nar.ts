import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { HashAlgo, NixHash } from './hash.js';
import { narHashOnThread } from './nar-hash-thread.js';
import { NarWriter, walkNar } from './nar-walk.js';

/** Chunks dumpNar yields are at most this big: a NAR is never held whole. */
const DUMP_CHUNK = 256 * 1024;
/** narHash frames into one reused buffer of this size; 1 MiB amortises hash-call overhead. */
const HASH_BUFFER = 1024 * 1024;
/** The serialiser gives the event loop a turn at least this often, so a server stays responsive. */
const SLICE_MS = 10;

/**
 * Serialises `path` as a NAR exactly as `nix-store --dump` does (libutil/archive.cc dump), as a
 * stream of chunks of at most 256 KiB. The consumer may keep every chunk (each is a fresh buffer).
 * Paths are handled as raw bytes so names that are not UTF-8 survive.
 */
export async function* dumpNar(path: string): AsyncGenerator<Uint8Array, void, undefined> {
  const ready: Buffer[] = [];
  const w = new NarWriter(Buffer.allocUnsafe(DUMP_CHUNK), {
    flush(bytes) {
      ready.push(bytes);
      return Buffer.allocUnsafe(DUMP_CHUNK);
    },
  });
  let sliceStart = performance.now();
  for (const _ of walkNar(Buffer.from(path), w)) {
    while (ready.length > 0) yield ready.shift() as Buffer;
    // An async generator resumes in microtasks: without this a fast consumer never lets timers
    // or sockets run.
    if (performance.now() - sliceStart > SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
  w.flush();
  while (ready.length > 0) yield ready.shift() as Buffer;
}

/** Below this a lone file is hashed here: starting a thread would cost more than it saves. */
const THREAD_MIN_FILE = 8 * 1024 * 1024;
/** Walker threads at once (each ~10 MiB); further concurrent hashes run on this thread instead. */
const MAX_THREADS = 2;
let threads = 0;

/**
 * The NAR hash (sha256 unless told, as `nix hash path`) and the NAR size of `path`, streamed
 * through a few reused buffers: memory stays flat whatever the tree's size (and however many run
 * at once). Directories and large files are walked on a thread of their own while this one hashes
 * (see nar-hash-thread.ts).
 */
export async function narHash(
  path: string,
  algo: HashAlgo = 'sha256',
): Promise<{ hash: NixHash; size: number }> {
  const st = await lstat(path);
  const worthAThread = st.isDirectory() || (st.isFile() && st.size >= THREAD_MIN_FILE);
  if (!worthAThread || threads >= MAX_THREADS) return narHashHere(path, algo);
  threads++;
  try {
    return await narHashOnThread(path, algo);
  } finally {
    threads--;
  }
}

/** narHash on this thread, in slices between which the event loop gets a turn. */
export async function narHashHere(
  path: string,
  algo: HashAlgo = 'sha256',
): Promise<{ hash: NixHash; size: number }> {
  const hasher = createHash(algo);
  const w = new NarWriter(Buffer.allocUnsafe(HASH_BUFFER), {
    flush(bytes, buffer) {
      hasher.update(bytes);
      return buffer;
    },
  });
  let sliceStart = performance.now();
  for (const _ of walkNar(Buffer.from(path), w)) {
    if (performance.now() - sliceStart > SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
  w.flush();
  return { hash: { algo, digest: new Uint8Array(hasher.digest()) }, size: w.written };
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
