import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists } from '../fsutil/index.js';
import {
  buildImage,
  nixClosureGraph,
  parseImageReference,
  pushImage,
  type ImageReference,
  type RegistryCredentials,
} from '../oci/index.js';
import type { BuildImage, BuildRecord } from '../persistence/index.js';
import { hostSystem } from './git-source.js';

/** Where images go: the registry settings of the configuration (seed 002's DOCKER_REGISTRY_*). */
export interface ImageSettings {
  /** `DOCKER_REGISTRY_URL` without its scheme: fills references that name no registry. */
  defaultRegistry: string | undefined;
  credentials: RegistryCredentials | undefined;
  insecureRegistries: readonly string[];
  maxLayers: number;
  nixBinDir: string;
  workspaceDir: string;
}

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
  return parseImageReference(reference, settings.defaultRegistry);
}

/** `20261122T020533Z`: a tag that sorts by time. */
export function timestampTag(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** An image built into the build's workspace, waiting to be pushed. */
export interface PreparedImage {
  reference: ImageReference;
  dir: string;
  manifestDigest: string;
  manifestMediaType: string;
  layers: { digest: string; size: number }[];
  size: number;
}

/**
 * The `image` and `registry` steps: an OCI image of the outputs' closure (reproducible, layered by
 * popularity, `/bin` linked to the first output's bin), then pushed with the user's tag, the build
 * id and a UTC timestamp.
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
    const closure = await nixClosureGraph(outputs, { binDir: settings.nixBinDir, signal });
    const first = outputs[0];
    const bin = first !== undefined && (await pathExists(join(first, 'bin'))) ? `${first}/bin` : undefined;
    const labels: Record<string, string> = { 'dev.kiln.build-id': build.id };
    if (build.commit?.sha) labels['org.opencontainers.image.revision'] = build.commit.sha;
    if (build.source.kind === 'git') labels['org.opencontainers.image.source'] = build.source.url;
    log(`kiln: building an image of ${closure.paths.length} store path(s)`);
    const image = await buildImage({
      closure,
      system: build.system ?? hostSystem(),
      outDir: dir,
      tag: reference.tag ?? 'latest',
      maxLayers: settings.maxLayers,
      config: { Env: ['PATH=/bin'], Labels: labels },
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
      layers: image.layers.map((layer) => ({ digest: layer.digest, size: layer.size })),
      size,
    };
  }

  async push(
    build: BuildRecord,
    prepared: PreparedImage,
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<BuildImage> {
    const settings = this.#settings;
    try {
      const manifestBytes = await readFile(
        join(prepared.dir, 'blobs', ...prepared.manifestDigest.split(':')),
      );
      const report = await pushImage({
        reference: prepared.reference,
        imageDir: prepared.dir,
        manifest: { bytes: manifestBytes, mediaType: prepared.manifestMediaType },
        extraTags: [build.id.toLowerCase(), timestampTag(this.#now())],
        insecureRegistries: settings.insecureRegistries,
        ...(settings.credentials && { credentials: settings.credentials }),
        signal,
      });
      const uploaded = report.blobs.filter((blob) => blob.outcome === 'uploaded').length;
      log(
        `kiln: pushed ${report.repository}@${report.manifestDigest} (tags ${report.tags.join(', ')}): ` +
          `${uploaded} of ${report.blobs.length} blob(s) uploaded, ${report.bytesUploaded} bytes, ` +
          `${report.durationMs} ms`,
      );
      return {
        ref: `${report.repository}:${prepared.reference.tag ?? 'latest'}`,
        digest: report.manifestDigest,
        tags: report.tags,
        layers: prepared.layers,
        size: prepared.size,
        bytesUploaded: report.bytesUploaded,
        pushDurationMs: report.durationMs,
      };
    } finally {
      // Pushed, or the step failed: the local blobs are not needed again.
      await rm(prepared.dir, { recursive: true, force: true });
    }
  }
}
