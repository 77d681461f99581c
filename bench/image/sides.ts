/**
 * The two sides of the image benchmark. kiln: the library calls src/builds/image-step.ts makes
 * (nixClosureGraph, buildImage, pushImage), each timed. The reference: `skopeo copy` of the image
 * layout kiln built, which only reads blobs that are already compressed and uploads them.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildImage,
  nixClosureGraph,
  planLayers,
  pushImage,
  storePathEntries,
  writeLayerBlob,
  type BuiltImage,
  type LayerCompression,
  type PushReport,
} from '../../src/oci/index.js';
import { baseEnv, run, time } from '../cache/proc.js';

export interface KilnImage {
  dir: string;
  tag: string;
  built: BuiltImage;
  manifest: { bytes: Buffer; mediaType: string };
  closureMs: number;
  buildMs: number;
}

export interface ImageBuildVariant {
  compression?: LayerCompression;
}

/** The closure query and the image build, as the `image` step runs them (same config and layer). */
export async function kilnBuildImage(
  root: string,
  dir: string,
  tag: string,
  variant: ImageBuildVariant = {},
): Promise<KilnImage> {
  let closure: Awaited<ReturnType<typeof nixClosureGraph>> | undefined;
  const closureMs = await time(async () => (closure = await nixClosureGraph([root], { binDir: '/usr/bin' })));
  let built: BuiltImage | undefined;
  const buildMs = await time(
    async () =>
      (built = await buildImage({
        closure: closure!,
        system: 'x86_64-linux',
        outDir: dir,
        tag,
        config: { Env: ['PATH=/bin'], Labels: { 'dev.kiln.build-id': 'bench' } },
        customisation: { symlinks: [{ path: 'bin', target: `${root}/bin` }] },
        ...variant,
      })),
  );
  const manifest = built!.manifest;
  const bytes = await readFile(join(dir, 'blobs', ...manifest.digest.split(':')));
  return { dir, tag, built: built!, manifest: { bytes, mediaType: manifest.mediaType }, closureMs, buildMs };
}

/**
 * An experiment, not what kiln does today: the same layers as buildImage plans them, tarred,
 * gzipped and written `concurrency` at a time instead of one after another (zlib runs on libuv's
 * thread pool, so several layers use several cores). Leaves out the config, manifest and index,
 * which are a few kB. Returns milliseconds.
 */
export async function concurrentLayersMs(root: string, dir: string, concurrency: number): Promise<number> {
  const closure = await nixClosureGraph([root], { binDir: '/usr/bin' });
  const queue = [...planLayers(closure, { customisationLayer: true }).layers];
  await mkdir(dir, { recursive: true });
  return time(() =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let layer = queue.shift(); layer !== undefined; layer = queue.shift()) {
          await writeLayerBlob(await storePathEntries(layer.paths), dir, 'gzip');
        }
      }),
    ),
  );
}

/**
 * pushImage of the layout to `registry/repository:tag`, with the tag only: the `registry` step
 * also adds the build id and a timestamp as tags, two more manifest HEAD + PUT pairs, which skopeo
 * is not asked to do either.
 */
export async function kilnPush(
  image: KilnImage,
  registry: string,
  repository: string,
): Promise<{ ms: number; report: PushReport }> {
  let report: PushReport | undefined;
  const ms = await time(
    async () =>
      (report = await pushImage({
        reference: `${registry}/${repository}:${image.tag}`,
        imageDir: image.dir,
        manifest: image.manifest,
      })),
  );
  return { ms, report: report! };
}

/**
 * `skopeo copy oci:DIR:TAG docker://REGISTRY/REPOSITORY:TAG`: the whole process, start-up included
 * (as kiln's figure includes its own work end to end). The layers are already gzip blobs in an OCI
 * manifest the registry accepts as it is, so skopeo copies them without recompressing.
 */
export async function skopeoPush(image: KilnImage, registry: string, repository: string): Promise<number> {
  return time(() =>
    run(
      'skopeo',
      [
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        `oci:${image.dir}:${image.tag}`,
        `docker://${registry}/${repository}:${image.tag}`,
      ],
      { env: baseEnv(), timeoutMs: 300_000 },
    ),
  );
}
