// The binary-cache context. For now only the pure formats; the HTTP side comes later.
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
  DECOMPRESSIBLE,
  isCompression,
  narExtension,
  narUrl,
  compressionFromUrl,
  canDecompress,
  createDecompressor,
  type Compression,
} from './formats/compression.js';
export { createFsStorage } from './storage/fs.js';
export { isValidKey, assertValidKey, MAX_KEY_LENGTH, MAX_SEGMENT_LENGTH } from './storage/keys.js';
export { resolveRange } from './storage/range.js';
export type { ObjectStorage, ObjectInfo, ByteRange, ReadResult, WriteOptions } from './storage/types.js';
