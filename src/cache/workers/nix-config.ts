import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { KilnError } from '../../errors/index.js';
import { parsePublicKey } from '../formats/signing.js';
import { assertCacheName } from '../warehouse/names.js';

/**
 * Seed 002's `configureCacheForWorker` options, under the same names: what an admin sets for one
 * worker, stored centrally (`worker-cache:<id>`) and applied by that worker when it starts.
 */
export const WorkerCacheOptionsSchema = Type.Object(
  {
    cacheUrl: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description: 'An external binary cache; defaults to the worker’s NIX_CACHE_URL.',
      }),
    ),
    enableLocalCache: Type.Optional(
      Type.Boolean({
        description: 'Substitute from the deployment’s kiln warehouse (cache localCacheName).',
      }),
    ),
    localCacheName: Type.Optional(
      Type.String({ minLength: 1, maxLength: 63, description: 'The warehouse cache; default `local`.' }),
    ),
    enableSharedStore: Type.Optional(
      Type.Boolean({
        description:
          'true: the machine’s store; false: a private store DATA/workers/<id>/store; absent: left to the worker.',
      }),
    ),
    trustedPublicKeys: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 512 }), {
        maxItems: 64,
        description: 'Keys (`name:base64`) trusted besides the worker’s and the local cache’s.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type WorkerCacheOptions = Static<typeof WorkerCacheOptionsSchema>;

export interface WorkerNixConfig {
  substituters: string[];
  trustedPublicKeys: string[];
  /** Nix's `store` setting, when one is chosen. */
  store?: string;
  /** The nix.conf text. */
  text: string;
}

/** The local kiln cache a worker substitutes from: `<public URL>/cache/<name>` and its current keys. */
export interface LocalCacheRef {
  url: string;
  publicKeys: readonly string[];
}

export interface WorkerNixConfigInput {
  workerId: string;
  options: WorkerCacheOptions;
  /** The local cache, resolved, when enabled. */
  localCache?: LocalCacheRef;
  /** NIX_CACHE_URL, used when options.cacheUrl is absent. */
  upstreamUrl: string;
  /** Keys from the configuration (cache.trustedPublicKeys). */
  configuredKeys: readonly string[];
  /** DATA/workers/<id>/store, for a worker that does not share the store. */
  privateStoreDir: string;
}

const WORKER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isWorkerId(workerId: string): boolean {
  return WORKER_ID.test(workerId);
}

export function assertWorkerId(workerId: string): void {
  if (!isWorkerId(workerId))
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      'a worker id is 1-128 letters, digits, dots, dashes or underscores, starting with a letter or digit',
      { workerId: workerId.slice(0, 200) },
    );
}

function assertUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KilnError('KILN_ERR_VALIDATION', `'${url}' is not a URL`, { url });
  }
  if (!['http:', 'https:', 'file:', 's3:', 'ssh:', 'ssh-ng:'].includes(parsed.protocol) || /\s/.test(url))
    throw new KilnError('KILN_ERR_VALIDATION', `'${url}' is not a binary cache URL Nix can use`, { url });
}

function assertPublicKey(key: string): void {
  try {
    parsePublicKey(key);
  } catch (error) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `'${key}' is not a public key (name:base64)`,
      { key },
      { cause: error },
    );
  }
}

/** Checks what can be checked without the warehouse: the id, the URL, the keys, the cache name. */
export function checkWorkerCacheOptions(workerId: string, options: WorkerCacheOptions): void {
  assertWorkerId(workerId);
  if (options.cacheUrl !== undefined) assertUrl(options.cacheUrl);
  for (const key of options.trustedPublicKeys ?? []) assertPublicKey(key);
  if (options.localCacheName !== undefined) assertCacheName(options.localCacheName);
}

/** The warehouse cache a worker's options name as its local cache, when they enable one. */
export function localCacheNameOf(options: WorkerCacheOptions): string | undefined {
  return options.enableLocalCache ? (options.localCacheName ?? 'local') : undefined;
}

/**
 * The Nix settings of one worker, pure. The local kiln cache comes first; Nix still orders
 * substituters by the Priority each cache announces.
 */
export function planWorkerNixConfig(input: WorkerNixConfigInput): WorkerNixConfig {
  assertWorkerId(input.workerId);
  const { options } = input;
  const substituters: string[] = [];
  const keys: string[] = [...input.configuredKeys, ...(options.trustedPublicKeys ?? [])];
  if (options.enableLocalCache) {
    if (!input.localCache) throw new KilnError('KILN_ERR_INTERNAL', 'the local cache was not resolved');
    substituters.push(input.localCache.url);
    keys.push(...input.localCache.publicKeys);
  }
  const external = options.cacheUrl ?? (input.upstreamUrl === '' ? undefined : input.upstreamUrl);
  if (external !== undefined) substituters.push(external);
  for (const url of substituters) assertUrl(url);
  for (const key of keys) assertPublicKey(key);
  const trustedPublicKeys = [...new Set(keys)];
  const uniqueSubstituters = [...new Set(substituters)];
  // A shared store is the machine's own (single-user Nix: `local`); a private one is a chroot
  // store that only this worker's builds use, at the cost of fetching everything again.
  const store =
    options.enableSharedStore === undefined
      ? undefined
      : options.enableSharedStore
        ? 'local'
        : input.privateStoreDir;
  const lines = [
    `# Written by kiln for worker ${input.workerId}; use with NIX_CONF_DIR=<this directory>.`,
    `substituters = ${uniqueSubstituters.join(' ')}`,
    `trusted-public-keys = ${trustedPublicKeys.join(' ')}`,
    ...(store === undefined ? [] : [`store = ${store}`]),
  ];
  return {
    substituters: uniqueSubstituters,
    trustedPublicKeys,
    ...(store !== undefined && { store }),
    text: `${lines.join('\n')}\n`,
  };
}

