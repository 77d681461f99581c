/**
 * The two sides of the image benchmark. kiln: the library calls src/builds/image-step.ts makes
 * (nixClosureGraph, buildImage with EarlyBlobPush, pushImage), each timed. The reference: `skopeo copy` of the image
 * layout kiln built, which only reads blobs that are already compressed and uploads them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EarlyBlobPush,
  buildImage,
  nixClosureGraph,
  pushImage,
  type BuildImageOptions,
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
  onBlobWritten?: BuildImageOptions['onBlobWritten'];
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
 * What the `image` and `registry` steps do together: the image is built while each layer, once
 * written, already goes up (EarlyBlobPush); then the push checks what is left and PUTs the
 * manifest. Timed end to end, closure query included.
 */
export async function kilnBuildAndPush(
  root: string,
  dir: string,
  tag: string,
  registry: string,
  repository: string,
): Promise<{ image: KilnImage; pushMs: number; report: PushReport; bytesUploaded: number }> {
  const reference = { registry, repository, tag, digest: undefined };
  const early = new EarlyBlobPush({ reference, imageDir: dir });
  const image = await kilnBuildImage(root, dir, tag, { onBlobWritten: (blob) => early.add(blob) });
  let report: PushReport | undefined;
  let earlyBytes = 0;
  const pushMs = await time(async () => {
    const settled = await early.settle();
    earlyBytes = settled.bytesUploaded;
    report = await pushImage({
      reference,
      imageDir: dir,
      manifest: image.manifest,
      settled: settled.outcomes,
    });
  });
  return { image, pushMs, report: report!, bytesUploaded: earlyBytes + report!.bytesUploaded };
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
