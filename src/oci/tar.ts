import { KilnError } from '../errors/index.js';

/**
 * A deterministic tar writer for image layers: POSIX ustar headers, with a pax extended header
 * only when a name, link target or size does not fit ustar. Every entry gets mtime 1, uid/gid 0
 * and uname/gname root; entries are written sorted by path (byte order), so the same entries
 * always give the same bytes. There are no hard links: a file is always written whole.
 */

/** Modification time of every entry: 1970-01-01T00:00:01Z, as nixpkgs' dockerTools does. */
export const TAR_MTIME = 1;
export const DIR_MODE = 0o555;
export const EXECUTABLE_MODE = 0o555;
export const FILE_MODE = 0o444;

export interface TarDirectory {
  type: 'directory';
  /** Relative path without a trailing slash, e.g. `nix/store/abc-x/bin`. */
  path: string;
  /** Permission bits (default 0555); e.g. 0755 for /nix, 01777 for /tmp. */
  mode?: number;
}

export interface TarFile {
  type: 'file';
  path: string;
  /** The exact number of bytes `content` yields; a mismatch fails the archive. */
  size: number;
  executable: boolean;
  /** Opened only when the entry is written, so files are streamed one at a time. */
  content: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Permission bits; default 0555 when executable, else 0444. */
  mode?: number;
}

export interface TarSymlink {
  type: 'symlink';
  path: string;
  target: string;
}

export type TarEntry = TarDirectory | TarFile | TarSymlink;

const BLOCK = 512;
const NAME_LEN = 100;
/** 11 octal digits: the largest size a ustar header holds. */
const MAX_USTAR_SIZE = 0o77777777777;

/** The tar bytes of `entries`, in chunks. File contents are read while writing, never buffered whole. */
export async function* writeTar(entries: readonly TarEntry[]): AsyncGenerator<Uint8Array> {
  for (const entry of sortTarEntries(entries)) {
    yield* writeEntry(entry);
  }
  yield Buffer.alloc(2 * BLOCK);
}

/** Entries in archive order (byte order of the UTF-8 path); duplicate or malformed paths are errors. */
export function sortTarEntries(entries: readonly TarEntry[]): TarEntry[] {
  for (const entry of entries) validatePath(entry.path);
  const keyed = entries.map((entry) => ({ entry, key: Buffer.from(entry.path, 'utf8') }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  for (let i = 1; i < keyed.length; i++) {
    if (Buffer.compare(keyed[i - 1]!.key, keyed[i]!.key) === 0) {
      throw new KilnError('KILN_ERR_VALIDATION', `duplicate tar entry ${keyed[i]!.entry.path}`, {
        path: keyed[i]!.entry.path,
      });
    }
  }
  return keyed.map((k) => k.entry);
}

function validatePath(path: string): void {
  const bad =
    path === '' ||
    path.startsWith('/') ||
    path.endsWith('/') ||
    path.includes('\0') ||
    path.split('/').some((part) => part === '' || part === '.' || part === '..');
  if (bad)
    throw new KilnError('KILN_ERR_VALIDATION', `invalid tar entry path ${JSON.stringify(path)}`, { path });
}

async function* writeEntry(entry: TarEntry): AsyncGenerator<Uint8Array> {
  switch (entry.type) {
    case 'directory':
      yield* headers({
        name: `${entry.path}/`,
        mode: entry.mode ?? DIR_MODE,
        size: 0,
        typeflag: '5',
        linkname: '',
      });
      return;
    case 'symlink':
      yield* headers({ name: entry.path, mode: 0o777, size: 0, typeflag: '2', linkname: entry.target });
      return;
    case 'file': {
      if (!Number.isSafeInteger(entry.size) || entry.size < 0) {
        throw new KilnError('KILN_ERR_VALIDATION', `invalid size for ${entry.path}`, { path: entry.path });
      }
      const mode = entry.mode ?? (entry.executable ? EXECUTABLE_MODE : FILE_MODE);
      yield* headers({ name: entry.path, mode, size: entry.size, typeflag: '0', linkname: '' });
      let written = 0;
      for await (const chunk of entry.content()) {
        written += chunk.byteLength;
        if (written > entry.size) break;
        yield chunk;
      }
      if (written !== entry.size) {
        throw new KilnError('KILN_ERR_INTERNAL', `${entry.path} changed while it was archived`, {
          path: entry.path,
          expected: entry.size,
          read: written,
        });
      }
      const pad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
      if (pad > 0) yield Buffer.alloc(pad);
      return;
    }
  }
}

interface HeaderFields {
  name: string;
  mode: number;
  size: number;
  typeflag: '0' | '2' | '5' | 'x';
  linkname: string;
}

/** The ustar header of one entry, preceded by a pax header when ustar cannot hold it. */
function* headers(fields: HeaderFields): Generator<Uint8Array> {
  const pax: [string, string][] = [];
  if (Buffer.byteLength(fields.name) > NAME_LEN) pax.push(['path', fields.name]);
  if (Buffer.byteLength(fields.linkname) > NAME_LEN) pax.push(['linkpath', fields.linkname]);
  if (fields.size > MAX_USTAR_SIZE) pax.push(['size', String(fields.size)]);
  if (pax.length > 0) {
    const body = Buffer.from(pax.map(([key, value]) => paxRecord(key, value)).join(''), 'utf8');
    // A fixed, short name for the pax header itself, so the bytes depend only on the entry.
    yield ustarHeader({ name: 'PaxHeader', mode: 0o444, size: body.length, typeflag: 'x', linkname: '' });
    yield body;
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield ustarHeader({
    name: truncateUtf8(fields.name, NAME_LEN),
    mode: fields.mode,
    size: fields.size > MAX_USTAR_SIZE ? 0 : fields.size,
    typeflag: fields.typeflag,
    linkname: truncateUtf8(fields.linkname, NAME_LEN),
  });
}

/** A pax record `"<len> key=value\n"`, where len counts the whole record including its own digits. */
export function paxRecord(key: string, value: string): string {
  const rest = Buffer.byteLength(` ${key}=${value}\n`);
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return `${len} ${key}=${value}\n`;
}

function truncateUtf8(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  // The ustar field is only a fallback for readers without pax; cut on a character boundary.
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

function ustarHeader(fields: HeaderFields): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(fields.name, 0, NAME_LEN, 'utf8');
  octal(header, 100, 8, fields.mode);
  octal(header, 108, 8, 0); // uid
  octal(header, 116, 8, 0); // gid
  octal(header, 124, 12, fields.size);
  octal(header, 136, 12, TAR_MTIME);
  header.write('        ', 148, 8, 'ascii'); // checksum placeholder: spaces while summing
  header.write(fields.typeflag, 156, 1, 'ascii');
  header.write(fields.linkname, 157, NAME_LEN, 'utf8');
  header.write('ustar\u000000', 257, 8, 'ascii');
  header.write('root', 265, 32, 'ascii'); // uname
  header.write('root', 297, 32, 'ascii'); // gname
  octal(header, 329, 8, 0); // devmajor
  octal(header, 337, 8, 0); // devminor
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return header;
}

/** A zero-padded octal number filling `width - 1` digits, then NUL. */
function octal(header: Buffer, offset: number, width: number, value: number): void {
  header.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width, 'ascii');
}
