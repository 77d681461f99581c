import { join } from 'node:path';
import { KilnError } from '../errors/index.js';
import { pathExists } from '../fsutil/index.js';
import type { BuildCommit, BuildRecord, MatrixSpec, NewBuild, Store } from '../persistence/index.js';
import {
  derivationInputs,
  evaluateMatrix,
  type MatrixEvalError,
  type MatrixSource,
} from '../runner/nix/index.js';
import { hostSystem } from './git-source.js';
import { newBuildId } from './ids.js';
import { planMatrix, type MatrixPlan } from './matrix-plan.js';
import type { CachedPaths, MatrixRunner } from './ports.js';

export interface MatrixStepsDeps {
  store: Store;
  nix: MatrixRunner;
  /** Which outputs the push cache has; absent: nothing counts as cached. */
  cachedPaths?: CachedPaths | undefined;
  /** The Git preparer's workspace: the parent's clone is WORKSPACE/ID/src. */
  workspaceDir: string;
  /** Systems this machine builds; jobs for others are evaluated and reported, not queued. */
  buildableSystems: readonly string[];
  logCapBytes: number;
  clock: () => number;
}

export interface MatrixExpansion {
  /** The child builds inserted now (empty when an earlier attempt of the parent inserted them). */
  inserted: BuildRecord[];
  /** The eval step's detail. */
  summary: string;
}

/** Why a child ended before it ran: its attribute did not evaluate. */
export const EVAL_FAILED_REASON = 'eval-failed';
/** Why a child ended before it ran: the push cache has every output. */
export const IN_CACHE_REASON = 'in-cache';

/**
 * The `eval` step of a matrix build: evaluates every job of the clone, plans the children and
 * inserts them, with the parent's group, project, trigger and concurrency run, in one transaction.
 */
export class MatrixSteps {
  readonly #deps: MatrixStepsDeps;

  constructor(deps: MatrixStepsDeps) {
    this.#deps = deps;
  }

