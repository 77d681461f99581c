import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KilnError } from '../../errors/index.js';
import { assertValidKey, assertValidPrefix } from './keys.js';
import { assertRangeShape, resolveRange } from './range.js';
import type { ByteRange, ObjectInfo, ObjectStorage, ReadResult, WriteOptions } from './types.js';

/** Temporary files start with a dot, which no key segment may (keys.ts), so they are never objects. */
const TEMP_PREFIX = '.tmp-';
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
const SMALL_READ_BYTES = 1024 * 1024;

/**
 * Objects as plain files under `rootDir`, one per key (`nar/x.nar.xz` is `<rootDir>/nar/x.nar.xz`),
 * so the directory can be served or rsynced as a Nix `file://` cache. Writes go to a temporary file
 * next to the target, are fsynced and renamed into place, and the directory is fsynced.
 *
 * Limits of this backend: a key cannot be both an object and a prefix of a deeper key (`a` and
 * `a/b`); such a write fails with KILN_ERR_CONFLICT. Empty directories are not removed on delete,
 * since removing them would race with a concurrent write into them. A crash mid-write can leave a
 * `.tmp-*` file behind; it is invisible to every operation, and sweepTemporaryFiles removes it.
 */
export function createFsStorage(rootDir: string): FsObjectStorage {
  const root = resolve(rootDir);
  const pathOf = (key: string): string => join(root, ...key.split('/'));

  return {
    async has(key) {
      assertValidKey(key);
      return await statObject(key, pathOf(key));
    },

    async read(key, range) {
      assertValidKey(key);
      if (range !== undefined) assertRangeShape(range);
      return await readObject(key, pathOf(key), range);
    },

    async write(key, source, options) {
      assertValidKey(key);
      return await writeObject(key, pathOf(key), source, options ?? {});
    },

    async delete(key) {
      assertValidKey(key);
      try {
        await unlink(pathOf(key));
        return true;
      } catch (error) {
        if (isMissing(error) || errno(error) === 'EISDIR' || errno(error) === 'EPERM') return false;
        throw error;
      }
    },

    list(prefix) {
      assertValidPrefix(prefix);
      // Start from the deepest directory the prefix names in full; its last partial segment filters.
      const slash = prefix.lastIndexOf('/');
      const base = prefix.slice(0, slash + 1);
      return listUnder(root, base, prefix);
    },

    async sweepTemporaryFiles(olderThanMs, now = Date.now()) {
      if (!Number.isFinite(olderThanMs) || olderThanMs < 0)
        throw new RangeError(`olderThanMs must be a number >= 0, got ${olderThanMs}`);
      return await sweepTempFilesUnder(root, now - olderThanMs);
    },
  };
}

/** The filesystem backend: object storage plus housekeeping only a filesystem needs. */
export interface FsObjectStorage extends ObjectStorage {
  /**
   * Removes the temporary files of writes that never finished (a crash, a kill) whose last change
   * is older than `olderThanMs` before `now`; returns how many it removed. A write still in
   * progress keeps changing its file, so an age well above the longest stall of an upload (hours)
   * never touches live writes; if it did, that write would fail, not commit a partial object.
   */
  sweepTemporaryFiles(olderThanMs: number, now?: number): Promise<number>;
}

/** Walks the whole tree (temporary files sit next to their targets, at any depth). */
async function sweepTempFilesUnder(dir: string, changedBefore: number): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return 0;
    throw error;
  }
  let removed = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      removed += await sweepTempFilesUnder(path, changedBefore);
    } else if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX)) {
      try {
        if ((await lstat(path)).mtimeMs >= changedBefore) continue;
        await unlink(path);
        removed += 1;
      } catch (error) {
        if (!isMissing(error)) throw error; // gone already: renamed into place, or swept elsewhere
      }
    }
  }
  return removed;
}

