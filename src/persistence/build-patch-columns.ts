import type { BuildPatch } from './types.js';

type PatchField = keyof BuildPatch;

/** How a patch field is stored: as is, or as JSON (text in SQLite, JSONB in PostgreSQL). */
export interface PatchColumn {
  column: string;
  json: boolean;
}

/**
 * The columns a patch may set, the same in every dialect. Update statements are built only from
 * these names, never from the caller's keys, so unknown patch keys cannot reach the SQL.
 */
const PATCH_COLUMNS: Readonly<Record<PatchField, PatchColumn>> = {
  status: { column: 'status', json: false },
  outputs: { column: 'outputs', json: true },
  artifactSize: { column: 'artifact_size', json: false },
  exitCode: { column: 'exit_code', json: false },
  error: { column: 'error', json: false },
  reason: { column: 'reason', json: false },
  progress: { column: 'progress', json: true },
  startedAt: { column: 'started_at', json: false },
  finishedAt: { column: 'finished_at', json: false },
  durationMs: { column: 'duration_ms', json: false },
  cancelRequestedAt: { column: 'cancel_requested_at', json: false },
  leaseOwner: { column: 'lease_owner', json: false },
  leaseExpiresAt: { column: 'lease_expires_at', json: false },
  runnerPid: { column: 'runner_pid', json: false },
  runnerStartTime: { column: 'runner_start_time', json: false },
  substituted: { column: 'substituted', json: true },
  built: { column: 'built', json: true },
  pushed: { column: 'pushed', json: true },
  commit: { column: 'commit_info', json: true },
  cached: { column: 'cached', json: false },
  secrets: { column: 'secrets', json: false },
  drvPaths: { column: 'drv_paths', json: true },
  image: { column: 'image', json: true },
  imageRef: { column: 'image_ref', json: false },
  deploy: { column: 'deploy', json: true },
  bump: { column: 'bump', json: true },
};

/**
 * The fields a patch sets, in a stable order, each with its column; fields set to undefined are
 * left out. Each dialect encodes the values its own way.
 */
export function patchColumns(patch: BuildPatch): { spec: PatchColumn; value: unknown }[] {
  const set: { spec: PatchColumn; value: unknown }[] = [];
  for (const [field, spec] of Object.entries(PATCH_COLUMNS) as [PatchField, PatchColumn][]) {
    const value = patch[field];
    if (value !== undefined) set.push({ spec, value });
  }
  return set;
}
