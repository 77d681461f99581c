import type { FastifyReply, FastifyRequest } from 'fastify';
import { isTerminal, type BuildDetails } from '../../builds/index.js';
import type { ApiDeps } from '../deps.js';
import { LogFanout } from '../log-fanout.js';
import { buildView } from '../views.js';

/** One fan-out per API server (per deps object), created with its first follower. */
const fanouts = new WeakMap<ApiDeps, LogFanout<BuildDetails>>();

function fanoutFor(deps: ApiDeps, request: FastifyRequest): LogFanout<BuildDetails> {
  let fanout = fanouts.get(deps);
  if (!fanout) {
    fanout = new LogFanout<BuildDetails>(
      {
        get: (id) => deps.builds.get(id),
        readLog: (id, after, limit) => deps.builds.readLog(id, after, limit),
        subscribe: (id, listener) => deps.events.subscribe(id, listener),
        status: (build) => build.status,
        terminal: (build) => isTerminal(build.status),
        view: (build) => buildView(build),
      },
      {
        pollMs: deps.logPollMs,
        keepAliveMs: deps.keepAliveMs ?? 15_000,
        onError: (error) => request.log.warn({ err: error }, 'a live log stream ended with an error'),
      },
    );
    fanouts.set(deps, fanout);
  }
  return fanout;
}

/**
 * Server-Sent Events for one build's log: every stored line after `afterSeq`, then live lines,
 * progress and status, and a final `end` event. The store is the truth, read by one shared reader
 * per build on every event hint and at least every `logPollMs`; events only cut latency.
 */
export async function streamLog(
  deps: ApiDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  buildId: string,
  afterSeq: number,
): Promise<void> {
  const first = await deps.builds.get(buildId); // throws NOT_FOUND before any byte is sent
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(`retry: 1000\n\nevent: status\ndata: ${JSON.stringify(buildView(first))}\n\n`);
  await new Promise<void>((resolve) => {
    const leave = fanoutFor(deps, request).follow(
      buildId,
      {
        write: (chunk) => raw.write(chunk),
        onDrain: (listener) => raw.once('drain', listener),
        end: () => {
          raw.end();
          resolve();
        },
      },
      { afterSeq, status: first.status },
    );
    // The response's close is the reliable signal that the client went away.
    const onClose = (): void => {
      leave();
      resolve();
    };
    raw.on('close', onClose);
  });
}
