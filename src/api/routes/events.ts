import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';
import { StatusPoller } from '../status-poller.js';
import { buildView } from '../views.js';

/**
 * `GET /api/v1/events`: Server-Sent Events of every build's status changes (`event: build` with
 * the BuildView), so lists update live. Events are hints: each one re-reads the build from the
 * store, and hints that arrive together for the same build are sent once. A poll of the
 * unfinished builds backs them up.
 */
export function eventRoutes(app: FastifyInstance, deps: ApiDeps): void {
  // One poller for every client: a status change whose event never arrived (another process's
  // signal lost in a database outage) still reaches the stream within `statusPollMs`.
  const poller = new StatusPoller(
    { list: (query) => deps.builds.list(query) },
    deps.statusPollMs ?? 5_000,
    (error) => app.log.warn({ err: error }, 'polling build statuses failed'),
  );
  app.get(
    '/api/v1/events',
    {
      schema: {
        summary: 'Live status changes of every build (Server-Sent Events, `event: build` with a BuildView)',
        response: { 401: ErrorBody, 403: ErrorBody },
      },
    },
    (request, reply) => {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 1000\n\n');

      let closed = false;
      const waiting = new Set<string>();
      let flushing = false;
      const flush = async (): Promise<void> => {
        if (flushing) return;
        flushing = true;
        try {
          while (waiting.size > 0 && !closed) {
            const [id] = waiting;
            if (id === undefined) break;
            waiting.delete(id);
            try {
              const build = await deps.builds.get(id);
              if (!closed) raw.write(`event: build\ndata: ${JSON.stringify(buildView(build))}\n\n`);
            } catch (error) {
              // Deleted in between (cleanup): nothing to show.
              request.log.debug({ err: error, buildId: id }, 'build event for a build that is gone');
            }
          }
        } finally {
          flushing = false;
        }
      };
      const notice = (buildId: string): void => {
        if (closed) return;
        waiting.add(buildId);
        void flush();
      };
      const unsubscribeEvents = deps.events.subscribe('*', (event) => {
        if (event.type === 'status') notice(event.buildId);
      });
      const unsubscribePoller = poller.subscribe(notice);
      const unsubscribe = (): void => {
        unsubscribeEvents();
        unsubscribePoller();
      };
      const keepAlive = setInterval(() => {
        if (!closed) raw.write(': ping\n\n');
      }, deps.keepAliveMs ?? 15_000);
      const onClose = (): void => {
        if (closed) return;
        closed = true;
        clearInterval(keepAlive);
        unsubscribe();
        raw.end();
      };
      // The response's close is the reliable signal that the client went away.
      raw.on('close', onClose);
    },
  );
}
