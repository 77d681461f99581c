import { Type, type Static } from '@sinclair/typebox';
import { CacheStorageSchema } from './cache-storage-schema.js';

/** The one configuration schema. Everything kiln can be told lives here. */
export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1, description: 'All state lives under this directory.' }),
    listen: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 7070 }),
      },
      { additionalProperties: false, default: {} },
    ),
    publicUrl: Type.String({
      default: '',
      description:
        'The URL people reach kiln at (links in notifications and commit statuses); default http://HOST:PORT of listen.',
    }),
    nix: Type.Object(
      {
        binDir: Type.String({
          default: '/usr/bin',
          description: 'Where nix-build, nix-store, nix-instantiate live.',
        }),
        sandbox: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], {
          default: 'auto',
        }),
        sandboxShell: Type.String({ default: '/bin/busybox' }),
        extraPlatforms: Type.Array(Type.String(), { default: ['i686-linux'] }),
        nixPath: Type.String({ default: '', description: 'NIX_PATH given to evaluations.' }),
        cores: Type.Integer({ minimum: 0, default: 0 }),
        store: Type.String({
          default: '',
          description:
            "This worker's own Nix store (Nix's --store: a chroot store directory or a store URL such as local?root=DIR); empty: the machine's store.",
        }),
        builders: Type.String({
          default: '',
          description:
            'Nix remote builders: machines-file text (lines or ;-separated) or the absolute path of a machines file; empty: build locally only.',
        }),
        buildersUseSubstitutes: Type.Boolean({
          default: true,
          description:
            'Remote builders fetch inputs from the substituters themselves (builders-use-substitutes).',
        }),
        sshOptions: Type.String({
          default: '',
          description: "NIX_SSHOPTS for the builders' ssh (e.g. -p 2222: Nix 2.8's ssh URIs carry no port).",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    builds: Type.Object(
      {
        workspaceDir: Type.String({
          default: '',
          description: 'Defaults to DATA/workspace (NIX_BUILD_WORKSPACE).',
        }),
        defaultTimeoutSeconds: Type.Integer({ minimum: 1, default: 1800 }),
        maxTimeoutSeconds: Type.Integer({ minimum: 1, default: 3600 }),
        maxSilentSeconds: Type.Integer({ minimum: 0, default: 0, description: '0 means no silence limit.' }),
        maxExpressionBytes: Type.Integer({ minimum: 1, default: 1024 * 1024 }),
        logCapBytes: Type.Integer({ minimum: 4096, default: 64 * 1024 * 1024 }),
        concurrency: Type.Integer({ minimum: 1, default: 2 }),
        recovery: Type.Union([Type.Literal('requeue'), Type.Literal('fail')], { default: 'requeue' }),
        maxAttempts: Type.Integer({ minimum: 1, default: 3 }),
        cancelGraceMs: Type.Integer({ minimum: 0, default: 2000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    queue: Type.Object(
      {
        leaseMs: Type.Integer({ minimum: 1000, default: 30_000 }),
        heartbeatMs: Type.Integer({ minimum: 100, default: 5_000 }),
        pollMs: Type.Integer({ minimum: 10, default: 1_000 }),
        workerTimeoutMs: Type.Integer({
          minimum: 1000,
          default: 60_000,
          description: 'A registered worker is alive while its last heartbeat is at most this old.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    api: Type.Object(
      {
        bodyLimitBytes: Type.Integer({ minimum: 1024, default: 16 * 1024 * 1024 }),
      },
      { additionalProperties: false, default: {} },
    ),
    database: Type.Object(
      {
        url: Type.String({
          default: '',
          description:
            'PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DB) for builds, logs, tokens and caches; empty: SQLite at DATA_DIR/kiln.db.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    cache: Type.Object(
      {
        storageDir: Type.String({
          default: '',
          description: 'Where the warehouse keeps NARs and logs; defaults to DATA/warehouse.',
        }),
        storage: CacheStorageSchema,
        priority: Type.Integer({
          minimum: 0,
          default: 41,
          description: 'Priority announced in nix-cache-info by new caches (cache.nixos.org uses 40).',
        }),
        keyOverlapSeconds: Type.Integer({
          minimum: 0,
          default: 7 * 86400,
          description: 'After a key rotation the old key keeps signing this long, then retires.',
        }),
        gcIntervalSeconds: Type.Integer({
          minimum: 0,
          default: 3600,
          description: 'How often caches with a retention are collected; 0 turns the periodic run off.',
        }),
        maxUploadBytes: Type.Integer({ minimum: 1024, default: 16 * 1024 * 1024 * 1024 }),
        substituters: Type.Array(Type.String(), {
          default: [],
          description: 'Binary caches builds substitute from (NIX_CACHE_URL is added when set).',
        }),
        trustedPublicKeys: Type.Array(Type.String(), { default: [] }),
        pushConcurrency: Type.Integer({ minimum: 1, default: 8 }),
        pushByService: Type.Record(Type.String(), Type.String(), {
          default: {},
          description: 'The cache each service’s builds push to when a build names none.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    git: Type.Object(
      {
        allowLocal: Type.Boolean({
          default: false,
          description:
            'Accept file:// URLs and local paths as repositories (off: users could read server files).',
        }),
        allowedHosts: Type.Array(Type.String(), {
          default: [],
          description: 'When not empty, the only hosts builds may clone from.',
        }),
        knownHostsFile: Type.String({
          default: '',
          description: 'known_hosts for SSH clones (strict host key checking); defaults to DATA/known_hosts.',
        }),
        depth: Type.Integer({
          minimum: 0,
          default: 1,
          description: 'Clone depth; 0 clones the full history.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Seed 002's registry and cache settings; consumed by later bounded contexts. */
    registry: Type.Object(
      {
        url: Type.String({ default: '' }),
        username: Type.String({ default: '' }),
        password: Type.String({ default: '' }),
        insecure: Type.Array(Type.String(), {
          default: [],
          description: 'Registries spoken to over plain HTTP besides loopback ones (host:port).',
        }),
        maxLayers: Type.Integer({ minimum: 2, maximum: 125, default: 100 }),
        compression: Type.Union([Type.Literal('gzip'), Type.Literal('zstd')], {
          default: 'gzip',
          description: 'How image layers are compressed; zstd needs a runtime that reads tar+zstd layers.',
        }),
        attempts: Type.Integer({
          minimum: 1,
          maximum: 20,
          default: 6,
          description: 'Tries per registry request (5xx, 429, connection errors) before giving up.',
        }),
        retryBaseDelayMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 250 }),
        fallbackUrl: Type.String({
          default: '',
          description:
            'A registry (host:port) images go to when the primary stays down after its retries; same repository and tags.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Deploy hooks: the POST after a build's image is pushed, signed so receivers can trust it. */
    deploy: Type.Object(
      {
        secret: Type.String({
          default: '',
          description:
            'HMAC-SHA256 key of the X-Kiln-Signature-256 header; builds with a deploy hook are refused without one.',
        }),
        attempts: Type.Integer({ minimum: 1, maximum: 20, default: 5 }),
        attemptTimeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
        baseDelayMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 500 }),
      },
      { additionalProperties: false, default: {} },
    ),
    upstreamCache: Type.Object(
      {
        url: Type.String({ default: '' }),
        localCacheDir: Type.String({ default: '' }),
      },
      { additionalProperties: false, default: {} },
    ),
    nodeId: Type.String({ minLength: 1, default: 'local' }),
    role: Type.Union(
      [Type.Literal('all'), Type.Literal('api'), Type.Literal('worker'), Type.Literal('cache')],
      {
        default: 'all',
        description:
          'all: everything in one process; api: HTTP API and web UI, no builds; worker: build workers (and /healthz); cache: the binary cache routes only.',
      },
    ),
  },
  { additionalProperties: false },
);

export type KilnConfig = Static<typeof ConfigSchema>;

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};
export type ConfigInput = DeepPartial<KilnConfig> & { dataDir: string };
