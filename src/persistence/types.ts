/**
 * The narrow persistence contract. Every backend (SQLite now, PostgreSQL later) implements it and
 * passes the one conformance suite in test/conformance/store-conformance.ts. All methods are async so that network
 * backends fit the same shape. Times are epoch milliseconds.
 */

import type { CacheRepo } from './cache-types.js';
import type { NodeSignals } from './signal-types.js';
import type { WorkerRepo } from './worker-types.js';

export type * from './cache-types.js';
export type * from './worker-types.js';
export * from './signal-types.js';

export const BUILD_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'superseded',
  'dependency_failed',
] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];
export const TERMINAL_STATUSES: readonly BuildStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'superseded',
  'dependency_failed',
];

/** Flake output sets a matrix evaluates (all three unless a project chooses). */
export const FLAKE_OUTPUT_SETS = ['packages', 'checks', 'devShells'] as const;
export type FlakeOutputSet = (typeof FLAKE_OUTPUT_SETS)[number];

/**
 * What a matrix (evaluation) build expands to: every derivation of the chosen flake output sets,
 * or of the listed attribute paths, for each system. One child build per derivation.
 */
export interface MatrixSpec {
  /** Flake output sets to enumerate (ignored when `attrs` is not empty). */
  sets: FlakeOutputSet[];
  /** Explicit attribute paths (flake: `packages.x86_64-linux.hello` or a bare name; default.nix: `-A` paths). */
  attrs: string[];
  systems: string[];
}

/** Who or what started a build. */
export interface BuildTrigger {
  kind: 'api' | 'cli' | 'ui' | 'push' | 'tag' | 'manual' | 'version-sync';
  /** The token's description, or the forge user who pushed; null when unknown. */
  actor: string | null;
  forge?: 'github' | 'gitlab' | 'gitea' | undefined;
  deliveryId?: string | undefined;
}

/** A concurrency group's policy (GitHub Actions semantics); the key is compared case-insensitively. */
export interface ConcurrencyPolicy {
  key: string;
  /** `replace`: at most one pending run, a newer one supersedes it; `queue`: every run waits its turn. */
  mode: 'replace' | 'queue';
  /** Also cancel the run in progress when a new one arrives. */
  cancelInProgress: boolean;
}

export type BuildSource =
  | { kind: 'expr'; expression: string; fileName?: string | undefined }
  | {
      kind: 'git';
      url: string;
      ref?: string | undefined;
      attr?: string | undefined;
      /** A matrix build: evaluates to child builds (one per derivation) instead of building. */
      matrix?: MatrixSpec | undefined;
    }
  | { kind: 'template'; name: string; version?: string | undefined; values: Record<string, string> }
  /** A version sync's run: the named sync's file bumped to `version` and pushed as a branch. */
  | { kind: 'bump'; sync: string; version: string; tag?: string | undefined };

/** What a bump build proved (the bump's evidence), kept on its record. */
export interface BuildBump {
  oldVersion: string;
  newVersion: string;
  /** Every fixed-output hash of the file: where, old and new value, how it was found, checked by Nix. */
  hashes: { path: string; old: string | null; new: string; method: string; verified: boolean }[];
  /** Nix's hash mismatch reports on the way, in order. */
  mismatches: { drv: string; specified: string; got: string }[];
  /** Hashes the stale-hash guard found wrong and corrected. */
  staleHashes: string[];
  /** The built outputs. */
  outputs: string[];
  /** The smoke command's evidence, when one ran. */
  verify: { command: string; exitCode: number | null; output: string[] } | null;
  /** The branch pushed and its commit; null unless the push succeeded. */
  branch: string | null;
  commit: string | null;
  /** Unified diff of the file. */
  diff: string;
}

