import { KilnError } from '../errors/index.js';
import { BUILD_STATUSES, type BuildStatus } from '../persistence/index.js';

/**
 * The build state machine. Every status change in kiln is a compare-and-set in the store whose
 * precondition comes from this table, so two actors (a worker finishing, a user cancelling, a
 * recovery sweep) can never both win.
 */
const TRANSITIONS: Readonly<Record<BuildStatus, readonly BuildStatus[]>> = {
  pending: ['running', 'cancelled', 'superseded'],
  // `pending` again when the worker stopped (shutdown, crash) and the build is re-queued.
  running: ['succeeded', 'failed', 'cancelled', 'timed_out', 'pending', 'superseded'],
  succeeded: [],
  failed: [],
  cancelled: [],
  timed_out: [],
  superseded: [],
};

export function canTransition(from: BuildStatus, to: BuildStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses from which `to` can be reached: the precondition of a store update into `to`. */
export function sourcesOf(to: BuildStatus): BuildStatus[] {
  return BUILD_STATUSES.filter((from) => canTransition(from, to));
}

export function isTerminal(status: BuildStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function assertTransition(id: string, from: BuildStatus, to: BuildStatus): void {
  if (canTransition(from, to)) return;
  const why = isTerminal(from) ? `it already finished (${from})` : `it is ${from}`;
  throw new KilnError('KILN_ERR_CONFLICT', `build ${id} cannot become ${to}: ${why}`, { status: from });
}
