import { archiveError } from './archive-error.js';
import type { ArchiveEntryKind } from './archive-entry.js';

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
export const EOCD_SIZE = 22;
export const ZIP64_LOCATOR_SIZE = 20;
export const ZIP64_EOCD_SIZE = 56;
export const LOCAL_HEADER_SIZE = 30;
/** The end record may be followed by a comment of up to 65535 bytes. */
export const MAX_EOCD_SEARCH = EOCD_SIZE + 0xffff;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

/** Where the central directory is, from the end-of-central-directory record(s). */
export interface ZipDirectoryLocation {
  entries: number;
  offset: number;
  size: number;
}

/** The end record found in the archive's tail, with where a zip64 record must be read (if any). */
export interface ZipEnd extends ZipDirectoryLocation {
  /** File offset of the zip64 end record, when the archive is zip64. */
  zip64EndOffset: number | undefined;
}

/**
 * Finds the end-of-central-directory record in the last bytes of the file (`tail` starts at file
 * offset `tailOffset`), and the zip64 locator just before it.
 */
export function findZipEnd(tail: Uint8Array, tailOffset: number): ZipEnd {
  const buf = asBuffer(tail);
  for (let at = buf.length - EOCD_SIZE; at >= 0; at--) {
    if (buf.readUInt32LE(at) !== EOCD_SIGNATURE) continue;
    const commentLength = buf.readUInt16LE(at + 20);
    if (at + EOCD_SIZE + commentLength > buf.length) continue;
    const entries = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 12);
    const offset = buf.readUInt32LE(at + 16);
    let zip64EndOffset: number | undefined;
    const locator = at - ZIP64_LOCATOR_SIZE;
    if (locator >= 0 && buf.readUInt32LE(locator) === ZIP64_LOCATOR_SIGNATURE) {
      zip64EndOffset = safeNumber(buf.readBigUInt64LE(locator + 8), 'zip64 end record offset');
    } else if (entries === U16_MAX || size === U32_MAX || offset === U32_MAX) {
      throw archiveError('zip end record needs a zip64 record, which is missing');
    }
    if (zip64EndOffset === undefined && offset + size > tailOffset + at) {
      throw archiveError('zip central directory lies outside the file (the archive is truncated?)');
    }
    return { entries, size, offset, zip64EndOffset };
  }
  throw archiveError('no zip end-of-central-directory record (the archive is truncated or not a zip file)');
}

/** Decodes the zip64 end-of-central-directory record. */
export function parseZip64End(record: Uint8Array): ZipDirectoryLocation {
  const buf = asBuffer(record);
  if (buf.length < ZIP64_EOCD_SIZE || buf.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) {
    throw archiveError('zip64 end-of-central-directory record is missing or corrupt');
  }
  return {
    entries: safeNumber(buf.readBigUInt64LE(32), 'zip64 entry count'),
    size: safeNumber(buf.readBigUInt64LE(40), 'zip64 directory size'),
    offset: safeNumber(buf.readBigUInt64LE(48), 'zip64 directory offset'),
  };
}

/** One central-directory record. */
export interface ZipRecord {
  name: string;
  versionMadeBy: number;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  externalAttributes: number;
  localHeaderOffset: number;
}

/** Decodes `count` central-directory records. */
export function parseCentralDirectory(data: Uint8Array, count: number): ZipRecord[] {
  const buf = asBuffer(data);
  const records: ZipRecord[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL_SIGNATURE) {
      throw archiveError(`zip central directory record ${i + 1} of ${count} is corrupt`);
    }
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > buf.length) throw archiveError(`zip central directory record ${i + 1} is truncated`);
    const record: ZipRecord = {
      versionMadeBy: buf.readUInt16LE(at + 4),
      flags: buf.readUInt16LE(at + 8),
      method: buf.readUInt16LE(at + 10),
      crc32: buf.readUInt32LE(at + 16),
      compressedSize: buf.readUInt32LE(at + 20),
      uncompressedSize: buf.readUInt32LE(at + 24),
      externalAttributes: buf.readUInt32LE(at + 38),
      localHeaderOffset: buf.readUInt32LE(at + 42),
      // Bit 11 marks UTF-8; other names are read as UTF-8 too (CP437 beyond ASCII is rare).
      name: buf.toString('utf8', at + 46, at + 46 + nameLength),
    };
    applyZip64Extra(record, buf.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
    records.push(record);
    at = end;
  }
  return records;
}

/** The zip64 extra field (0x0001) holds the 64-bit values whose 32-bit fields are all ones, in order. */
function applyZip64Extra(record: ZipRecord, extra: Buffer): void {
  let at = 0;
  while (at + 4 <= extra.length) {
    const id = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let field = at + 4;
      const next = (what: string): number => {
        if (field + 8 > at + 4 + size || field + 8 > extra.length) {
          throw archiveError(`zip64 extra field of '${record.name}' is too short`);
        }
        const value = safeNumber(extra.readBigUInt64LE(field), what);
        field += 8;
        return value;
      };
      if (record.uncompressedSize === U32_MAX) record.uncompressedSize = next('zip64 size');
      if (record.compressedSize === U32_MAX) record.compressedSize = next('zip64 compressed size');
      if (record.localHeaderOffset === U32_MAX) record.localHeaderOffset = next('zip64 offset');
      return;
    }
    at += 4 + size;
  }
}

/** Length of the local header (fixed part, name, extra) that precedes an entry's data. */
export function localHeaderLength(header: Uint8Array, name: string): number {
  const buf = asBuffer(header);
  if (buf.length < LOCAL_HEADER_SIZE || buf.readUInt32LE(0) !== LOCAL_SIGNATURE) {
    throw archiveError(`zip local header of '${name}' is missing or corrupt`);
  }
  return LOCAL_HEADER_SIZE + buf.readUInt16LE(26) + buf.readUInt16LE(28);
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFIFO = 0o010000;
const MADE_BY_UNIX = 3;
const DOS_DIRECTORY = 0x10;

/**
 * What a record is and its permission bits, as libarchive decides: Unix-made archives carry
 * st_mode in the high 16 bits of the external attributes; others get 0664 files and 0775
 * directories (the DOS directory attribute or a trailing '/').
 */
export function zipEntryKind(record: ZipRecord): { kind: ArchiveEntryKind; mode: number } {
  const slash = record.name.endsWith('/');
  if (record.versionMadeBy >> 8 === MADE_BY_UNIX) {
    const mode = record.externalAttributes >>> 16;
    const type = mode & S_IFMT;
    const perm = mode & 0o7777;
    if (type === S_IFLNK) return { kind: 'symlink', mode: perm };
    if (type === S_IFDIR || slash) return { kind: 'directory', mode: perm };
    if (type === S_IFIFO) return { kind: 'fifo', mode: perm };
    if (type === 0 || type === S_IFREG) return { kind: 'file', mode: perm };
    return { kind: 'device', mode: perm };
  }
  if (slash || (record.externalAttributes & DOS_DIRECTORY) !== 0) return { kind: 'directory', mode: 0o775 };
  return { kind: 'file', mode: 0o664 };
}

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw archiveError(`${what} is too large`);
  return Number(value);
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
