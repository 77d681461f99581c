import { toAggregate, type StatusAggregateRow } from '../build-summaries.js';
import type { Database } from 'better-sqlite3';
import type {
  BuildAggregate,
  BuildPatch,
  BuildPrecondition,
  BuildQuery,
  BuildRecord,
  BuildRepo,
  BuildStatus,
  ConcurrencyPolicy,
  ImageScopeQuery,
  NewBuild,
  StatsQuery,
  BuildTimelineBucket,
  TimelineQuery,
} from '../types.js';
import { TERMINAL_STATUSES } from '../types.js';
import { newBuildParams, patchAssignments, rowToBuild } from './build-row.js';
import type { BuildRow } from './build-row.js';
import { NEXT_CLAIMABLE_SQL, SqliteBuildRuns } from './build-runs.js';
import { SqliteBuildTimeline } from './build-timeline.js';
import { settle } from './settle.js';
import { StatementCache } from './statement-cache.js';
import type { NamedParams as Params } from './statement-cache.js';

/** Smallest bindable time, standing in for "no lower bound". */
const NO_LOWER_BOUND = Number.MIN_SAFE_INTEGER;

export class SqliteBuildRepo implements BuildRepo {
  private readonly insertStatement;
  private readonly getStatement;
  private readonly nextPendingStatement;
  private readonly claimStatement;
  private readonly renewStatement;
  private readonly orphanedStatement;
  private readonly finishedBeforeStatement;
  private readonly newestSucceededStatement;
  private readonly deleteStatement;
  private readonly cacheKeyStatement;
  private readonly countStatement;
  private readonly claimTransaction;
  private readonly deleteTransaction;
  private readonly runs: SqliteBuildRuns;
  private readonly timelines: SqliteBuildTimeline;
  /** Statements whose SQL depends on which optional filters or fields a call uses. */
  private readonly shaped: StatementCache;

  constructor(db: Database) {
    this.shaped = new StatementCache(db);
    this.insertStatement = db.prepare<[Params], BuildRow>(`
      INSERT INTO builds (id, status, source, env, system, group_id, service_id, labels, priority,
        timeout_seconds, max_silent_seconds, drv_paths, outputs, progress, created_at, push_cache,
        commit_info, cache_key, secrets, image_ref, image_config, deploy_hook, project_id, trigger_info,
        concurrency_key, run_seq, depends_on, attr_path, cached, reason, started_at, finished_at, duration_ms)
      VALUES (@id, @status, @source, @env, @system, @group_id, @service_id, @labels, @priority,
        @timeout_seconds, @max_silent_seconds, @drv_paths, @outputs, @progress, @created_at, @push_cache,
        @commit_info, @cache_key, @secrets, @image_ref, @image_config, @deploy_hook, @project_id, @trigger_info,
        @concurrency_key, @run_seq, @depends_on, @attr_path, @cached, @reason, @started_at, @finished_at,
        @duration_ms)
      RETURNING *`);
    this.getStatement = db.prepare<[string], BuildRow>('SELECT * FROM builds WHERE id = ?');
    this.nextPendingStatement = db.prepare<[], number>(NEXT_CLAIMABLE_SQL).pluck();
    this.claimStatement = db.prepare<[Params], BuildRow>(`
      UPDATE builds SET status = 'running', lease_owner = @owner, lease_expires_at = @leaseExpiresAt,
        started_at = COALESCE(started_at, @now), attempts = attempts + 1
      WHERE seq = @seq
      RETURNING *`);
    this.renewStatement = db.prepare<[Params]>(`
      UPDATE builds SET lease_expires_at = @leaseExpiresAt
      WHERE id = @id AND status = 'running' AND lease_owner = @owner`);
    // The prefix is compared with substr rather than LIKE so that % and _ in owner names are literal.
    this.orphanedStatement = db.prepare<[Params], BuildRow>(`
      SELECT * FROM builds
      WHERE status = 'running' AND (lease_expires_at < @now OR (
        substr(lease_owner, 1, length(@ownerPrefix)) = @ownerPrefix AND lease_owner <> @exceptOwner))
      ORDER BY seq`);
    this.finishedBeforeStatement = db.prepare<[Params], BuildRow>(`
      SELECT * FROM builds
      WHERE status IN (${TERMINAL_STATUSES.map((status) => `'${status}'`).join(', ')})
        AND finished_at < @before
      ORDER BY finished_at, seq
      LIMIT @limit`);
    // PARTITION BY groups null service ids together, which is the contract.
    this.newestSucceededStatement = db.prepare<[], BuildRow>(`
      SELECT * FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY service_id ORDER BY seq DESC) AS newest_rank
        FROM builds WHERE status = 'succeeded'
      ) WHERE newest_rank = 1
      ORDER BY seq DESC`);
    this.cacheKeyStatement = db.prepare<[string], BuildRow>(
      `SELECT * FROM builds WHERE cache_key = ? AND status = 'succeeded' ORDER BY seq DESC LIMIT 1`,
    );
    // Steps, logs and log state go with the build through ON DELETE CASCADE.
    this.deleteStatement = db.prepare<[string]>('DELETE FROM builds WHERE id = ?');
    this.countStatement = db
      .prepare<[string], number>('SELECT COUNT(*) FROM builds WHERE status = ?')
      .pluck();

    this.claimTransaction = db.transaction((owner: string, leaseMs: number, now: number) => {
      const seq = this.nextPendingStatement.get();
      if (seq === undefined) return undefined;
      return this.claimStatement.get({ owner, leaseExpiresAt: now + leaseMs, now, seq });
    });
    this.runs = new SqliteBuildRuns(db, this.insertStatement);
    this.timelines = new SqliteBuildTimeline(db);
    this.deleteTransaction = db.transaction((ids: readonly string[]) => {
      let deleted = 0;
      for (const id of ids) deleted += this.deleteStatement.run(id).changes;
      return deleted;
    });
  }

