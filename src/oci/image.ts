import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { compressStream } from '../compression/index.js';
import { KilnError } from '../errors/index.js';
import { writeFileAtomic } from '../fsutil/index.js';
import {
  MEDIA_TYPES,
  configDocument,
  describe,
  indexDocument,
  manifestDocument,
  ociLayoutDocument,
  platformOfSystem,
  type Descriptor,
  type HistoryEntry,
  type ImageRuntimeConfig,
} from './documents.js';
import { customisationEntries, storePathEntries, type CustomisationOptions } from './layer-entries.js';
import { planLayers, type ClosureGraph } from './layers.js';
import { mapLimit } from './registry/limit.js';
import { writeTar, type TarEntry } from './tar.js';

/**
 * Builds an OCI image from a Nix closure into an OCI image layout directory (`oci-layout`,
 * `index.json`, `blobs/sha256/…`), which `skopeo` reads as `oci:DIR:TAG`. Each layer is tarred,
 * hashed (diffID) and compressed in one streaming pass, its blob written under a temp name and
 * renamed into place, so no file of the closure is held in memory and no half blob is ever visible.
 */

export type LayerCompression = 'gzip' | 'zstd' | 'none';

/**
 * The layer media type of each compression. gzip is zlib's default level (6) and zstd level 3 in
 * its reproducible mode (see src/compression), both fixed: the level is part of the digests.
 */
const LAYER_MEDIA_TYPES: Readonly<Record<LayerCompression, string>> = {
  gzip: MEDIA_TYPES.layerGzip,
  zstd: MEDIA_TYPES.layerZstd,
  none: MEDIA_TYPES.layerTar,
};

export interface BuildImageOptions {
  closure: ClosureGraph;
  /** Nix system of the closure, e.g. `x86_64-linux`: gives the image's architecture and os. */
  system: string;
  /** The image layout directory (created if missing). Blobs already there are reused. */
  outDir: string;
  /** The tag recorded in index.json (`org.opencontainers.image.ref.name`); default `latest`. */
  tag?: string;
  config?: ImageRuntimeConfig;
  /** Total layers, customisation layer included (default 100). */
  maxLayers?: number;
  /** Adds the customisation layer (symlinks, /etc/passwd and /etc/group, /tmp) on top. */
  customisation?: CustomisationOptions;
  /**
   * Default gzip, which every runtime reads; zstd (tar+zstd) is smaller and faster to unpack but
   * needs containerd 1.5+ / Docker 23+ / podman. Blob names are digests of the compressed bytes, so
   * layouts of different compressions never share (or clash on) a layer blob.
   */
  compression?: LayerCompression;
  /** Called once a layer or the config blob is in place under blobs/ (e.g. to upload it early). */
  onBlobWritten?: (blob: { digest: string; size: number }) => void;
  /** Layers written at once (default 4: the size of libuv's thread pool, which runs zlib). */
  layerConcurrency?: number;
  signal?: AbortSignal;
}

export const DEFAULT_LAYER_CONCURRENCY = 4;

export interface BuiltLayer extends Descriptor {
  /** sha256 of the uncompressed tar, as in the config's rootfs.diff_ids. */
  diffId: string;
  /** Store paths in the layer; empty for the customisation layer. */
  paths: string[];
}

export interface BuiltImage {
  tag: string;
  manifest: Descriptor;
  config: Descriptor;
  /** Base layer first. */
  layers: BuiltLayer[];
}

