import type { Store } from '../persistence/index.js';
import type { BuildEvents } from './events.js';
import { isTerminal } from './lifecycle.js';
import type { OrphanKiller } from './ports.js';

export interface RecoveryDeps {
  store: Store;
  events: BuildEvents;
  killOrphan: OrphanKiller;
  /** This process's lease owner id, `${nodeId}:${bootId}`. */
  owner: string;
  nodeId: string;
  policy: 'requeue' | 'fail';
  maxAttempts: number;
  logCapBytes: number;
  clock: () => number;
  /**
   * What is known about the process that holds `owner`'s leases: whether it still runs (a sibling
   * worker on this node must not lose its builds) and whether it ran on this machine (only then
   * may its Nix process be killed here). Absent: every owner of this node is taken for an earlier,
   * dead incarnation of this process, and owners elsewhere for remote.
   */
  ownerState?: ((owner: string) => Promise<OwnerState>) | undefined;
}

export interface OwnerState {
  alive: boolean;
  local: boolean;
}

/** Why a running build went back to the queue (or failed): the reason recorded on it. */
export type RecoveryReason = 'interrupted' | 'lease-expired';

/**
 * Finds builds left `running` by a crashed process (this node's earlier incarnation: reason
 * `interrupted`; or any worker whose lease expired: reason `lease-expired`), stops what is left of
 * their Nix process when it ran on this machine and either puts them back in the queue (at most
 * `maxAttempts` attempts) or fails them. A live sibling worker of this node keeps its builds until
 * its lease expires. Never leaves a build running forever.
 */
export async function recoverInterruptedBuilds(deps: RecoveryDeps): Promise<number> {
  const { store, clock } = deps;
  const nodePrefix = `${deps.nodeId}:`;
  const orphans = await store.builds.listOrphaned(clock(), nodePrefix, deps.owner);
  let recovered = 0;
  for (const build of orphans) {
    const owner = build.leaseOwner;
    const sameNode = owner?.startsWith(nodePrefix) ?? false;
    const state: OwnerState =
      owner !== null && deps.ownerState ? await deps.ownerState(owner) : { alive: false, local: sameNode };
    const expired = build.leaseExpiresAt !== null && build.leaseExpiresAt < clock();
    // Only the lease decides about a worker that still runs.
    if (!expired && state.alive) continue;
    const cause: RecoveryReason = sameNode && !state.alive ? 'interrupted' : 'lease-expired';
    if (build.runnerPid !== null && state.local)
      await deps.killOrphan(build.runnerPid, build.runnerStartTime);
    const now = clock();
    const requeue = deps.policy === 'requeue' && build.attempts < deps.maxAttempts;
    const clearLease = { leaseOwner: null, leaseExpiresAt: null, runnerPid: null, runnerStartTime: null };
    const progress = { ...build.progress, running: 0, activeDrv: null };
    const updated = requeue
      ? await store.builds.update(
          build.id,
          { status: 'pending', startedAt: null, reason: cause, progress, ...clearLease },
          { status: ['running'], ...(build.leaseOwner !== null && { leaseOwner: build.leaseOwner }) },
        )
      : await store.builds.update(
          build.id,
          {
            status: 'failed',
            reason: cause,
            error: failureMessage(cause, build.attempts, deps.policy === 'requeue', owner),
            finishedAt: now,
            durationMs: build.startedAt === null ? null : now - build.startedAt,
            progress,
            ...clearLease,
          },
          { status: ['running'], ...(build.leaseOwner !== null && { leaseOwner: build.leaseOwner }) },
        );
    if (!updated) continue;
    recovered++;
    const what =
      cause === 'interrupted'
        ? `kiln: interrupted during attempt ${build.attempts} (owner ${owner ?? 'unknown'})`
        : `kiln: the lease of worker ${owner ?? 'unknown'} expired during attempt ${build.attempts} (noticed by worker ${deps.owner})`;
    const text = `${what}; ${requeue ? 'back in the queue' : 'marked failed'}`;
    await store.logs.append(build.id, [{ ts: now, stream: 'kiln', text }], deps.logCapBytes);
    deps.events.emit({ type: 'status', buildId: build.id, status: updated.status });
    if (updated.status === 'failed') recovered += await failDependentsOf(deps, build.id, now);
  }
  return recovered + (await releaseStuckDependents(deps));
}

function failureMessage(
  cause: RecoveryReason,
  attempts: number,
  retried: boolean,
  owner: string | null,
): string {
  if (cause === 'lease-expired') {
    const stopped = `worker ${owner ?? 'unknown'} stopped renewing its lease`;
    return retried ? `${stopped} on attempt ${attempts} of ${attempts}; giving up` : `build lost: ${stopped}`;
  }
  return retried
    ? `build interrupted ${attempts} times (the server or worker stopped while it ran); giving up`
    : 'build interrupted: the server or worker stopped while it ran';
}

async function failDependentsOf(deps: RecoveryDeps, buildId: string, now: number): Promise<number> {
  const failed = await deps.store.builds.failDependents(buildId, now);
  for (const dependent of failed) {
    deps.events.emit({ type: 'status', buildId: dependent.id, status: dependent.status });
  }
  return failed.length;
}

/**
 * Pending builds waiting for a dependency that ended without success (the process that ended it
 * stopped before it failed the dependents): they can never run, so they get `dependency_failed`.
 */
async function releaseStuckDependents(deps: RecoveryDeps): Promise<number> {
  const pending = await deps.store.builds.list({ status: ['pending'], limit: 1000 });
  const dependencies = new Set(pending.flatMap((build) => build.dependsOn));
  let released = 0;
  for (const id of dependencies) {
    const dependency = await deps.store.builds.get(id);
    if (!dependency || dependency.status === 'succeeded' || !isTerminal(dependency.status)) continue;
    released += await failDependentsOf(deps, id, deps.clock());
  }
  return released;
}
