import type { BuildRecord, BuildStatus } from '../persistence/index.js';

/** What a run (one build, a matrix group, or one submission's group) amounts to. */
export type RunState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'superseded';

export interface FailedBuild {
  id: string;
  attrPath: string | null;
  status: BuildStatus;
  error: string | null;
}

export interface RunOutcome {
  state: RunState;
  /** Every build is terminal: the state will not change any more. */
  finished: boolean;
  counts: Record<BuildStatus, number>;
  /** Builds answered from an earlier build without running Nix. */
  cachedCount: number;
  /** Wall time from the first start (or, if none started, the first submission) to the last finish; null until finished. */
  durationMs: number | null;
  /** Failed, timed-out and dependency-failed builds, in submission order. */
  failedBuilds: FailedBuild[];
}

/**
 * Whether each status is terminal. A record literal (types only are imported from persistence):
 * the compiler refuses it when a status is added and not classified here.
 */
const TERMINAL: Readonly<Record<BuildStatus, boolean>> = {
  pending: false,
  running: false,
  succeeded: true,
  failed: true,
  cancelled: true,
  timed_out: true,
  superseded: true,
  dependency_failed: true,
};

/** The statuses that make a run failed. */
const FAILURES: ReadonlySet<BuildStatus> = new Set(['failed', 'timed_out', 'dependency_failed']);

export function isTerminal(status: BuildStatus): boolean {
  return TERMINAL[status];
}

/** The run a build belongs to: its group, or itself. */
export function runIdOf(build: Pick<BuildRecord, 'id' | 'groupId'>): string {
  return build.groupId ?? build.id;
}

/**
 * Sums up the builds of one run. A finished run is failed if any build failed (timed out and
 * dependency failed count as failed), else cancelled if any was cancelled, else superseded if any
 * was, else succeeded. Until every build is terminal it is running once anything has started or
 * ended, pending before that.
 */
export function runOutcome(builds: readonly BuildRecord[]): RunOutcome {
  const counts = Object.fromEntries(Object.keys(TERMINAL).map((status) => [status, 0])) as Record<
    BuildStatus,
    number
  >;
  for (const build of builds) counts[build.status] += 1;
  const ordered = [...builds].sort((a, b) => a.seq - b.seq);
  const finished = builds.length > 0 && builds.every((build) => isTerminal(build.status));
  const failedBuilds = ordered
    .filter((build) => FAILURES.has(build.status))
    .map((build) => ({ id: build.id, attrPath: build.attrPath, status: build.status, error: build.error }));
  return {
    state: stateOf(counts, builds.length, finished),
    finished,
    counts,
    cachedCount: builds.filter((build) => build.cached).length,
    durationMs: finished ? wallTime(builds) : null,
    failedBuilds,
  };
}

function stateOf(counts: Record<BuildStatus, number>, total: number, finished: boolean): RunState {
  if (!finished) return counts.pending === total ? 'pending' : 'running';
  if (counts.failed + counts.timed_out + counts.dependency_failed > 0) return 'failed';
  if (counts.cancelled > 0) return 'cancelled';
  if (counts.superseded > 0) return 'superseded';
  return 'succeeded';
}

function wallTime(builds: readonly BuildRecord[]): number | null {
  const starts = builds.map((build) => build.startedAt).filter((at): at is number => at !== null);
  const start = starts.length > 0 ? Math.min(...starts) : Math.min(...builds.map((build) => build.createdAt));
  const ends = builds.map((build) => build.finishedAt).filter((at): at is number => at !== null);
  if (ends.length === 0 || !Number.isFinite(start)) return null;
  return Math.max(0, Math.max(...ends) - start);
}
