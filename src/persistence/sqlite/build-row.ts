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

/** A value SQLite stores and better-sqlite3 binds. */
export type SqlValue = string | number | null;

/** A row of the builds table as better-sqlite3 returns it; JSON columns are TEXT. */
export interface BuildRow {
  seq: number;
  id: string;
  status: string;
  source: string;
  env: string;
  system: string | null;
  group_id: string | null;
  service_id: string | null;
  labels: string;
  priority: number;
  timeout_seconds: number;
  max_silent_seconds: number;
  drv_paths: string;
  outputs: string;
  artifact_size: number | null;
  exit_code: number | null;
  error: string | null;
  reason: string | null;
  progress: string;
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
  substituted: string;
  built: string;
  pushed: string;
  commit_info: string | null;
  cached: number;
  cache_key: string | null;
  secrets: string | null;
  image_ref: string | null;
  image: string | null;
  image_config: string | null;
  deploy_hook: string | null;
  deploy: string | null;
  bump: string | null;
  project_id: string | null;
  trigger_info: string | null;
  concurrency_key: string | null;
  run_seq: number | null;
  depends_on: string;
  attr_path: string | null;
}

export const INITIAL_PROGRESS: Readonly<BuildProgress> = {
  done: 0,
  expected: 0,
  running: 0,
  failed: 0,
  phase: null,
  activeDrv: null,
};

export function rowToBuild(row: BuildRow): BuildRecord {
  return {
    id: row.id,
    seq: row.seq,
    // Only this module writes the column, always from a BuildStatus.
    status: row.status as BuildStatus,
    source: JSON.parse(row.source) as BuildSource,
    env: JSON.parse(row.env) as Record<string, string>,
    system: row.system,
    groupId: row.group_id,
    serviceId: row.service_id,
    labels: JSON.parse(row.labels) as Record<string, string>,
    priority: row.priority,
    timeoutSeconds: row.timeout_seconds,
    maxSilentSeconds: row.max_silent_seconds,
    drvPaths: JSON.parse(row.drv_paths) as string[],
    outputs: JSON.parse(row.outputs) as string[],
    artifactSize: row.artifact_size,
    exitCode: row.exit_code,
    error: row.error,
    reason: row.reason,
    progress: JSON.parse(row.progress) as BuildProgress,
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
    substituted: JSON.parse(row.substituted) as string[],
    built: JSON.parse(row.built) as string[],
    pushed: JSON.parse(row.pushed) as string[],
    commit: row.commit_info === null ? null : (JSON.parse(row.commit_info) as BuildCommit),
    cached: row.cached === 1,
    cacheKey: row.cache_key,
    secrets: row.secrets,
    imageRef: row.image_ref,
    image: row.image === null ? null : (JSON.parse(row.image) as BuildImage),
    imageConfig: row.image_config === null ? null : (JSON.parse(row.image_config) as ImageConfig),
    deployHook: row.deploy_hook,
    deploy: row.deploy === null ? null : (JSON.parse(row.deploy) as BuildDeploy),
    bump: row.bump === null ? null : (JSON.parse(row.bump) as BuildBump),
    projectId: row.project_id,
    trigger: row.trigger_info === null ? null : (JSON.parse(row.trigger_info) as BuildTrigger),
    concurrencyKey: row.concurrency_key,
    runSeq: row.run_seq,
    dependsOn: JSON.parse(row.depends_on) as string[],
    attrPath: row.attr_path,
  };
}

/** Named parameters of the insert statement (see build-repo.ts). */
export function newBuildParams(build: NewBuild): Record<string, SqlValue> {
  return {
    id: build.id,
    status: build.status ?? ('pending' satisfies BuildStatus),
    source: JSON.stringify(build.source),
    env: JSON.stringify(build.env),
    system: build.system,
    group_id: build.groupId,
    service_id: build.serviceId,
    labels: JSON.stringify(build.labels),
    priority: build.priority,
    timeout_seconds: build.timeoutSeconds,
    max_silent_seconds: build.maxSilentSeconds,
    drv_paths: JSON.stringify(build.drvPaths),
    outputs: JSON.stringify(build.outputs ?? []),
    progress: JSON.stringify(INITIAL_PROGRESS),
    created_at: build.createdAt,
    push_cache: build.pushCache ?? null,
    commit_info: build.commit ? JSON.stringify(build.commit) : null,
    cache_key: build.cacheKey ?? null,
    secrets: build.secrets ?? null,
    image_ref: build.imageRef ?? null,
    image_config: build.imageConfig ? JSON.stringify(build.imageConfig) : null,
    deploy_hook: build.deployHook ?? null,
    project_id: build.projectId ?? null,
    trigger_info: build.trigger ? JSON.stringify(build.trigger) : null,
    concurrency_key: build.concurrencyKey?.toLowerCase() ?? null,
    run_seq: build.runSeq ?? null,
    depends_on: JSON.stringify(build.dependsOn ?? []),
    attr_path: build.attrPath ?? null,
    cached: build.cached === true ? 1 : 0,
    reason: build.reason ?? null,
    finished_at: build.finishedAt ?? null,
    started_at: build.finishedAt ?? null,
    duration_ms: build.finishedAt === undefined || build.finishedAt === null ? null : 0,
  };
}

export interface PatchAssignment {
  column: string;
  value: SqlValue;
}

/** The column assignments of a patch, in a stable order; fields set to undefined are left alone. */
export function patchAssignments(patch: BuildPatch): PatchAssignment[] {
  return patchColumns(patch).map(({ spec, value }) => ({
    column: spec.column,
    // BuildPatch's non-JSON fields are string | number | null, and `cached`, a boolean.
    value: spec.json
      ? value === null
        ? null
        : JSON.stringify(value)
      : typeof value === 'boolean'
        ? Number(value)
        : (value as SqlValue),
  }));
}
