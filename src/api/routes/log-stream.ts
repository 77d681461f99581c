import type { FastifyReply, FastifyRequest } from 'fastify';
import { isTerminal } from '../../builds/index.js';
import type { ApiDeps } from '../deps.js';
import type { LogLine } from '../../persistence/index.js';
import { buildView, logLineView } from '../views.js';

const PAGE = 2000;

function lineEvents(lines: readonly LogLine[]): string {
  return lines
    .map((line) => `event: line\nid: ${line.seq}\ndata: ${JSON.stringify(logLineView(line))}\n\n`)
    .join('');
}

/**
 * Server-Sent Events for one build's log: every stored line after `afterSeq`, then live lines,
 * progress and status, and a final `end` event. The store is the truth and is re-read on every
 * event hint and at least every `logPollMs`; events only cut latency.
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
  raw.write('retry: 1000\n\n');

  let closed = false;
  let wake: (() => void) | undefined;
  let dirty = true;
  const poke = (): void => {
    dirty = true;
    wake?.();
  };
  const unsubscribe = deps.events.subscribe(buildId, (event) => {
    if (event.type === 'progress' && !closed)
      raw.write(`event: progress\ndata: ${JSON.stringify(event.progress)}\n\n`);
    poke();
  });
  const onClose = (): void => {
    closed = true;
    wake?.();
  };
  // The response's close is the reliable signal that the client went away.
  raw.on('close', onClose);
  request.raw.on('close', onClose);
  const keepAlive = setInterval(() => {
    if (!closed) raw.write(': ping\n\n');
  }, deps.keepAliveMs ?? 15_000);

  let cursor = afterSeq;
  let lastStatus = first.status;
  raw.write(`event: status\ndata: ${JSON.stringify(buildView(first))}\n\n`);
  try {
    while (!closed) {
      dirty = false;
      let lines;
      do {
        ({ lines } = await deps.builds.readLog(buildId, cursor, PAGE));
        cursor = lines[lines.length - 1]?.seq ?? cursor;
        if (lines.length > 0 && !closed) raw.write(lineEvents(lines));
      } while (lines.length === PAGE && !closed);
      const build = await deps.builds.get(buildId);
      if (build.status !== lastStatus) {
        lastStatus = build.status;
        raw.write(`event: status\ndata: ${JSON.stringify(buildView(build))}\n\n`);
      }
      if (isTerminal(build.status)) {
        // Lines are committed before the final status, but read once more to be sure.
        const rest = await deps.builds.readLog(buildId, cursor, 100_000);
        raw.write(lineEvents(rest.lines));
        raw.write(`event: end\ndata: ${JSON.stringify(buildView(build))}\n\n`);
        break;
      }
      if (!dirty) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deps.logPollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  } catch (error) {
    request.log.warn({ err: error }, 'log stream ended with an error');
  } finally {
    clearInterval(keepAlive);
    unsubscribe();
    raw.end();
  }
}
