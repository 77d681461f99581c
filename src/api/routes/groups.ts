import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { groupStatus } from '../../builds/index.js';
import { KilnError } from '../../errors/index.js';
import type { ApiDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';
import { buildView } from '../views.js';

const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
const errors = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** Build groups: a matrix run (its evaluation build and one child per derivation) or a multi-system build. */
export function groupRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Params: { id: string } }>(
    '/api/v1/groups/:id',
    {
      schema: {
        summary: 'A build group: its status (failed as soon as any build failed), counts and builds',
        params: IdParams,
        response: errors,
      },
    },
    async (request) => {
      const builds = await deps.builds.list({ groupId: request.params.id, limit: 10_000 });
      if (builds.length === 0) {
        throw new KilnError('KILN_ERR_NOT_FOUND', `no build group with id ${request.params.id}`);
      }
      const counts: Record<string, number> = {};
      for (const build of builds) counts[build.status] = (counts[build.status] ?? 0) + 1;
      const cached = builds.filter((b) => b.cached).length;
      const started = builds.map((b) => b.startedAt).filter((t): t is number => t !== null);
      const finished = builds.map((b) => b.finishedAt);
      const done = finished.every((t) => t !== null);
      return {
        id: request.params.id,
        status: groupStatus(builds),
        finished: done,
        counts,
        cached,
        startedAt: started.length > 0 ? new Date(Math.min(...started)).toISOString() : null,
        finishedAt: done ? new Date(Math.max(...finished.map((t) => t ?? 0))).toISOString() : null,
        builds: builds.reverse().map(buildView),
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/groups/:id/cancel',
    {
      schema: { summary: 'Cancel every unfinished build of a group', params: IdParams, response: errors },
    },
    async (request) => ({ cancelled: (await deps.builds.cancelGroup(request.params.id)).map(buildView) }),
  );
}