/** An image pushed for a build. Digests are `sha256:<hex>`; sizes in bytes (compressed). */
export interface BuildImage {
  /** `REGISTRY/REPO:TAG` as asked for. */
  ref: string;
  /** The manifest digest the registry holds. */
  digest: string;
  /** Every tag pointing at it: the user's, the build id and a UTC timestamp. */
  tags: string[];
  layers: { digest: string; size: number }[];
  size: number;
  /** Blob bytes actually sent (what the registry lacked). */
  bytesUploaded: number;
  pushDurationMs: number;
  /** Bytes of the image manifest (an index entry needs them). */
  manifestSize?: number | undefined;
  /** Set when the primary registry stayed down and the image went to the configured fallback. */
  fallback?: boolean | undefined;
  /** The `current` tag points at this image: every step of the build, deploy included, succeeded. */
  current?: boolean | undefined;
  /** Multi-system builds: the image index over every system's image, once all are pushed. */
  index?: BuildImageIndex | undefined;
}

/** The image index of a build group (one image per system), pushed under the user's tags. */
export interface BuildImageIndex {
  ref: string;
  digest: string;
  tags: string[];
  platforms: string[];
}

/** The image's runtime settings a submission may set (OCI config: Entrypoint, Cmd, ...). */
export interface ImageConfig {
  entrypoint?: string[] | undefined;
  cmd?: string[] | undefined;
  /** `KEY=VALUE`, added after kiln's `PATH=/bin`. */
  env?: string[] | undefined;
  workingDir?: string | undefined;
  /** `8080/tcp`, `53/udp` (a bare port means tcp). */
  exposedPorts?: string[] | undefined;
  user?: string | undefined;
}

/** The deploy hook's delivery, once it is made. */
export interface BuildDeploy {
  /** The hook's URL with any userinfo and query removed. */
  url: string;
  deliveryId: string;
  /** HTTP status of the accepted attempt. */
  status: number;
  attempts: number;
  durationMs: number;
}

/** The commit a Git build used. `date` is ISO 8601 (the author date). */
export interface BuildCommit {
  sha: string;
  branch: string | null;
  author: string;
  authorEmail: string;
  date: string;
  subject: string;
}

export interface BuildProgress {
  /** Derivations built so far / expected in total (Nix's actBuilds progress). */
  done: number;
  expected: number;
  running: number;
  failed: number;
  /** Latest phase announced by a builder (stdenv's setPhase), if any. */
  phase: string | null;
  /** Derivation currently being built, if any. */
  activeDrv: string | null;
}

export interface BuildRecord {
  id: string;
  /** Monotonic insertion order; FIFO tie-breaker within a priority. */
  seq: number;
  status: BuildStatus;
  source: BuildSource;
  /** Variables injected into the top-level derivation's builder environment. */
  env: Record<string, string>;
  system: string | null;
  groupId: string | null;
  serviceId: string | null;
  labels: Record<string, string>;
  priority: number;
  timeoutSeconds: number;
  maxSilentSeconds: number;
  /** Derivations evaluated at submission time. */
  drvPaths: string[];
  outputs: string[];
  /** Closure size of the outputs in bytes (`nix path-info -S`). */
  artifactSize: number | null;
  exitCode: number | null;
  error: string | null;
  /** Why a build ended the way it did, e.g. `interrupted`, `nix-timeout`, `silent-timeout`. */
  reason: string | null;
  progress: BuildProgress;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  cancelRequestedAt: number | null;
  attempts: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** Process group of the Nix process running this build, for recovery after a crash. */
  runnerPid: number | null;
  runnerStartTime: string | null;
  /** Cache the outputs' closure is pushed to after a successful build (`--push CACHE`). */
  pushCache: string | null;
  /** Store paths Nix took from a substituter during the build. */
  substituted: string[];
  /** Derivations Nix built (the rest came from the store or a substituter). */
  built: string[];
  /** Store paths this build uploaded to `pushCache` (paths the cache had already are not listed). */
  pushed: string[];
  /** Git builds: the commit built (the SHA is known at submission, the rest after the clone). */
  commit: BuildCommit | null;
  /** True when the result was answered from an earlier build without running Nix. */
  cached: boolean;
  /** What identical builds share (repository, commit, attribute, system, options); null: never reused. */
  cacheKey: string | null;
  /** The build's credentials, sealed by the caller; cleared when the build ends. Never shown. */
  secrets: string | null;
  /** `REGISTRY/REPO[:TAG]` to push an image of the outputs to, if asked. */
  imageRef: string | null;
  /** The image pushed, once it is. */
  image: BuildImage | null;
  /** Runtime settings for the image (Entrypoint, Cmd, ...), as submitted. */
  imageConfig: ImageConfig | null;
  /** URL POSTed to (signed) after the image is pushed; the `current` tag moves only if it accepts. */
  deployHook: string | null;
  /** The deploy hook's accepted delivery. */
  deploy: BuildDeploy | null;
  /** Bump builds (version syncs): the evidence of the bump. */
  bump: BuildBump | null;
  /** The project (by name) the build belongs to, if any. */
  projectId: string | null;
  /** Who or what started it. */
  trigger: BuildTrigger | null;
  /** The concurrency group (lower-cased key); null: no group. */
  concurrencyKey: string | null;
  /** The run's order within its concurrency group: the seq of the run's first build. */
  runSeq: number | null;
  /** Builds of the same group that must succeed first (a matrix child's dependencies). */
  dependsOn: string[];
  /** A matrix child: the attribute path it builds (`checks.x86_64-linux.test`). */
  attrPath: string | null;
}

