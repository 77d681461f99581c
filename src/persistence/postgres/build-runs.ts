import type { BuildRecord, ConcurrencyPolicy, NewBuild } from '../types.js';
import { INSERT_BUILD_SQL, newBuildParams, rowToBuild } from './build-row.js';
import type { PgBuildRow } from './build-row.js';
import type { PgDb } from './db.js';

/**
 * Takes the next build a worker may take, in one statement: pending, every build it depends on
 * succeeded, and its concurrency group free. A group is busy for a run while another run of the
 * group has a running build, or an older run (by run order) still has a pending one: one run at a
 * time, in order (the rules of SQLite's NEXT_CLAIMABLE_SQL). SKIP LOCKED: claimers racing for the
 * same row take different ones instead of queueing, and rows a run insertion holds are passed over.
 * $1 owner, $2 lease expiry, $3 now.
 */
export const CLAIM_NEXT_SQL = `
  UPDATE builds SET status = 'running', lease_owner = $1, lease_expires_at = $2,
    started_at = COALESCE(started_at, $3), attempts = attempts + 1
  WHERE seq = (
    SELECT b.seq FROM builds b
    WHERE b.status = 'pending'
      AND NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements_text(b.depends_on) AS d (id) JOIN builds x ON x.id = d.id
        WHERE x.status <> 'succeeded')
      AND (b.concurrency_key IS NULL OR NOT EXISTS (
        SELECT 1 FROM builds o
        WHERE o.concurrency_key = b.concurrency_key
          AND o.status IN ('pending', 'running')
          AND COALESCE(o.group_id, o.id) <> COALESCE(b.group_id, b.id)
          AND (o.status = 'running' OR COALESCE(o.run_seq, o.seq) < COALESCE(b.run_seq, b.seq))))
    ORDER BY b.priority DESC, b.seq ASC
    LIMIT 1
    FOR UPDATE OF b SKIP LOCKED)
  RETURNING *`;

/** Advisory lock namespace (first key) for concurrency groups; the second key is the group's hash. */
const GROUP_LOCK_NAMESPACE = 0x6b696c6e; // "kiln"

type RunResult = { inserted: BuildRecord[]; superseded: BuildRecord[]; cancelled: BuildRecord[] };

/** BuildRepo.insertRun, in one transaction (see types.ts for the policy semantics). */
export function insertRun(
  db: PgDb,
  builds: readonly NewBuild[],
  policy: ConcurrencyPolicy | null,
  now: number,
): Promise<RunResult> {
  return db.transaction(async (tx) => {
    const superseded: BuildRecord[] = [];
    const cancelled: BuildRecord[] = [];
    const key = policy?.key.toLowerCase();
    const first = builds[0];
    if (policy && key !== undefined && first) {
      // Runs of one group inserted at once serialise here: each sees the one before it.
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [GROUP_LOCK_NAMESPACE, key]);
      // FOR UPDATE: a claim cannot take these rows (it skips them) while the policy is applied.
      const unfinished = await tx.query<PgBuildRow>(
        `SELECT * FROM builds WHERE concurrency_key = $1 AND status IN ('pending', 'running')
         ORDER BY seq FOR UPDATE`,
        [key],
      );
      const byRun = new Map<string, PgBuildRow[]>();
      for (const row of unfinished) {
        const run = row.group_id ?? row.id;
        byRun.set(run, [...(byRun.get(run) ?? []), row]);
      }
      for (const [run, rows] of byRun) {
        // A run has started once any of its builds left `pending` (ran, finished, or was answered).
        const startedRows = await tx.query(
          `SELECT 1 FROM builds WHERE (group_id = $1 OR id = $1) AND status <> 'pending' LIMIT 1`,
          [run],
        );
        const started = startedRows.length > 0;
        if (!started && policy.mode === 'replace') {
          const error = `superseded by a newer run of concurrency group ${key} (build ${first.id})`;
          const updated = await tx.query<PgBuildRow>(
            `UPDATE builds SET status = 'superseded', reason = 'superseded', error = $2,
               finished_at = $3, secrets = NULL
             WHERE id = ANY($1::text[]) AND status = 'pending'
             RETURNING *`,
            [rows.map((row) => row.id), error, now],
          );
          superseded.push(...sortBySeq(updated).map(rowToBuild));
        } else if (started && policy.cancelInProgress) {
          const error = `cancelled: a newer run of concurrency group ${key} started (build ${first.id}); cancel-in-progress`;
          const updated = await tx.query<PgBuildRow>(
            `UPDATE builds SET status = 'cancelled', reason = 'cancel-in-progress', error = $2,
               cancel_requested_at = $3, finished_at = $3,
               duration_ms = CASE WHEN started_at IS NULL THEN NULL ELSE $3 - started_at END,
               secrets = CASE WHEN status = 'pending' THEN NULL ELSE secrets END
             WHERE id = ANY($1::text[]) AND status IN ('pending', 'running')
             RETURNING *`,
            [rows.map((row) => row.id), error, now],
          );
          cancelled.push(...sortBySeq(updated).map(rowToBuild));
        }
      }
    }
    const inserted: BuildRecord[] = [];
    let runSeq: number | null = null;
    for (const build of builds) {
      const [row] = await tx.query<PgBuildRow>(
        INSERT_BUILD_SQL,
        newBuildParams({ ...build, concurrencyKey: key ?? build.concurrencyKey ?? null }),
      );
      if (!row) throw new Error(`insert of build ${build.id} returned no row`);
      // The run's order is its first build's seq, unless the caller continues an existing run.
      runSeq = build.runSeq ?? runSeq ?? row.seq;
      if (row.run_seq !== runSeq) {
        await tx.execute('UPDATE builds SET run_seq = $1 WHERE id = $2', [runSeq, row.id]);
        row.run_seq = runSeq;
      }
      inserted.push(rowToBuild(row));
    }
    return { inserted, superseded, cancelled };
  });
}

/** BuildRepo.failDependents: every pending build of the group depending (transitively) on `failedId`. */
export function failDependents(db: PgDb, failedId: string, now: number): Promise<BuildRecord[]> {
  return db.transaction(async (tx) => {
    const [origin] = await tx.query<{ group_id: string | null }>(
      'SELECT group_id FROM builds WHERE id = $1',
      [failedId],
    );
    const groupId = origin?.group_id;
    if (!groupId) return [];
    const failed: BuildRecord[] = [];
    const queue = [failedId];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const dependents = await tx.query<PgBuildRow>(
        `SELECT * FROM builds
         WHERE group_id = $1 AND status = 'pending' AND depends_on @> jsonb_build_array($2::text)
         ORDER BY seq FOR UPDATE`,
        [groupId, next],
      );
      for (const dependent of dependents) {
        const [updated] = await tx.query<PgBuildRow>(
          `UPDATE builds SET status = 'dependency_failed', reason = 'dependency-failed', error = $2,
             finished_at = $3, secrets = NULL
           WHERE id = $1 AND status = 'pending'
           RETURNING *`,
          [dependent.id, `dependency ${next} did not succeed`, now],
        );
        if (!updated) continue;
        failed.push(rowToBuild(updated));
        queue.push(updated.id);
      }
    }
    return failed;
  });
}

function sortBySeq(rows: PgBuildRow[]): PgBuildRow[] {
  return [...rows].sort((a, b) => a.seq - b.seq);
}
