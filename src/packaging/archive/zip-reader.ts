import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createInflateRaw, inflateRawSync } from 'node:zlib';
import { isKilnError } from '../../errors/index.js';
import { archiveError } from './archive-error.js';
import type { ArchiveEntry } from './archive-entry.js';
import { crc32 } from './crc32.js';
import {
  findZipEnd,
  localHeaderLength,
  LOCAL_HEADER_SIZE,
  MAX_EOCD_SEARCH,
  parseCentralDirectory,
  parseZip64End,
  ZIP64_EOCD_SIZE,
  zipEntryKind,
  type ZipRecord,
} from './zip-directory.js';

const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
/** The central directory is held in memory; 64 MiB is about half a million entries. */
const MAX_DIRECTORY_SIZE = 64 * 1024 * 1024;
/** Entries up to this compressed size (and 16 times it uncompressed) are read in one step. */
const SMALL_ENTRY = 1024 * 1024;
/** Symlink targets are read into memory. */
const MAX_LINK_SIZE = 64 * 1024;

/**
 * Reads a zip file's entries in central-directory order. Small entries are read and inflated in
 * one synchronous step each (thread-pool round trips would dominate); large ones are streamed.
 */
export async function* readZip(
  path: string,
  signal?: AbortSignal,
): AsyncGenerator<ArchiveEntry, void, undefined> {
  const fd = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const records = readDirectory(fd, fileSize);
    for (const record of records) {
      signal?.throwIfAborted();
      const { kind, mode } = zipEntryKind(record);
      if ((record.flags & 1) !== 0) throw archiveError(`zip entry '${record.name}' is encrypted`);
      if (record.method !== METHOD_STORED && record.method !== METHOD_DEFLATE) {
        throw archiveError(
          `zip entry '${record.name}' uses compression method ${record.method}, which kiln does not support (only stored and deflate)`,
        );
      }
      if (kind === 'directory' || kind === 'device' || kind === 'fifo') {
        yield { path: record.name, kind, mode, linkname: '', body: noBody() };
        continue;
      }
      const small = record.compressedSize <= SMALL_ENTRY && record.uncompressedSize <= SMALL_ENTRY * 16;
      const body = small
        ? smallContents(fd, record, fileSize)
        : largeContents(fd, path, record, fileSize, signal);
      if (kind === 'symlink') {
        const target = await collect(body, record.name);
        yield { path: record.name, kind, mode, linkname: target, body: noBody() };
      } else {
        yield { path: record.name, kind, mode, linkname: '', body };
      }
    }
  } finally {
    closeSync(fd);
  }
}

function readDirectory(fd: number, fileSize: number): ZipRecord[] {
  const tailLength = Math.min(fileSize, MAX_EOCD_SEARCH);
  const tail = readAt(fd, fileSize - tailLength, tailLength);
  const end = findZipEnd(tail, fileSize - tailLength);
  const location =
    end.zip64EndOffset === undefined ? end : parseZip64End(readAt(fd, end.zip64EndOffset, ZIP64_EOCD_SIZE));
  if (location.size > MAX_DIRECTORY_SIZE) throw archiveError('zip central directory is too large');
  if (location.offset + location.size > fileSize) {
    throw archiveError('zip central directory lies outside the file (the archive is truncated?)');
  }
  return parseCentralDirectory(readAt(fd, location.offset, location.size), location.entries);
}

/** The local header's length (it repeats the name and may carry other extras than the directory). */
function dataOffset(fd: number, record: ZipRecord, fileSize: number): number {
  const header = readAt(fd, record.localHeaderOffset, LOCAL_HEADER_SIZE);
  const start = record.localHeaderOffset + localHeaderLength(header, record.name);
  if (start + record.compressedSize > fileSize) throw archiveError(`zip entry '${record.name}' is truncated`);
  return start;
}

// eslint-disable-next-line @typescript-eslint/require-await -- an async iterable of one checked chunk
async function* smallContents(
  fd: number,
  record: ZipRecord,
  fileSize: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  const start = dataOffset(fd, record, fileSize);
  const raw = readAt(fd, start, record.compressedSize);
  let data: Buffer;
  if (record.method === METHOD_STORED) data = raw;
  else {
    try {
      data = inflateRawSync(raw, { maxOutputLength: Math.max(1, record.uncompressedSize) });
    } catch (error) {
      throw archiveError(`zip entry '${record.name}' is corrupt: ${(error as Error).message}`);
    }
  }
  check(record, data.length, crc32(data));
  if (data.length > 0) yield data;
}

/** The entry's uncompressed bytes, checked against its size and CRC-32 as they stream. */
async function* largeContents(
  fd: number,
  path: string,
  record: ZipRecord,
  fileSize: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  const start = dataOffset(fd, record, fileSize);
  let crc = 0;
  let size = 0;
  const raw =
    record.compressedSize === 0
      ? Readable.from([])
      : createReadStream(path, { start, end: start + record.compressedSize - 1, ...(signal && { signal }) });
  const stream =
    record.method === METHOD_DEFLATE ? inflate(raw, record.name) : (raw as AsyncIterable<Buffer>);
  for await (const chunk of stream) {
    crc = crc32(chunk, crc);
    size += chunk.length;
    if (size > record.uncompressedSize) break;
    yield chunk;
  }
  check(record, size, crc);
}

function check(record: ZipRecord, size: number, crc: number): void {
  if (size !== record.uncompressedSize || crc !== record.crc32) {
    throw archiveError(`zip entry '${record.name}' is corrupt (size or CRC-32 mismatch)`);
  }
}

async function* inflate(raw: Readable, name: string): AsyncGenerator<Buffer, void, undefined> {
  const inflater = createInflateRaw();
  // pipeline destroys the file stream when the inflater fails or is abandoned, and vice versa.
  pipeline(raw, inflater, () => undefined);
  try {
    for await (const chunk of inflater) yield chunk as Buffer;
  } catch (error) {
    if (isKilnError(error) || (error instanceof Error && error.name === 'AbortError')) throw error;
    throw archiveError(
      `zip entry '${name}' is corrupt: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    inflater.destroy();
  }
}

async function collect(body: AsyncIterable<Uint8Array>, name: string): Promise<string> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_LINK_SIZE) throw archiveError(`zip symlink '${name}' has a target that is too long`);
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buf, done, length - done, position + done);
    if (read === 0) throw archiveError('the zip file is truncated');
    done += read;
  }
  return buf;
}

async function* noBody(): AsyncGenerator<Uint8Array, void, undefined> {}
