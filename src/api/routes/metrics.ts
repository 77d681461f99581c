import type { FastifyInstance } from 'fastify';
import {
  buildMetricFamilies,
  cacheMetricFamilies,
  renderPrometheus,
  workerMetricFamilies,
} from '../../metrics/index.js';
import type { ApiDeps } from '../deps.js';

/** Prometheus scrape endpoint; needs the admin token like the API (Prometheus sends it as a bearer token). */
export function metricsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const [stats, caches, workers] = await Promise.all([
      deps.statistics({}),
      deps.warehouse.allStats(),
      deps.workers ? deps.workers.list() : [],
    ]);
    return reply
      .type('text/plain; version=0.0.4; charset=utf-8')
      .send(
        renderPrometheus([
          ...buildMetricFamilies(stats),
          ...workerMetricFamilies(workers),
          ...cacheMetricFamilies(caches),
        ]),
      );
  });
}