  async expand(
    build: BuildRecord,
    commit: BuildCommit,
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<MatrixExpansion> {
    const { store } = this.#deps;
    const spec = matrixOf(build);
    const groupId = build.groupId ?? build.id;
    // A retried parent (a crash after the insert) must not queue the matrix twice.
    const earlier = (await store.builds.list({ groupId, limit: 100_000 })).filter((b) => b.id !== build.id);
    if (earlier.length > 0) {
      log(`kiln: an earlier attempt created this matrix's ${earlier.length} child build(s)`);
      return { inserted: [], summary: `${earlier.length} child build(s), created earlier` };
    }
    if (Object.keys(build.env).length > 0) {
      log('kiln: the environment variables are not injected into matrix builds (the flake decides)');
    }

    const systems = spec.systems.length > 0 ? spec.systems : [hostSystem()];
    const source = await this.#matrixSource(build, commit);
    const what =
      spec.attrs.length > 0
        ? spec.attrs.join(', ')
        : source.kind === 'flake'
          ? spec.sets.join(', ')
          : 'default.nix';
    log(`kiln: evaluating ${what} for ${systems.join(', ')}`);
    const evaluation = await evaluateMatrix(this.#deps.nix, {
      source,
      sets: spec.sets,
      attrs: spec.attrs,
      systems,
      workDir: join(this.#deps.workspaceDir, build.id, 'matrix-eval'),
      signal,
    });
    if (evaluation.jobs.length === 0 && evaluation.errors.length === 0) {
      throw new KilnError('KILN_ERR_EXPR_EVAL', `${what} has no derivations for ${systems.join(', ')}`);
    }
    const drvs = [...new Set(evaluation.jobs.map((j) => j.drvPath))];
    const inputDrvs = await derivationInputs(this.#deps.nix, drvs, signal);
    const cachedPaths = await this.#cachedPaths(build.pushCache, evaluation.jobs, log);
    const plan = planMatrix({
      jobs: evaluation.jobs,
      inputDrvs,
      cachedPaths,
      buildableSystems: this.#deps.buildableSystems,
    });
    const buildable = new Set(this.#deps.buildableSystems);
    const failedJobs = evaluation.errors.filter((e) => e.system === null || buildable.has(e.system));
    const now = this.#deps.clock();
    const children = childBuilds(build, commit, plan, failedJobs, now);
    const { inserted } = await store.builds.insertRun(children, null, now);
    // Cancelled (or superseded) while it evaluated: its children must not run. A cancel after this
    // read finds them in the group and cancels them itself.
    const parentNow = await store.builds.get(build.id);
    if (parentNow?.status !== 'running') {
      for (const child of inserted) {
        if (child.status !== 'pending') continue;
        await store.builds.update(
          child.id,
          {
            status: 'cancelled',
            reason: 'cancelled',
            error: `its matrix run ${build.id} was ${parentNow?.status ?? 'deleted'} while it evaluated`,
            finishedAt: now,
          },
          { status: ['pending'] },
        );
      }
    }

    // Each failed job's child says why: the message is its error and its log.
    for (const [i, error] of failedJobs.entries()) {
      const child = inserted[plan.children.length + i];
      if (!child) continue;
      const text = `evaluating ${error.attrPath} failed: ${error.message}`;
      await store.builds.update(child.id, { error: text });
      await store.logs.append(
        child.id,
        [{ ts: now, stream: 'kiln', text: `kiln: ${text}` }],
        this.#deps.logCapBytes,
      );
    }
    for (const [i, child] of plan.children.entries()) {
      const record = inserted[i];
      if (!record) continue;
      const waits = child.dependsOn.map((d) => plan.children[d]!.attrPath);
      log(
        `kiln: ${child.attrPath} (${child.system}) ${child.cached ? 'is in the cache' : 'builds as'} ${record.id}` +
          (child.aliases.length > 0 ? `; also ${child.aliases.join(', ')}` : '') +
          (waits.length > 0 && !child.cached ? `; after ${waits.join(', ')}` : ''),
      );
    }
    for (const error of evaluation.errors) {
      log(`kiln: ${error.attrPath} does not evaluate: ${firstLine(error.message)}`);
    }
    for (const job of plan.unsupported) {
      log(`kiln: ${job.attrPath} is for ${job.system}, which this server does not build; skipped`);
    }
    const cached = plan.children.filter((c) => c.cached).length;
    const summary =
      `${plan.children.length + failedJobs.length} child build(s): ${cached} cached, ` +
      `${failedJobs.length} failed to evaluate, ${plan.unsupported.length} skipped (system not built here)`;
    log(`kiln: ${summary}`);
    return { inserted, summary };
  }

  async #matrixSource(build: BuildRecord, commit: BuildCommit): Promise<MatrixSource> {
    const src = join(this.#deps.workspaceDir, build.id, 'src');
    if (await pathExists(join(src, 'flake.nix'))) {
      // Read through Nix's git fetcher at the exact commit, as GitBuildPreparer.evaluate does.
      return { kind: 'flake', ref: `git+file://${src}?rev=${commit.sha}&shallow=1` };
    }
    if (await pathExists(join(src, 'default.nix'))) return { kind: 'file', file: join(src, 'default.nix') };
    throw new KilnError(
      'KILN_ERR_EXPR_EVAL',
      'the repository has neither a flake.nix nor a default.nix at its root: nothing to build',
    );
  }

  /** The outputs the push cache has; a cache that cannot be asked counts as having none. */
  async #cachedPaths(
    cache: string | null,
    jobs: readonly { outputs: Readonly<Record<string, string>> }[],
    log: (line: string) => void,
  ): Promise<Set<string>> {
    if (cache === null || !this.#deps.cachedPaths) return new Set();
    const paths = [...new Set(jobs.flatMap((j) => Object.values(j.outputs)))];
    try {
      return await this.#deps.cachedPaths(cache, paths);
    } catch (error) {
      log(`kiln: could not ask ${cache} which outputs it has (${String(error)}); building everything`);
      return new Set();
    }
  }
}

function matrixOf(build: BuildRecord): MatrixSpec {
  if (build.source.kind !== 'git' || build.source.matrix === undefined) {
    throw new KilnError('KILN_ERR_INTERNAL', `build ${build.id} is not a matrix build`);
  }
  return build.source.matrix;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/**
 * The children of a matrix parent: the planned ones (in dependency order, so a dependency has
 * the lower seq), then one already failed per job that did not evaluate. Each inherits the
 * parent's group, project, trigger, concurrency run, cache, commit, timeouts, labels and
 * priority. Images and deploy hooks stay with single builds: a matrix has no one image.
 */
export function childBuilds(
  parent: BuildRecord,
  commit: BuildCommit,
  plan: MatrixPlan,
  failedJobs: readonly MatrixEvalError[],
  now: number,
): NewBuild[] {
  if (parent.source.kind !== 'git') throw new KilnError('KILN_ERR_INTERNAL', 'a matrix parent is from Git');
  const gitSource = parent.source;
  const ids = plan.children.map(() => newBuildId(now));
  const common = (attrPath: string, system: string | null, id: string): NewBuild => ({
    id,
    source: { ...gitSource, matrix: undefined, attr: attrPath },
    env: {},
    system,
    groupId: parent.groupId ?? parent.id,
    serviceId: parent.serviceId,
    labels: { ...parent.labels },
    priority: parent.priority,
    timeoutSeconds: parent.timeoutSeconds,
    maxSilentSeconds: parent.maxSilentSeconds,
    drvPaths: [],
    createdAt: now,
    pushCache: parent.pushCache,
    commit,
    projectId: parent.projectId,
    trigger: parent.trigger,
    concurrencyKey: parent.concurrencyKey,
    runSeq: parent.runSeq ?? parent.seq,
    attrPath,
  });
  const planned = plan.children.map((child, i): NewBuild => ({
    ...common(child.attrPath, child.system, ids[i]!),
    drvPaths: [child.drvPath],
    dependsOn: child.dependsOn.map((d) => ids[d]!),
    ...(child.cached && {
      status: 'succeeded' as const,
      cached: true,
      outputs: child.outputs,
      reason: IN_CACHE_REASON,
      finishedAt: now,
    }),
  }));
  const failed = failedJobs.map((error): NewBuild => ({
    ...common(error.attrPath, error.system, newBuildId(now)),
    status: 'failed',
    reason: EVAL_FAILED_REASON,
    finishedAt: now,
  }));
  return [...planned, ...failed];
}
