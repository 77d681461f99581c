import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { KilnError } from '../../errors/index.js';
import { RegistryClient, type RegistryClientOptions } from './client.js';
import { mapLimit } from './limit.js';
import {
  formatImageReference,
  isValidDigest,
  isValidTag,
  parseImageReference,
  type ImageReference,
} from './reference.js';

export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/** A blob of the image, stored at `DIR/blobs/<algorithm>/<hex>`. */
export interface PushBlob {
  digest: string;
  size: number;
}

export interface PushImageOptions extends Omit<RegistryClientOptions, 'registry'> {
  /** `REGISTRY/REPO[:TAG]`; `defaultRegistry` fills a missing registry. */
  reference: string | ImageReference;
  defaultRegistry?: string;
  /** Holds `blobs/sha256/<hex>` for the config and every layer. */
  imageDir: string;
  /** The config and the layers; derived from the manifest (config + layers) when omitted. */
  blobs?: readonly PushBlob[];
  manifest: { bytes: Buffer; mediaType: string };
  /** More tags for the same manifest (build id, timestamp, …). */
  extraTags?: readonly string[];
  /** Blobs known to exist in another repository of the same registry: digest → repository. */
  mountFrom?: Readonly<Record<string, string>>;
  /** Blobs of this size or more go up in PATCH chunks. Default 32 MiB. */
  chunkThresholdBytes?: number;
  /** Default 16 MiB (raised to the registry's OCI-Chunk-Min-Length). */
  chunkSizeBytes?: number;
  /** Blobs checked and uploaded at once. Default 4. */
  concurrency?: number;
  /** Blobs already in the repository (an EarlyBlobPush's result): not checked again. */
  settled?: ReadonlyMap<string, BlobOutcome>;
  signal?: AbortSignal;
}

export type BlobOutcome = 'uploaded' | 'skipped' | 'mounted';

export interface PushReport {
  /** `REGISTRY/REPO` */
  repository: string;
  manifestDigest: string;
  manifestSize: number;
  /** Every tag now pointing at the manifest. */
  tags: string[];
  /** True when the registry already had this manifest under the tag: nothing was sent. */
  upToDate: boolean;
  blobs: { digest: string; size: number; outcome: BlobOutcome }[];
  /** Blob body bytes handed to the network, retried attempts included. */
  bytesUploaded: number;
  durationMs: number;
}

export const DEFAULT_CHUNK_THRESHOLD = 32 << 20;
export const DEFAULT_CHUNK_SIZE = 16 << 20;

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function blobPath(imageDir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return join(imageDir, 'blobs', algorithm!, hex!);
}

/** The config and layer descriptors of an image manifest (OCI or Docker schema 2). */
export function manifestBlobs(bytes: Buffer): PushBlob[] {
  let parsed: { config?: unknown; layers?: unknown };
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as typeof parsed;
  } catch {
    throw new KilnError('KILN_ERR_VALIDATION', 'the image manifest is not JSON');
  }
  const descriptors = [parsed.config, ...(Array.isArray(parsed.layers) ? (parsed.layers as unknown[]) : [])];
  return descriptors.map((d, i) => {
    const { digest, size } = (d ?? {}) as { digest?: unknown; size?: unknown };
    if (typeof digest !== 'string' || !isValidDigest(digest) || typeof size !== 'number') {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `the image manifest's descriptor ${i} has no valid digest and size`,
      );
    }
    return { digest, size };
  });
}

function resolveReference(reference: string | ImageReference, defaultRegistry?: string): ImageReference {
  return typeof reference === 'string' ? parseImageReference(reference, defaultRegistry) : reference;
}

function checkTags(tags: readonly string[]): void {
  for (const tag of tags) {
    if (!isValidTag(tag)) throw new KilnError('KILN_ERR_VALIDATION', `invalid tag '${tag}'`, { tag });
  }
}

/**
 * One blob into `repository`: nothing when the registry has it, a mount when another repository
 * of the registry is known to hold it, else an upload from `imageDir` (chunked from the threshold).
 */
export async function sendBlob(
  client: RegistryClient,
  repository: string,
  blob: PushBlob,
  options: Pick<PushImageOptions, 'imageDir' | 'mountFrom' | 'chunkThresholdBytes' | 'chunkSizeBytes'>,
  signal: AbortSignal,
  onBodyBytes: (n: number) => void,
): Promise<BlobOutcome> {
  if (await client.hasBlob(repository, blob.digest, signal)) return 'skipped';
  const from = options.mountFrom?.[blob.digest];
  if (
    from !== undefined &&
    from !== repository &&
    (await client.mountBlob(repository, blob.digest, from, signal))
  ) {
    return 'mounted';
  }
  const chunked = blob.size >= (options.chunkThresholdBytes ?? DEFAULT_CHUNK_THRESHOLD);
  await client.uploadBlob(
    repository,
    { ...blob, path: blobPath(options.imageDir, blob.digest) },
    { chunkSize: chunked ? (options.chunkSizeBytes ?? DEFAULT_CHUNK_SIZE) : undefined, signal, onBodyBytes },
  );
  return 'uploaded';
}

