import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  readdirSync,
  readlinkSync,
} from 'node:fs';
import type { Dirent } from 'node:fs';
import { KilnError } from '../errors/index.js';
import { compareBytes, NAR_MAGIC, narStrings, padding } from './nar-framing.js';

/**
 * The NAR serialiser behind dumpNar and narHash. It walks the tree with synchronous syscalls
 * (fs/promises costs a thread-pool round trip per call: 40,000 small files took 13.7 s that way,
 * 0.7 s this way) and frames everything straight into one buffer, so a consumer sees a few large
 * chunks instead of one per token. It is a synchronous generator that stops after every node and
 * every flushed buffer: the driver decides when the event loop gets a turn, so a 1 GiB file or
 * 100,000 small ones never block a server for long.
 */

const MAGIC = narStrings(NAR_MAGIC);
const REGULAR = narStrings('(', 'type', 'regular', 'contents');
const EXECUTABLE = narStrings('(', 'type', 'regular', 'executable', '', 'contents');
const SYMLINK = narStrings('(', 'type', 'symlink', 'target');
const DIRECTORY = narStrings('(', 'type', 'directory');
const ENTRY = narStrings('entry', '(', 'name');
const NODE = narStrings('node');
const CLOSE = narStrings(')');
const SLASH = Buffer.from('/');
const OPEN_FLAGS = constants.O_RDONLY;

/** Where a full buffer goes: hashed (and the buffer reused) or handed on (and a fresh one taken). */
export interface NarSink {
  /** Receives `bytes`; returns the buffer to continue in (the same one if `bytes` was consumed). */
  flush(bytes: Buffer, buffer: Buffer): Buffer;
}

/** A buffer the NAR is framed into; flushed to the sink when the next token does not fit. */
export class NarWriter {
  private buf: Buffer;
  private pos = 0;
  /** Bytes handed to the sink so far. */
  written = 0;

  constructor(
    first: Buffer,
    private readonly sink: NarSink,
  ) {
    this.buf = first;
  }

  /** Hands over everything pending (nothing when empty). */
  flush(): void {
    if (this.pos === 0) return;
    this.written += this.pos;
    this.buf = this.sink.flush(this.buf.subarray(0, this.pos), this.buf);
    this.pos = 0;
  }

  /** Makes room for `n` contiguous bytes (tokens are at most a few KiB: names, link targets). */
  private room(n: number): void {
    if (this.buf.length - this.pos < n) this.flush();
  }