  insert(build: NewBuild): Promise<BuildRecord> {
    return settle(() => {
      const row = this.insertStatement.get(newBuildParams(build));
      if (!row) throw new Error(`insert of build ${build.id} returned no row`);
      return rowToBuild(row);
    });
  }

  get(id: string): Promise<BuildRecord | undefined> {
    return settle(() => mapOptional(this.getStatement.get(id)));
  }

  list(query: BuildQuery): Promise<BuildRecord[]> {
    return settle(() => {
      if (query.status?.length === 0) return [];
      const conditions: string[] = [];
      const params: Params = { limit: query.limit };
      if (query.status) conditions.push(statusCondition(query.status, params));
      if (query.serviceId !== undefined) {
        conditions.push('service_id = @serviceId');
        params.serviceId = query.serviceId;
      }
      if (query.groupId !== undefined) {
        conditions.push('group_id = @groupId');
        params.groupId = query.groupId;
      }
      if (query.projectId !== undefined) {
        conditions.push('project_id = @projectId');
        params.projectId = query.projectId;
      }
      if (query.branch !== undefined) {
        conditions.push(`json_extract(commit_info, '$.branch') = @branch`);
        params.branch = query.branch;
      }
      if (query.beforeSeq !== undefined) {
        conditions.push('seq < @beforeSeq');
        params.beforeSeq = query.beforeSeq;
      }
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      const sql = `SELECT * FROM builds ${where} ORDER BY seq DESC LIMIT @limit`;
      return this.shaped.get<BuildRow>(sql).all(params).map(rowToBuild);
    });
  }

  update(id: string, patch: BuildPatch, precondition?: BuildPrecondition): Promise<BuildRecord | undefined> {
    return settle(() => {
      if (precondition?.status?.length === 0) return undefined;
      const params: Params = { id };
      const conditions = ['id = @id'];
      if (precondition?.status) conditions.push(statusCondition(precondition.status, params));
      if (precondition?.leaseOwner !== undefined) {
        conditions.push('lease_owner = @leaseOwner');
        params.leaseOwner = precondition.leaseOwner;
      }
      const where = conditions.join(' AND ');
      const assignments = patchAssignments(patch);
      if (assignments.length === 0) {
        return mapOptional(this.shaped.get<BuildRow>(`SELECT * FROM builds WHERE ${where}`).get(params));
      }
      const set = assignments.map(({ column }) => `${column} = @set_${column}`).join(', ');
      for (const { column, value } of assignments) params[`set_${column}`] = value;
      return mapOptional(
        this.shaped.get<BuildRow>(`UPDATE builds SET ${set} WHERE ${where} RETURNING *`).get(params),
      );
    });
  }

  claimNext(owner: string, leaseMs: number, now: number): Promise<BuildRecord | undefined> {
    // IMMEDIATE takes the write lock before reading, so two connections cannot pick the same build.
    return settle(() => mapOptional(this.claimTransaction.immediate(owner, leaseMs, now)));
  }

  renewLease(id: string, owner: string, leaseMs: number, now: number): Promise<boolean> {
    return settle(() => this.renewStatement.run({ id, owner, leaseExpiresAt: now + leaseMs }).changes === 1);
  }

  listOrphaned(now: number, ownerPrefix: string, exceptOwner: string): Promise<BuildRecord[]> {
    return settle(() => this.orphanedStatement.all({ now, ownerPrefix, exceptOwner }).map(rowToBuild));
  }

  listFinishedBefore(before: number, limit: number): Promise<BuildRecord[]> {
    return settle(() => this.finishedBeforeStatement.all({ before, limit }).map(rowToBuild));
  }

  newestSucceededPerService(): Promise<BuildRecord[]> {
    return settle(() => this.newestSucceededStatement.all().map(rowToBuild));
  }

