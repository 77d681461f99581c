import { KilnError } from '../errors/index.js';
import type { BuildStatus } from '../persistence/index.js';

/**
 * The build state machine. Status changes are compare-and-set updates in the store (precondition:
 * the status they start from), so two actors (a worker finishing, a user cancelling, a recovery
 * sweep) can never both win; this table says which of those changes exist.
 */
const TRANSITIONS: Readonly<Record<BuildStatus, readonly BuildStatus[]>> = {
  // `dependency_failed`: a build it depends on (same matrix run) did not succeed.
  pending: ['running', 'cancelled', 'superseded', 'dependency_failed'],
  // `pending` again when the worker stopped (shutdown, crash) and the build is re-queued.
  running: ['succeeded', 'failed', 'cancelled', 'timed_out', 'pending', 'superseded'],
  succeeded: [],
  failed: [],
  cancelled: [],
  timed_out: [],
  superseded: [],
  dependency_failed: [],
};

export function canTransition(from: BuildStatus, to: BuildStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: BuildStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function assertTransition(id: string, from: BuildStatus, to: BuildStatus): void {
  if (canTransition(from, to)) return;
  const why = isTerminal(from) ? `it already finished (${from})` : `it is ${from}`;
  throw new KilnError('KILN_ERR_CONFLICT', `build ${id} cannot become ${to}: ${why}`, { status: from });
}
