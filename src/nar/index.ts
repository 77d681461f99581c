// Pure Nix store formats and hashing: nix32/base16/base64, Nix hashes, NAR serialise/parse,
// store path computation. No Nix needed at run time.
export {
  NIX32_ALPHABET,
  decodeBase64,
  decodeHex,
  decodeNix32,
  encodeBase64,
  encodeHex,
  encodeNix32,
  nix32EncodedLength,
} from './base32.js';
export {
  HASH_SIZES,
  hashBytes,
  isHashAlgo,
  nixHashEquals,
  parseHashAlgo,
  parseNixHash,
  renderNixHash,
  type HashAlgo,
  type HashFormat,
  type NixHash,
  type ParseHashOptions,
  type RenderHashOptions,
} from './hash.js';
export { NAR_MAGIC } from './nar-framing.js';
export { dumpNar, hashChunks, narHash } from './nar.js';
export {
  narPathToString,
  parseNar,
  validateNar,
  type NarEvent,
  type NarPath,
  type NarSource,
  type ParseNarOptions,
} from './nar-parse.js';
export { writeNar } from './nar-write.js';
export {
  DEFAULT_STORE_DIR,
  STORE_PATH_HASH_LENGTH,
  STORE_PATH_NAME_MAX,
  compressHash,
  isValidStorePathName,
  makeFixedOutputPath,
  makeStorePath,
  makeTextPath,
  parseStorePath,
  parseStorePathBaseName,
  storePathHashBytes,
  validateStorePathName,
  type FileIngestionMethod,
  type ParsedStorePath,
  type ReferenceOptions,
} from './store-path.js';
export { flatFileHash, storePathForFile, type StorePathForFileOptions } from './add-path.js';
