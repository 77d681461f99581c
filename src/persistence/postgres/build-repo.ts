import type {
  BuildAggregate,
  BuildPatch,
  BuildPrecondition,
  BuildQuery,
  BuildRecord,
  BuildRepo,
  BuildStatus,
  BuildTimelineBucket,
  ConcurrencyPolicy,
  ImageScopeQuery,
  NewBuild,
  StatsQuery,
  TimelineQuery,
} from '../types.js';
import { TERMINAL_STATUSES } from '../types.js';
import { INSERT_BUILD_SQL, newBuildParams, patchAssignments, rowToBuild } from './build-row.js';
import type { PgBuildRow } from './build-row.js';
import { CLAIM_NEXT_SQL, failDependents, insertRun } from './build-runs.js';
import { NO_LOWER_BOUND, aggregate, scopeFilter } from './build-stats.js';
import { timeline } from './build-timeline.js';
import type { PgDb } from './db.js';
import { PgParams } from './params.js';

const TERMINAL_LIST = TERMINAL_STATUSES.map((status) => `'${status}'`).join(', ');

export class PgBuildRepo implements BuildRepo {
  constructor(private readonly db: PgDb) {}

  async insert(build: NewBuild): Promise<BuildRecord> {
    const [row] = await this.db.query<PgBuildRow>(INSERT_BUILD_SQL, newBuildParams(build));
    if (!row) throw new Error(`insert of build ${build.id} returned no row`);
    return rowToBuild(row);
  }

  async get(id: string): Promise<BuildRecord | undefined> {
    return first(await this.db.query<PgBuildRow>('SELECT * FROM builds WHERE id = $1', [id]));
  }

  async list(query: BuildQuery): Promise<BuildRecord[]> {
    if (query.status?.length === 0) return [];
    const params = new PgParams();
    const conditions: string[] = [];
    if (query.status) conditions.push(`status IN (${params.list(query.status)})`);
    if (query.serviceId !== undefined) conditions.push(`service_id = ${params.add(query.serviceId)}`);
    if (query.groupId !== undefined) conditions.push(`group_id = ${params.add(query.groupId)}`);
    if (query.projectId !== undefined) conditions.push(`project_id = ${params.add(query.projectId)}`);
    if (query.branch !== undefined) conditions.push(`commit_info ->> 'branch' = ${params.add(query.branch)}`);
    if (query.beforeSeq !== undefined) conditions.push(`seq < ${params.add(query.beforeSeq)}`);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = await this.db.query<PgBuildRow>(
      `SELECT * FROM builds ${where} ORDER BY seq DESC LIMIT ${params.add(query.limit)}`,
      params.values,
    );
    return rows.map(rowToBuild);
  }

  async update(
    id: string,
    patch: BuildPatch,
    precondition?: BuildPrecondition,
  ): Promise<BuildRecord | undefined> {
    if (precondition?.status?.length === 0) return undefined;
    const params = new PgParams();
    const conditions = [`id = ${params.add(id)}`];
    if (precondition?.status) conditions.push(`status IN (${params.list(precondition.status)})`);
    if (precondition?.leaseOwner !== undefined) {
      conditions.push(`lease_owner = ${params.add(precondition.leaseOwner)}`);
    }
    const where = conditions.join(' AND ');
    const assignments = patchAssignments(patch);
    if (assignments.length === 0) {
      return first(await this.db.query<PgBuildRow>(`SELECT * FROM builds WHERE ${where}`, params.values));
    }
    const set = assignments.map(({ column, value }) => `${column} = ${params.add(value)}`).join(', ');
    return first(
      await this.db.query<PgBuildRow>(`UPDATE builds SET ${set} WHERE ${where} RETURNING *`, params.values),
    );
  }

  async claimNext(owner: string, leaseMs: number, now: number): Promise<BuildRecord | undefined> {
    return first(await this.db.query<PgBuildRow>(CLAIM_NEXT_SQL, [owner, now + leaseMs, now]));
  }

