import { constants, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { copyFile, open, readlink, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { archiveError } from './archive-error.js';
import type { ArchiveEntry } from './archive-entry.js';
import { entrySegments } from './entry-path.js';

type Placed = 'file' | 'directory' | 'symlink';

/** Files up to this size are buffered and written in one synchronous call. */
const SMALL_FILE = 256 * 1024;

/**
 * Writes archive entries below `root`, which it alone writes to. It remembers what it placed, so
 * it never follows a symlink the archive made: a path through one is refused as libarchive's
 * SECURE_SYMLINKS does. A later entry replaces an earlier one at the same path (as libarchive).
 * Only the owner-executable bit is kept (files become 0755 or 0644), which is all a NAR records.
 */
export class Extractor {
  readonly #root: string;
  readonly #placed = new Map<string, Placed>();

  constructor(root: string) {
    this.#root = root;
  }

  async add(entry: ArchiveEntry, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (entry.kind === 'device' || entry.kind === 'fifo') {
      throw archiveError(
        `archive entry '${entry.path}' is a ${entry.kind === 'fifo' ? 'FIFO' : 'device file'}, which a Nix store path cannot hold`,
      );
    }
    const segments = entrySegments(entry.path);
    if (segments === null) {
      if (entry.kind === 'directory') return;
      throw archiveError(`archive entry '${entry.path}' is a ${entry.kind} at the top of the archive's tree`);
    }
    this.#makeParents(segments, entry.path);
    const key = segments.join('/');
    const target = join(this.#root, ...segments);
    const existing = this.#placed.get(key);
    if (entry.kind === 'directory') {
      if (existing !== 'directory') {
        if (existing !== undefined) await this.#remove(key, target);
        mkdirSync(target, { mode: 0o755 });
        this.#place(key, 'directory');
      }
      return;
    }
    if (existing !== undefined) await this.#remove(key, target);
    if (entry.kind === 'file') {
      await writeContents(target, entry.body, executableMode(entry.mode), signal);
      this.#place(key, 'file');
    } else if (entry.kind === 'symlink') {
      symlinkSync(entry.linkname, target);
      this.#place(key, 'symlink');
    } else {
      await this.#hardLink(entry, key, target);
    }
  }

  /** Hard links become copies: a NAR has no links, so the hash is the same. */
  async #hardLink(entry: ArchiveEntry, key: string, target: string): Promise<void> {
    const linkSegments = entrySegments(entry.linkname);
    const source = linkSegments === null ? undefined : this.#placed.get(linkSegments.join('/'));
    if (linkSegments === null || source === undefined) {
      throw archiveError(
        `archive entry '${entry.path}' is a hard link to '${entry.linkname}', which is not in the archive before it`,
      );
    }
    const from = join(this.#root, ...linkSegments);
    if (source === 'directory')
      throw archiveError(`archive entry '${entry.path}' is a hard link to a directory`);
    if (source === 'symlink') await symlink(await readlink(from), target);
    else await copyFile(from, target, constants.COPYFILE_EXCL);
    this.#place(key, source);
  }

  #makeParents(segments: readonly string[], path: string): void {
    for (let i = 1; i < segments.length; i++) {
      const key = segments.slice(0, i).join('/');
      const placed = this.#placed.get(key);
      if (placed === 'directory') continue;
      if (placed === 'symlink')
        throw archiveError(`archive entry '${path}' would be written through the symlink '${key}'`);
      if (placed === 'file')
        throw archiveError(`archive entry '${path}' needs '${key}' to be a directory, but it is a file`);
      mkdirSync(join(this.#root, ...segments.slice(0, i)), { mode: 0o755 });
      this.#place(key, 'directory');
    }
  }

  async #remove(key: string, target: string): Promise<void> {
    await rm(target, { recursive: true, force: true });
    const prefix = `${key}/`;
    for (const placed of [...this.#placed.keys()]) {
      if (placed === key || placed.startsWith(prefix)) this.#placed.delete(placed);
    }
  }

  #place(key: string, kind: Placed): void {
    this.#placed.set(key, kind);
  }
}

/**
 * Writes a file with O_EXCL (the path was just checked free, so nothing the archive made can be
 * followed). Small files, the vast majority, are written synchronously: a thread-pool round trip
 * per open/write/close costs more than the write itself. Large files are streamed.
 */
async function writeContents(
  target: string,
  body: AsyncIterable<Uint8Array>,
  mode: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const iterator = body[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let size = 0;
  let next = await iterator.next();
  while (next.done !== true && size < SMALL_FILE) {
    head.push(next.value);
    size += next.value.length;
    next = await iterator.next();
  }
  if (next.done === true) {
    writeFileSync(target, head.length === 1 && head[0] ? head[0] : Buffer.concat(head), { flag: 'wx', mode });
    return;
  }
  const handle = await open(target, 'wx', mode);
  try {
    for (const part of head) await handle.write(part);
    while (next.done !== true) {
      signal?.throwIfAborted();
      await handle.write(next.value);
      next = await iterator.next();
    }
  } finally {
    await handle.close();
  }
}

function executableMode(mode: number): number {
  return mode & 0o100 ? 0o755 : 0o644;
}