export type NewBuild = Pick<
  BuildRecord,
  | 'id'
  | 'source'
  | 'env'
  | 'system'
  | 'groupId'
  | 'serviceId'
  | 'labels'
  | 'priority'
  | 'timeoutSeconds'
  | 'maxSilentSeconds'
  | 'drvPaths'
  | 'createdAt'
> & {
  pushCache?: string | null | undefined;
  commit?: BuildCommit | null | undefined;
  cacheKey?: string | null | undefined;
  secrets?: string | null | undefined;
  imageRef?: string | null | undefined;
  imageConfig?: ImageConfig | null | undefined;
  deployHook?: string | null | undefined;
  projectId?: string | null | undefined;
  trigger?: BuildTrigger | null | undefined;
  concurrencyKey?: string | null | undefined;
  runSeq?: number | null | undefined;
  dependsOn?: string[] | undefined;
  attrPath?: string | null | undefined;
  /** Insert already finished (e.g. a matrix child whose outputs the cache has): status and result. */
  status?: BuildStatus | undefined;
  cached?: boolean | undefined;
  outputs?: string[] | undefined;
  reason?: string | null | undefined;
  finishedAt?: number | null | undefined;
};

/** Fields a worker or the service may change after insertion. */
export type BuildPatch = Partial<
  Pick<
    BuildRecord,
    | 'status'
    | 'outputs'
    | 'artifactSize'
    | 'exitCode'
    | 'error'
    | 'reason'
    | 'progress'
    | 'startedAt'
    | 'finishedAt'
    | 'durationMs'
    | 'cancelRequestedAt'
    | 'leaseOwner'
    | 'leaseExpiresAt'
    | 'runnerPid'
    | 'runnerStartTime'
    | 'substituted'
    | 'built'
    | 'pushed'
    | 'commit'
    | 'cached'
    | 'secrets'
    | 'drvPaths'
    | 'image'
    | 'imageRef'
    | 'deploy'
    | 'bump'
  >
>;

/** Conditions for a compare-and-set update; all given ones must hold. */
export interface BuildPrecondition {
  status?: readonly BuildStatus[];
  leaseOwner?: string;
}

export interface BuildQuery {
  status?: readonly BuildStatus[];
  serviceId?: string;
  groupId?: string;
  projectId?: string;
  /** The commit's branch (Git builds). */
  branch?: string;
  /** Builds with seq below this (newest first paging). */
  beforeSeq?: number;
  limit: number;
}

export interface BuildStep {
  buildId: string;
  name: string;
  startedAt: number;
  finishedAt: number | null;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  detail: string | null;
}

