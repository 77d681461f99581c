import type { BuildView, LogLineView } from '../api/index.js';
import { KilnError } from '../errors/index.js';
import type { KilnClient } from './client.js';
import { ApiError } from './errors.js';
import type { WatchTiming } from './io.js';
import { SseParser } from './sse.js';

export type ProgressInfo = BuildView['progress'];

export const TERMINAL_STATUSES: readonly string[] = [
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'superseded',
  'dependency_failed',
];

export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export interface WatchOptions {
  timing: WatchTiming;
  /** Whether log lines matter (--follow, `logs --follow`); the polling fallback only fetches them then. */
  wantLines: boolean;
  onLine?: ((line: LogLineView) => void) | undefined;
  onProgress?: ((progress: ProgressInfo) => void) | undefined;
  onStatus?: ((build: BuildView) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/** What one connection of the stream ended with. */
type StreamOutcome = { kind: 'end'; build: BuildView } | { kind: 'closed'; gotData: boolean };

/**
 * Waits until a build is terminal and returns its final view. It follows the SSE log stream,
 * reconnecting with Last-Event-ID when it drops before `end`, and falls back to polling when the
 * stream keeps failing (or the server cannot stream at all). Lines are delivered once each, in order.
 */
export async function watchBuild(client: KilnClient, id: string, options: WatchOptions): Promise<BuildView> {
  const state = {
    lastSeq: 0,
    lastEventId: undefined as string | undefined,
    delayMs: options.timing.reconnectDelayMs,
  };
  let failures = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const outcome = await streamOnce(client, id, options, state);
      if (outcome.kind === 'end') return outcome.build;
      if (outcome.gotData) failures = 0;
    } catch (err) {
      if (isFatal(err) || options.signal?.aborted) throw err;
    }
    failures += 1;
    if (failures > options.timing.maxReconnects) return pollBuild(client, id, options, state);
    await sleep(state.delayMs, options.signal);
  }
}

/** 4xx answers (unknown build, bad token) will not improve by retrying. */
function isFatal(err: unknown): boolean {
  return err instanceof ApiError && err.status >= 400 && err.status < 500;
}

async function streamOnce(
  client: KilnClient,
  id: string,
  options: WatchOptions,
  state: { lastSeq: number; lastEventId: string | undefined; delayMs: number },
): Promise<StreamOutcome> {
  const local = new AbortController();
  const onOuterAbort = (): void => local.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  // A silent connection (not even `: ping`) is dead in all but name: abort it so we reconnect.
  let idle: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => local.abort(new Error('log stream idle')), options.timing.idleTimeoutMs);
  };
  let gotData = false;
  try {
    armIdle();
    const body = await client.openLogStream(id, {
      after: state.lastSeq,
      lastEventId: state.lastEventId,
      signal: local.signal,
    });
    const parser = new SseParser();
    for await (const chunk of body) {
      armIdle();
      for (const message of parser.push(chunk)) {
        gotData = true;
        if (message.type === 'retry') {
          state.delayMs = message.ms;
          continue;
        }
        if (message.type !== 'event') continue;
        if (message.id !== '') state.lastEventId = message.id;
        const payload = parseJson(message.data, message.event);
        if (payload === undefined) continue;
        switch (message.event) {
          case 'line': {
            const line = payload as LogLineView;
            // After a reconnect the server may repeat lines: deliver each sequence number once.
            if (typeof line.seq === 'number' && line.seq <= state.lastSeq) break;
            if (typeof line.seq === 'number') state.lastSeq = line.seq;
            options.onLine?.(line);
            break;
          }
          case 'progress':
            options.onProgress?.(payload as ProgressInfo);
            break;
          case 'status':
            options.onStatus?.(payload as BuildView);
            break;
          case 'end':
            return { kind: 'end', build: payload as BuildView };
          default:
            break;
        }
      }
    }
    return { kind: 'closed', gotData };
  } catch (err) {
    if (isFatal(err) || options.signal?.aborted) throw err;
    return { kind: 'closed', gotData };
  } finally {
    clearTimeout(idle);
    options.signal?.removeEventListener('abort', onOuterAbort);
    // Closes the connection when we return early (on `end`) or fail.
    local.abort();
  }
}

function parseJson(data: string, event: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    // One malformed event should not end a long build's stream; the next status or end corrects us.
    if (event === 'end') throw new KilnError('KILN_ERR_INTERNAL', 'the server sent an invalid end event');
    return undefined;
  }
}

/** The fallback: poll the build (and page the log when lines are wanted) until it is terminal. */
async function pollBuild(
  client: KilnClient,
  id: string,
  options: WatchOptions,
  state: { lastSeq: number },
): Promise<BuildView> {
  let failures = 0;
  let lastStatus: string | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const build = await client.getBuild(id);
      if (options.wantLines) await drainLog(client, id, options, state, isTerminal(build.status));
      failures = 0;
      if (build.status !== lastStatus) {
        lastStatus = build.status;
        options.onStatus?.(build);
      }
      options.onProgress?.(build.progress);
      if (isTerminal(build.status)) return build;
    } catch (err) {
      if (isFatal(err) || options.signal?.aborted) throw err;
      failures += 1;
      if (failures > options.timing.maxReconnects) throw err;
    }
    await sleep(options.timing.pollIntervalMs, options.signal);
  }
}

/** Pages the log after the last line seen; when the build is over, until the server says complete. */
async function drainLog(
  client: KilnClient,
  id: string,
  options: WatchOptions,
  state: { lastSeq: number },
  untilComplete: boolean,
): Promise<void> {
  for (;;) {
    const page = await client.getLog(id, { after: state.lastSeq, limit: LOG_PAGE });
    for (const line of page.lines) {
      if (line.seq <= state.lastSeq) continue;
      state.lastSeq = line.seq;
      options.onLine?.(line);
    }
    if (page.complete || page.lines.length === 0) return;
    if (!untilComplete && page.lines.length < LOG_PAGE) return;
  }
}

export const LOG_PAGE = 5000;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
