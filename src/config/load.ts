import { availableParallelism, hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { KilnError } from '../errors/index.js';
import { ConfigSchema, type ConfigInput, type KilnConfig } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function intFromEnv(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw))
    throw new KilnError('KILN_ERR_CONFIG', `${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** `1` or `0` (unset or empty: not given). */
function flagFromEnv(env: Env, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw !== '0' && raw !== '1')
    throw new KilnError('KILN_ERR_CONFIG', `${name} must be 0 or 1, got ${JSON.stringify(raw)}`);
  return raw === '1';
}

/** Settings taken from the environment: seed 002's variable names plus KILN_* ones. */
function fromEnv(env: Env): Record<string, unknown> {
  const pick = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  return {
    publicUrl: pick('KILN_PUBLIC_URL'),
    builds: {
      workspaceDir: pick('NIX_BUILD_WORKSPACE'),
      defaultTimeoutSeconds: intFromEnv(env, 'KILN_DEFAULT_TIMEOUT'),
      maxTimeoutSeconds: intFromEnv(env, 'KILN_MAX_TIMEOUT'),
      concurrency: intFromEnv(env, 'KILN_CONCURRENCY'),
      recovery: pick('KILN_RECOVERY'),
      logCapBytes: intFromEnv(env, 'KILN_LOG_CAP_BYTES'),
      maxAttempts: intFromEnv(env, 'KILN_MAX_ATTEMPTS'),
    },
    // Many workers: leases, heartbeats and the registry's timeout (short ones in tests).
    queue: {
      leaseMs: intFromEnv(env, 'KILN_LEASE_MS'),
      heartbeatMs: intFromEnv(env, 'KILN_HEARTBEAT_MS'),
      pollMs: intFromEnv(env, 'KILN_POLL_MS'),
      workerTimeoutMs: intFromEnv(env, 'KILN_WORKER_TIMEOUT_MS'),
    },
    role: pick('KILN_ROLE'),
    nodeId: pick('KILN_NODE_ID'),
    database: { url: pick('KILN_DATABASE_URL') },
    registry: {
      url: pick('DOCKER_REGISTRY_URL'),
      username: pick('DOCKER_REGISTRY_USERNAME'),
      password: pick('DOCKER_REGISTRY_PASSWORD'),
      compression: pick('KILN_IMAGE_COMPRESSION'),
      fallbackUrl: pick('KILN_REGISTRY_FALLBACK_URL'),
    },
    deploy: { secret: pick('KILN_DEPLOY_SECRET') },
    upstreamCache: { url: pick('NIX_CACHE_URL'), localCacheDir: pick('NIX_LOCAL_CACHE_DIR') },
    // Space-separated, as in nix.conf: binary caches builds substitute from and the keys they sign with.
    cache: {
      substituters: pick('KILN_SUBSTITUTERS')?.split(/\s+/).filter(Boolean),
      trustedPublicKeys: pick('KILN_TRUSTED_PUBLIC_KEYS')?.split(/\s+/).filter(Boolean),
      // KILN_CACHE_S3_* put the warehouse in a bucket (a bucket name turns it on); credentials and
      // region from the AWS SDK's standard variables. Config values take precedence.
      storage: {
        kind: pick('KILN_CACHE_S3_BUCKET') === undefined ? undefined : 's3',
        bucket: pick('KILN_CACHE_S3_BUCKET'),
        endpoint: pick('KILN_CACHE_S3_ENDPOINT'),
        prefix: pick('KILN_CACHE_S3_PREFIX'),
        forcePathStyle: flagFromEnv(env, 'KILN_CACHE_S3_PATH_STYLE'),
        presignDownloads: flagFromEnv(env, 'KILN_CACHE_S3_PRESIGN'),
        region: pick('AWS_REGION'),
        accessKeyId: pick('AWS_ACCESS_KEY_ID'),
        secretAccessKey: pick('AWS_SECRET_ACCESS_KEY'),
      },
    },
    nix: {
      nixPath: pick('NIX_PATH'),
      store: pick('KILN_NIX_STORE'),
      builders: pick('KILN_BUILDERS'),
      sshOptions: pick('NIX_SSHOPTS'),
    },
    git: {
      allowLocal:
        pick('KILN_GIT_ALLOW_LOCAL') === undefined ? undefined : pick('KILN_GIT_ALLOW_LOCAL') === '1',
    },
  };
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prev = out[key];
    if (value && typeof value === 'object' && !Array.isArray(value) && prev && typeof prev === 'object') {
      out[key] = merge(prev as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** A store given as a directory (a chroot store), not a URL nor one of Nix's store names. */
function isStoreDirectory(store: string): boolean {
  return !/[:?]/.test(store) && !['auto', 'daemon', 'local'].includes(store);
}

/**
 * Builds the one frozen configuration: schema defaults, then the environment, then explicit input
 * (command-line flags or library options). This is the only place that reads the environment.
 */
export function loadConfig(input: ConfigInput, env: Env = process.env): KilnConfig {
  const candidate = merge(
    merge({ builds: { concurrency: availableParallelism() }, nodeId: hostname() || 'local' }, fromEnv(env)),
    input,
  );
  const withDefaults = Value.Default(ConfigSchema, Value.Clone(candidate));
  if (!Value.Check(ConfigSchema, withDefaults)) {
    const problems = [...Value.Errors(ConfigSchema, withDefaults)].map(
      (e) => `${e.path || '/'}: ${e.message}`,
    );
    throw new KilnError('KILN_ERR_CONFIG', `invalid configuration: ${problems.join('; ')}`, { problems });
  }
  const config: KilnConfig = withDefaults;
  config.dataDir = resolve(config.dataDir);
  if (config.builds.workspaceDir === '') config.builds.workspaceDir = join(config.dataDir, 'workspace');
  else if (!isAbsolute(config.builds.workspaceDir))
    config.builds.workspaceDir = resolve(config.builds.workspaceDir);
  if (config.git.knownHostsFile === '') config.git.knownHostsFile = join(config.dataDir, 'known_hosts');
  if (config.nix.store !== '' && isStoreDirectory(config.nix.store))
    config.nix.store = resolve(config.nix.store);
  if (config.cache.storageDir === '') config.cache.storageDir = join(config.dataDir, 'warehouse');
  else if (!isAbsolute(config.cache.storageDir)) config.cache.storageDir = resolve(config.cache.storageDir);
  checkCacheStorage(config);
  // The URL itself is not quoted: it may hold a password.
  if (config.database.url !== '' && !/^postgres(ql)?:\/\//.test(config.database.url)) {
    throw new KilnError('KILN_ERR_CONFIG', 'database.url must be a postgres:// or postgresql:// URL');
  }
  // Seed 002's NIX_CACHE_URL: an external cache builds substitute from.
  if (config.upstreamCache.url !== '' && !config.cache.substituters.includes(config.upstreamCache.url)) {
    config.cache.substituters = [...config.cache.substituters, config.upstreamCache.url];
  }
  if (config.builds.defaultTimeoutSeconds > config.builds.maxTimeoutSeconds) {
    throw new KilnError(
      'KILN_ERR_CONFIG',
      'builds.defaultTimeoutSeconds must not exceed builds.maxTimeoutSeconds',
    );
  }
  return deepFreeze(config);
}

/** S3 storage needs a bucket, and an access key comes with its secret. */
function checkCacheStorage(config: KilnConfig): void {
  const storage = config.cache.storage;
  if (storage.kind !== 's3') return;
  if (storage.region === '') storage.region = 'us-east-1';
  if (storage.bucket === '')
    throw new KilnError('KILN_ERR_CONFIG', 'cache.storage.bucket is required when cache.storage.kind is s3');
  if ((storage.accessKeyId === '') !== (storage.secretAccessKey === ''))
    throw new KilnError(
      'KILN_ERR_CONFIG',
      'cache.storage.accessKeyId and secretAccessKey go together (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
    );
  if (storage.endpoint !== '' && !/^https?:\/\/[^/]/.test(storage.endpoint))
    throw new KilnError('KILN_ERR_CONFIG', 'cache.storage.endpoint must be an http(s) URL');
}
