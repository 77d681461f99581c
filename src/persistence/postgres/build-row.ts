import { patchColumns } from '../build-patch-columns.js';
import type {
  BuildBump,
  BuildCommit,
  BuildDeploy,
  BuildImage,
  BuildPatch,
  BuildProgress,
  BuildRecord,
  BuildSource,
  BuildStatus,
  BuildTrigger,
  ImageConfig,
  NewBuild,
} from '../types.js';

/** A row of the builds table as node-postgres returns it: JSONB columns arrive parsed. */
export interface PgBuildRow {
  seq: number;
  id: string;
  status: string;
  source: BuildSource;
  env: Record<string, string>;
  system: string | null;
  group_id: string | null;
  service_id: string | null;
  labels: Record<string, string>;
  priority: number;
  timeout_seconds: number;
  max_silent_seconds: number;
  drv_paths: string[];
  outputs: string[];
  artifact_size: number | null;
  exit_code: number | null;
  error: string | null;
  reason: string | null;
  progress: BuildProgress;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  cancel_requested_at: number | null;
  attempts: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  runner_pid: number | null;
  runner_start_time: string | null;
  push_cache: string | null;
  substituted: string[];
  built: string[];
  pushed: string[];
  commit_info: BuildCommit | null;
  cached: boolean;
  cache_key: string | null;
  secrets: string | null;
  image_ref: string | null;
  image: BuildImage | null;
  image_config: ImageConfig | null;
  deploy_hook: string | null;
  deploy: BuildDeploy | null;
  bump: BuildBump | null;
  project_id: string | null;
  trigger_info: BuildTrigger | null;
  concurrency_key: string | null;
  run_seq: number | null;
  depends_on: string[];
  attr_path: string | null;
}

const INITIAL_PROGRESS: Readonly<BuildProgress> = {
  done: 0,
  expected: 0,
  running: 0,
  failed: 0,
  phase: null,
  activeDrv: null,
};

export function rowToBuild(row: PgBuildRow): BuildRecord {
  return {
    id: row.id,
    seq: row.seq,
    // Only this backend writes the column, always from a BuildStatus.
    status: row.status as BuildStatus,
    source: row.source,
    env: row.env,
    system: row.system,
    groupId: row.group_id,
    serviceId: row.service_id,
    labels: row.labels,
    priority: row.priority,
    timeoutSeconds: row.timeout_seconds,
    maxSilentSeconds: row.max_silent_seconds,
    drvPaths: row.drv_paths,
    outputs: row.outputs,
    artifactSize: row.artifact_size,
    exitCode: row.exit_code,
    error: row.error,
    reason: row.reason,
    progress: row.progress,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    cancelRequestedAt: row.cancel_requested_at,
    attempts: row.attempts,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    runnerPid: row.runner_pid,
    runnerStartTime: row.runner_start_time,
    pushCache: row.push_cache,
    substituted: row.substituted,
    built: row.built,
    pushed: row.pushed,
    commit: row.commit_info,
    cached: row.cached,
    cacheKey: row.cache_key,
    secrets: row.secrets,
    imageRef: row.image_ref,
    image: row.image,
    imageConfig: row.image_config,
    deployHook: row.deploy_hook,
    deploy: row.deploy,
    bump: row.bump,
    projectId: row.project_id,
    trigger: row.trigger_info,
    concurrencyKey: row.concurrency_key,
    runSeq: row.run_seq,
    dependsOn: row.depends_on,
    attrPath: row.attr_path,
  };
}

/** A bound parameter: JSON columns are sent as JSON text, which PostgreSQL casts to JSONB. */
export type PgValue = string | number | boolean | null;

const json = (value: unknown): string => JSON.stringify(value);
const jsonOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

/** The columns of an inserted build, in INSERT_COLUMNS order. */
export const INSERT_COLUMNS = [
  'id',
  'status',
  'source',
  'env',
  'system',
  'group_id',
  'service_id',
  'labels',
  'priority',
  'timeout_seconds',
  'max_silent_seconds',
  'drv_paths',
  'outputs',
  'progress',
  'created_at',
  'push_cache',
  'commit_info',
  'cache_key',
  'secrets',
  'image_ref',
  'image_config',
  'deploy_hook',
  'project_id',
  'trigger_info',
  'concurrency_key',
  'run_seq',
  'depends_on',
  'attr_path',
  'cached',
  'reason',
  'started_at',
  'finished_at',
  'duration_ms',
] as const;

export const INSERT_BUILD_SQL = `
  INSERT INTO builds (${INSERT_COLUMNS.join(', ')})
  VALUES (${INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
  RETURNING *`;

/** Parameters of INSERT_BUILD_SQL. */
export function newBuildParams(build: NewBuild): PgValue[] {
  const finished = build.finishedAt ?? null;
  const values: Record<(typeof INSERT_COLUMNS)[number], PgValue> = {
    id: build.id,
    status: build.status ?? ('pending' satisfies BuildStatus),
    source: json(build.source),
    env: json(build.env),
    system: build.system,
    group_id: build.groupId,
    service_id: build.serviceId,
    labels: json(build.labels),
    priority: build.priority,
    timeout_seconds: build.timeoutSeconds,
    max_silent_seconds: build.maxSilentSeconds,
    drv_paths: json(build.drvPaths),
    outputs: json(build.outputs ?? []),
    progress: json(INITIAL_PROGRESS),
    created_at: build.createdAt,
    push_cache: build.pushCache ?? null,
    commit_info: jsonOrNull(build.commit),
    cache_key: build.cacheKey ?? null,
    secrets: build.secrets ?? null,
    image_ref: build.imageRef ?? null,
    image_config: jsonOrNull(build.imageConfig),
    deploy_hook: build.deployHook ?? null,
    project_id: build.projectId ?? null,
    trigger_info: jsonOrNull(build.trigger),
    concurrency_key: build.concurrencyKey?.toLowerCase() ?? null,
    run_seq: build.runSeq ?? null,
    depends_on: json(build.dependsOn ?? []),
    attr_path: build.attrPath ?? null,
    cached: build.cached === true,
    reason: build.reason ?? null,
    // Inserted finished (answered from a cache): it started and finished at once.
    started_at: finished,
    finished_at: finished,
    duration_ms: finished === null ? null : 0,
  };
  return INSERT_COLUMNS.map((column) => values[column]);
}

/** The column assignments of a patch, in a stable order; fields set to undefined are left alone. */
export function patchAssignments(patch: BuildPatch): { column: string; value: PgValue }[] {
  return patchColumns(patch).map(({ spec, value }) => ({
    column: spec.column,
    // BuildPatch's non-JSON fields are string | number | boolean | null.
    value: spec.json ? jsonOrNull(value) : (value as PgValue),
  }));
}
