import type { BuildView, ListBuildsResponse } from '../../api/index.js';
import type { KilnClient } from '../client.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { formatDuration } from '../render/duration.js';
import { groupStatus, summaryLines } from '../render/build.js';
import { FollowSession } from './follow-session.js';

/**
 * `--json` of a project run: always a group, since a run is a matrix (an evaluation and one child
 * per derivation) or one build per system. `builds` holds the submitted builds, then the children.
 */
export function runJson(builds: readonly BuildView[]): {
  groupId: string | null;
  status: string;
  builds: readonly BuildView[];
} {
  const first = builds[0];
  return { groupId: first?.groupId ?? first?.id ?? null, status: groupStatus(builds), builds };
}

/** The end-of-wait summary: each submitted build, then one line per matrix child, then a tally. */
export function runSummaryLines(submitted: readonly BuildView[], children: readonly BuildView[]): string[] {
  const lines = submitted.flatMap((build) => summaryLines(build));
  const label = (child: BuildView): string => child.attrPath ?? child.system ?? child.id;
  const width = Math.max(0, ...children.map((child) => label(child).length));
  for (const child of children) {
    const took = child.durationMs === null ? '' : ` ${formatDuration(child.durationMs)}`;
    const status = `${child.status.replace('_', ' ')}${child.cached ? ' (cached)' : ''}${took}`;
    lines.push(`  ${label(child).padEnd(width)}  ${status}`);
    // Nix's error carries the last log lines: keep them, indented under their build.
    if (child.status !== 'succeeded' && child.error) {
      lines.push(
        ...child.error
          .split('\n')
          .map((line, i) => (i === 0 ? `    error: ${line}` : `      ${line}`).trimEnd()),
      );
    }
  }
  if (children.length > 0) {
    const count = (status: string): number => children.filter((c) => c.status === status).length;
    const cached = children.filter((c) => c.cached).length;
    const parts = [
      `${count('succeeded')} succeeded${cached > 0 ? ` (${cached} cached)` : ''}`,
      ...(['failed', 'dependency_failed', 'timed_out', 'cancelled', 'superseded'] as const)
        .filter((status) => count(status) > 0)
        .map((status) => `${count(status)} ${status.replace('_', ' ')}`),
    ];
    lines.push(`run ${groupStatus([...submitted, ...children]).replace('_', ' ')}: ${parts.join(', ')}`);
  }
  return lines;
}

/** How a run's build is named in followed logs: the evaluation, a derivation, a system. */
function runLabel(build: BuildView): string {
  return build.attrPath ?? (build.source.matrix !== undefined ? 'evaluate' : (build.system ?? build.id));
}

/** Every build of a matrix's group but the evaluation itself (created when it succeeded). */
async function childrenOf(client: KilnClient, parent: BuildView): Promise<BuildView[]> {
  const query = new URLSearchParams({ groupId: parent.groupId ?? parent.id, limit: '500' });
  const { builds } = await client.call<ListBuildsResponse>('GET', `/api/v1/builds?${query.toString()}`);
  // Oldest first, the order the evaluation queued them in.
  return builds.filter((b) => b.id !== parent.id).reverse();
}

/**
 * After `kiln project build`: print the ids (submit), or wait for the run, a matrix's children
 * included, streaming logs with follow. Exit code 0 when every build of the run succeeded.
 */
export async function reportRun(
  builds: readonly BuildView[],
  plan: { mode: 'submit' | 'wait' | 'follow'; json: boolean },
  client: KilnClient,
  io: CliIo,
): Promise<number> {
  if (plan.mode === 'submit') {
    if (plan.json) writeJson(io.stdout, runJson(builds));
    else for (const build of builds) writeLine(io.stdout, build.id);
    return 0;
  }

  const session = new FollowSession(client, io, { mode: plan.mode, json: plan.json });
  let submitted: BuildView[];
  const children: BuildView[] = [];
  try {
    submitted = await session.watch(builds, runLabel);
    // A matrix's evaluation ends by queueing its children: follow those next.
    for (const parent of submitted) {
      if (parent.source.matrix === undefined || parent.status !== 'succeeded') continue;
      children.push(...(await session.watch(await childrenOf(client, parent), runLabel)));
    }
  } catch (err) {
    return session.interruptedBy(err, 'run');
  }
  session.close();

  const all = [...submitted, ...children];
  if (plan.json) writeJson(io.stdout, runJson(all));
  else for (const line of runSummaryLines(submitted, children)) writeLine(io.stdout, line);
  return all.every((b) => b.status === 'succeeded') ? 0 : 1;
}
