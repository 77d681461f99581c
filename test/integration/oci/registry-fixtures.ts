import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** A small OCI image assembled by hand in `dir/blobs/sha256/…`, independent of kiln's builder. */
export interface TestImage {
  dir: string;
  manifest: { bytes: Buffer; mediaType: string };
  manifestDigest: string;
  config: { digest: string; size: number };
  layers: { digest: string; size: number }[];
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function storeBlob(dir: string, bytes: Buffer): { digest: string; size: number } {
  const digest = sha256(bytes);
  const path = join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return { digest, size: bytes.length };
}

/** A reproducible tar(.gz) of `files` made with GNU tar. */
function tarLayer(files: Record<string, string | Buffer>, gzip: boolean): Buffer {
  const src = mkdtempSync(join(dir0(), 'kiln-layer-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(src, name)), { recursive: true });
      writeFileSync(join(src, name), content);
    }
    const out = join(src, '..', `${src.split('/').pop()}.tar`);
    execFileSync('tar', [
      '--sort=name',
      '--mtime=@1',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '-cf',
      out,
      '-C',
      src,
      '.',
    ]);
    const tar = readFileSync(out);
    rmSync(out);
    return gzip ? execFileSync('gzip', ['-n', '-c'], { input: tar, maxBuffer: 256 << 20 }) : tar;
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
}

function dir0(): string {
  return process.env.TMPDIR ?? '/tmp';
}

/**
 * Builds an image of one layer per entry of `layers` (file name → content) for `architecture`,
 * gzip-compressed unless `gzip` is false.
 */
export function makeTestImage(
  dir: string,
  layers: Record<string, string | Buffer>[],
  options: { architecture?: string; gzip?: boolean } = {},
): TestImage {
  const gzip = options.gzip ?? true;
  const tars = layers.map((files) => tarLayer(files, gzip));
  const layerBlobs = tars.map((bytes) => storeBlob(dir, bytes));
  const diffIds = tars.map((bytes) => sha256(gzip ? gunzipSync(bytes) : bytes));
  const config = Buffer.from(
    JSON.stringify({
      architecture: options.architecture ?? 'amd64',
      os: 'linux',
      created: '1970-01-01T00:00:01Z',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const configBlob = storeBlob(dir, config);
  const layerType = gzip
    ? 'application/vnd.oci.image.layer.v1.tar+gzip'
    : 'application/vnd.oci.image.layer.v1.tar';
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
      layers: layerBlobs.map((b) => ({ mediaType: layerType, ...b })),
    }),
  );
  return {
    dir,
    manifest: { bytes: manifest, mediaType: OCI_MANIFEST },
    manifestDigest: sha256(manifest),
    config: configBlob,
    layers: layerBlobs,
  };
}

export function randomContent(bytes: number): Buffer {
  return randomBytes(bytes);
}

export interface SkopeoResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The independent client: `skopeo inspect [--raw] --tls-verify=false docker://…`. */
export function skopeoInspect(
  reference: string,
  options: { raw?: boolean; creds?: string } = {},
): SkopeoResult {
  const args = [
    'inspect',
    '--tls-verify=false',
    ...(options.raw ? ['--raw'] : []),
    ...(options.creds ? ['--creds', options.creds] : []),
  ];
  try {
    const stdout = execFileSync('skopeo', [...args, `docker://${reference}`], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
