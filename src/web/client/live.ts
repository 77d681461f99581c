import type { ApiClient } from './api.js';
import type { BuildView } from './types.js';

/** Reconnect delay after `attempt` failures in a row: 0.5 s doubling, at most 15 s. */
export function backoffMs(attempt: number): number {
  return Math.min(15_000, 500 * 2 ** Math.max(0, attempt));
}

/**
 * Follows an SSE endpoint until `signal` aborts, reconnecting with backoff when the connection
 * drops. `onConnect` runs before each (re)connection (e.g. to reload what may have been missed);
 * `onState` says whether the stream is live. `done()` returning true stops it for good.
 */
export function follow(
  api: ApiClient,
  path: () => string,
  handlers: {
    onEvent(event: string, data: string): void;
    onConnect?(): void | Promise<void>;
    onState?(live: boolean): void;
    done?(): boolean;
  },
  signal: AbortSignal,
): void {
  let attempt = 0;
  const run = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        await handlers.onConnect?.();
        handlers.onState?.(true);
        await api.stream(
          path(),
          (event, data) => {
            attempt = 0;
            handlers.onEvent(event, data);
          },
          signal,
        );
      } catch (error) {
        if (!signal.aborted) console.warn('live stream dropped', error);
      }
      handlers.onState?.(false);
      if (signal.aborted || handlers.done?.()) return;
      await sleep(backoffMs(attempt++), signal);
    }
  };
  void run();
}

/**
 * Follows every build's status changes (`/api/v1/events`) for a page: `reload` runs again after a
 * reconnect (to catch what was missed), `dot` shows whether the stream is live.
 */
export function followBuildEvents(
  api: ApiClient,
  dot: HTMLElement,
  reload: () => Promise<void>,
  onBuild: (build: BuildView) => void,
  signal: AbortSignal,
): void {
  let first = true;
  follow(
    api,
    () => '/api/v1/events',
    {
      onConnect: async () => {
        if (!first) await reload();
        first = false;
      },
      onState: (live) => {
        dot.classList.toggle('on', live);
        dot.title = live ? 'live' : 'reconnecting…';
      },
      onEvent: (event, data) => {
        if (event === 'build') onBuild(JSON.parse(data) as BuildView);
      },
    },
    signal,
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