export interface BuildAggregate {
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  timedOut: number;
  superseded: number;
  dependencyFailed: number;
  pending: number;
  running: number;
  /** Averages over succeeded builds; null when there are none. */
  averageDurationMs: number | null;
  averageArtifactSize: number | null;
  /** Averages of `image.size` and `image.bytesUploaded` over succeeded builds that pushed an image; null when none did. */
  averageImageSize: number | null;
  averageImageBytesUploaded: number | null;
  /** Sum of running time of builds that overlap [since, now], clipped to that window. */
  busyMs: number;
}

/** `buckets` consecutive buckets of `bucketMs` from `since`; time after `now` counts as not yet passed. */
export interface TimelineQuery {
  since: number;
  bucketMs: number;
  buckets: number;
  now: number;
}

/** What happened to builds during [start, end) (epoch milliseconds). */
export interface BuildTimelineBucket {
  start: number;
  end: number;
  /** Builds that reached a terminal status in the bucket (every terminal status). */
  finished: number;
  succeeded: number;
  /** failed + timed_out + dependency_failed. */
  failed: number;
  /** cancelled + superseded: no verdict either way. */
  cancelled: number;
  /** Over succeeded builds that ran (not `cached`) and have a duration; null when none did. */
  averageDurationMs: number | null;
  /** Nearest-rank 95th percentile over the same builds. */
  p95DurationMs: number | null;
  /** Sum over builds of the time each spent pending within the bucket (up to `now`). */
  pendingMs: number;
  /** Sum over builds of the time each spent running within the bucket (up to `now`). */
  busyMs: number;
}

/** A Git repository kiln builds on push: what to build, where results go, its concurrency policy. */
export interface ProjectRecord {
  /** Unique name: lower-case letters, digits, `-`, `_`, `.`. */
  name: string;
  repoUrl: string;
  /** Branch glob patterns (`main`, `release/*`) whose pushes build; empty: none. */
  branches: string[];
  /** Tag glob patterns whose pushes build; empty: tags do not build. */
  tags: string[];
  build: ProjectBuildSpec;
  systems: string[];
  pushCache: string | null;
  /** `REGISTRY/REPO`: each build's outputs pushed as an image tagged with the branch. */
  imageRepo: string | null;
  deployHook: string | null;
  /** `group` may use `{project}`, `{branch}` and `{ref}`; default `{project}/{branch}`. */
  concurrency: { group: string; mode: 'replace' | 'queue'; cancelInProgress: boolean };
  /** URL POSTed (HMAC-signed) when a run finishes; commit statuses to GitHub or Gitea. */
  notify: { url: string | null; commitStatus: { forge: 'github' | 'gitea'; apiUrl: string } | null };
  timeoutSeconds: number | null;
  /**
   * Sealed by the caller (SecretBox), JSON of { token?, sshPrivateKey?, webhookSecret?,
   * notifySecret?, statusToken? }; never shown.
   */
  secrets: string | null;
  createdAt: number;
  updatedAt: number;
}

export type ProjectBuildSpec =
  | { kind: 'flake'; outputs: FlakeOutputSet[] }
  | { kind: 'attrs'; attrs: string[] }
  | { kind: 'template'; name: string; values: Record<string, string> };

export interface ProjectRepo {
  /** False (and nothing changes) when the name exists. */
  insert(project: ProjectRecord): Promise<boolean>;
  get(name: string): Promise<ProjectRecord | undefined>;
  list(): Promise<ProjectRecord[]>;
  /** Replaces the record; false when it does not exist. */
  update(project: ProjectRecord): Promise<boolean>;
  /** Deletes the project (its builds stay); false when it did not exist. */
  delete(name: string): Promise<boolean>;
  /** Records a webhook delivery id (keeping the newest `keep`); false when it was seen before (a replay). */
  recordDelivery(project: string, deliveryId: string, now: number, keep: number): Promise<boolean>;
}

export interface StatsQuery {
  serviceId?: string;
  label?: { key: string; value: string };
  /** Only builds created at or after this time. */
  since?: number;
  now: number;
}

/** Which builds `newestSucceededWithImage` looks at: the same scope as `aggregate`, without a clock. */
export type ImageScopeQuery = Omit<StatsQuery, 'now'>;

