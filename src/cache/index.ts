// The binary-cache context: formats, storage and compression streams; the HTTP side comes later.
export { parseNarInfo, renderNarInfo, validateNarInfo, type NarInfo } from './formats/narinfo.js';
export {
  parseNixCacheInfo,
  renderNixCacheInfo,
  DEFAULT_STORE_DIR,
  type NixCacheInfo,
} from './formats/nix-cache-info.js';
export {
  generateSecretKey,
  parseSecretKey,
  formatSecretKey,
  parsePublicKey,
  formatPublicKey,
  fingerprint,
  sign,
  verify,
  signNarInfo,
  countValidSignatures,
  type SecretKey,
  type PublicKey,
  type FingerprintInput,
} from './formats/signing.js';
export {
  COMPRESSIONS,
  isCompression,
  narExtension,
  narUrl,
  compressionFromUrl,
  type Compression,
} from './formats/compression.js';
export {
  compressStream,
  decompressStream,
  isStreamCompression,
  STREAM_COMPRESSIONS,
  type StreamCompression,
  type CompressionStreamOptions,
} from './formats/compression-process.js';
export { createFsStorage } from './storage/fs.js';
export { isValidKey, assertValidKey, MAX_KEY_LENGTH, MAX_SEGMENT_LENGTH } from './storage/keys.js';
export { resolveRange } from './storage/range.js';
export type { ObjectStorage, ObjectInfo, ByteRange, ReadResult, WriteOptions } from './storage/types.js';
