// The builds list's pure logic: filters <-> URL query <-> API query, which live updates belong in
// the list, where they go, and how a build's source and trigger read in one line.
import { shortSha } from './format.js';
import { BUILD_STATUSES, type BuildStatus } from './types.js';

export interface BuildFilters {
  status: BuildStatus[];
  projectId: string;
  branch: string;
}

/** What the list needs of a build (BuildView has all of it). */
export interface ListedBuild {
  id: string;
  status: BuildStatus;
  createdAt: string;
  projectId: string | null;
  commit: { sha: string; branch: string | null; subject: string } | null;
  source: {
    kind: string;
    ref?: string;
    url?: string;
    attr?: string;
    name?: string;
    fileName?: string;
    sync?: string;
  };
  system: string | null;
  attrPath: string | null;
  trigger: { kind: string; actor: string | null } | null;
}

/** Reads the filters from the page's URL query (unknown statuses are dropped). */
export function filtersFromQuery(query: URLSearchParams): BuildFilters {
  const status = (query.get('status') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s): s is BuildStatus => (BUILD_STATUSES as readonly string[]).includes(s));
  return {
    status: [...new Set(status)],
    projectId: (query.get('project') ?? '').trim(),
    branch: (query.get('branch') ?? '').trim(),
  };
}

/** The page URL's query for the filters (`?status=failed&project=app&branch=main`, or ''). */
export function filtersToQuery(filters: BuildFilters): string {
  const query = new URLSearchParams();
  if (filters.status.length > 0) query.set('status', filters.status.join(','));
  if (filters.projectId) query.set('project', filters.projectId);
  if (filters.branch) query.set('branch', filters.branch);
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** The API path of one page of the list, newest first, older than `before` when given. */
export function listApiPath(filters: BuildFilters, limit: number, before?: number | null): string {
  const query = new URLSearchParams();
  query.set('limit', String(limit));
  if (filters.status.length > 0) query.set('status', filters.status.join(','));
  if (filters.projectId) query.set('projectId', filters.projectId);
  if (filters.branch) query.set('branch', filters.branch);
  if (before !== undefined && before !== null) query.set('before', String(before));
  return `/api/v1/builds?${query.toString()}`;
}

/** The branch a build is of: its commit's branch, else the Git ref it was asked for. */
export function buildBranch(build: Pick<ListedBuild, 'commit' | 'source'>): string | null {
  return build.commit?.branch ?? (build.source.kind === 'git' ? (build.source.ref ?? null) : null);
}

/** Whether a build (e.g. from a live event) belongs in a list with these filters. */
export function matchesFilters(build: ListedBuild, filters: BuildFilters): boolean {
  if (filters.status.length > 0 && !filters.status.includes(build.status)) return false;
  if (filters.projectId && build.projectId !== filters.projectId) return false;
  if (filters.branch && buildBranch(build) !== filters.branch) return false;
  return true;
}

/**
 * Where a build not yet listed goes in a newest-first list: its index, or -1 when it is older
 * than every listed build and more pages exist (it belongs to a page not loaded yet).
 */
export function insertionIndex(
  list: readonly Pick<ListedBuild, 'createdAt' | 'id'>[],
  build: Pick<ListedBuild, 'createdAt' | 'id'>,
  hasMore: boolean,
): number {
  const key = Date.parse(build.createdAt);
  for (let i = 0; i < list.length; i++) {
    const other = list[i];
    if (!other) continue;
    const otherKey = Date.parse(other.createdAt);
    if (key > otherKey || (key === otherKey && build.id > other.id)) return i;
  }
  return hasMore ? -1 : list.length;
}

/** What was built, in one line: `x86_64-linux · packages.hello`, the template, the file name… */
export function whatText(build: ListedBuild): string {
  const parts: string[] = [];
  if (build.system) parts.push(build.system);
  const what =
    build.attrPath ??
    build.source.attr ??
    (build.source.kind === 'template'
      ? build.source.name
      : build.source.kind === 'expr'
        ? build.source.fileName
        : build.source.kind === 'bump'
          ? build.source.sync
          : undefined);
  if (what) parts.push(what);
  return parts.join(' · ');
}

/** The commit in one line: short SHA and subject, or null for non-Git builds. */
export function commitText(build: Pick<ListedBuild, 'commit'>): { sha: string; subject: string } | null {
  return build.commit ? { sha: shortSha(build.commit.sha), subject: build.commit.subject } : null;
}

/** Who or what started the build: `push · alice`, `ui`, `api · ci-token`. */
export function triggerText(trigger: ListedBuild['trigger']): string {
  if (!trigger) return '—';
  return trigger.actor ? `${trigger.kind} · ${trigger.actor}` : trigger.kind;
}
