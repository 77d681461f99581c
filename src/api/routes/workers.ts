import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkerCacheOptionsSchema, type StoredWorkerCache } from '../../cache/index.js';
import { KilnError } from '../../errors/index.js';
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

const WorkerParams = Type.Object({
  id: Type.String({
    pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$',
    description: 'The node id of the worker (its KILN_NODE_ID).',
  }),
});
type WorkerParams = Static<typeof WorkerParams>;

const WorkerCacheView = Type.Object({
  workerId: Type.String(),
  options: WorkerCacheOptionsSchema,
  updatedAt: Type.String({ format: 'date-time' }),
});

function cacheView(stored: StoredWorkerCache): Static<typeof WorkerCacheView> {
  return { ...stored, updatedAt: new Date(stored.updatedAt).toISOString() };
}

/** The worker registry and per-worker cache settings (admin token). */
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

  // Seed 002's configureCacheForWorker, central: the worker applies them when it starts.
  const settings = (): NonNullable<ApiDeps['workerCache']> => {
    if (!deps.workerCache)
      throw new KilnError('KILN_ERR_UNAVAILABLE', 'this server keeps no worker settings');
    return deps.workerCache;
  };
  app.get<{ Params: WorkerParams }>(
    '/api/v1/workers/:id/cache',
    {
      schema: {
        summary: 'A worker’s cache settings (substituters, trusted keys, store), applied when it starts',
        params: WorkerParams,
        response: { 200: WorkerCacheView, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const stored = await settings().get(request.params.id);
      if (!stored)
        throw new KilnError('KILN_ERR_NOT_FOUND', `worker ${request.params.id} has no cache settings`, {
          workerId: request.params.id,
        });
      return cacheView(stored);
    },
  );
  app.put<{ Params: WorkerParams; Body: Static<typeof WorkerCacheOptionsSchema> }>(
    '/api/v1/workers/:id/cache',
    {
      schema: {
        summary: 'Set a worker’s cache settings; the worker applies them when it next starts',
        params: WorkerParams,
        body: WorkerCacheOptionsSchema,
        response: { 200: WorkerCacheView, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => cacheView(await settings().put(request.params.id, request.body)),
  );
  app.delete<{ Params: WorkerParams }>(
    '/api/v1/workers/:id/cache',
    {
      schema: {
        summary: 'Remove a worker’s cache settings (it runs with its own configuration from its next start)',
        params: WorkerParams,
        response: { 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      if (!(await settings().delete(request.params.id)))
        throw new KilnError('KILN_ERR_NOT_FOUND', `worker ${request.params.id} has no cache settings`, {
          workerId: request.params.id,
        });
      return reply.code(204).send();
    },
  );
}