export interface BuildRepo {
  insert(build: NewBuild): Promise<BuildRecord>;
  get(id: string): Promise<BuildRecord | undefined>;
  list(query: BuildQuery): Promise<BuildRecord[]>;
  /** Conditional update; returns the updated record, or undefined if the build is missing or a precondition failed. */
  update(id: string, patch: BuildPatch, precondition?: BuildPrecondition): Promise<BuildRecord | undefined>;
  /**
   * Atomically takes the next pending build (highest priority, then lowest seq), marks it running,
   * sets the lease and increments attempts. Undefined when nothing is pending.
   */
  claimNext(owner: string, leaseMs: number, now: number): Promise<BuildRecord | undefined>;
  /** Extends the lease if `owner` still holds it and the build is running; false otherwise. */
  renewLease(id: string, owner: string, leaseMs: number, now: number): Promise<boolean>;
  /** Running builds whose lease expired before `now`, or whose owner matches `ownerPrefix` but is not `exceptOwner`. */
  listOrphaned(now: number, ownerPrefix: string, exceptOwner: string): Promise<BuildRecord[]>;
  /** Terminal builds finished before `before`, oldest first. */
  listFinishedBefore(before: number, limit: number): Promise<BuildRecord[]>;
  /** Newest succeeded build per service (null service counts as its own group). */
  newestSucceededPerService(): Promise<BuildRecord[]>;
  /** The newest succeeded build with this cache key, if any. */
  findByCacheKey(cacheKey: string): Promise<BuildRecord | undefined>;
  /** Deletes builds with their steps and logs; returns how many were deleted. */
  delete(ids: readonly string[]): Promise<number>;
  countByStatus(status: BuildStatus): Promise<number>;
  aggregate(query: StatsQuery): Promise<BuildAggregate>;
  /**
   * The succeeded build with an image that finished last (then highest seq) among those in scope, if
   * any. A build only succeeds once its image is pushed, so this is the last known-good image.
   */
  newestSucceededWithImage(query: ImageScopeQuery): Promise<BuildRecord | undefined>;
  /**
   * Inserts the builds of one run atomically (one transaction). With a policy, applies it against
   * the other runs of the same concurrency group first: `replace` marks every build of runs that
   * have not started `superseded`; `cancelInProgress` also marks every unfinished build of runs in
   * progress `cancelled` (reason `cancel-in-progress`). Returns what changed, so that the caller can
   * stop processes and tell subscribers.
   */
  insertRun(
    builds: readonly NewBuild[],
    policy: ConcurrencyPolicy | null,
    now: number,
  ): Promise<{ inserted: BuildRecord[]; superseded: BuildRecord[]; cancelled: BuildRecord[] }>;
  /** Marks every pending build that depends (transitively) on `buildId` `dependency_failed`. */
  failDependents(buildId: string, now: number): Promise<BuildRecord[]>;
  /** Every requested bucket of the build timeline, oldest first (empty buckets included). */
  timeline(query: TimelineQuery): Promise<BuildTimelineBucket[]>;
}

export interface StepRepo {
  start(buildId: string, name: string, now: number): Promise<void>;
  finish(
    buildId: string,
    name: string,
    status: BuildStep['status'],
    now: number,
    detail?: string,
  ): Promise<void>;
  list(buildId: string): Promise<BuildStep[]>;
}

export type LogStream = 'stdout' | 'stderr' | 'build' | 'kiln';

export interface LogLineInput {
  ts: number;
  stream: LogStream;
  text: string;
}

export interface LogLine extends LogLineInput {
  /** Increasing within a build; gaps appear where lines were dropped by the cap. */
  seq: number;
}

export interface LogRepo {
  /**
   * Appends lines durably (committed before the promise resolves). When the build's stored log
   * exceeds `capBytes`, keeps the first half and the newest lines, with one marker line (stream
   * `kiln`) between them that says how many lines and bytes were dropped.
   */
  append(buildId: string, lines: readonly LogLineInput[], capBytes: number): Promise<void>;
  /** Lines with seq > afterSeq, in order, at most `limit`. */
  read(buildId: string, afterSeq: number, limit: number): Promise<LogLine[]>;
  /** The last `count` lines, in order. */
  tail(buildId: string, count: number): Promise<LogLine[]>;
}