  async renewLease(id: string, owner: string, leaseMs: number, now: number): Promise<boolean> {
    const changed = await this.db.execute(
      `UPDATE builds SET lease_expires_at = $3 WHERE id = $1 AND status = 'running' AND lease_owner = $2`,
      [id, owner, now + leaseMs],
    );
    return changed === 1;
  }

  async listOrphaned(now: number, ownerPrefix: string, exceptOwner: string): Promise<BuildRecord[]> {
    // starts_with, not LIKE, so that % and _ in owner names are literal.
    const rows = await this.db.query<PgBuildRow>(
      `SELECT * FROM builds
       WHERE status = 'running' AND (lease_expires_at < $1 OR (
         starts_with(lease_owner, $2::text) AND lease_owner <> $3))
       ORDER BY seq`,
      [now, ownerPrefix, exceptOwner],
    );
    return rows.map(rowToBuild);
  }

  async listFinishedBefore(before: number, limit: number): Promise<BuildRecord[]> {
    const rows = await this.db.query<PgBuildRow>(
      `SELECT * FROM builds WHERE status IN (${TERMINAL_LIST}) AND finished_at < $1
       ORDER BY finished_at, seq LIMIT $2`,
      [before, limit],
    );
    return rows.map(rowToBuild);
  }

  async newestSucceededPerService(): Promise<BuildRecord[]> {
    // DISTINCT ON treats null service ids as one group, which is the contract.
    const rows = await this.db.query<PgBuildRow>(`
      SELECT * FROM (
        SELECT DISTINCT ON (service_id) * FROM builds WHERE status = 'succeeded'
        ORDER BY service_id, seq DESC
      ) newest ORDER BY seq DESC`);
    return rows.map(rowToBuild);
  }

  async findByCacheKey(cacheKey: string): Promise<BuildRecord | undefined> {
    return first(
      await this.db.query<PgBuildRow>(
        `SELECT * FROM builds WHERE cache_key = $1 AND status = 'succeeded' ORDER BY seq DESC LIMIT 1`,
        [cacheKey],
      ),
    );
  }

  async delete(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    // Steps, logs and log state go with the build through ON DELETE CASCADE.
    return this.db.execute('DELETE FROM builds WHERE id = ANY($1::text[])', [[...ids]]);
  }

  async countByStatus(status: BuildStatus): Promise<number> {
    const [row] = await this.db.query<{ count: number }>(
      'SELECT COUNT(*) AS count FROM builds WHERE status = $1',
      [status],
    );
    return row?.count ?? 0;
  }

  aggregate(query: StatsQuery): Promise<BuildAggregate> {
    return aggregate(this.db, query);
  }

  async newestSucceededWithImage(query: ImageScopeQuery): Promise<BuildRecord | undefined> {
    const params = new PgParams();
    const since = params.add(query.since ?? NO_LOWER_BOUND);
    const filter = scopeFilter(query, params);
    // finished_at first: with several workers, the build that finished last pushed last.
    return first(
      await this.db.query<PgBuildRow>(
        `SELECT * FROM builds
         WHERE status = 'succeeded' AND image IS NOT NULL AND created_at >= ${since}::bigint${filter}
         ORDER BY finished_at DESC NULLS LAST, seq DESC LIMIT 1`,
        params.values,
      ),
    );
  }

  insertRun(
    builds: readonly NewBuild[],
    policy: ConcurrencyPolicy | null,
    now: number,
  ): Promise<{ inserted: BuildRecord[]; superseded: BuildRecord[]; cancelled: BuildRecord[] }> {
    return insertRun(this.db, builds, policy, now);
  }

  failDependents(buildId: string, now: number): Promise<BuildRecord[]> {
    return failDependents(this.db, buildId, now);
  }

  timeline(query: TimelineQuery): Promise<BuildTimelineBucket[]> {
    return timeline(this.db, query);
  }
}

function first(rows: readonly PgBuildRow[]): BuildRecord | undefined {
  const row = rows[0];
  return row ? rowToBuild(row) : undefined;
}