async function statObject(key: string, path: string): Promise<ObjectInfo | undefined> {
  try {
    const stats = await stat(path);
    return stats.isFile() ? { key, size: stats.size, modifiedAt: stats.mtime } : undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function readObject(
  key: string,
  path: string,
  range: ByteRange | undefined,
): Promise<ReadResult | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (isMissing(error) || errno(error) === 'EISDIR') return undefined;
    throw error;
  }
  // Everything below reads through the open descriptor: a concurrent rename replaces the path, not
  // the file we hold, so the reader keeps a consistent snapshot.
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      return undefined;
    }
    const span = resolveRange(range, stats.size);
    const info = { key, size: stats.size, modifiedAt: stats.mtime };
    const length = span.end - span.start + 1;
    if (length <= SMALL_READ_BYTES) {
      // Small objects (narinfo-sized, most NARs of a closure) in one read: no stream machinery,
      // and the descriptor is closed before the first byte goes out.
      const bytes = Buffer.allocUnsafe(Math.max(0, length));
      const { bytesRead } = length > 0 ? await handle.read(bytes, 0, length, span.start) : { bytesRead: 0 };
      await handle.close();
      return {
        info,
        stream: Readable.from([bytes.subarray(0, bytesRead)], { objectMode: false }),
        range: span,
      };
    }
    // createReadStream takes over the descriptor and closes it when the stream ends or is destroyed.
    // Large reads: with Node's default 64 KiB chunks a NAR download is bound by round trips through
    // the event loop, not by the disk or the socket (measured in bench/cache).
    const highWaterMark = Math.min(READ_CHUNK_BYTES, length);
    const stream = handle.createReadStream({ ...span, highWaterMark });
    return { info, stream, range: span };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function writeObject(
  key: string,
  path: string,
  source: AsyncIterable<Uint8Array> | Readable,
  options: WriteOptions,
): Promise<ObjectInfo> {
  const { signal } = options;
  signal?.throwIfAborted();
  const dir = dirname(path);
  await makeDirectory(dir, key);
  const temp = join(dir, `${TEMP_PREFIX}${randomUUID()}`);
  const handle = await open(temp, 'wx');
  let closed = false;
  try {
    let size = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writeAll(handle, chunk).then(() => {
          size += chunk.length;
          callback();
        }, callback);
      },
    });
    const piped = pipeline(source, sink, signal === undefined ? {} : { signal });
    await (signal === undefined ? piped : settleOnAbort(piped, signal));
    await handle.sync();
    const stats = await handle.stat();
    closed = true;
    await handle.close();
    // The last moment an abort can still cancel; after the rename the object is committed.
    signal?.throwIfAborted();
    try {
      await rename(temp, path);
    } catch (error) {
      if (errno(error) === 'EISDIR' || errno(error) === 'ENOTEMPTY' || errno(error) === 'EEXIST')
        throw new KilnError('KILN_ERR_CONFLICT', 'object key is already used as a prefix of deeper keys', {
          key,
        });
      throw error;
    }
    await syncDirectory(dir);
    return { key, size, modifiedAt: stats.mtime };
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/**
 * pipeline() only settles once its source does, and a stalled source (a silent peer) may never
 * settle; an abort must end the write regardless. Closing the handle afterwards waits for a write
 * still in flight, and later ones fail harmlessly on the closed handle.
 */
function settleOnAbort(work: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      reject(reason instanceof Error ? reason : new Error('write aborted', { cause: reason }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/** mkdir -p, fsyncing the parent of every directory it created so the new entries survive a crash. */
async function makeDirectory(dir: string, key: string): Promise<void> {
  let first: string | undefined;
  try {
    first = await mkdir(dir, { recursive: true });
  } catch (error) {
    if (errno(error) === 'ENOTDIR' || errno(error) === 'EEXIST')
      throw new KilnError('KILN_ERR_CONFLICT', 'a prefix of the object key is already an object', { key });
    throw error;
  }
  if (first === undefined) return;
  for (let current = dir; ; current = dirname(current)) {
    await syncDirectory(dirname(current));
    if (current === first || dirname(current) === current) break;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems cannot fsync a directory; the rename is still atomic there.
    if (errno(error) !== 'EINVAL' && errno(error) !== 'EPERM' && errno(error) !== 'EISDIR') throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Depth-first walk yielding keys in byte order. Sorting a directory's entries with directories
 * compared as `name/` makes the walk's order the global key order, since every key below `name`
 * starts with `name/`.
 */
async function* listUnder(root: string, base: string, prefix: string): AsyncGenerator<ObjectInfo> {
  let entries: Dirent[];
  try {
    entries = await readdir(join(root, base), { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  const named = entries
    .filter((entry) => !entry.name.startsWith('.') && (entry.isFile() || entry.isDirectory()))
    .map((entry) => ({ entry, sortKey: entry.isDirectory() ? `${entry.name}/` : entry.name }))
    .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  for (const { entry, sortKey } of named) {
    const key = base + sortKey;
    if (entry.isDirectory()) {
      if (key.startsWith(prefix) || prefix.startsWith(key)) yield* listUnder(root, key, prefix);
    } else if (key.startsWith(prefix)) {
      const info = await statObject(key, join(root, ...key.split('/')));
      if (info !== undefined) yield info; // undefined: deleted since readdir
    }
  }
}

function errno(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function isMissing(error: unknown): boolean {
  const code = errno(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
