/**
 * The registry client: pushes images and image indexes with the OCI distribution API over
 * node:http(s), with Basic and Bearer auth and retries. Entered through src/oci/index.ts.
 */
export {
  parseImageReference,
  formatImageReference,
  isLoopbackRegistry,
  registryScheme,
  isValidRepositoryName,
  isValidTag,
  isValidDigest,
  DEFAULT_TAG,
  type ImageReference,
} from './reference.js';
export { parseWwwAuthenticate, type AuthChallenge } from './www-authenticate.js';
export { backoffDelayMs, retryAfterMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../retry/index.js';
export { EarlyBlobPush, type EarlyBlobPushOptions, type EarlyPushResult } from './early-push.js';
export { chunkRanges, formatContentRange, type ChunkRange } from './chunks.js';
export type { RegistryCredentials } from './auth.js';
export { RegistryClient, type RegistryClientOptions } from './client.js';
export {
  pushImage,
  pushImageIndex,
  encodeImageIndex,
  manifestBlobs,
  OCI_INDEX_MEDIA_TYPE,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_CHUNK_THRESHOLD,
  type PushBlob,
  type PushImageOptions,
  type PushReport,
  type BlobOutcome,
  type IndexEntry,
  type PushIndexOptions,
  type PushIndexReport,
} from './push.js';
