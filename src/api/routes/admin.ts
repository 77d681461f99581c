import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../../builds/index.js';
import type { ApiDeps } from '../deps.js';
import { CleanupBody, CleanupResponse, ErrorBody, StatsQuery, StatsResponse } from '../schemas.js';

export function adminRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: StatsQuery }>(
    '/api/v1/stats',
    {
      schema: {
        summary: 'Build statistics, overall or per service or label',
        querystring: StatsQuery,
        response: { 200: StatsResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request) => {
      const { serviceId, label, sinceHours } = request.query;
      const stats = await deps.statistics({
        serviceId,
        label,
        since: sinceHours === undefined ? undefined : Date.now() - sinceHours * 3_600_000,
      });
      return {
        ...stats,
        scope: {
          ...stats.scope,
          since: stats.scope.since === null ? null : new Date(stats.scope.since).toISOString(),
        },
        lastGoodImage:
          stats.lastGoodImage === null
            ? null
            : { ...stats.lastGoodImage, finishedAt: new Date(stats.lastGoodImage.finishedAt).toISOString() },
      };
    },
  );

  app.post<{ Body: CleanupBody }>(
    '/api/v1/cleanup',
    {
      schema: {
        summary: 'Delete old build records, logs and GC roots',
        body: CleanupBody,
        response: { 200: CleanupResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request) => deps.cleanup(parseDuration(request.body.olderThan), request.body.dryRun ?? false),
  );
}
