import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
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
import { writeTar, type TarEntry } from './tar.js';

/**
 * Builds an OCI image from a Nix closure into an OCI image layout directory (`oci-layout`,
 * `index.json`, `blobs/sha256/…`), which `skopeo` reads as `oci:DIR:TAG`. Each layer is tarred,
 * hashed (diffID) and compressed in one streaming pass, its blob written under a temp name and
 * renamed into place, so no file of the closure is held in memory and no half blob is ever visible.
 */

export type LayerCompression = 'gzip' | 'none';

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
  /** Default gzip. (zstd is not implemented yet.) */
  compression?: LayerCompression;
  /** zlib level for gzip (default 6); part of what makes the digests what they are. */
  gzipLevel?: number;
  signal?: AbortSignal;
}

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
  const platform = platformOfSystem(options.system);
  const plan = planLayers(options.closure, {
    maxLayers: options.maxLayers,
    customisationLayer: options.customisation !== undefined,
  });
  const blobs = join(options.outDir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });

  const layers: BuiltLayer[] = [];
  const history: HistoryEntry[] = [];
  for (const planned of plan.layers) {
    const entries = await storePathEntries(planned.paths);
    const blob = await writeLayerBlob(entries, blobs, compression, options.gzipLevel, options.signal);
    layers.push({ ...blob, paths: planned.paths });
    history.push({ comment: `store paths: ${JSON.stringify(planned.paths)}` });
  }
  if (options.customisation !== undefined) {
    const entries = customisationEntries(options.customisation);
    const blob = await writeLayerBlob(entries, blobs, compression, options.gzipLevel, options.signal);
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

/** Tars, hashes, compresses and stores one layer; returns its descriptor and diffID. */
export async function writeLayerBlob(
  entries: readonly TarEntry[],
  blobsDir: string,
  compression: LayerCompression,
  gzipLevel = 6,
  signal?: AbortSignal,
): Promise<Omit<BuiltLayer, 'paths'>> {
  const temp = join(blobsDir, `.layer-${randomBytes(8).toString('hex')}.tmp`);
  const uncompressed = new Measure();
  const compressed = new Measure();
  const stages =
    compression === 'gzip'
      ? [uncompressed, createGzip({ level: gzipLevel }), compressed]
      : [uncompressed, compressed];
  try {
    await pipeline(
      [
        Readable.from(writeTar(entries), { objectMode: false }),
        ...stages,
        createWriteStream(temp, { flags: 'wx' }),
      ],
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
      mediaType: compression === 'gzip' ? MEDIA_TYPES.layerGzip : MEDIA_TYPES.layerTar,
      digest: `sha256:${hex}`,
      size: compressed.bytes,
      diffId: `sha256:${uncompressed.hash.digest('hex')}`,
    };
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
