import { createHash } from 'node:crypto';
import { KilnError } from '../errors/index.js';
import type { NixHash } from './hash.js';
import { compareBytes, NAR_MAGIC, padding } from './nar-framing.js';

/** Entry names from the root down; raw bytes because NAR names need not be UTF-8. */
export type NarPath = readonly Uint8Array[];

/**
 * What the parser reports, in stream order. A regular file is `file`, zero or more `file-data`
 * (never the whole file at once) and `file-end`; a directory's entries come between `directory`
 * and `directory-end`, sorted.
 */
export type NarEvent =
  | { readonly type: 'directory'; readonly path: NarPath }
  | { readonly type: 'directory-end'; readonly path: NarPath }
  | { readonly type: 'file'; readonly path: NarPath; readonly executable: boolean; readonly size: number }
  | { readonly type: 'file-data'; readonly path: NarPath; readonly data: Uint8Array }
  | { readonly type: 'file-end'; readonly path: NarPath }
  | { readonly type: 'symlink'; readonly path: NarPath; readonly target: Uint8Array };

export interface ParseNarOptions {
  /** Deepest directory nesting accepted; guards against hostile uploads. Default 1024. */
  maxDepth?: number;
  /** Longest entry name or symlink target in bytes. Default 4096. */
  maxStringLength?: number;
}

/** `a/b/c` for messages and listings; invalid UTF-8 shows as U+FFFD. */
export function narPathToString(path: NarPath): string {
  return path.map((part) => Buffer.from(part).toString('utf8')).join('/');
}

function malformed(message: string, offset: number): KilnError {
  return new KilnError('KILN_ERR_VALIDATION', `invalid NAR at byte ${offset}: ${message}`, { offset });
}

/** Chunks of a NAR: a stream (an upload) or an in-memory list. */
export type NarSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

async function* pull(chunks: NarSource): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of chunks) yield chunk;
}

