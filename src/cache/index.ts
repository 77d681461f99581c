// The warehouse (binary caches): formats, storage, compression streams, and the Warehouse service
// the HTTP layer serves.
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
// The compression streams live in src/compression; re-exported so the warehouse's clients (the
// cache protocol routes) keep one import.
export {
  compressStream,
  decompressStream,
  isStreamCompression,
  STREAM_COMPRESSIONS,
  type StreamCompression,
  type CompressionStreamOptions,
  XZ_DECOMPRESS_MEMLIMIT_BYTES,
} from '../compression/index.js';
export { createFsStorage, type FsObjectStorage } from './storage/fs.js';
export {
  createS3Storage,
  S3_MIN_PART_BYTES,
  type S3ObjectStorage,
  type S3StorageOptions,
} from './storage/s3.js';
export { isValidKey, assertValidKey, MAX_KEY_LENGTH, MAX_SEGMENT_LENGTH } from './storage/keys.js';
export { resolveRange } from './storage/range.js';
export type { ObjectStorage, ObjectInfo, ByteRange, ReadResult, WriteOptions } from './storage/types.js';
// Garbage collection (src/cache/gc): pure planner, runner, route body and periodic schedule.
export {
  planGarbageCollection,
  retentionCutoff,
  referenceHash,
  type GcPathInput,
  type GcPlanInput,
  type GcPlan,
  type GcKeepReason,
  type GcKeptPath,
  type GcDeletedPath,
} from './gc/plan.js';
export {
  collectGarbage,
  handleGcRequest,
  NAR_GRACE_MS,
  type GcRepo,
  type GcStorage,
  type GcDeps,
  type GcOptions,
  type GcReport,
} from './gc/run.js';
export { startGcSchedule, type GcSchedule, type GcScheduleDeps } from './gc/schedule.js';
export * from './push/index.js';
export {
  Warehouse,
  type WarehouseOptions,
  type CacheInfo,
  type CacheKeyView,
  type NewCacheRequest,
  type CreatedToken,
  type TokenView,
} from './warehouse/warehouse.js';
export { type CacheRight } from './warehouse/access.js';
export { isCacheName, isStorePathHashPart } from './warehouse/names.js';
export { type ReceivedNar } from './warehouse/nar-upload.js';
// Per-worker cache settings (seed 002's configureCacheForWorker): the pure plan, and their central store.
export {
  WorkerCacheOptionsSchema,
  assertWorkerId,
  checkWorkerCacheOptions,
  effectiveWorkerNixSettings,
  isWorkerId,
  localCacheNameOf,
  localCacheUrl,
  planWorkerNixConfig,
  reachableListenUrl,
  type CentralWorkerCache,
  type EffectiveWorkerNixSettings,
  type LocalCacheRef,
  type NixSettingOrigin,
  type WorkerCacheOptions,
  type WorkerNixConfig,
  type WorkerNixConfigInput,
  type WorkerNixConfigSource,
} from './workers/nix-config.js';
export {
  StoredWorkerCacheSchema,
  WorkerCacheSettings,
  workerCacheKey,
  type StoredWorkerCache,
} from './workers/settings.js';
