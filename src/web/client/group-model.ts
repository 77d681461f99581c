// The group page's model without the DOM: which build is the evaluation, the grid of children by
// attribute x system, cell and overall status, counts and times.
import type { BuildStatus, BuildView } from './types.js';

/** What a grid cell shows: the build's status, or `cached` for a success answered without building. */
export type CellStatus = BuildStatus | 'cached';

export const CELL_ORDER: readonly CellStatus[] = [
  'running',
  'pending',
  'failed',
  'timed_out',
  'dependency_failed',
  'cancelled',
  'superseded',
  'succeeded',
  'cached',
];

type GroupBuild = Pick<
  BuildView,
  | 'id'
  | 'status'
  | 'cached'
  | 'system'
  | 'attrPath'
  | 'source'
  | 'createdAt'
  | 'startedAt'
  | 'finishedAt'
  | 'durationMs'
>;

export function cellStatus(build: Pick<BuildView, 'status' | 'cached'>): CellStatus {
  return build.status === 'succeeded' && build.cached ? 'cached' : build.status;
}

/** The evaluation build of a matrix (its source has `matrix`); null for a plain multi-system group. */
export function evaluationBuild<T extends GroupBuild>(builds: readonly T[]): T | null {
  return builds.find((build) => build.source.matrix !== undefined && build.attrPath === null) ?? null;
}

/**
 * A child's row: its attribute path without the system segment (`checks.x86_64-linux.test` on
 * x86_64-linux is `checks.test`); a build without one (a multi-system group) uses its source's
 * attribute or `default`.
 */
export function rowName(build: Pick<GroupBuild, 'attrPath' | 'system' | 'source'>): string {
  if (build.attrPath === null) return build.source.attr ?? 'default';
  const parts = build.attrPath.split('.');
  if (parts.length >= 3 && build.system !== null && parts[1] === build.system) {
    return [parts[0], ...parts.slice(2)].join('.');
  }
  return build.attrPath;
}

/** A child's column: its system, or the system segment of its attribute path, or `—`. */
export function columnName(build: Pick<GroupBuild, 'attrPath' | 'system'>): string {
  if (build.system !== null) return build.system;
  const parts = build.attrPath?.split('.') ?? [];
  return parts.length >= 3 && /^[a-z0-9_]+-[a-z0-9_]+$/.test(parts[1] ?? '') ? (parts[1] ?? '—') : '—';
}

export interface MatrixGrid<T> {
  rows: string[];
  columns: string[];
  /** `${row}\u0000${column}` → the builds of that cell (normally one; the newest first). */
  cells: Map<string, T[]>;
}

export const cellKey = (row: string, column: string): string => `${row}\u0000${column}`;

/** Children arranged by attribute (sorted) x system (sorted). */
export function matrixGrid<T extends GroupBuild>(children: readonly T[]): MatrixGrid<T> {
  const rows = new Set<string>();
  const columns = new Set<string>();
  const cells = new Map<string, T[]>();
  for (const child of children) {
    const row = rowName(child);
    const column = columnName(child);
    rows.add(row);
    columns.add(column);
    const key = cellKey(row, column);
    const list = cells.get(key) ?? [];
    list.push(child);
    cells.set(key, list);
  }
  for (const list of cells.values()) list.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { rows: [...rows].sort(), columns: [...columns].sort(), cells };
}

export type Counts = Record<CellStatus, number>;

export function countCells(children: readonly Pick<BuildView, 'status' | 'cached'>[]): Counts {
  const counts = Object.fromEntries(CELL_ORDER.map((status) => [status, 0])) as Counts;
  for (const child of children) counts[cellStatus(child)] += 1;
  return counts;
}

/**
 * The group's status, as GET /api/v1/groups/:id computes it: failed as soon as any build failed
 * (a child's failure fails the group, even while others still run); then running while anything
 * runs or some builds finished and others wait; pending while all wait; cancelled if any was
 * cancelled or superseded; otherwise succeeded.
 */
export function groupStatus(builds: readonly Pick<BuildView, 'status'>[]): BuildStatus {
  const has = (...statuses: BuildStatus[]): boolean =>
    builds.some((build) => statuses.includes(build.status));
  if (builds.length === 0) return 'pending';
  if (has('failed', 'timed_out', 'dependency_failed')) return 'failed';
  if (has('running')) return 'running';
  if (has('pending')) return builds.every((build) => build.status === 'pending') ? 'pending' : 'running';
  if (has('cancelled', 'superseded')) return 'cancelled';
  return 'succeeded';
}

/**
 * Wall time from the first creation to the last finish (to `now` while unfinished), and build
 * time: the sum of the builds' own durations.
 */
export function groupTimes(
  builds: readonly Pick<BuildView, 'createdAt' | 'finishedAt' | 'durationMs' | 'status'>[],
  now: number,
): { wallMs: number | null; buildMs: number } {
  const buildMs = builds.reduce((sum, build) => sum + (build.durationMs ?? 0), 0);
  if (builds.length === 0) return { wallMs: null, buildMs };
  const start = Math.min(...builds.map((build) => Date.parse(build.createdAt)));
  const open = builds.some((build) => build.status === 'pending' || build.status === 'running');
  const end = open
    ? now
    : Math.max(...builds.map((build) => Date.parse(build.finishedAt ?? build.createdAt)));
  return {
    wallMs: Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : null,
    buildMs,
  };
}
