import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decompressStream } from '../../compression/index.js';
import { isKilnError, KilnError } from '../../errors/index.js';
import { archiveError } from './archive-error.js';
import type { ArchiveEntry } from './archive-entry.js';
import { detectArchiveFormat, DETECT_BYTES, type ArchiveFormat } from './detect.js';
import { Extractor } from './extract.js';
import { readTar } from './tar-reader.js';
import { readZip } from './zip-reader.js';

export interface UnpackOptions {
  signal?: AbortSignal;
  /** How messages name the archive (default: its path), e.g. the URL it came from. */
  label?: string;
}

export interface UnpackResult {
  format: ArchiveFormat;
  /** The top-level names found in destDir. */
  topLevel: string[];
  /**
   * What Nix hashes (nix-prefetch-url --unpack): the single top-level entry when there is exactly
   * one (a lone directory is stripped, a lone file is hashed as a file), else destDir itself.
   */
  root: string;
}

const COMPRESSION: Readonly<Record<ArchiveFormat, string | null>> = {
  tar: 'none',
  'tar.gz': 'gzip',
  'tar.xz': 'xz',
  'tar.bz2': 'bzip2',
  'tar.zst': 'zstd',
  zip: null,
};

/**
 * Unpacks a tar (plain, gzip, xz, bzip2, zstd) or zip archive into destDir (created; it must not
 * exist or be empty), streaming contents to disk. Corrupt, truncated, unsafe or empty archives fail
 * with KILN_ERR_ARCHIVE and leave no destDir behind.
 */
export async function unpackArchive(
  archivePath: string,
  destDir: string,
  options: UnpackOptions = {},
): Promise<UnpackResult> {
  const label = options.label ?? archivePath;
  const { signal } = options;
  signal?.throwIfAborted();
  const format = await detect(archivePath, label);
  await mkdir(destDir, { recursive: true });
  if ((await readdir(destDir)).length > 0) {
    throw new KilnError('KILN_ERR_INTERNAL', `unpack target ${destDir} is not empty`);
  }
  try {
    const extractor = new Extractor(destDir);
    for await (const entry of entries(format, archivePath, label, signal)) await extractor.add(entry, signal);
    const topLevel = await readdir(destDir);
    if (topLevel.length === 0) throw archiveError(`archive '${label}' is empty`, { archive: label });
    const [only] = topLevel;
    return {
      format,
      topLevel,
      root: topLevel.length === 1 && only !== undefined ? join(destDir, only) : destDir,
    };
  } catch (error) {
    await rm(destDir, { recursive: true, force: true, maxRetries: 3 });
    if (signal?.aborted) throw signal.reason;
    throw withLabel(error, label);
  }
}

async function detect(archivePath: string, label: string): Promise<ArchiveFormat> {
  const file = await open(archivePath, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(DETECT_BYTES);
    const { bytesRead } = await file.read(buf, 0, DETECT_BYTES, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
  if (head.length === 0) throw archiveError(`archive '${label}' is empty (0 bytes)`, { archive: label });
  const format = detectArchiveFormat(head);
  if (format === null) {
    throw archiveError(
      `'${label}' is not an archive kiln can unpack (tar, tar.gz, tar.xz, tar.bz2, tar.zst or zip)`,
      {
        archive: label,
      },
    );
  }
  return format;
}

function entries(
  format: ArchiveFormat,
  archivePath: string,
  label: string,
  signal: AbortSignal | undefined,
): AsyncIterable<ArchiveEntry> {
  const compression = COMPRESSION[format];
  if (compression === null) return readZip(archivePath, signal);
  const raw = createReadStream(archivePath, signal ? { signal } : {});
  return readTar(compression === 'none' ? raw : decompressed(compression, raw, label, signal));
}

/** The decompressor's "not valid data" errors are archive errors here. */
async function* decompressed(
  compression: string,
  raw: AsyncIterable<Uint8Array>,
  label: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    yield* decompressStream(compression, raw, signal ? { signal } : {});
  } catch (error) {
    if (isKilnError(error) && error.code === 'KILN_ERR_VALIDATION') {
      throw archiveError(`archive '${label}' is corrupt: ${error.message.replace(/^the upload/, 'it')}`, {
        archive: label,
        compression,
      });
    }
    throw error;
  }
}

/** Archive errors name the archive; file system errors while extracting become archive errors. */
function withLabel(error: unknown, label: string): unknown {
  if (!isKilnError(error)) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (typeof code !== 'string' || !(error instanceof Error)) return error;
    return archiveError(`archive '${label}' cannot be extracted: ${error.message}`, { archive: label, code });
  }
  if (error.code !== 'KILN_ERR_ARCHIVE' || error.message.includes(label)) return error;
  return archiveError(`archive '${label}': ${error.message}`, { ...error.details, archive: label });
}
