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
}

/**
 * Finds builds left `running` by a crashed process (this node's earlier incarnation, or any
 * worker whose lease expired), stops what is left of their Nix process and either puts them back
 * in the queue or fails them with reason `interrupted`. Never leaves a build running forever.
 */
export async function recoverInterruptedBuilds(deps: RecoveryDeps): Promise<number> {
  const { store, clock } = deps;
  const orphans = await store.builds.listOrphaned(clock(), `${deps.nodeId}:`, deps.owner);
  let recovered = 0;
  for (const build of orphans) {
    if (build.runnerPid !== null) await deps.killOrphan(build.runnerPid, build.runnerStartTime);
    const now = clock();
    const requeue = deps.policy === 'requeue' && build.attempts < deps.maxAttempts;
    const clearLease = { leaseOwner: null, leaseExpiresAt: null, runnerPid: null, runnerStartTime: null };
    const progress = { ...build.progress, running: 0, activeDrv: null };
    const updated = requeue
      ? await store.builds.update(
          build.id,
          { status: 'pending', startedAt: null, reason: 'interrupted', progress, ...clearLease },
          { status: ['running'], ...(build.leaseOwner !== null && { leaseOwner: build.leaseOwner }) },
        )
      : await store.builds.update(
          build.id,
          {
            status: 'failed',
            reason: 'interrupted',
            error:
              build.attempts >= deps.maxAttempts && deps.policy === 'requeue'
                ? `build interrupted ${build.attempts} times (the server or worker stopped while it ran); giving up`
                : 'build interrupted: the server or worker stopped while it ran',
            finishedAt: now,
            durationMs: build.startedAt === null ? null : now - build.startedAt,
            progress,
            ...clearLease,
          },
          { status: ['running'], ...(build.leaseOwner !== null && { leaseOwner: build.leaseOwner }) },
        );
    if (!updated) continue;
    recovered++;
    const text = requeue
      ? `kiln: interrupted during attempt ${build.attempts} (owner ${build.leaseOwner ?? 'unknown'}); back in the queue`
      : `kiln: interrupted during attempt ${build.attempts}; marked failed`;
    await store.logs.append(build.id, [{ ts: now, stream: 'kiln', text }], deps.logCapBytes);
    deps.events.emit({ type: 'status', buildId: build.id, status: updated.status });
    if (updated.status === 'failed') recovered += await failDependentsOf(deps, build.id, now);
  }
  return recovered + (await releaseStuckDependents(deps));
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
