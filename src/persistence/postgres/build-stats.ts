import { toAggregate, type StatusAggregateRow } from '../build-summaries.js';
import type { BuildAggregate, ImageScopeQuery, StatsQuery } from '../types.js';
import type { PgDb } from './db.js';
import { PgParams } from './params.js';

/** Smallest time, standing in for "no lower bound". */
export const NO_LOWER_BOUND = Number.MIN_SAFE_INTEGER;

/** ` AND ...` conditions for the service and label of a stats scope, with their values bound. */
export function scopeFilter(query: ImageScopeQuery, params: PgParams): string {
  const filters: string[] = [];
  if (query.serviceId !== undefined) filters.push(`service_id = ${params.add(query.serviceId)}`);
  if (query.label) {
    filters.push(`labels ->> ${params.add(query.label.key)}::text = ${params.add(query.label.value)}::text`);
  }
  return filters.map((condition) => ` AND ${condition}`).join('');
}

/** BuildRepo.aggregate: counts and averages per status, and busy time, read in one snapshot. */
export function aggregate(db: PgDb, query: StatsQuery): Promise<BuildAggregate> {
  return db.transaction(async (tx) => {
    await tx.execute('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const perStatusParams = new PgParams();
    const since = perStatusParams.add(query.since ?? NO_LOWER_BOUND);
    const perStatusFilter = scopeFilter(query, perStatusParams);
    // AVG skips NULLs, so builds without an image do not count towards the image averages.
    const perStatus = await tx.query<StatusAggregateRow>(
      `SELECT status, COUNT(*) AS count, AVG(duration_ms) AS avg_duration, AVG(artifact_size) AS avg_size,
         AVG((image ->> 'size')::numeric) AS avg_image_size,
         AVG((image ->> 'bytesUploaded')::numeric) AS avg_image_uploaded
       FROM builds WHERE created_at >= ${since}::bigint${perStatusFilter}
       GROUP BY status`,
      perStatusParams.values,
    );
    // Busy time counts every build that ran during [since, now], whenever it was created; a build
    // put back to pending keeps started_at but is not running.
    const busyParams = new PgParams();
    const now = `${busyParams.add(query.now)}::bigint`;
    const busySince = `${busyParams.add(query.since ?? NO_LOWER_BOUND)}::bigint`;
    const busyFilter = scopeFilter(query, busyParams);
    const [busy] = await tx.query<{ busy_ms: number }>(
      `SELECT COALESCE(SUM(GREATEST(0,
           LEAST(COALESCE(finished_at, ${now}), ${now}) - GREATEST(started_at, ${busySince}))), 0) AS busy_ms
       FROM builds
       WHERE started_at IS NOT NULL AND (finished_at IS NOT NULL OR status = 'running')
         AND started_at < ${now} AND COALESCE(finished_at, ${now}) > ${busySince}${busyFilter}`,
      busyParams.values,
    );
    return toAggregate(perStatus, busy?.busy_ms ?? 0);
  });
}
