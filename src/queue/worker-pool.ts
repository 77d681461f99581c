/**
 * A small worker pool in the graphile-worker style: the database queue is the truth and is polled;
 * `wake()` is only a latency hint. Each job holds a lease that the pool renews on a heartbeat; when
 * renewal fails (lease lost, or the job was cancelled elsewhere) the job's signal is aborted.
 */
/** The abort reason of jobs stopped by `stop({ abortRunning: true })`; executors recognise it. */
export const SHUTDOWN_REASON = 'shutting down';

export interface Job {
  readonly id: string;
}

export interface WorkerPoolOptions<J extends Job> {
  concurrency: number;
  pollMs: number;
  heartbeatMs: number;
  /** Takes the next job from the queue, or undefined when there is none. */
  claim(): Promise<J | undefined>;
  /** Runs a claimed job to completion; must settle when `signal` aborts. */
  execute(job: J, signal: AbortSignal): Promise<void>;
  /** Renews the job's lease; false means the job must stop. */
  renew(job: J): Promise<boolean>;
  onError(error: unknown, job?: J): void;
}

export interface WorkerPool {
  start(): void;
  /** Hint that new work may be available. */
  wake(): void;
  /** Aborts one running job (e.g. on cancel); false if it is not running here. */
  abort(jobId: string, reason: string): boolean;
  /** Number of jobs running right now. */
  readonly active: number;
  readonly slots: number;
  /** Stops claiming; with `abortRunning` aborts running jobs, then waits for them to settle. */
  stop(options?: { abortRunning?: boolean }): Promise<void>;
}

export function createWorkerPool<J extends Job>(options: WorkerPoolOptions<J>): WorkerPool {
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopped = true;
  let filling = false;
  let refill = false;
  let pollTimer: NodeJS.Timeout | undefined;

  const runJob = (job: J): void => {
    const controller = new AbortController();
    const heartbeat = setInterval(() => {
      options.renew(job).then(
        (held) => {
          if (!held) controller.abort(new Error('lease lost or build no longer running'));
        },
        (error: unknown) => options.onError(error, job),
      );
    }, options.heartbeatMs);
    heartbeat.unref();
    const done = options
      .execute(job, controller.signal)
      .catch((error: unknown) => options.onError(error, job))
      .finally(() => {
        clearInterval(heartbeat);
        running.delete(job.id);
        if (!stopped) pool.wake();
      });
    running.set(job.id, { controller, done });
  };

  // Claims until the slots are full or the queue is empty; re-entrant calls coalesce.
  const fill = async (): Promise<void> => {
    if (filling) {
      refill = true;
      return;
    }
    filling = true;
    try {
      do {
        refill = false;
        while (!stopped && running.size < options.concurrency) {
          const job = await options.claim();
          if (!job) break;
          runJob(job);
        }
      } while (refill && !stopped);
    } catch (error) {
      options.onError(error);
    } finally {
      filling = false;
    }
  };

  const pool: WorkerPool = {
    start() {
      if (!stopped) return;
      stopped = false;
      const tick = (): void => {
        void fill();
        pollTimer = setTimeout(tick, options.pollMs);
        pollTimer.unref();
      };
      tick();
    },
    wake() {
      if (!stopped) void fill();
    },
    abort(jobId, reason) {
      const entry = running.get(jobId);
      if (!entry) return false;
      entry.controller.abort(new Error(reason));
      return true;
    },
    get active() {
      return running.size;
    },
    get slots() {
      return options.concurrency;
    },
    async stop({ abortRunning = false } = {}) {
      stopped = true;
      if (pollTimer) clearTimeout(pollTimer);
      if (abortRunning)
        for (const entry of running.values()) entry.controller.abort(new Error(SHUTDOWN_REASON));
      await Promise.all([...running.values()].map((entry) => entry.done));
    },
  };
  return pool;
}
