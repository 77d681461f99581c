import { archiveError } from './archive-error.js';

/** Tar's block size: headers and padded file contents come in units of it. */
export const TAR_BLOCK = 512;

/** One 512-byte tar header, decoded (pax and GNU long-name records are applied by the reader). */
export interface TarHeader {
  name: string;
  mode: number;
  size: number;
  /** The type flag as a character; '0' for regular files (a NUL flag is normalised to '0'). */
  type: string;
  linkname: string;
}

/**
 * Decodes a header block, or returns null for an all-zero block (the end-of-archive marker).
 * The checksum is verified as libarchive does (signed or unsigned byte sums both accepted).
 */
export function parseTarHeader(block: Uint8Array): TarHeader | null {
  if (block.length !== TAR_BLOCK) throw archiveError(`tar header is ${block.length} bytes, not ${TAR_BLOCK}`);
  if (block.every((byte) => byte === 0)) return null;
  const stored = parseTarNumber(block.subarray(148, 156), 'checksum');
  const { unsigned, signed } = headerChecksums(block);
  if (stored !== unsigned && stored !== signed) {
    throw archiveError('tar header checksum mismatch (the archive is corrupt or not a tar archive)');
  }
  const magic = Buffer.from(block.subarray(257, 263)).toString('latin1');
  const ustar = magic === 'ustar\0';
  let name = cString(block.subarray(0, 100));
  // POSIX ustar splits long names into prefix/name; GNU tar uses that area for other fields.
  if (ustar) {
    const prefix = cString(block.subarray(345, 500));
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const flag = String.fromCharCode(block[156] ?? 0);
  return {
    name,
    mode: parseTarNumber(block.subarray(100, 108), 'mode'),
    size: parseTarNumber(block.subarray(124, 136), 'size'),
    type: flag === '\0' ? '0' : flag,
    linkname: cString(block.subarray(157, 257)),
  };
}

/** The header's checksum computed with the checksum field read as eight spaces. */
export function headerChecksums(block: Uint8Array): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  return { unsigned, signed };
}

/**
 * A numeric field: octal digits padded with spaces or NULs, or GNU base-256 (high bit of the
 * first byte set) for values too large for octal.
 */
export function parseTarNumber(field: Uint8Array, what: string): number {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw archiveError(`tar header has a negative ${what}`);
    let value = BigInt(first & 0x7f);
    for (const byte of field.subarray(1)) value = (value << 8n) | BigInt(byte);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw archiveError(`tar header ${what} is too large`);
    return Number(value);
  }
  const text = Buffer.from(field).toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text))
    throw archiveError(`tar header has an invalid ${what} field ${JSON.stringify(text)}`);
  const value = parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw archiveError(`tar header ${what} is too large`);
  return value;
}

/** The pax extended-header fields the reader uses. */
export interface PaxRecords {
  path?: string;
  linkpath?: string;
  size?: number;
}

/** Parses pax records (`<len> <key>=<value>\n`, len counting the whole record). */
export function parsePaxRecords(data: Uint8Array): PaxRecords {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const records: PaxRecords = {};
  let at = 0;
  while (at < buf.length) {
    // Some writers pad the block with NULs after the last record.
    if (buf[at] === 0) break;
    const space = buf.indexOf(0x20, at);
    if (space < 0) throw archiveError('pax header record has no length');
    const lengthText = buf.toString('latin1', at, space);
    const length = /^[0-9]+$/.test(lengthText) ? parseInt(lengthText, 10) : NaN;
    if (!Number.isSafeInteger(length) || length <= space - at + 1 || at + length > buf.length) {
      throw archiveError(`pax header record has an invalid length ${JSON.stringify(lengthText)}`);
    }
    if (buf[at + length - 1] !== 0x0a) throw archiveError('pax header record does not end with a newline');
    const record = buf.subarray(space + 1, at + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals < 0) throw archiveError('pax header record has no "="');
    const key = record.toString('utf8', 0, equals);
    const value = record.toString('utf8', equals + 1);
    if (key === 'path') records.path = value;
    else if (key === 'linkpath') records.linkpath = value;
    else if (key === 'size') {
      if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        throw archiveError(`pax header has an invalid size ${JSON.stringify(value)}`);
      }
      records.size = Number(value);
    }
    at += length;
  }
  return records;
}

/** A NUL-terminated field as UTF-8 (what GNU tar writes for non-ASCII names in a UTF-8 locale). */
export function cString(field: Uint8Array): string {
  const end = field.indexOf(0);
  return Buffer.from(field.subarray(0, end < 0 ? field.length : end)).toString('utf8');
}

/** Bytes of padding after `size` bytes of contents. */
export function tarPadding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}
