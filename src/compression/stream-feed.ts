import type { Writable } from 'node:stream';

/** Resolves once `stream` can take more data, or will never need to (closed, failed, stopped). */
function writable(stream: Writable, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      stop.removeEventListener('abort', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
    stop.addEventListener('abort', done, { once: true });
  });
}

/**
 * Copies `source` into `sink` with backpressure and ends it. Never rejects: a failure of the
 * source is returned (the caller decides what it means); a failure of the sink is left to the
 * sink's reader, which sees it (an EPIPE from a dead child shows as that child's exit status).
 */
export async function feed(
  source: AsyncIterable<Uint8Array>,
  sink: Writable,
  stop: AbortSignal,
): Promise<{ error: unknown } | undefined> {
  try {
    for await (const chunk of source) {
      if (stop.aborted || sink.destroyed) return undefined;
      if (!sink.write(chunk)) await writable(sink, stop);
    }
    if (!stop.aborted && !sink.destroyed) sink.end();
    return undefined;
  } catch (error) {
    return { error };
  }
}