/** Pulls exact byte counts out of a chunk stream without gathering more than it needs. */
class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** Bytes consumed so far, for error messages. */
  offset = 0;

  constructor(chunks: NarSource) {
    this.it = pull(chunks);
  }

  /** Makes at least one unread byte available; false at the end of the stream. */
  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      const next = await this.it.next();
      if (next.done) return false;
      this.chunk = next.value;
      this.pos = 0;
    }
    return true;
  }

  /** Lets the source clean up (close a file, drop a request) when parsing stops early. */
  async close(): Promise<void> {
    await this.it.return?.();
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Up to `max` bytes (at least one); a view into the producer's chunk. */
  async readSome(max: number): Promise<Uint8Array> {
    if (!(await this.fill())) throw malformed('unexpected end of archive', this.offset);
    const n = Math.min(max, this.chunk.length - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    return out;
  }

  async readExact(n: number): Promise<Uint8Array> {
    const first = n === 0 ? new Uint8Array(0) : await this.readSome(n);
    if (first.length === n) return first;
    const out = new Uint8Array(n);
    out.set(first);
    let have = first.length;
    while (have < n) {
      const part = await this.readSome(n - have);
      out.set(part, have);
      have += part.length;
    }
    return out;
  }

  async readU64(): Promise<number> {
    const bytes = await this.readExact(8);
    const value = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('length too large', this.offset - 8);
    return Number(value);
  }

  /** Nix's readPadding: the filler must be zero bytes. */
  async readPadding(length: number): Promise<void> {
    const pad = await this.readExact(padding(length));
    if (pad.some((b) => b !== 0)) throw malformed('non-zero padding', this.offset - pad.length);
  }

  async readString(max: number): Promise<Uint8Array> {
    const start = this.offset;
    const length = await this.readU64();
    if (length > max) throw malformed(`string of ${length} bytes is too long`, start);
    const bytes = await this.readExact(length);
    await this.readPadding(length);
    return bytes;
  }
}

/** Longest framing token ("executable", "nix-archive-1"); anything longer is wrong anyway. */
const TOKEN_MAX = 16;

class NarParser {
  private readonly maxDepth: number;
  private readonly maxString: number;

  constructor(
    private readonly reader: ByteReader,
    options: ParseNarOptions,
  ) {
    this.maxDepth = options.maxDepth ?? 1024;
    this.maxString = options.maxStringLength ?? 4096;
  }

  private async token(): Promise<string> {
    const start = this.reader.offset;
    const length = await this.reader.readU64();
    if (length > TOKEN_MAX) throw malformed('unexpected long string where a tag was expected', start);
    const bytes = await this.reader.readExact(length);
    await this.reader.readPadding(length);
    return Buffer.from(bytes).toString('latin1');
  }

  private async expect(wanted: string): Promise<void> {
    const start = this.reader.offset;
    const got = await this.token();
    if (got !== wanted) throw malformed(`expected '${wanted}', got '${got}'`, start);
  }

  async *archive(): AsyncGenerator<NarEvent, void, undefined> {
    try {
      const start = this.reader.offset;
      if ((await this.token()) !== NAR_MAGIC) throw malformed('input is not a Nix archive', start);
      yield* this.node([], 0);
      if (!(await this.reader.atEnd()))
        throw malformed('trailing data after the archive', this.reader.offset);
    } finally {
      await this.reader.close();
    }
  }

  /** Accepts only the canonical form Nix writes, so parse + reserialise is byte-identical. */
  private async *node(path: NarPath, depth: number): AsyncGenerator<NarEvent, void, undefined> {
    if (depth > this.maxDepth) throw malformed('directories nested too deeply', this.reader.offset);
    await this.expect('(');
    await this.expect('type');
    const typeAt = this.reader.offset;
    const type = await this.token();
    if (type === 'regular') {
      yield* this.regular(path);
    } else if (type === 'symlink') {
      await this.expect('target');
      const target = await this.reader.readString(this.maxString);
      yield { type: 'symlink', path, target };
    } else if (type === 'directory') {
      // The entry loop consumes the directory's closing ')' itself.
      yield* this.directory(path, depth);
      return;
    } else {
      throw malformed(`unknown file type '${type}'`, typeAt);
    }
    await this.expect(')');
  }

  private async *regular(path: NarPath): AsyncGenerator<NarEvent, void, undefined> {
    const at = this.reader.offset;
    let tag = await this.token();
    let executable = false;
    if (tag === 'executable') {
      const markerAt = this.reader.offset;
      if ((await this.token()) !== '') throw malformed('executable marker has non-empty value', markerAt);
      executable = true;
      tag = await this.token();
    }
    if (tag !== 'contents') throw malformed(`expected 'contents', got '${tag}'`, at);
    const size = await this.reader.readU64();
    yield { type: 'file', path, executable, size };
    let left = size;
    while (left > 0) {
      const data = await this.reader.readSome(left);
      left -= data.length;
      yield { type: 'file-data', path, data };
    }
    await this.reader.readPadding(size);
    yield { type: 'file-end', path };
  }

  private async *directory(path: NarPath, depth: number): AsyncGenerator<NarEvent, void, undefined> {
    yield { type: 'directory', path };
    let previous: Uint8Array | undefined;
    for (;;) {
      const at = this.reader.offset;
      const tag = await this.token();
      if (tag === ')') break;
      if (tag !== 'entry') throw malformed(`expected 'entry' or ')', got '${tag}'`, at);
      await this.expect('(');
      await this.expect('name');
      const nameAt = this.reader.offset;
      const name = await this.reader.readString(this.maxString);
      checkName(name, nameAt);
      if (previous && compareBytes(previous, name) >= 0) {
        throw malformed(
          compareBytes(previous, name) === 0 ? 'duplicate directory entry' : 'directory is not sorted',
          nameAt,
        );
      }
      previous = name;
      await this.expect('node');
      yield* this.node([...path, name], depth + 1);
      await this.expect(')');
    }
    yield { type: 'directory-end', path };
  }
}

/** Nix's parser rejects names that are empty, `.`, `..`, or hold `/` or NUL (archive.cc). */
function checkName(name: Uint8Array, offset: number): void {
  const text = Buffer.from(name).toString('latin1');
  if (text === '' || text === '.' || text === '..' || text.includes('/') || text.includes('\0')) {
    throw malformed(`invalid file name '${Buffer.from(name).toString('utf8')}'`, offset);
  }
}

/**
 * Parses a NAR stream into events, rejecting anything but a well-formed canonical archive:
 * bad framing or padding, unknown tags, invalid, unsorted or duplicate names, trailing data.
 * Errors are `KILN_ERR_VALIDATION`. `file-data` chunks may be views into the input chunks.
 */
export function parseNar(
  chunks: NarSource,
  options: ParseNarOptions = {},
): AsyncGenerator<NarEvent, void, undefined> {
  return new NarParser(new ByteReader(chunks), options).archive();
}

/**
 * Checks a whole NAR (e.g. an upload) and returns its sha256 and size, so the caller can compare
 * them with the claimed NarHash/NarSize in one pass.
 */
export async function validateNar(
  chunks: NarSource,
  options: ParseNarOptions = {},
): Promise<{ hash: NixHash; size: number }> {
  const hasher = createHash('sha256');
  let size = 0;
  async function* tee(): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const chunk of chunks) {
      hasher.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  }
  for await (const _event of parseNar(tee(), options)) {
    // only the checks matter here
  }
  return { hash: { algo: 'sha256', digest: new Uint8Array(hasher.digest()) }, size };
}
