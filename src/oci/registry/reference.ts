import { isIP } from 'node:net';
import { KilnError } from '../../errors/index.js';

/** `REGISTRY/REPO[:TAG][@DIGEST]`, split and validated (the distribution spec's grammar). */
export interface ImageReference {
  /** `host[:port]` as written (IPv6 in brackets), e.g. `127.0.0.1:5000`. */
  registry: string;
  /** The repository name inside the registry, e.g. `team/app`. */
  repository: string;
  /** `latest` when neither a tag nor a digest was written. */
  tag: string | undefined;
  digest: string | undefined;
}

export const DEFAULT_TAG = 'latest';

// The distribution spec's repository name: path components of lowercase alphanumerics joined by
// `.`, `_`, `__` or runs of `-`, separated by `/`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };
const HOSTNAME_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
/** The reference grammar's limit on the whole name (registry and repository). */
const NAME_MAX = 255;

function invalid(reference: string, why: string): KilnError {
  return new KilnError('KILN_ERR_VALIDATION', `invalid image reference '${reference}': ${why}`, {
    reference,
  });
}

export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= NAME_MAX && name.split('/').every((c) => PATH_COMPONENT.test(c));
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** `sha256:<64 hex>` or `sha512:<128 hex>`; other algorithms by the generic grammar. */
export function isValidDigest(digest: string): boolean {
  const match = DIGEST.exec(digest);
  if (!match) return false;
  const length = HEX_LENGTH[match[1]!];
  return length === undefined || new RegExp(`^[a-f0-9]{${length}}$`).test(match[2]!);
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`, with a valid host and port. */
export function isValidRegistryHost(registry: string): boolean {
  const { host, port } = splitHostPort(registry);
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) > 0 && Number(port) < 65536))
    return false;
  if (registry.startsWith('[')) return isIP(host) === 6;
  if (isIP(host) === 4) return true;
  return host.length > 0 && host.length <= 253 && host.split('.').every((l) => HOSTNAME_LABEL.test(l));
}

/** Splits `host:port` (brackets removed from an IPv6 host). */
export function splitHostPort(registry: string): { host: string; port: string | undefined } {
  if (registry.startsWith('[')) {
    const close = registry.indexOf(']');
    if (close < 0) return { host: '', port: undefined };
    const rest = registry.slice(close + 1);
    return { host: registry.slice(1, close), port: rest.startsWith(':') ? rest.slice(1) : rest || undefined };
  }
  const colon = registry.lastIndexOf(':');
  return colon < 0
    ? { host: registry, port: undefined }
    : { host: registry.slice(0, colon), port: registry.slice(colon + 1) };
}

/** As Docker decides: the first component names a registry if it has a dot, a port or is localhost. */
function looksLikeRegistry(component: string): boolean {
  return (
    component.includes('.') ||
    component.includes(':') ||
    component.startsWith('[') ||
    component === 'localhost'
  );
}

/**
 * Parses `REGISTRY/REPO[:TAG][@DIGEST]`. Without a registry component, `defaultRegistry` (from
 * DOCKER_REGISTRY_URL, say) is used, or the reference is rejected: kiln never guesses docker.io.
 */
export function parseImageReference(reference: string, defaultRegistry?: string): ImageReference {
  if (reference.trim() !== reference || reference.length === 0) throw invalid(reference, 'empty or padded');
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isValidDigest(digest)) throw invalid(reference, `'${digest}' is not a digest (sha256:<64 hex>)`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) {
      throw invalid(reference, `tag '${tag}' must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`);
    }
  }
  const slash = rest.indexOf('/');
  let registry: string;
  let repository: string;
  if (slash > 0 && looksLikeRegistry(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    repository = rest.slice(slash + 1);
  } else if (defaultRegistry !== undefined) {
    registry = defaultRegistry;
    repository = rest;
  } else {
    throw invalid(reference, 'it must start with a registry (REGISTRY/REPO[:TAG])');
  }
  if (!isValidRegistryHost(registry)) throw invalid(reference, `'${registry}' is not a registry host[:port]`);
  if (registry.length + 1 + repository.length > NAME_MAX)
    throw invalid(reference, `name longer than ${NAME_MAX}`);
  if (!isValidRepositoryName(repository)) {
    throw invalid(
      reference,
      `repository '${repository}' must be lowercase components [a-z0-9] joined by '.', '_', '__' or '-', separated by '/'`,
    );
  }
  if (registry.length + 1 + repository.length > NAME_MAX)
    throw invalid(reference, `name longer than ${NAME_MAX}`);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { registry, repository, tag, digest };
}

export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** localhost, 127.0.0.0/8 and ::1: the registries Docker talks to over plain HTTP unasked. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = splitHostPort(registry).host.toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * `http` for loopback registries and for those in `insecureRegistries` (entries are `host:port`,
 * or a bare host matching every port), `https` otherwise.
 */
export function registryScheme(
  registry: string,
  insecureRegistries: readonly string[] = [],
): 'http' | 'https' {
  if (isLoopbackRegistry(registry)) return 'http';
  const { host } = splitHostPort(registry);
  const insecure = insecureRegistries.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e === registry.toLowerCase() || e === host.toLowerCase() || e === `[${host.toLowerCase()}]`;
  });
  return insecure ? 'http' : 'https';
}
