import { setMaxListeners } from 'node:events';
import { KilnError, type ErrorCode } from '../../errors/index.js';
import { compressNar } from './compressed-nar.js';
import { renderPushNarInfo, type UploadedNar } from './narinfo.js';
import { batches, hashPartOf, MISSING_BATCH, topologicalOrder } from './plan.js';
import type { PushOptions, PushPathInfo, PushSummary, TransportResponse } from './types.js';

export const DEFAULT_PUSH_JOBS = 8;

/**
 * Pushes the closures of `options.paths` to a kiln cache, the way Nix's addMultipleToStore does:
 * ask which paths are missing, upload their NARs in parallel (zstd, named by the hash of the
 * compressed bytes), and upload each narinfo only after the narinfos of all its references, so
 * the cache never holds a path whose references it lacks. The first failure stops everything.
 */
export async function pushClosure(options: PushOptions): Promise<PushSummary> {
  const started = Date.now();
  const stop = new AbortController();
  const outer = options.signal;
  const onOuterAbort = (): void => stop.abort(outer?.reason);
  if (outer?.aborted) throw outer.reason;
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    return await run(options, stop, started);
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

async function run(options: PushOptions, stop: AbortController, started: number): Promise<PushSummary> {
  const { cache, transport, source } = options;
  const signal = stop.signal;
  // Every upload in flight (compressor, hasher, request) listens on it; that is expected.
  setMaxListeners(0, signal);
  const report = options.onProgress ?? (() => undefined);
  const request = retrying(options, signal);
  const cachePath = `/cache/${encodeURIComponent(cache)}`;

  const infos = options.paths.length === 0 ? [] : await source.closure(options.paths, signal);
  report({ type: 'closure', paths: infos.length });

  const byHash = new Map(infos.map((info) => [hashPartOf(info.path), info]));
  const missing = new Set<string>();
  for (const batch of batches([...byHash.keys()], MISSING_BATCH)) {
    const answer = await request('POST missing-paths', () =>
      transport.postJson(
        `/api/v1/caches/${encodeURIComponent(cache)}/missing-paths`,
        { storePathHashes: batch },
        signal,
      ),
    );
    for (const hash of parseMissing(answer.text)) if (byHash.has(hash)) missing.add(hash);
  }
  const toPush = topologicalOrder(infos.filter((info) => missing.has(hashPartOf(info.path))));
  report({ type: 'missing', missing: toPush.length, present: infos.length - toPush.length });

  const slots = new Semaphore(options.jobs ?? DEFAULT_PUSH_JOBS);
  const pushedPaths: string[] = [];
  let bytesUploaded = 0;
  let narBytes = 0;
  let failure: { error: unknown } | undefined;

  const uploadNar = async (info: PushPathInfo): Promise<UploadedNar> => {
    await slots.acquire(signal);
    try {
      const nar = await compressNar(source.dump(info.path, signal), {
        signal,
        memoryLimitBytes: options.memoryLimitBytes,
        tempDir: options.tempDir,
      });
      try {
        await request(`PUT NAR of ${info.path}`, () =>
          transport.put(
            `${cachePath}/nar/${nar.fileHash}.nar.zst`,
            nar.body,
            'application/x-nix-nar',
            signal,
          ),
        );
      } finally {
        await nar.dispose();
      }
      bytesUploaded += nar.fileSize;
      narBytes += info.narSize;
      report({ type: 'nar-uploaded', path: info.path, fileSize: nar.fileSize, narSize: info.narSize });
      return { fileHash: nar.fileHash, fileSize: nar.fileSize };
    } finally {
      slots.release();
    }
  };

  // Created in topological order, so the promises of a path's references already exist.
  const done = new Map<string, Promise<void>>();
  for (const info of toPush) {
    const references = info.references.flatMap((ref) => {
      const pending = ref === info.path ? undefined : done.get(ref);
      return pending ? [pending] : [];
    });
    const task = (async () => {
      const nar = await uploadNar(info);
      await Promise.all(references);
      const text = renderPushNarInfo(info, nar);
      await request(`PUT narinfo of ${info.path}`, () =>
        transport.put(
          `${cachePath}/${hashPartOf(info.path)}.narinfo`,
          { kind: 'bytes', bytes: Buffer.from(text) },
          'text/x-nix-narinfo',
          signal,
        ),
      );
      pushedPaths.push(info.path);
      report({ type: 'path-pushed', path: info.path, done: pushedPaths.length, total: toPush.length });
    })();
    // The first failure is the one reported; the abort it causes fails the others.
    task.catch((error: unknown) => {
      failure ??= { error };
      stop.abort(error);
    });
    done.set(info.path, task);
  }
  await Promise.allSettled(done.values());
  if (failure) throw failure.error;

  return {
    cache,
    closure: infos.length,
    pushed: pushedPaths.length,
    alreadyPresent: infos.length - toPush.length,
    bytesUploaded,
    narBytes,
    seconds: (Date.now() - started) / 1000,
    pushedPaths,
  };
}

/** Runs a request with retries for no answer and 5xx; a 4xx is final and carries the server's message. */
function retrying(options: PushOptions, signal: AbortSignal) {
  const attempts = options.attempts ?? 3;
  const firstDelay = options.retryDelayMs ?? 500;
  return async (what: string, call: () => Promise<TransportResponse>): Promise<TransportResponse> => {
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        options.onProgress?.({ type: 'retry', what, attempt, error: last });
        await sleep(firstDelay * 2 ** (attempt - 2), signal);
      }
      let answer: TransportResponse;
      try {
        answer = await call();
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        last = error instanceof Error ? error.message : String(error);
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) return answer;
      if (answer.status >= 500 || answer.status === 408 || answer.status === 429) {
        last = `${answer.status} ${serverMessage(answer.text)}`;
        continue;
      }
      throw new KilnError(
        codeFor(answer.status),
        `${what}: the server answered ${answer.status}: ${serverMessage(answer.text)}`,
        {
          status: answer.status,
        },
      );
    }
    throw new KilnError('KILN_ERR_UNAVAILABLE', `${what} failed after ${attempts} attempts: ${last}`, {
      attempts,
    });
  };
}

function codeFor(status: number): ErrorCode {
  if (status === 401) return 'KILN_ERR_UNAUTHORIZED';
  if (status === 403) return 'KILN_ERR_FORBIDDEN';
  if (status === 404) return 'KILN_ERR_NOT_FOUND';
  if (status === 409) return 'KILN_ERR_CONFLICT';
  return 'KILN_ERR_VALIDATION';
}

/** `{error:{message}}` from kiln's API, else the first line of whatever the body is. */
export function serverMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
  } catch {
    // not JSON: a plain-text answer
  }
  const line = text.trim().split('\n', 1)[0] ?? '';
  return line === '' ? 'no message' : line.slice(0, 500);
}

function parseMissing(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KilnError('KILN_ERR_INTERNAL', 'the server sent invalid JSON for missing-paths');
  }
  const list = (parsed as { missing?: unknown } | null)?.missing;
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw new KilnError('KILN_ERR_INTERNAL', 'the missing-paths answer has no "missing" list');
  }
  // Hash parts per the contract; full store paths are accepted too.
  return list.map((item) => (item.startsWith('/') ? hashPartOf(item) : item));
}

/** The abort reason as an Error (kiln aborts with Errors; anything else is wrapped). */
function reasonOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(reasonOf(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(reasonOf(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A FIFO counting semaphore: waiters get slots in the order they asked. */
class Semaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('jobs must be an integer >= 1');
    this.#free = size;
  }

  async acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(grant);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(reasonOf(signal));
      };
      this.#waiters.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}