/**
 * Pushes one image: the manifest under the tag first (already there with our digest: done, zero
 * bytes), then every blob HEADed in parallel and only the missing ones mounted or uploaded
 * (chunked from `chunkThresholdBytes`), then the manifest, then the extra tags.
 */
export async function pushImage(options: PushImageOptions): Promise<PushReport> {
  const started = performance.now();
  const ref = resolveReference(options.reference, options.defaultRegistry);
  const tag = ref.tag ?? ref.digest!;
  const extraTags = [...new Set(options.extraTags ?? [])].filter((t) => t !== tag);
  checkTags(extraTags);
  const manifestDigest = sha256Digest(options.manifest.bytes);
  if (ref.digest !== undefined && ref.digest !== manifestDigest) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `the reference's digest ${ref.digest} is not the manifest's ${manifestDigest}`,
    );
  }
  const blobs = [
    ...new Map((options.blobs ?? manifestBlobs(options.manifest.bytes)).map((b) => [b.digest, b])).values(),
  ];
  const client = new RegistryClient({
    ...options,
    registry: ref.registry,
    maxSockets: options.concurrency ?? 4,
  });
  let bytesUploaded = 0;
  const signal = options.signal;
  try {
    await client.probe(signal);
    const manifest = { ...options.manifest, digest: manifestDigest };
    const current = await client.headManifest(ref.repository, tag, signal);
    const upToDate = current?.digest === manifestDigest;
    let outcomes: PushReport['blobs'];
    if (upToDate) outcomes = blobs.map((b) => ({ ...b, outcome: 'skipped' as const }));
    else {
      outcomes = await mapLimit(blobs, options.concurrency ?? 4, signal, async (blob, inner) => {
        const settled = options.settled?.get(blob.digest);
        if (settled !== undefined) return { ...blob, outcome: settled };
        const outcome = await sendBlob(
          client,
          ref.repository,
          blob,
          options,
          inner,
          (n) => (bytesUploaded += n),
        );
        return { ...blob, outcome };
      });
      await client.putManifest(ref.repository, tag, manifest, signal);
    }
    for (const extra of extraTags) {
      const there = await client.headManifest(ref.repository, extra, signal);
      if (there?.digest !== manifestDigest) await client.putManifest(ref.repository, extra, manifest, signal);
    }
    return {
      repository: `${ref.registry}/${ref.repository}`,
      manifestDigest,
      manifestSize: options.manifest.bytes.length,
      tags: ref.tag !== undefined ? [ref.tag, ...extraTags] : extraTags,
      upToDate,
      blobs: outcomes,
      bytesUploaded,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    client.close();
  }
}

/** One already-pushed image manifest of a multi-platform index. */
export interface IndexEntry {
  digest: string;
  size: number;
  mediaType: string;
  platform: { architecture: string; os: string; variant?: string; 'os.version'?: string };
}

/** The bytes of an OCI image index listing `entries` in order (the first match wins for clients). */
export function encodeImageIndex(
  entries: readonly IndexEntry[],
  annotations?: Record<string, string>,
): Buffer {
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX_MEDIA_TYPE,
    manifests: entries.map((e) => ({
      mediaType: e.mediaType,
      digest: e.digest,
      size: e.size,
      platform: e.platform,
    })),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  return Buffer.from(JSON.stringify(index));
}

export interface PushIndexOptions extends Omit<RegistryClientOptions, 'registry'> {
  reference: string | ImageReference;
  defaultRegistry?: string;
  manifests: readonly IndexEntry[];
  extraTags?: readonly string[];
  signal?: AbortSignal;
}

export interface PushIndexReport {
  repository: string;
  indexDigest: string;
  indexSize: number;
  tags: string[];
  durationMs: number;
}

/** PUTs an image index over manifests already in the repository (each is HEADed first). */
export async function pushImageIndex(options: PushIndexOptions): Promise<PushIndexReport> {
  const started = performance.now();
  const ref = resolveReference(options.reference, options.defaultRegistry);
  const tag = ref.tag ?? ref.digest!;
  const extraTags = [...new Set(options.extraTags ?? [])].filter((t) => t !== tag);
  checkTags(extraTags);
  if (options.manifests.length === 0)
    throw new KilnError('KILN_ERR_VALIDATION', 'an image index needs at least one manifest');
  const bytes = encodeImageIndex(options.manifests);
  const index = { bytes, mediaType: OCI_INDEX_MEDIA_TYPE, digest: sha256Digest(bytes) };
  const client = new RegistryClient({ ...options, registry: ref.registry });
  try {
    await client.probe(options.signal);
    for (const entry of options.manifests) {
      const there = await client.headManifest(ref.repository, entry.digest, options.signal);
      if (there === undefined) {
        throw new KilnError(
          'KILN_ERR_NOT_FOUND',
          `registry ${ref.registry}: ${formatImageReference({ ...ref, tag: undefined, digest: entry.digest })} is not there; push each platform's image before the index`,
          { registry: ref.registry, digest: entry.digest },
        );
      }
    }
    for (const t of [tag, ...extraTags]) await client.putManifest(ref.repository, t, index, options.signal);
    return {
      repository: `${ref.registry}/${ref.repository}`,
      indexDigest: index.digest,
      indexSize: bytes.length,
      tags: ref.tag !== undefined ? [ref.tag, ...extraTags] : extraTags,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    client.close();
  }
}
