/**
 * The worker registry: every process that runs builds registers itself, says it is alive on a
 * heartbeat (with how many builds it runs) and deregisters on a clean shutdown. A worker that stops
 * heartbeating (killed, partitioned) is not removed; it just stops being `alive`.
 */

/** Server roles (config `role`): which parts of kiln a process runs. */
export type ServerRole = 'all' | 'api' | 'worker' | 'cache';

/** What a worker says about itself when it starts. */
export interface NewWorker {
  /** The worker's lease owner id (`${nodeId}:${boot}`); builds it runs carry it as `leaseOwner`. */
  id: string;
  /** The configured node name (`nodeId`). */
  node: string;
  /** The machine's host name, and the process id there (recovery checks it on the same host). */
  host: string;
  pid: number;
  role: ServerRole;
  /** Systems it builds for (`x86_64-linux`, extra platforms). */
  systems: string[];
  /** Nix system features it offers (`kvm`, `big-parallel`, ...). */
  features: string[];
  /** Builds it runs at once. */
  slots: number;
  /** The Nix store it builds into (`/nix/store`, or a remote store URL). */
  nixStore: string;
  /** kiln's version. */
  version: string;
  startedAt: number;
}

export interface WorkerRecord extends NewWorker {
  /** Builds running on it at the last heartbeat. */
  load: number;
  lastSeenAt: number;
}

/** A listed worker: alive when its last heartbeat is within the timeout asked for. */
export interface WorkerStatus extends WorkerRecord {
  alive: boolean;
}

export interface WorkerRepo {
  /** Inserts the worker, or replaces every field of the one with the same id; load 0, lastSeenAt = now. */
  register(worker: NewWorker, now: number): Promise<void>;
  /** Records a heartbeat; false when the worker is not registered (it should register again). */
  heartbeat(id: string, load: number, now: number): Promise<boolean>;
  /**
   * Every registered worker, ordered by node, then startedAt, then id; `alive` when
   * `now - lastSeenAt <= aliveWithinMs`.
   */
  list(now: number, aliveWithinMs: number): Promise<WorkerStatus[]>;
  /** One worker, with the same notion of alive; undefined when unknown. */
  get(id: string, now: number, aliveWithinMs: number): Promise<WorkerStatus | undefined>;
  /** Removes the worker (clean shutdown); false when it was not registered. */
  deregister(id: string): Promise<boolean>;
  /** Removes workers last seen before `before` (long dead); returns how many went. */
  prune(before: number): Promise<number>;
}