/** `http://HOST:PORT` of a listen address as a process on the same machine reaches it. */
export function reachableListenUrl(listen: { host: string; port: number }): string {
  const { host, port } = listen;
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host;
  return `http://${reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * Where a worker reaches the warehouse's cache `name`: the deployment's public URL (publicUrl,
 * KILN_PUBLIC_URL) when set; else, in a process that serves the caches itself on a fixed port,
 * its own listen address. A worker-only process has no cache routes, so it needs the public URL.
 */
export function localCacheUrl(
  config: { publicUrl: string; listen: { host: string; port: number } },
  servesCache: boolean,
  name: string,
): string {
  const path = `/cache/${encodeURIComponent(name)}`;
  if (config.publicUrl !== '') return `${config.publicUrl.replace(/\/+$/, '')}${path}`;
  if (servesCache && config.listen.port !== 0) return `${reachableListenUrl(config.listen)}${path}`;
  throw new KilnError(
    'KILN_ERR_CONFIG',
    `this worker's central cache settings use the local cache '${name}', but it does not know the ` +
      "warehouse's URL: set publicUrl (KILN_PUBLIC_URL) to the URL the API or cache node serves",
    { cache: name },
  );
}

/** What a worker's own configuration says about Nix (a subset of KilnConfig). */
export interface WorkerNixConfigSource {
  dataDir: string;
  nodeId: string;
  nix: { store: string };
  cache: { substituters: readonly string[]; trustedPublicKeys: readonly string[] };
  upstreamCache: { url: string };
}

/** A worker's central settings as read from the store, with its local cache resolved if enabled. */
export interface CentralWorkerCache {
  options: WorkerCacheOptions;
  localCache?: LocalCacheRef;
}

export type NixSettingOrigin = 'configuration' | 'central' | 'default';

export interface EffectiveWorkerNixSettings {
  substituters: string[];
  trustedPublicKeys: string[];
  /** Nix's --store for the runner; '' is the machine's store. */
  store: string;
  origin: { substituters: NixSettingOrigin; store: NixSettingOrigin };
}

/**
 * The Nix settings a worker runs with, pure: what its own configuration sets explicitly (flags,
 * environment: `--nix-store`/KILN_NIX_STORE, `--substituter`/KILN_SUBSTITUTERS/NIX_CACHE_URL) wins;
 * what it leaves unset comes from its central settings. Substituters and their keys go together:
 * when the central substituters are used, the worker's own trusted keys are trusted too.
 */
export function effectiveWorkerNixSettings(
  config: WorkerNixConfigSource,
  central: CentralWorkerCache | undefined,
): EffectiveWorkerNixSettings {
  const own = {
    substituters: [...config.cache.substituters],
    trustedPublicKeys: [...config.cache.trustedPublicKeys],
  };
  if (!central) {
    const origin = (set: boolean): NixSettingOrigin => (set ? 'configuration' : 'default');
    return {
      ...own,
      store: config.nix.store,
      origin: { substituters: origin(own.substituters.length > 0), store: origin(config.nix.store !== '') },
    };
  }
  const planned = planWorkerNixConfig({
    workerId: config.nodeId,
    options: central.options,
    ...(central.localCache && { localCache: central.localCache }),
    upstreamUrl: config.upstreamCache.url,
    configuredKeys: config.cache.trustedPublicKeys,
    privateStoreDir: join(config.dataDir, 'workers', config.nodeId, 'store'),
  });
  const ownSubstituters = own.substituters.length > 0;
  const substituters = ownSubstituters
    ? { values: own, origin: 'configuration' as const }
    : planned.substituters.length > 0
      ? { values: planned, origin: 'central' as const }
      : { values: own, origin: 'default' as const };
  const store =
    config.nix.store !== ''
      ? { value: config.nix.store, origin: 'configuration' as const }
      : planned.store !== undefined
        ? // `local` is the machine's store, which the runner uses when given no --store.
          { value: planned.store === 'local' ? '' : planned.store, origin: 'central' as const }
        : { value: '', origin: 'default' as const };
  return {
    substituters: [...substituters.values.substituters],
    trustedPublicKeys: [...substituters.values.trustedPublicKeys],
    store: store.value,
    origin: { substituters: substituters.origin, store: store.origin },
  };
}