  findByCacheKey(cacheKey: string): Promise<BuildRecord | undefined> {
    return settle(() => {
      const row = this.cacheKeyStatement.get(cacheKey);
      return row ? rowToBuild(row) : undefined;
    });
  }

  insertRun(
    builds: readonly NewBuild[],
    policy: ConcurrencyPolicy | null,
    now: number,
  ): Promise<{ inserted: BuildRecord[]; superseded: BuildRecord[]; cancelled: BuildRecord[] }> {
    // IMMEDIATE: the group's state is read and changed under the write lock, so bursts serialise.
    return settle(() => this.runs.insertRun(builds, policy, now));
  }

  timeline(query: TimelineQuery): Promise<BuildTimelineBucket[]> {
    return settle(() => this.timelines.timeline(query));
  }

  failDependents(buildId: string, now: number): Promise<BuildRecord[]> {
    return settle(() => {
      const failed = this.getStatement.get(buildId);
      if (!failed?.group_id) return [];
      return this.runs.failDependents(buildId, failed.group_id, now);
    });
  }

  delete(ids: readonly string[]): Promise<number> {
    return settle(() => (ids.length === 0 ? 0 : this.deleteTransaction.immediate(ids)));
  }

  countByStatus(status: BuildStatus): Promise<number> {
    return settle(() => this.countStatement.get(status) ?? 0);
  }

  aggregate(query: StatsQuery): Promise<BuildAggregate> {
    return settle(() => {
      const params: Params = { now: query.now, since: query.since ?? NO_LOWER_BOUND };
      const filter = scopeFilter(query, params);
      const perStatus = this.shaped.get<StatusAggregateRow>(perStatusSql(filter)).all(params);
      const busy = this.shaped.get<{ busy_ms: number }>(busySql(filter)).get(params);
      return toAggregate(perStatus, busy?.busy_ms ?? 0);
    });
  }

  newestSucceededWithImage(query: ImageScopeQuery): Promise<BuildRecord | undefined> {
    return settle(() => {
      const params: Params = { since: query.since ?? NO_LOWER_BOUND };
      const filter = scopeFilter(query, params);
      // finished_at first: with several workers, the build that finished last pushed last.
      const sql = `
        SELECT * FROM builds
        WHERE status = 'succeeded' AND image IS NOT NULL AND created_at >= @since${filter}
        ORDER BY finished_at DESC, seq DESC LIMIT 1`;
      return mapOptional(this.shaped.get<BuildRow>(sql).get(params));
    });
  }
}

/** ` AND ...` conditions for the service and label of a stats scope, with their values added to `params`. */
function scopeFilter(query: ImageScopeQuery, params: Params): string {
  const filters: string[] = [];
  if (query.serviceId !== undefined) {
    filters.push('service_id = @serviceId');
    params.serviceId = query.serviceId;
  }
  if (query.label) {
    filters.push(
      'EXISTS (SELECT 1 FROM json_each(builds.labels) AS l WHERE l.key = @labelKey AND l.value = @labelValue)',
    );
    params.labelKey = query.label.key;
    params.labelValue = query.label.value;
  }
  return filters.map((condition) => ` AND ${condition}`).join('');
}

/**
 * Counts and averages per status over the builds created in the window. AVG skips NULLs, so builds
 * without an image (json_extract of NULL is NULL) do not count towards the image averages.
 */
function perStatusSql(filter: string): string {
  return `
    SELECT status, COUNT(*) AS count, AVG(duration_ms) AS avg_duration, AVG(artifact_size) AS avg_size,
      AVG(json_extract(image, '$.size')) AS avg_image_size,
      AVG(json_extract(image, '$.bytesUploaded')) AS avg_image_uploaded
    FROM builds WHERE created_at >= @since${filter}
    GROUP BY status`;
}

/**
 * Busy time counts every build that ran during [since, now], whenever it was created: a build that
 * started before `since` and is still running contributes the part inside the window. Only builds
 * that are running (until now) or have finished (until finished_at) have a known running time; a
 * build put back to pending keeps started_at but is not running.
 */
function busySql(filter: string): string {
  return `
    SELECT COALESCE(SUM(MAX(0, MIN(COALESCE(finished_at, @now), @now) - MAX(started_at, @since))), 0) AS busy_ms
    FROM builds
    WHERE started_at IS NOT NULL AND (finished_at IS NOT NULL OR status = 'running')
      AND started_at < @now AND COALESCE(finished_at, @now) > @since${filter}`;
}

/** `status IN (...)` with one named parameter per status, added to `params`. */
function statusCondition(statuses: readonly BuildStatus[], params: Params): string {
  const names = statuses.map((status, index) => {
    params[`status${index}`] = status;
    return `@status${index}`;
  });
  return `status IN (${names.join(', ')})`;
}

function mapOptional(row: BuildRow | undefined): BuildRecord | undefined {
  return row ? rowToBuild(row) : undefined;
}
