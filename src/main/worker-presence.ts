import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { OwnerState } from '../builds/index.js';
import type { NewWorker, WorkerRepo } from '../persistence/index.js';

/** Rows of workers not seen for this long are removed when a worker starts. */
const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000;

export interface WorkerPresenceDeps {
  repo: WorkerRepo;
  worker: NewWorker;
  /** Builds running here now. */
  load: () => number;
  heartbeatMs: number;
  timeoutMs: number;
  clock: () => number;
  onError: (error: unknown) => void;
}

/** Nix's default system features (kiln does not set `system-features`): kvm when /dev/kvm exists. */
export function defaultSystemFeatures(): string[] {
  return ['benchmark', 'big-parallel', 'nixos-test', ...(existsSync('/dev/kvm') ? ['kvm'] : [])];
}

/**
 * This process in the worker registry: registered at start, a heartbeat with its load, gone on a
 * clean stop. Also answers recovery's question about another lease owner: is it still running?
 */
export class WorkerPresence {
  #timer: NodeJS.Timeout | undefined;
  readonly #host = hostname();

  constructor(private readonly deps: WorkerPresenceDeps) {}

  get id(): string {
    return this.deps.worker.id;
  }

  async start(): Promise<void> {
    const { repo, clock } = this.deps;
    await repo.register(this.deps.worker, clock());
    await repo.prune(clock() - PRUNE_AFTER_MS);
    this.#timer = setInterval(() => {
      this.beat().catch(this.deps.onError);
    }, this.deps.heartbeatMs);
    this.#timer.unref();
  }

  async beat(): Promise<void> {
    const { repo, clock } = this.deps;
    // Not registered any more (pruned while this worker could not reach the database): register again.
    if (!(await repo.heartbeat(this.id, this.deps.load(), clock()))) {
      await repo.register(this.deps.worker, clock());
      await repo.heartbeat(this.id, this.deps.load(), clock());
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.deps.repo.deregister(this.id).catch(this.deps.onError);
  }

  /** Whether the holder of `owner`'s leases still runs, and whether it ran on this machine. */
  async ownerState(owner: string): Promise<OwnerState> {
    if (owner === this.id) return { alive: true, local: true };
    const worker = await this.deps.repo.get(owner, this.deps.clock(), this.deps.timeoutMs);
    if (!worker) {
      // Unregistered (a clean shutdown, or a kiln before the registry): an earlier process of this node is gone.
      return { alive: false, local: owner.startsWith(`${this.deps.worker.node}:`) };
    }
    const local = worker.host === this.#host;
    if (!worker.alive) return { alive: false, local };
    // Recently seen on this machine: the process table tells whether it still runs (a process
    // restarted under the same pid, as in a container, is this one, not the old worker).
    if (local) return { alive: worker.pid !== process.pid && pidRunning(worker.pid), local };
    return { alive: true, local };
  }
}

function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
