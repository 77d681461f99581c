/**
 * Streaming compressors shared by the warehouse (NAR uploads and pushes) and the image builder
 * (OCI layers): xz, zstd and bzip2 through their system programs, gzip and brotli through zlib,
 * and the byte-stream filter process they run on (also used to stream `nix-store --dump`).
 */
export {
  compressStream,
  decompressStream,
  isStreamCompression,
  STREAM_COMPRESSIONS,
  XZ_DECOMPRESS_MEMLIMIT_BYTES,
  type StreamCompression,
  type CompressionStreamOptions,
} from './compression-process.js';
export { pipeThroughProgram, type FilterProgram } from './filter-process.js';