  put(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  u64(value: number): void {
    this.room(8);
    // Two halves: exact for every file size a Number holds, and cheaper than BigInt.
    this.buf.writeUInt32LE(value % 0x1_0000_0000, this.pos);
    this.buf.writeUInt32LE(Math.floor(value / 0x1_0000_0000), this.pos + 4);
    this.pos += 8;
  }

  zeros(n: number): void {
    this.room(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  string(bytes: Uint8Array): void {
    this.u64(bytes.length);
    this.put(bytes);
    this.zeros(padding(bytes.length));
  }

  /** Reads up to `remaining` bytes of `fd` at `at`; returns the bytes still to read, -1 at EOF. */
  readFrom(fd: number, remaining: number, at: number): number {
    if (this.pos === this.buf.length) this.flush();
    const want = Math.min(this.buf.length - this.pos, remaining);
    const got = readSync(fd, this.buf, this.pos, want, at);
    if (got === 0) return -1;
    this.pos += got;
    return remaining - got;
  }
}

interface Frame {
  readonly prefix: Buffer;
  readonly entries: Dirent<Buffer>[];
  next: number;
}

/** What readdir's d_type says an entry is; lstat decides when it says nothing useful. */
type Hint = 'file' | 'symlink' | 'dir' | undefined;

function hintOf(entry: Dirent<Buffer>): Hint {
  if (entry.isFile()) return 'file';
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'dir';
  return undefined;
}

/**
 * Serialises `root` into `w` exactly as `nix-store --dump` (libutil/archive.cc), pausing (yield)
 * after each node and each buffer of file contents. Paths are raw bytes, so names that are not
 * UTF-8 survive. The caller flushes `w` at the end.
 */
export function* walkNar(root: Buffer, w: NarWriter): Generator<void, void, undefined> {
  const stack: Frame[] = [];
  w.put(MAGIC);
  if (yield* visit(root, undefined, w, stack)) yield;
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    const entry = top.entries[top.next++];
    if (entry !== undefined) {
      w.put(ENTRY);
      w.string(entry.name);
      w.put(NODE);
      // A file or symlink is complete at once; a directory's entry closes when it is popped.
      if (yield* visit(Buffer.concat([top.prefix, entry.name]), hintOf(entry), w, stack)) w.put(CLOSE);
    } else {
      w.put(CLOSE);
      stack.pop();
      if (stack.length > 0) w.put(CLOSE);
    }
    yield;
  }
}

/**
 * Writes one node; a directory is opened and pushed (false), anything else finished (true).
 * Nix lstats every node; with readdir's type we skip that: a file is opened and fstat'ed (no
 * second path lookup), a link read, a directory listed. If the type changed in between (ELOOP,
 * EINVAL, ENOTDIR, or fstat disagrees), the node is looked at again with lstat, as Nix would.
 */
function* visit(path: Buffer, hint: Hint, w: NarWriter, stack: Frame[]): Generator<void, boolean, undefined> {
  if (hint === 'file') {
    const fd = tryOpen(path);
    if (fd !== undefined) {
      let regularFile = false;
      try {
        const st = fstatSync(fd);
        regularFile = st.isFile();
        if (regularFile) yield* regular(path, fd, st.mode, st.size, w);
      } finally {
        closeSync(fd);
      }
      if (regularFile) return true;
    }
  } else if (hint === 'symlink') {
    const target = tryReadlink(path);
    if (target !== undefined) {
      symlink(target, w);
      return true;
    }
  } else if (hint === 'dir') {
    const entries = tryReaddir(path);
    if (entries !== undefined) {
      directory(path, entries, w, stack);
      return false;
    }
  }
  const st = lstatSync(path);
  if (st.isFile()) {
    const fd = openSync(path, OPEN_FLAGS);
    try {
      yield* regular(path, fd, st.mode, st.size, w);
    } finally {
      closeSync(fd);
    }
    return true;
  }
  if (st.isSymbolicLink()) {
    symlink(readlinkSync(path, { encoding: 'buffer' }), w);
    return true;
  }
  if (st.isDirectory()) {
    directory(path, readdirSync(path, { encoding: 'buffer', withFileTypes: true }), w, stack);
    return false;
  }
  throw new KilnError('KILN_ERR_VALIDATION', `file '${path.toString()}' has an unsupported type`, {
    path: path.toString(),
  });
}

/** Runs `fn`; undefined when it fails with one of `codes` (the entry is not what readdir said). */
function unless<T>(codes: readonly string[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (codes.includes((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  }
}

function tryOpen(path: Buffer): number | undefined {
  // O_NONBLOCK: if the entry became a FIFO meanwhile, open must not hang (fstat then rejects it).
  return unless(['ELOOP'], () => openSync(path, OPEN_FLAGS | constants.O_NOFOLLOW | constants.O_NONBLOCK));
}

function tryReadlink(path: Buffer): Buffer | undefined {
  return unless(['EINVAL'], () => readlinkSync(path, { encoding: 'buffer' }));
}

function tryReaddir(path: Buffer): Dirent<Buffer>[] | undefined {
  return unless(['ENOTDIR'], () => readdirSync(path, { encoding: 'buffer', withFileTypes: true }));
}

function symlink(target: Buffer, w: NarWriter): void {
  w.put(SYMLINK);
  w.string(target);
  w.put(CLOSE);
}

function directory(path: Buffer, entries: Dirent<Buffer>[], w: NarWriter, stack: Frame[]): void {
  w.put(DIRECTORY);
  // Nix reads the whole directory into a std::map: entries in byte order.
  entries.sort((a, b) => compareBytes(a.name, b.name));
  stack.push({ prefix: Buffer.concat([path, SLASH]), entries, next: 0 });
}

function* regular(
  path: Buffer,
  fd: number,
  mode: number,
  size: number,
  w: NarWriter,
): Generator<void, void, undefined> {
  // Only the owner-executable bit is recorded (posix-source-accessor.cc: st_mode & S_IXUSR).
  w.put((mode & 0o100) !== 0 ? EXECUTABLE : REGULAR);
  w.u64(size);
  let remaining = size;
  while (remaining > 0) {
    const before = w.written;
    remaining = w.readFrom(fd, remaining, size - remaining);
    if (remaining < 0) {
      // The length is already written; a shrinking file would give a corrupt NAR.
      throw new KilnError('KILN_ERR_VALIDATION', `file '${path.toString()}' changed while it was read`, {
        path: path.toString(),
      });
    }
    if (w.written !== before) yield;
  }
  w.zeros(padding(size));
  w.put(CLOSE);
}
