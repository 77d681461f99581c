import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError, isKilnError } from '../errors/index.js';
import { pathExists } from '../fsutil/index.js';
import {
  MEDIA_TYPES,
  OCI_INDEX_MEDIA_TYPE,
  EarlyBlobPush,
  buildImage,
  encodeImageIndex,
  formatImageReference,
  nixClosureGraph,
  parseImageReference,
  platformOfSystem,
  pushImage,
  pushImageIndex,
  type ImageReference,
  type ImageRuntimeConfig,
  type IndexEntry,
  type LayerCompression,
  type RegistryCredentials,
  type RetryPolicy,
} from '../oci/index.js';
import type { BuildImage, BuildImageIndex, BuildRecord, ImageConfig } from '../persistence/index.js';
import { hostSystem } from './git-source.js';

/** Where images go: the registry settings of the configuration (seed 002's DOCKER_REGISTRY_*). */
export interface ImageSettings {
  /** `DOCKER_REGISTRY_URL` without its scheme: fills references that name no registry. */
  defaultRegistry: string | undefined;
  credentials: RegistryCredentials | undefined;
  insecureRegistries: readonly string[];
  maxLayers: number;
  compression: LayerCompression;
  /** `host:port` that takes the image (same repository and tags) when the primary stays down. */
  fallbackRegistry: string | undefined;
  /** Overrides of the registry client's retry policy (tests shorten it). */
  retry?: Partial<RetryPolicy> | undefined;
  nixBinDir: string;
  workspaceDir: string;
}

/** The tag that follows the newest build whose every step succeeded. */
export const CURRENT_TAG = 'current';

/** `https://registry.example:5000/` → `registry.example:5000`: the host part a reference uses. */
export function registryHost(url: string): string | undefined {
  const trimmed = url
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/+$/, '');
  return trimmed === '' ? undefined : trimmed;
}

/** Validates `REGISTRY/REPO[:TAG]` at submission, so a bad reference queues nothing. */
export function checkImageReference(
  reference: string,
  settings: Pick<ImageSettings, 'defaultRegistry'>,
): ImageReference {
  const ref = parseImageReference(reference, settings.defaultRegistry);
  if (ref.tag === CURRENT_TAG) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `the tag '${CURRENT_TAG}' is kiln's: it moves to a build's image once every step succeeded`,
    );
  }
  if (ref.digest !== undefined) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      'push to a tag, not a digest: the digest is what kiln reports',
    );
  }
  return ref;
}

