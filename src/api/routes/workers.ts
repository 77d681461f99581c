import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';

export const WorkerView = Type.Object({
  id: Type.String({ description: 'The lease owner id builds running there carry.' }),
  node: Type.String(),
  host: Type.String(),
  pid: Type.Integer(),
  role: Type.String(),
  systems: Type.Array(Type.String()),
  features: Type.Array(Type.String()),
  slots: Type.Integer(),
  load: Type.Integer({ description: 'Builds running at the last heartbeat.' }),
  nixStore: Type.String(),
  version: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  alive: Type.Boolean({ description: 'The last heartbeat is within the worker timeout.' }),
});
export type WorkerView = Static<typeof WorkerView>;

const WorkersResponse = Type.Object({
  workers: Type.Array(WorkerView),
  timeoutMs: Type.Integer({ description: 'How old a heartbeat may be for its worker to count as alive.' }),
});

/** The worker registry (admin token). */
export function workerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/api/v1/workers',
    {
      schema: {
        summary: 'Registered build workers: systems, slots, load, alive',
        response: { 200: WorkersResponse, 401: ErrorBody },
      },
    },
    async () => {
      const workers = deps.workers ? await deps.workers.list() : [];
      return {
        workers: workers.map((worker) => ({
          ...worker,
          startedAt: new Date(worker.startedAt).toISOString(),
          lastSeenAt: new Date(worker.lastSeenAt).toISOString(),
        })),
        timeoutMs: deps.workers?.timeoutMs ?? 0,
      };
    },
  );
}
