import type { BuildRecord, BuildStatus, BuildTrigger } from '../persistence/index.js';
import { type FailedBuild, type RunOutcome, type RunState } from './run-outcome.js';

export const RUN_FINISHED_EVENT = 'run.finished';

/** At most this many builds are listed one by one in a webhook; the counts cover them all. */
export const MAX_LISTED_BUILDS = 500;

/** The body of the `run.finished` webhook (JSON, signed in `X-Kiln-Signature-256`). */
export interface RunFinishedEvent {
  event: typeof RUN_FINISHED_EVENT;
  project: string;
  run: {
    id: string;
    state: RunState;
    /** The run's page in kiln's UI. */
    url: string;
    trigger: BuildTrigger | null;
    commit: { sha: string; branch: string | null; subject: string | null } | null;
    /** ISO 8601. */
    createdAt: string;
    finishedAt: string | null;
    durationMs: number | null;
  };
  builds: {
    total: number;
    counts: Record<BuildStatus, number>;
    cached: number;
    failed: (FailedBuild & { url: string })[];
    /** Every build (the first MAX_LISTED_BUILDS), in submission order. */
    list: {
      id: string;
      status: BuildStatus;
      attrPath: string | null;
      system: string | null;
      cached: boolean;
      durationMs: number | null;
      url: string;
    }[];
    truncated: boolean;
  };
}

function base(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '');
}

export function buildUrl(publicUrl: string, id: string): string {
  return `${base(publicUrl)}/builds/${encodeURIComponent(id)}`;
}

/** A group's page when the run is a group (a matrix, several systems), else the build's page. */
export function runUrl(publicUrl: string, runId: string, builds: readonly BuildRecord[]): string {
  const grouped = builds.length > 1 || builds.some((build) => build.groupId !== null);
  return grouped ? `${base(publicUrl)}/groups/${encodeURIComponent(runId)}` : buildUrl(publicUrl, runId);
}

/** The commit the run built: the first build (in submission order) that names one. */
export function runCommit(builds: readonly BuildRecord[]): RunFinishedEvent['run']['commit'] {
  const ordered = [...builds].sort((a, b) => a.seq - b.seq);
  for (const build of ordered) {
    if (build.commit === null) continue;
    const ref = build.source.kind === 'git' ? (build.source.ref ?? null) : null;
    return {
      sha: build.commit.sha,
      branch: build.commit.branch ?? ref,
      subject: build.commit.subject || null,
    };
  }
  return null;
}

const iso = (at: number | null): string | null => (at === null ? null : new Date(at).toISOString());

export function runFinishedEvent(
  project: string,
  runId: string,
  builds: readonly BuildRecord[],
  outcome: RunOutcome,
  publicUrl: string,
): RunFinishedEvent {
  const ordered = [...builds].sort((a, b) => a.seq - b.seq);
  const first = ordered.find((build) => build.id === runId) ?? ordered[0];
  const finishedAt = ordered.reduce<number | null>(
    (latest, build) => (build.finishedAt === null ? latest : Math.max(latest ?? 0, build.finishedAt)),
    null,
  );
  return {
    event: RUN_FINISHED_EVENT,
    project,
    run: {
      id: runId,
      state: outcome.state,
      url: runUrl(publicUrl, runId, builds),
      trigger: first?.trigger ?? null,
      commit: runCommit(builds),
      createdAt: new Date(first?.createdAt ?? 0).toISOString(),
      finishedAt: iso(finishedAt),
      durationMs: outcome.durationMs,
    },
    builds: {
      total: builds.length,
      counts: outcome.counts,
      cached: outcome.cachedCount,
      failed: outcome.failedBuilds.map((failed) => ({ ...failed, url: buildUrl(publicUrl, failed.id) })),
      list: ordered.slice(0, MAX_LISTED_BUILDS).map((build) => ({
        id: build.id,
        status: build.status,
        attrPath: build.attrPath,
        system: build.system,
        cached: build.cached,
        durationMs: build.durationMs,
        url: buildUrl(publicUrl, build.id),
      })),
      truncated: ordered.length > MAX_LISTED_BUILDS,
    },
  };
}
