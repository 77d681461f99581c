/**
 * Reading a write's source for the S3 backend: chunks as an async iterator that an abort ends at
 * once, even when the source has stalled (a silent peer never settles its next chunk).
 */
export async function* abortableChunks(
  source: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const next = await raceAbort(iterator.next(), signal);
      if (next.done === true) break;
      yield next.value;
    }
    finished = true;
    // The last moment an abort cancels the write: after the source ends, the upload commits.
    signal?.throwIfAborted();
  } finally {
    // Stop a source we leave early (a Readable is destroyed). Not awaited: a stalled generator's
    // return() waits for its pending next(), which may never come.
    if (!finished) iterator.return?.()?.catch(() => undefined);
  }
}

/** Up to `limit` bytes of `chunks`, and whether that was all of them. */
export async function readHead(
  chunks: AsyncIterator<Uint8Array>,
  limit: number,
): Promise<{ head: Uint8Array[]; size: number; ended: boolean }> {
  const head: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const next = await chunks.next();
    if (next.done === true) return { head, size, ended: true };
    head.push(next.value);
    size += next.value.length;
  }
  return { head, size, ended: false };
}

/** `head` followed by the rest of `chunks`, counting every byte into `counter.bytes`. */
export async function* prepend(
  head: readonly Uint8Array[],
  chunks: AsyncIterator<Uint8Array>,
  counter: { bytes: number },
): AsyncGenerator<Uint8Array, void, undefined> {
  for (const chunk of head) {
    counter.bytes += chunk.length;
    yield chunk;
  }
  for (;;) {
    const next = await chunks.next();
    if (next.done === true) return;
    counter.bytes += next.value.length;
    yield next.value;
  }
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      reject(reason instanceof Error ? reason : new Error('write aborted', { cause: reason }));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
