/**
 * A small worker pool in the graphile-worker style: the database queue is the truth and is polled;
 * `wake()` is only a latency hint. Each job holds a lease that the pool renews on a heartbeat; when
 * renewal fails (lease lost, or the job was cancelled elsewhere) the job's signal is aborted.
 */
/** The abort reason of jobs stopped by `stop({ abortRunning: true })`; executors recognise it. */
export const SHUTDOWN_REASON = 'shutting down';
/**
 * The abort reason of jobs whose lease could not be renewed for longer than the lease lasts (the
 * database was unreachable): another worker may own the job by now, so the executor must write no
 * result. Executors recognise it.
 */
export const LEASE_LOST_REASON = 'lease lost: renewal failed for longer than the lease';

export interface Job {
  readonly id: string;
}

export interface WorkerPoolOptions<J extends Job> {
  concurrency: number;
  pollMs: number;
  heartbeatMs: number;
  /** How long a renewed lease lasts: without a successful renewal for this long, the job is aborted. */
  leaseMs: number;
  /** Takes the next job from the queue, or undefined when there is none. */
  claim(): Promise<J | undefined>;
  /** Runs a claimed job to completion; must settle when `signal` aborts. */
  execute(job: J, signal: AbortSignal): Promise<void>;
  /** Renews the job's lease; false means the job must stop. */
  renew(job: J): Promise<boolean>;
  /** Monotonic milliseconds (default performance.now); tests of lease loss use their own. */
  now?: () => number;
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

  const now = options.now ?? (() => performance.now());
  const runJob = (job: J): void => {
    const controller = new AbortController();
    // The lease was set when the job was claimed; each renewal counts from when it was sent.
    let heldSince = now();
    let renewing = false;
    const heartbeat = setInterval(() => {
      if (controller.signal.aborted) return;
      if (now() - heldSince > options.leaseMs) {
        controller.abort(new Error(LEASE_LOST_REASON));
        return;
      }
      // A renewal that hangs (an unreachable database) is not stacked up: the clock above decides.
      if (renewing) return;
      renewing = true;
      const sentAt = now();
      options
        .renew(job)
        .then(
          (held) => {
            if (held) heldSince = sentAt;
            else controller.abort(new Error('lease lost or build no longer running'));
          },
          (error: unknown) => options.onError(error, job),
        )
        .finally(() => {
          renewing = false;
        });
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
