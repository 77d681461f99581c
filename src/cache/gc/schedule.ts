import { collectGarbage, type GcDeps, type GcReport } from './run.js';

export interface GcScheduleDeps extends GcDeps {
  /** Where failures go (default console.error); a failing cache does not stop the others. */
  onError?: (error: unknown, cacheName: string | undefined) => void;
  /** Called before each round, e.g. to flush access times buffered in memory. */
  beforeRound?: () => Promise<void>;
  /** Each report of a real run (default: nothing), e.g. to drop memoised narinfos of the cache. */
  onReport?: (report: GcReport) => void;
  /**
   * Optional: the filesystem backend's sweep of temporary files left by crashed writes; called
   * once per round with `tempFileAgeMs`.
   */
  sweepTemporaryFiles?: (olderThanMs: number) => Promise<number>;
  /** Temporary files older than this are swept (default 24 hours: no upload stalls that long). */
  tempFileAgeMs?: number;
}

export interface GcSchedule {
  /** Runs one round now (every live cache with a retention); resolves when it is done. */
  runOnce(): Promise<void>;
  /** Stops the timer and waits for a round in progress. */
  stop(): Promise<void>;
}

const DEFAULT_TEMP_FILE_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Collects every cache that has a retention every `intervalMs`. The timer is unref'd (it never
 * keeps the process alive) and rounds never overlap: a tick during a round is skipped.
 */
export function startGcSchedule(deps: GcScheduleDeps, intervalMs: number): GcSchedule {
  if (!Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new RangeError(`intervalMs must be a positive number, got ${intervalMs}`);
  const onError =
    deps.onError ??
    ((error: unknown, cacheName: string | undefined): void => {
      console.error(`kiln: garbage collection${cacheName ? ` of cache '${cacheName}'` : ''} failed:`, error);
    });
  let running: Promise<void> | undefined;
  let stopped = false;

  const round = async (): Promise<void> => {
    let caches: Awaited<ReturnType<GcDeps['repo']['list']>>;
    try {
      await deps.beforeRound?.();
      caches = await deps.repo.list();
    } catch (error) {
      onError(error, undefined);
      return;
    }
    for (const cache of caches) {
      if (stopped) return;
      if (cache.deletedAt !== null || cache.retentionDays === null) continue;
      try {
        deps.onReport?.(await collectGarbage(deps, cache.name, { dryRun: false }));
      } catch (error) {
        onError(error, cache.name);
      }
    }
    if (deps.sweepTemporaryFiles && !stopped) {
      try {
        await deps.sweepTemporaryFiles(deps.tempFileAgeMs ?? DEFAULT_TEMP_FILE_AGE_MS);
      } catch (error) {
        onError(error, undefined);
      }
    }
  };

  const runOnce = (): Promise<void> => {
    running ??= round().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => {
    if (!running && !stopped) void runOnce();
  }, intervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
