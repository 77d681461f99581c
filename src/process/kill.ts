import { setTimeout as sleep } from 'node:timers/promises';
import { findDescendants, readProcStat, readProcessTable, type ProcStat } from './proc.js';

/** Sends a signal, treating "no such process" and "not permitted" as nothing to do. */
export function sendSignal(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch {
    return false;
  }
}

/** The process and all its descendants as they are right now (empty if the process is gone). */
export function snapshotTree(rootPid: number): ProcStat[] {
  const table = readProcessTable();
  const root = table.find((p) => p.pid === rootPid);
  return [...(root ? [root] : []), ...findDescendants([rootPid], table)];
}

/** Process groups that must never be signalled: kiln's own, and the kernel's/init's. */
function protectedGroups(): Set<number> {
  const own = readProcStat(process.pid);
  return new Set([0, 1, own?.pgid ?? process.pid]);
}

/**
 * SIGKILLs every process of `known` that is still the same process (same pid *and* start time, so
 * a recycled pid is never hit), everything now descending from them, and all their process groups,
 * plus `extraGroups`. Returns how many signals were delivered.
 */
export function killSweep(known: readonly ProcStat[], extraGroups: readonly number[] = []): number {
  const table = readProcessTable();
  const byPid = new Map(table.map((p) => [p.pid, p]));
  const live: ProcStat[] = [];
  for (const entry of known) {
    const now = byPid.get(entry.pid);
    if (now && now.startTime === entry.startTime) live.push(now);
  }
  const victims = new Map<number, ProcStat>();
  for (const p of [
    ...live,
    ...findDescendants(
      live.map((p) => p.pid),
      table,
    ),
  ])
    victims.set(p.pid, p);

  const skip = protectedGroups();
  const groups = new Set(extraGroups);
  for (const p of victims.values()) groups.add(p.pgid);
  let delivered = 0;
  for (const group of groups) {
    if (group > 1 && !skip.has(group) && sendSignal(-group, 'SIGKILL')) delivered++;
  }
  for (const p of victims.values()) {
    if (p.pid > 1 && p.pid !== process.pid && p.state !== 'Z' && sendSignal(p.pid, 'SIGKILL')) delivered++;
  }
  return delivered;
}

export interface KillTreeOptions {
  /** How long to let the process clean up after SIGTERM before SIGKILL (default 2000 ms). */
  graceMs?: number;
}

export interface KillTreeResult {
  /** False when no process with that pid (and start time, if given) exists. */
  found: boolean;
  /** Signals delivered in the final SIGKILL sweep. */
  signalled: number;
}

function isSameLiveProcess(pid: number, startTime: string): boolean {
  const stat = readProcStat(pid);
  return stat !== null && stat.startTime === startTime && stat.state !== 'Z';
}

/**
 * Kills a process tree that kiln no longer supervises, typically a `nix-store` left running by a
 * crashed server. With `expectedStartTime` (field 22 of /proc/PID/stat as recorded by onSpawn)
 * nothing is killed unless the pid still belongs to that same process. The sequence matches
 * runSupervised: snapshot the tree, SIGTERM the group, wait up to the grace period, then SIGKILL
 * the group, every snapshotted descendant and their groups.
 */
export async function killProcessTree(
  pid: number,
  expectedStartTime?: string,
  options: KillTreeOptions = {},
): Promise<KillTreeResult> {
  const graceMs = options.graceMs ?? 2000;
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return { found: false, signalled: 0 };
  const root = readProcStat(pid);
  if (!root || root.state === 'Z') return { found: false, signalled: 0 };
  if (expectedStartTime !== undefined && root.startTime !== expectedStartTime)
    return { found: false, signalled: 0 };

  const snapshot = snapshotTree(pid);
  const leadsGroup = root.pgid === pid && !protectedGroups().has(pid);
  sendSignal(leadsGroup ? -pid : pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isSameLiveProcess(pid, root.startTime)) await sleep(50);
  const rootAlive = isSameLiveProcess(pid, root.startTime);
  const signalled = killSweep(snapshot, rootAlive && leadsGroup ? [pid] : []);
  return { found: true, signalled };
}
