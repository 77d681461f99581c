import { createHash } from 'node:crypto';
import { KilnError } from '../errors/index.js';

/**
 * The JSON documents of an OCI image (config, manifest, index, oci-layout), written with a fixed
 * key order and no whitespace so the same image always has the same bytes and digests. A
 * document's digest is over exactly the bytes returned here, which are the bytes to store or push.
 */

export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** `created` of the config and every history entry: reproducible, as dockerTools' default. */
export const IMAGE_CREATED = '1970-01-01T00:00:01Z';

export interface Descriptor {
  mediaType: string;
  /** `sha256:<hex>` */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** The runtime settings of the image (the config's `config` object). */
export interface ImageRuntimeConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  /** `NAME=value` entries. */
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  /** `80/tcp`, `53/udp`, … */
  ExposedPorts?: string[];
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface HistoryEntry {
  comment: string;
}

export interface ConfigInput {
  platform: Platform;
  /** `sha256:<hex>` of each uncompressed layer tar, base layer first. */
  diffIds: string[];
  /** One per layer, same order as diffIds. */
  history: HistoryEntry[];
  config?: ImageRuntimeConfig;
}

/** The sha256 digest of `bytes` as `sha256:<hex>`. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A descriptor for a JSON document's exact bytes. */
export function describe(mediaType: string, bytes: Uint8Array): Descriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.byteLength };
}

/** The OCI platform of a Nix system such as `x86_64-linux` or `aarch64-darwin`. */
export function platformOfSystem(system: string): Platform {
  const dash = system.indexOf('-');
  const cpu = system.slice(0, dash);
  const os = system.slice(dash + 1);
  const arch: Record<string, Platform | undefined> = {
    x86_64: { architecture: 'amd64', os },
    aarch64: { architecture: 'arm64', os, variant: 'v8' },
    i686: { architecture: '386', os },
    armv7l: { architecture: 'arm', os, variant: 'v7' },
    armv6l: { architecture: 'arm', os, variant: 'v6' },
    riscv64: { architecture: 'riscv64', os },
    powerpc64le: { architecture: 'ppc64le', os },
    s390x: { architecture: 's390x', os },
  };
  const platform = dash > 0 ? arch[cpu] : undefined;
  if (!platform || !['linux', 'darwin'].includes(os)) {
    throw new KilnError('KILN_ERR_VALIDATION', `no OCI platform for the Nix system ${system}`, { system });
  }
  return platform;
}

/** The image config JSON (application/vnd.oci.image.config.v1+json). */
export function configDocument(input: ConfigInput): Buffer {
  if (input.history.length !== input.diffIds.length) {
    throw new KilnError('KILN_ERR_INTERNAL', 'one history entry per layer is required', {
      layers: input.diffIds.length,
      history: input.history.length,
    });
  }
  const doc = {
    created: IMAGE_CREATED,
    architecture: input.platform.architecture,
    ...(input.platform.variant !== undefined ? { variant: input.platform.variant } : {}),
    os: input.platform.os,
    config: runtimeConfig(input.config ?? {}),
    rootfs: { type: 'layers', diff_ids: input.diffIds },
    history: input.history.map((h) => ({ created: IMAGE_CREATED, comment: h.comment })),
  };
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

function runtimeConfig(config: ImageRuntimeConfig): Record<string, unknown> {
  // Fixed key order; maps sorted by key, so equal settings give equal bytes.
  const out: Record<string, unknown> = {};
  if (config.User !== undefined) out.User = config.User;
  if (config.ExposedPorts !== undefined) {
    for (const port of config.ExposedPorts) validatePort(port);
    out.ExposedPorts = Object.fromEntries([...new Set(config.ExposedPorts)].sort().map((p) => [p, {}]));
  }
  if (config.Env !== undefined) {
    for (const entry of config.Env) {
      if (!/^[^=]+=/.test(entry)) {
        throw new KilnError(
          'KILN_ERR_VALIDATION',
          `Env entries are NAME=value, got ${JSON.stringify(entry)}`,
        );
      }
    }
    out.Env = [...config.Env];
  }
  if (config.Entrypoint !== undefined) out.Entrypoint = [...config.Entrypoint];
  if (config.Cmd !== undefined) out.Cmd = [...config.Cmd];
  if (config.WorkingDir !== undefined) out.WorkingDir = config.WorkingDir;
  if (config.Labels !== undefined) out.Labels = sortedRecord(config.Labels);
  if (config.StopSignal !== undefined) out.StopSignal = config.StopSignal;
  return out;
}

function validatePort(port: string): void {
  const match = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(port);
  if (!match || Number(match[1]) < 1 || Number(match[1]) > 65535) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `exposed ports are PORT[/tcp|udp|sctp], got ${JSON.stringify(port)}`,
    );
  }
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((k) => [k, record[k]!]),
  );
}

/** The image manifest JSON (application/vnd.oci.image.manifest.v1+json). */
export function manifestDocument(
  config: Descriptor,
  layers: Descriptor[],
  annotations?: Record<string, string>,
): Buffer {
  const doc = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: descriptorJson(config),
    layers: layers.map(descriptorJson),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations: sortedRecord(annotations) } : {}),
  };
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

/** An image index JSON (application/vnd.oci.image.index.v1+json): a layout's index.json or a multi-platform list. */
export function indexDocument(manifests: Descriptor[]): Buffer {
  const doc = { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: manifests.map(descriptorJson) };
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

/** The `oci-layout` file of an image layout directory. */
export function ociLayoutDocument(): Buffer {
  return Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }), 'utf8');
}

function descriptorJson(d: Descriptor): Record<string, unknown> {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.platform
      ? {
          platform: {
            architecture: d.platform.architecture,
            os: d.platform.os,
            ...(d.platform.variant !== undefined ? { variant: d.platform.variant } : {}),
          },
        }
      : {}),
    ...(d.annotations ? { annotations: sortedRecord(d.annotations) } : {}),
  };
}