export interface TokenRecord {
  id: string;
  /** SHA-256 hex of the secret; the secret itself is never stored. */
  secretHash: string;
  /** `admin` for server-wide tokens; `pull` and `push` for one cache. */
  perm: 'admin' | 'push' | 'pull';
  /** The cache name for cache tokens; null for server-wide tokens. */
  scope: string | null;
  description: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface TokenRepo {
  insert(token: TokenRecord): Promise<void>;
  findBySecretHash(secretHash: string): Promise<TokenRecord | undefined>;
  get(id: string): Promise<TokenRecord | undefined>;
  revoke(id: string, now: number): Promise<boolean>;
  list(): Promise<TokenRecord[]>;
}

export interface SettingsRepo {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** Removes a key; false when it was not set. */
  delete(key: string): Promise<boolean>;
}

/** A stored (user-added) template version; src/templates validates and interprets `definition`. */
export interface TemplateRecord {
  name: string;
  version: string;
  description: string;
  /** The complete definition as JSON text. */
  definition: string;
  createdAt: number;
}

export interface TemplateRepo {
  /** Adds one version; false (and nothing changes) when that name and version exist already. */
  insert(template: TemplateRecord): Promise<boolean>;
  /** Every stored version, by name, then oldest insertion first. */
  list(): Promise<TemplateRecord[]>;
  /** One version, or without `version` the most recently inserted version of `name`. */
  get(name: string, version?: string): Promise<TemplateRecord | undefined>;
  /** Deletes one version, or without `version` every version of `name`; returns how many went. */
  remove(name: string, version?: string): Promise<number>;
}

/**
 * A version sync: when a release appears (API call or webhook), bump `file` in `repository` to the
 * new version and push a branch. `token` and `webhookSecret` are sealed by the caller; never shown.
 */
export interface VersionSyncRecord {
  name: string;
  repository: string;
  /** Base branch; null: the remote HEAD. */
  ref: string | null;
  /** The .nix file, relative to the repository root. */
  file: string;
  entry: string | null;
  attr: string | null;
  verify: string | null;
  systems: string[];
  /** Branch name template (`{name}`, `{version}`); null: the default. */
  branch: string | null;
  /** Regular expression with one group turning a tag into a version; null: the default. */
  tagPattern: string | null;
  /** Sealed Git token (clone and push), or null. */
  token: string | null;
  /** Sealed webhook secret, or null (webhooks refused). */
  webhookSecret: string | null;
  createdAt: number;
}

export interface VersionSyncRepo {
  /** Adds a sync; false (and nothing changes) when the name exists already. */
  insert(sync: VersionSyncRecord): Promise<boolean>;
  get(name: string): Promise<VersionSyncRecord | undefined>;
  /** Every sync, by name. */
  list(): Promise<VersionSyncRecord[]>;
  /** Deletes a sync with its delivery ids; false when there was none. */
  remove(name: string): Promise<boolean>;
  /**
   * Records a webhook delivery id for the sync; false when it was recorded before (a replay) or the
   * sync does not exist. Only the newest `keep` ids of a sync are kept.
   */
  recordDelivery(name: string, deliveryId: string, now: number, keep: number): Promise<boolean>;
}

export interface Store {
  readonly builds: BuildRepo;
  readonly steps: StepRepo;
  readonly logs: LogRepo;
  readonly tokens: TokenRepo;
  readonly settings: SettingsRepo;
  readonly caches: CacheRepo;
  readonly templates: TemplateRepo;
  readonly versionSyncs: VersionSyncRepo;
  readonly projects: ProjectRepo;
  /** The worker registry (src/persistence/worker-types.ts). */
  readonly workers: WorkerRepo;
  /**
   * Signals between processes sharing the database (src/persistence/signal-types.ts); absent where
   * they cannot share one (SQLite).
   */
  readonly signals?: NodeSignals;
  /** Applies pending numbered migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
