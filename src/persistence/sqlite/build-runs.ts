import type { Database, Statement } from 'better-sqlite3';
import type { BuildRecord, ConcurrencyPolicy, NewBuild } from '../types.js';
import { newBuildParams, rowToBuild } from './build-row.js';
import type { BuildRow } from './build-row.js';
import type { NamedParams as Params } from './statement-cache.js';

/**
 * The next build a worker may take: pending, every build it depends on succeeded, and its
 * concurrency group free. A group is busy for a run while another run of the group has a running
 * build, or an older run (by run order) still has a pending one: one run at a time, in order.
 */
export const NEXT_CLAIMABLE_SQL = `
  SELECT b.seq FROM builds b
  WHERE b.status = 'pending'
    AND (b.depends_on = '[]' OR NOT EXISTS (
      SELECT 1 FROM json_each(b.depends_on) d JOIN builds x ON x.id = d.value
      WHERE x.status <> 'succeeded'))
    AND (b.concurrency_key IS NULL OR NOT EXISTS (
      SELECT 1 FROM builds o
      WHERE o.concurrency_key = b.concurrency_key
        AND o.status IN ('pending', 'running')
        AND COALESCE(o.group_id, o.id) <> COALESCE(b.group_id, b.id)
        AND (o.status = 'running' OR COALESCE(o.run_seq, o.seq) < COALESCE(b.run_seq, b.seq))))
  ORDER BY b.priority DESC, b.seq ASC
  LIMIT 1`;

type RunResult = { inserted: BuildRecord[]; superseded: BuildRecord[]; cancelled: BuildRecord[] };

/** Runs (a submission's builds) and their concurrency groups; dependencies between builds. */
export class SqliteBuildRuns {
  private readonly insertStatement;
  private readonly unfinishedInGroupStatement;
  private readonly runStartedStatement;
  private readonly supersedeStatement;
  private readonly cancelStatement;
  private readonly setRunSeqStatement;
  private readonly dependentsStatement;
  private readonly dependencyFailedStatement;
  private readonly insertRunTransaction;
  private readonly failDependentsTransaction;

  constructor(db: Database, insertStatement: Statement<[Params], BuildRow>) {
    this.insertStatement = insertStatement;
    this.unfinishedInGroupStatement = db.prepare<[string], BuildRow>(`
      SELECT * FROM builds WHERE concurrency_key = ? AND status IN ('pending', 'running') ORDER BY seq`);
    // A run has started once any of its builds left `pending` (ran, finished, or was answered).
    this.runStartedStatement = db
      .prepare<[string, string], number>(
        `SELECT 1 FROM builds WHERE (group_id = ? OR id = ?) AND status <> 'pending' LIMIT 1`,
      )
      .pluck();
    this.supersedeStatement = db.prepare<[Params], BuildRow>(`
      UPDATE builds SET status = 'superseded', reason = 'superseded', error = @error,
        finished_at = @now, secrets = NULL
      WHERE id = @id AND status = 'pending'
      RETURNING *`);
    this.cancelStatement = db.prepare<[Params], BuildRow>(`
      UPDATE builds SET status = 'cancelled', reason = 'cancel-in-progress', error = @error,
        cancel_requested_at = @now, finished_at = @now,
        duration_ms = CASE WHEN started_at IS NULL THEN NULL ELSE @now - started_at END,
        secrets = CASE WHEN status = 'pending' THEN NULL ELSE secrets END
      WHERE id = @id AND status IN ('pending', 'running')
      RETURNING *`);
    this.setRunSeqStatement = db.prepare<[number, string]>(`UPDATE builds SET run_seq = ? WHERE id = ?`);
    this.dependentsStatement = db.prepare<[string, string], BuildRow>(`
      SELECT b.* FROM builds b
      WHERE b.group_id = ? AND b.status = 'pending'
        AND EXISTS (SELECT 1 FROM json_each(b.depends_on) d WHERE d.value = ?)
      ORDER BY b.seq`);
    this.dependencyFailedStatement = db.prepare<[Params], BuildRow>(`
      UPDATE builds SET status = 'dependency_failed', reason = 'dependency-failed', error = @error,
        finished_at = @now, secrets = NULL
      WHERE id = @id AND status = 'pending'
      RETURNING *`);

    this.insertRunTransaction = db.transaction(
      (builds: readonly NewBuild[], policy: ConcurrencyPolicy | null, now: number): RunResult => {
        const superseded: BuildRecord[] = [];
        const cancelled: BuildRecord[] = [];
        const key = policy?.key.toLowerCase();
        const first = builds[0];
        if (policy && key !== undefined && first) {
          const byRun = new Map<string, BuildRow[]>();
          for (const row of this.unfinishedInGroupStatement.all(key)) {
            const run = row.group_id ?? row.id;
            byRun.set(run, [...(byRun.get(run) ?? []), row]);
          }
          for (const [run, rows] of byRun) {
            const started = this.runStartedStatement.get(run, run) !== undefined;
            if (!started && policy.mode === 'replace') {
              const error = `superseded by a newer run of concurrency group ${key} (build ${first.id})`;
              for (const row of rows) {
                const updated = this.supersedeStatement.get({ id: row.id, now, error });
                if (updated) superseded.push(rowToBuild(updated));
              }
            } else if (started && policy.cancelInProgress) {
              const error = `cancelled: a newer run of concurrency group ${key} started (build ${first.id}); cancel-in-progress`;
              for (const row of rows) {
                const updated = this.cancelStatement.get({ id: row.id, now, error });
                if (updated) cancelled.push(rowToBuild(updated));
              }
            }
          }
        }
        const inserted: BuildRecord[] = [];
        let runSeq: number | null = null;
        for (const build of builds) {
          const row = this.insertStatement.get(
            newBuildParams({ ...build, concurrencyKey: key ?? build.concurrencyKey ?? null }),
          );
          if (!row) throw new Error(`insert of build ${build.id} returned no row`);
          // The run's order is its first build's seq, unless the caller continues an existing run.
          runSeq = build.runSeq ?? runSeq ?? row.seq;
          if (row.run_seq !== runSeq) {
            this.setRunSeqStatement.run(runSeq, row.id);
            row.run_seq = runSeq;
          }
          inserted.push(rowToBuild(row));
        }
        return { inserted, superseded, cancelled };
      },
    );

    this.failDependentsTransaction = db.transaction((failedId: string, groupId: string, now: number) => {
      const failed: BuildRecord[] = [];
      const queue = [failedId];
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        for (const row of this.dependentsStatement.all(groupId, next)) {
          const error = `dependency ${next} did not succeed`;
          const updated = this.dependencyFailedStatement.get({ id: row.id, now, error });
          if (!updated) continue;
          failed.push(rowToBuild(updated));
          queue.push(updated.id);
        }
      }
      return failed;
    });
  }

  /** Runs inside an IMMEDIATE transaction: the group's state is read and changed under the write lock. */
  insertRun(builds: readonly NewBuild[], policy: ConcurrencyPolicy | null, now: number): RunResult {
    return this.insertRunTransaction.immediate(builds, policy, now);
  }

  failDependents(failedId: string, groupId: string, now: number): BuildRecord[] {
    return this.failDependentsTransaction.immediate(failedId, groupId, now);
  }
}
