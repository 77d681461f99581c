import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { BuildView, SubmitBuildBody } from '../../api/index.js';
import { KilnError } from '../../errors/index.js';
import type { BuildPlan } from '../args/index.js';
import type { KilnClient } from '../client.js';
import { connect } from '../connection.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { groupStatus, summaryLines } from '../render/build.js';
import { FollowSession } from './follow-session.js';

/** The request body for a plan; reads `--file` relative to `cwd`. */
export function submitBody(plan: BuildPlan, cwd: string): SubmitBuildBody {
  const body: SubmitBuildBody = { source: { kind: 'expr', expression: '' } };
  switch (plan.source.kind) {
    case 'expr':
      body.source = { kind: 'expr', expression: plan.source.expression };
      break;
    case 'file':
      body.source = {
        kind: 'expr',
        expression: readSourceFile(resolve(cwd, plan.source.path)),
        fileName: basename(plan.source.path),
      };
      break;
    case 'git': {
      const { url, ref, attr, submodules, tokenFile, sshKeyFile } = plan.source;
      body.source = {
        kind: 'git',
        url,
        ...(ref !== undefined && { ref }),
        ...(attr !== undefined && { attr }),
        ...(submodules && { submodules }),
      };
      // Secrets are read here and travel in the request body, never on a command line.
      if (tokenFile !== undefined)
        body.credentials = { token: readSecretFile(resolve(cwd, tokenFile)).trim() };
      if (sshKeyFile !== undefined)
        body.credentials = { sshPrivateKey: readSecretFile(resolve(cwd, sshKeyFile)) };
      break;
    }
    case 'template':
      body.source = {
        kind: 'template',
        name: plan.source.name,
        values: plan.source.values,
        ...(plan.source.version !== undefined && { version: plan.source.version }),
      };
      break;
  }
  if (Object.keys(plan.env).length > 0) body.env = plan.env;
  if (plan.timeoutSeconds !== undefined) body.timeoutSeconds = plan.timeoutSeconds;
  if (plan.maxSilentSeconds !== undefined) body.maxSilentSeconds = plan.maxSilentSeconds;
  if (plan.systems.length > 0) body.systems = plan.systems;
  if (plan.serviceId !== undefined) body.serviceId = plan.serviceId;
  if (Object.keys(plan.labels).length > 0) body.labels = plan.labels;
  if (plan.priority !== undefined) body.priority = plan.priority;
  if (plan.push !== undefined) body.push = plan.push;
  if (plan.image !== undefined) body.image = plan.image;
  if (plan.imageConfig !== undefined) body.imageConfig = plan.imageConfig;
  if (plan.deployHook !== undefined) body.deployHook = plan.deployHook;
  if (plan.concurrency !== undefined) {
    body.concurrency = {
      group: plan.concurrency.group,
      ...(plan.concurrency.cancelInProgress && { cancelInProgress: true }),
      ...(plan.concurrency.queue && { queue: true }),
    };
  }
  return body;
}

export function readSecretFile(path: string): string {
  const text = readSourceFile(path);
  if (text.trim() === '') throw new KilnError('KILN_ERR_VALIDATION', `${path} is empty`, { path });
  return text;
}

function readSourceFile(path: string): string {
  try {
    if (statSync(path).isDirectory()) {
      throw new KilnError('KILN_ERR_FILE_NOT_FOUND', `${path} is a directory, not a .nix file`, { path });
    }
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof KilnError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new KilnError('KILN_ERR_FILE_NOT_FOUND', `no such file: ${path}`, { path });
    }
    throw new KilnError('KILN_ERR_FILE_NOT_FOUND', `cannot read ${path}: ${code ?? String(err)}`, { path });
  }
}

/** --json output: one build as it is, several (one per --system) as a group. */
export function jsonResult(builds: readonly BuildView[]): unknown {
  if (builds.length === 1) return builds[0];
  // Several systems: the group's image is the index over every system's image.
  const index = builds.find((b) => b.image?.index !== undefined)?.image?.index;
  return {
    groupId: builds[0]?.groupId ?? null,
    status: groupStatus(builds),
    ...(index && { image: { ref: index.ref, digest: index.digest } }),
    builds,
  };
}

export async function runBuild(plan: BuildPlan, io: CliIo): Promise<number> {
  const body = submitBody(plan, io.cwd ?? process.cwd());
  const client = connect(plan.client, io);
  const { builds } = await client.submitBuild(body);

  return reportBuilds(builds, plan, client, io);
}

/**
 * After a submission: print the ids (submit mode), or wait for the builds to end (streaming their
 * log with follow) and print their summary. Exit code 0 when every build succeeded.
 */
export async function reportBuilds(
  builds: readonly BuildView[],
  plan: { mode: 'submit' | 'wait' | 'follow'; json: boolean },
  client: KilnClient,
  io: CliIo,
): Promise<number> {
  if (plan.mode === 'submit') {
    if (plan.json) writeJson(io.stdout, jsonResult(builds));
    else for (const build of builds) writeLine(io.stdout, build.id);
    return 0;
  }

  const session = new FollowSession(client, io, { mode: plan.mode, json: plan.json });
  const several = builds.length > 1;
  let finals: BuildView[];
  try {
    finals = await session.watch(builds, (build) => (several ? (build.system ?? build.id) : undefined));
  } catch (err) {
    return session.interruptedBy(err, 'build');
  }
  session.close();

  if (plan.json) writeJson(io.stdout, jsonResult(finals));
  else for (const build of finals) for (const line of summaryLines(build)) writeLine(io.stdout, line);
  return finals.every((b) => b.status === 'succeeded') ? 0 : 1;
}
