import { PassThrough, type Transform } from 'node:stream';
import { createBrotliCompress, createBrotliDecompress, createGunzip, createGzip } from 'node:zlib';
import { KilnError } from '../errors/index.js';
import { pipeThroughProgram, type FilterProgram } from './filter-process.js';
import { feed } from './stream-feed.js';

/** What compressStream and decompressStream handle: Nix's common methods. */
export const STREAM_COMPRESSIONS = ['none', 'xz', 'zstd', 'bzip2', 'br', 'gzip'] as const;
export type StreamCompression = (typeof STREAM_COMPRESSIONS)[number];

export function isStreamCompression(name: string): name is StreamCompression {
  return (STREAM_COMPRESSIONS as readonly string[]).includes(name);
}

export interface CompressionStreamOptions {
  signal?: AbortSignal;
}

type ProgramCompression = 'xz' | 'zstd' | 'bzip2';

/**
 * Uploads are untrusted: an xz header may ask for a dictionary of up to 4 GiB, which xz would
 * allocate. Real NARs are compressed with at most a 64 MiB dictionary (xz -9), which needs about
 * 65 MiB to decompress, so this limit refuses nothing Nix produces.
 */
export const XZ_DECOMPRESS_MEMLIMIT_BYTES = 256 * 1024 * 1024;

// Node 20's zlib has none of these (zstd arrived in 22.15), so the system programs do the work.
// -q keeps zstd's progress output off stderr; errors are still printed there.
// zstd output must be reproducible (OCI layer digests are content addresses): a fixed level (-3),
// and -T1, whose bytes are the same for any -T of 1 or more (what plain `zstd -c` in a pipe
// writes), unlike --single-thread. The input always comes through a pipe, so zstd never learns a
// source size that would change the frame parameters; the environment is fixed (no ZSTD_CLEVEL or
// ZSTD_NBTHREADS). The content checksum (--check, the default) is a pure function of the data.
// Only the zstd version remains: another release may pick other matches (same data, other bytes).
const PROGRAMS: Readonly<
  Record<ProgramCompression, { command: string; compress: string[]; decompress: string[] }>
> = {
  xz: {
    command: 'xz',
    compress: ['--compress', '--stdout'],
    decompress: ['--decompress', '--stdout', `--memlimit-decompress=${XZ_DECOMPRESS_MEMLIMIT_BYTES}`],
  },
  zstd: {
    command: 'zstd',
    compress: ['--compress', '--stdout', '-q', '-3', '-T1', '--check'],
    decompress: ['--decompress', '--stdout', '-q'],
  },
  bzip2: { command: 'bzip2', compress: ['--compress', '--stdout'], decompress: ['--decompress', '--stdout'] },
};

function program(compression: ProgramCompression, direction: 'compress' | 'decompress'): FilterProgram {
  const spec = PROGRAMS[compression];
  return {
    command: spec.command,
    args: spec[direction],
    failure: ({ exitCode, signal, stderr }) =>
      direction === 'decompress' && /memory usage limit/i.test(stderr)
        ? new KilnError(
            'KILN_ERR_VALIDATION',
            `the upload needs more than ${XZ_DECOMPRESS_MEMLIMIT_BYTES / 1024 / 1024} MiB of memory to decompress`,
            { compression, exitCode, signal, stderr },
          )
        : direction === 'decompress'
          ? // Almost always corrupt or truncated input, i.e. the uploader's fault.
            new KilnError('KILN_ERR_VALIDATION', `the upload is not valid ${compression} data`, {
              compression,
              exitCode,
              signal,
              stderr,
            })
          : new KilnError('KILN_ERR_INTERNAL', `${spec.command} failed to compress`, {
              compression,
              exitCode,
              signal,
              stderr,
            }),
  };
}

function unsupported(compression: string): KilnError {
  return new KilnError('KILN_ERR_VALIDATION', `compression '${compression}' is not supported`, {
    compression,
    supported: STREAM_COMPRESSIONS,
  });
}

function zlibTransform(compression: 'none' | 'br' | 'gzip', direction: 'compress' | 'decompress'): Transform {
  if (compression === 'none') return new PassThrough();
  if (compression === 'br')
    return direction === 'compress' ? createBrotliCompress() : createBrotliDecompress();
  return direction === 'compress' ? createGzip() : createGunzip();
}

/** Runs `source` through a Node transform with the same abort and error rules as the programs. */
async function* throughTransform(
  transform: Transform,
  source: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
  onError: (cause: unknown) => KilnError,
): AsyncGenerator<Uint8Array, void, undefined> {
  signal?.throwIfAborted();
  const stop = new AbortController();
  const onAbort = (): void => {
    stop.abort();
    transform.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let sourceFailure: { error: unknown } | undefined;
  void feed(source, transform, stop.signal).then((failure) => {
    if (failure === undefined) return;
    sourceFailure = failure;
    transform.destroy();
  });
  try {
    try {
      for await (const chunk of transform) yield chunk as Buffer;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (sourceFailure) throw sourceFailure.error;
      throw onError(error);
    }
    if (sourceFailure) throw sourceFailure.error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop.abort();
    transform.destroy();
  }
}

function stream(
  compression: string,
  direction: 'compress' | 'decompress',
  source: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): AsyncIterable<Uint8Array> {
  // Checked here, not on first read, so a bad name fails where the stream is requested.
  if (!isStreamCompression(compression)) throw unsupported(compression);
  if (compression === 'xz' || compression === 'zstd' || compression === 'bzip2') {
    return pipeThroughProgram(program(compression, direction), source, signal);
  }
  return throughTransform(zlibTransform(compression, direction), source, signal, (cause) =>
    direction === 'decompress'
      ? new KilnError(
          'KILN_ERR_VALIDATION',
          `the upload is not valid ${compression} data`,
          { compression },
          { cause },
        )
      : new KilnError('KILN_ERR_INTERNAL', `${compression} compression failed`, { compression }, { cause }),
  );
}

/**
 * Compresses `source` with a method named as Nix names it (see STREAM_COMPRESSIONS); other names,
 * including Nix methods kiln cannot stream (lz4, lzip, …), throw KILN_ERR_VALIDATION at once.
 */
export function compressStream(
  compression: string,
  source: AsyncIterable<Uint8Array>,
  options: CompressionStreamOptions = {},
): AsyncIterable<Uint8Array> {
  return stream(compression, 'compress', source, options.signal);
}

/**
 * Decompresses `source`; corrupt or truncated input fails with KILN_ERR_VALIDATION ("the upload
 * is not valid xz data"). Output produced before the corruption was found has already been yielded,
 * so consumers must treat everything as provisional until the iteration completes.
 */
export function decompressStream(
  compression: string,
  source: AsyncIterable<Uint8Array>,
  options: CompressionStreamOptions = {},
): AsyncIterable<Uint8Array> {
  return stream(compression, 'decompress', source, options.signal);
}