/** `20261122T020533Z`: a tag that sorts by time. */
export function timestampTag(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** The OCI runtime config for a build: kiln's PATH and labels, then what the submission set. */
export function runtimeConfig(build: BuildRecord): ImageRuntimeConfig {
  const labels: Record<string, string> = { 'dev.kiln.build-id': build.id };
  if (build.commit?.sha) labels['org.opencontainers.image.revision'] = build.commit.sha;
  if (build.source.kind === 'git') labels['org.opencontainers.image.source'] = build.source.url;
  const asked: ImageConfig = build.imageConfig ?? {};
  const config: ImageRuntimeConfig = { Env: ['PATH=/bin', ...(asked.env ?? [])], Labels: labels };
  if (asked.entrypoint) config.Entrypoint = [...asked.entrypoint];
  if (asked.cmd) config.Cmd = [...asked.cmd];
  if (asked.workingDir !== undefined) config.WorkingDir = asked.workingDir;
  if (asked.user !== undefined) config.User = asked.user;
  if (asked.exposedPorts) {
    config.ExposedPorts = asked.exposedPorts.map((port) => (port.includes('/') ? port : `${port}/tcp`));
  }
  return config;
}

/** An image built into the build's workspace, waiting to be pushed. */
export interface PreparedImage {
  reference: ImageReference;
  dir: string;
  manifestDigest: string;
  manifestMediaType: string;
  manifestBytes: Buffer;
  layers: { digest: string; size: number }[];
  size: number;
  /** Blobs already on their way to the registry while the image was built. */
  early: EarlyBlobPush;
}

/** The pushed image's manifest, to tag. */
export function manifestOf(image: BuildImage, prepared: PreparedImage): TaggableManifest {
  return { ref: image.ref, bytes: prepared.manifestBytes, mediaType: prepared.manifestMediaType };
}

/** The record of an image once `current` points at it (or at its index). */
export function markCurrent(image: BuildImage): BuildImage {
  return image.index
    ? { ...image, current: true, index: { ...image.index, tags: [...image.index.tags, CURRENT_TAG] } }
    : { ...image, current: true, tags: [...image.tags, CURRENT_TAG] };
}

/** A manifest (image or index) to tag: where it is and its exact bytes. */
export interface TaggableManifest {
  /** `REGISTRY/REPO[:TAG]` of the pushed image; only the registry and repository are used. */
  ref: string;
  bytes: Buffer;
  mediaType: string;
}

/**
 * The `image`, `registry`, `index` and `current` steps: an OCI image of the outputs' closure
 * (reproducible, layered by popularity, `/bin` linked to the first output's bin), pushed with the
 * user's tag, the build id and a UTC timestamp (one system of several: the build id only, the
 * index gets the rest), to the fallback registry when the primary stays down.
 */
export class ImageSteps {
  readonly #settings: ImageSettings;
  readonly #now: () => number;

  constructor(settings: ImageSettings, now: () => number) {
    this.#settings = settings;
    this.#now = now;
  }

  async build(
    build: BuildRecord,
    outputs: readonly string[],
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<PreparedImage> {
    const settings = this.#settings;
    const reference = checkImageReference(build.imageRef ?? '', settings);
    const dir = join(settings.workspaceDir, build.id, 'image');
    await rm(dir, { recursive: true, force: true });
    // Layers go up while later ones are still compressed; the registry step finishes the push.
    const early = new EarlyBlobPush({ reference, imageDir: dir, ...this.#clientOptions(signal) });
    try {
      const closure = await nixClosureGraph(outputs, { binDir: settings.nixBinDir, signal });
      const first = outputs[0];
      const bin = first !== undefined && (await pathExists(join(first, 'bin'))) ? `${first}/bin` : undefined;
      log(`kiln: building an image of ${closure.paths.length} store path(s)`);
      const image = await buildImage({
        closure,
        system: build.system ?? hostSystem(),
        outDir: dir,
        tag: reference.tag ?? 'latest',
        maxLayers: settings.maxLayers,
        compression: settings.compression,
        onBlobWritten: (blob) => early.add(blob),
        config: runtimeConfig(build),
        customisation: { symlinks: bin === undefined ? [] : [{ path: 'bin', target: bin }] },
        signal,
      });
      const size = image.layers.reduce((sum, layer) => sum + layer.size, image.config.size);
      log(`kiln: image ${image.manifest.digest}: ${image.layers.length} layer(s), ${size} bytes compressed`);
      return {
        reference,
        dir,
        manifestDigest: image.manifest.digest,
        manifestMediaType: image.manifest.mediaType,
        manifestBytes: await readFile(join(dir, 'blobs', ...image.manifest.digest.split(':'))),
        layers: image.layers.map((layer) => ({ digest: layer.digest, size: layer.size })),
        size,
        early,
      };
    } catch (error) {
      // A failed image leaves no half-written layout behind, and nothing going up.
      early.abort();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async push(
    build: BuildRecord,
    prepared: PreparedImage,
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<BuildImage> {
    // One system of several: this image is a part of the index, which takes the user's tag.
    const part = build.groupId !== null;
    const idTag = build.id.toLowerCase();
    const tag = part ? idTag : (prepared.reference.tag ?? 'latest');
    const extraTags = part ? [] : [idTag, timestampTag(this.#now())];
    try {
      const early = await prepared.early.settle();
      const { report, fallback } = await this.#withFallback(prepared.reference, signal, log, (reference) =>
        pushImage({
          // What went up early went to the primary registry only.
          ...(reference.registry === prepared.reference.registry && { settled: early.outcomes }),
          reference: { ...reference, tag },
          imageDir: prepared.dir,
          manifest: { bytes: prepared.manifestBytes, mediaType: prepared.manifestMediaType },
          extraTags,
          ...this.#clientOptions(signal),
        }),
      );
      const uploaded = report.blobs.filter((blob) => blob.outcome === 'uploaded').length;
      const bytesUploaded = report.bytesUploaded + (fallback ? 0 : early.bytesUploaded);
      log(
        `kiln: pushed ${report.repository}@${report.manifestDigest} (tags ${report.tags.join(', ')}): ` +
          `${uploaded} of ${report.blobs.length} blob(s) uploaded, ${bytesUploaded} bytes ` +
          `(${fallback ? 0 : early.bytesUploaded} while the image was built), ${report.durationMs} ms`,
      );
      return {
        ref: `${report.repository}:${tag}`,
        digest: report.manifestDigest,
        tags: report.tags,
        layers: prepared.layers,
        size: prepared.size,
        bytesUploaded,
        pushDurationMs: report.durationMs,
        manifestSize: prepared.manifestBytes.length,
        ...(fallback && { fallback: true }),
      };
    } finally {
      // Pushed, or the step failed: the local blobs are not needed again.
      await rm(prepared.dir, { recursive: true, force: true });
    }
  }

  /**
   * The image index of a group: one entry per system's image (all in the same repository), pushed
   * under the user's tag, the group id and a UTC timestamp.
   */
  async pushIndex(
    build: BuildRecord,
    parts: readonly BuildRecord[],
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<{ index: BuildImageIndex; manifest: TaggableManifest }> {
    const asked = checkImageReference(build.imageRef ?? '', this.#settings);
    const sorted = [...parts].sort((a, b) => (a.system ?? '').localeCompare(b.system ?? ''));
    const entries: IndexEntry[] = sorted.map((part) => {
      if (!part.image) throw new KilnError('KILN_ERR_INTERNAL', `build ${part.id} has no image`);
      return {
        digest: part.image.digest,
        size: part.image.manifestSize ?? 0,
        mediaType: MEDIA_TYPES.manifest,
        platform: platformOfSystem(part.system ?? hostSystem()),
      };
    });
    const registries = new Set(sorted.map((part) => parseImageReference(part.image?.ref ?? '').registry));
    if (registries.size > 1) {
      throw new KilnError(
        'KILN_ERR_UNAVAILABLE',
        `the systems' images went to different registries (${[...registries].join(', ')}): no index`,
      );
    }
    const registry = [...registries][0] ?? asked.registry;
    const tag = asked.tag ?? 'latest';
    const report = await pushImageIndex({
      reference: { ...asked, registry, tag },
      manifests: entries,
      extraTags: [build.groupId?.toLowerCase() ?? build.id.toLowerCase(), timestampTag(this.#now())],
      ...this.#clientOptions(signal),
    });
    const platforms = entries.map((e) => `${e.platform.os}/${e.platform.architecture}`);
    log(`kiln: pushed index ${report.repository}@${report.indexDigest} (${platforms.join(', ')})`);
    return {
      index: { ref: `${report.repository}:${tag}`, digest: report.indexDigest, tags: report.tags, platforms },
      manifest: {
        ref: `${report.repository}:${tag}`,
        bytes: encodeImageIndex(entries),
        mediaType: OCI_INDEX_MEDIA_TYPE,
      },
    };
  }

  /** Points the `current` tag of the manifest's repository at it (a manifest PUT, no blobs). */
  /** Points the `current` tag of the manifest's repository at it (a manifest PUT, no blobs). */
  async tagCurrent(
    target: TaggableManifest,
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<string> {
    const current = { ...parseImageReference(target.ref), tag: CURRENT_TAG, digest: undefined };
    const report = await pushImage({
      reference: current,
      imageDir: '',
      manifest: { bytes: target.bytes, mediaType: target.mediaType },
      blobs: [],
      ...this.#clientOptions(signal),
    });
    const shown = formatImageReference(current);
    log(`kiln: ${shown} → ${report.manifestDigest}`);
    return shown;
  }

  /**
   * `kiln image`: an image of a finished build, pushed with the user's tag itself (a build of
   * several systems gets a single-system image), and `current` moved to it when asked.
   */
  async shipFinished(
    build: BuildRecord,
    options: { current: boolean },
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<BuildImage> {
    const single = { ...build, groupId: null };
    const prepared = await this.build(single, build.outputs, signal, log);
    const image = await this.push(single, prepared, signal, log);
    if (!options.current) return image;
    await this.tagCurrent(manifestOf(image, prepared), signal, log);
    return markCurrent(image);
  }

  #clientOptions(signal: AbortSignal): {
    insecureRegistries: readonly string[];
    credentials?: RegistryCredentials;
    retry?: Partial<RetryPolicy>;
    signal: AbortSignal;
  } {
    const { credentials, insecureRegistries, retry } = this.#settings;
    return {
      insecureRegistries,
      ...(credentials && { credentials }),
      ...(retry && { retry }),
      signal,
    };
  }

  /** Runs `push` against the primary; when it stays down, once more against the fallback. */
  async #withFallback<T>(
    reference: ImageReference,
    signal: AbortSignal,
    log: (line: string) => void,
    push: (reference: ImageReference) => Promise<T>,
  ): Promise<{ report: T; fallback: boolean }> {
    const fallback = this.#settings.fallbackRegistry;
    try {
      return { report: await push(reference), fallback: false };
    } catch (error) {
      const down = isKilnError(error) && error.code === 'KILN_ERR_UNAVAILABLE';
      if (!down || signal.aborted || fallback === undefined || fallback === reference.registry) throw error;
      log(`kiln: ${error.message}`);
      log(`kiln: registry ${reference.registry} stays down; pushing to the fallback registry ${fallback}`);
      return { report: await push({ ...reference, registry: fallback }), fallback: true };
    }
  }
}