export async function buildImage(options: BuildImageOptions): Promise<BuiltImage> {
  const tag = options.tag ?? 'latest';
  // The ref.name grammar of the image-layout spec, restricted to what a registry tag allows.
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag)) {
    throw new KilnError('KILN_ERR_VALIDATION', `invalid image tag ${JSON.stringify(tag)}`, { tag });
  }
  const compression = options.compression ?? 'gzip';
  // The type says so, but JavaScript callers and configuration may not.
  if (!Object.hasOwn(LAYER_MEDIA_TYPES, compression)) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `unsupported layer compression ${JSON.stringify(compression)}`,
      {
        compression,
        supported: Object.keys(LAYER_MEDIA_TYPES),
      },
    );
  }
  const platform = platformOfSystem(options.system);
  const plan = planLayers(options.closure, {
    maxLayers: options.maxLayers,
    customisationLayer: options.customisation !== undefined,
  });
  const blobs = join(options.outDir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });

  // Several layers at once: compression is most of the work and runs off the main thread (zlib's
  // thread pool, or the zstd process). The order of the result is the plan's, not the finishing order.
  const layers: BuiltLayer[] = await mapLimit(
    plan.layers,
    options.layerConcurrency ?? DEFAULT_LAYER_CONCURRENCY,
    options.signal,
    async (planned, signal) => {
      const entries = await storePathEntries(planned.paths);
      const blob = await writeLayerBlob(entries, blobs, compression, signal);
      options.onBlobWritten?.(blob);
      return { ...blob, paths: planned.paths };
    },
  );
  const history: HistoryEntry[] = plan.layers.map((planned) => ({
    comment: `store paths: ${JSON.stringify(planned.paths)}`,
  }));
  if (options.customisation !== undefined) {
    const entries = customisationEntries(options.customisation);
    const blob = await writeLayerBlob(entries, blobs, compression, options.signal);
    options.onBlobWritten?.(blob);
    layers.push({ ...blob, paths: [] });
    history.push({ comment: 'customisation layer' });
  }

  const configBytes = configDocument({
    platform,
    diffIds: layers.map((l) => l.diffId),
    history,
    config: options.config,
  });
  const config = await writeJsonBlob(blobs, MEDIA_TYPES.config, configBytes);
  options.onBlobWritten?.(config);
  const layerDescriptors = layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size }));
  const manifest = await writeJsonBlob(
    blobs,
    MEDIA_TYPES.manifest,
    manifestDocument(config, layerDescriptors),
  );
  await writeFileAtomic(join(options.outDir, 'oci-layout'), ociLayoutDocument());
  await writeFileAtomic(
    join(options.outDir, 'index.json'),
    indexDocument([{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }]),
  );
  return { tag, manifest, config, layers };
}

async function writeJsonBlob(blobs: string, mediaType: string, bytes: Buffer): Promise<Descriptor> {
  const descriptor = describe(mediaType, bytes);
  await writeFileAtomic(join(blobs, hexOf(descriptor.digest)), bytes);
  return descriptor;
}

function hexOf(digest: string): string {
  return digest.slice('sha256:'.length);
}

/** A pass-through stream that hashes and counts what flows through it. */
class Measure extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

type PipelineStage = (source: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;

/**
 * The shared compressor as a pipeline stage. Node calls a function stage as `fn(source, { signal })`
 * (documented; @types/node omits the second argument, hence the cast) with a signal that fires on
 * the caller's abort and on any other stage failing, so the compressor (a child process for zstd)
 * is stopped either way rather than left waiting for input.
 */
function compressStage(compression: LayerCompression): PipelineStage {
  const stage = (source: AsyncIterable<Uint8Array>, options: { signal: AbortSignal }) =>
    compressStream(compression, source, { signal: options.signal });
  return stage as PipelineStage;
}

/** Tars, hashes, compresses and stores one layer; returns its descriptor and diffID. */
export async function writeLayerBlob(
  entries: readonly TarEntry[],
  blobsDir: string,
  compression: LayerCompression,
  signal?: AbortSignal,
): Promise<Omit<BuiltLayer, 'paths'>> {
  const temp = join(blobsDir, `.layer-${randomBytes(8).toString('hex')}.tmp`);
  const uncompressed = new Measure();
  const compressed = new Measure();
  try {
    await pipeline(
      Readable.from(writeTar(entries), { objectMode: false }),
      uncompressed,
      compressStage(compression),
      compressed,
      createWriteStream(temp, { flags: 'wx' }),
      { signal },
    );
    const handle = await open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    const hex = compressed.hash.digest('hex');
    await rename(temp, join(blobsDir, hex));
    return {
      mediaType: LAYER_MEDIA_TYPES[compression],
      digest: `sha256:${hex}`,
      size: compressed.bytes,
      diffId: `sha256:${uncompressed.hash.digest('hex')}`,
    };
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
