import type { CancelPlan, CleanupPlan, ImagePlan, ListPlan, StatsPlan, StatusPlan } from '../args/index.js';
import { connect } from '../connection.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { detailLines } from '../render/build.js';
import { renderBuildList } from '../render/list.js';
import { cleanupLines, statsLines } from '../render/stats.js';

/** The one-request commands: status, cancel, list, stats, cleanup. */

export async function runStatus(plan: StatusPlan, io: CliIo): Promise<number> {
  const build = await connect(plan.client, io).getBuild(plan.id);
  if (plan.json) writeJson(io.stdout, build);
  else for (const line of detailLines(build, Date.now())) writeLine(io.stdout, line);
  return 0;
}

export async function runCancel(plan: CancelPlan, io: CliIo): Promise<number> {
  const build = await connect(plan.client, io).cancelBuild(plan.id);
  if (plan.json) writeJson(io.stdout, build);
  else if (build.status === 'cancelled') writeLine(io.stdout, `cancelled ${build.id}`);
  else if (build.finishedAt !== null) writeLine(io.stdout, `${build.id} already ended: ${build.status}`);
  else writeLine(io.stdout, `cancel requested for ${build.id} (status: ${build.status})`);
  return 0;
}

export async function runImage(plan: ImagePlan, io: CliIo): Promise<number> {
  const build = await connect(plan.client, io).imageOfBuild(plan.id, {
    image: plan.image,
    ...(plan.imageConfig && { imageConfig: plan.imageConfig }),
    ...(plan.current && { current: true }),
  });
  if (plan.json) writeJson(io.stdout, build);
  else if (build.image) {
    writeLine(io.stdout, `${build.image.ref}@${build.image.digest}`);
    writeLine(io.stdout, `tags: ${build.image.tags.join(', ')}`);
  }
  return 0;
}

export async function runList(plan: ListPlan, io: CliIo): Promise<number> {
  const result = await connect(plan.client, io).listBuilds({
    statuses: plan.statuses,
    serviceId: plan.serviceId,
    limit: plan.limit,
  });
  if (plan.json) writeJson(io.stdout, result);
  else writeLine(io.stdout, renderBuildList(result.builds, Date.now()));
  return 0;
}

export async function runStats(plan: StatsPlan, io: CliIo): Promise<number> {
  const stats = await connect(plan.client, io).stats({ serviceId: plan.serviceId, label: plan.label });
  if (plan.json) writeJson(io.stdout, stats);
  else for (const line of statsLines(stats)) writeLine(io.stdout, line);
  return 0;
}

export async function runCleanup(plan: CleanupPlan, io: CliIo): Promise<number> {
  const body = plan.dryRun ? { olderThan: plan.olderThan, dryRun: true } : { olderThan: plan.olderThan };
  const result = await connect(plan.client, io).cleanup(body);
  if (plan.json) writeJson(io.stdout, result);
  else for (const line of cleanupLines(result)) writeLine(io.stdout, line);
  return 0;
}
