import { join } from 'node:path';
import type {
  BuildBump,
  BuildCommit,
  BuildDeploy,
  BuildImage,
  BuildProgress,
  BuildRecord,
  Store,
} from '../persistence/index.js';
import type { NixEvent } from '../runner/nix/index.js';
import { LEASE_LOST_REASON, SHUTDOWN_REASON } from '../queue/index.js';
import { bumpEvidence, type BumpSteps } from './bump-step.js';
import type { BuildEvents } from './events.js';
import { LogSink } from './log-sink.js';
import type { GitBuildPreparer } from './git-source.js';
import type { DeployHooks } from './deploy-step.js';
import { manifestOf, markCurrent, type ImageSteps, type TaggableManifest } from './image-step.js';
import type { KeyedLock } from './keyed-lock.js';
import { isTerminal } from './lifecycle.js';
import { evaluateInOwnStore, type OwnStoreEvaluation } from './own-store-eval.js';
import type { MatrixExpansion, MatrixSteps } from './matrix-step.js';
import type { BuildRunner, PushOutputs, RealiseResult } from './ports.js';

export interface ExecutorDeps {
  store: Store;
  runner: BuildRunner;
  /** Closure size of a build's outputs; batched across builds finishing together (see main). */
  closureSize(paths: string[]): Promise<number>;
  events: BuildEvents;
  gcRootsDir: string;
  logCapBytes: number;
  owner: string;
  clock: () => number;
  /** Pushes outputs for builds submitted with a push cache; absent: such builds fail at that step. */
  pushOutputs?: PushOutputs | undefined;
  /** Clones and evaluates Git builds; absent: such builds fail at the clone step. */
  gitBuilds?: Pick<GitBuildPreparer, 'clone' | 'evaluate'> | undefined;
  /** Builds and pushes images for builds submitted with an image reference. */
  images?: Pick<ImageSteps, 'build' | 'push' | 'pushIndex' | 'tagCurrent'> | undefined;
  /** Delivers deploy hooks; absent: builds with one fail at the deploy step. */
  deployHooks?: Pick<DeployHooks, 'deliver'> | undefined;
  /** Runs version syncs (bump builds): clone, bump, push; absent: such builds fail at the clone step. */
  bumpBuilds?: Pick<BumpSteps, 'clone' | 'bump' | 'push' | 'dispose'> | undefined;
  /** Shared by every worker of this process: one index per build group. */
  groupLock?: KeyedLock | undefined;
  /** Expands matrix builds (all outputs of a flake) into child builds; absent: they fail at eval. */
  matrixBuilds?: Pick<MatrixSteps, 'expand'> | undefined;
  /**
   * Set on a worker with its own Nix store: expression and template builds are evaluated again
   * there, since the process that accepted them evaluated into its store.
   */
  ownStore?: OwnStoreEvaluation | undefined;
}

const PROGRESS_WRITE_MS = 500;

function applyEvent(progress: BuildProgress, event: NixEvent): boolean {
  switch (event.type) {
    case 'progress':
      progress.done = event.done;
      progress.expected = event.expected;
      progress.running = event.running;
      progress.failed = event.failed;
      return true;
    case 'build-started':
      progress.activeDrv = event.drvPath;
      progress.phase = null;
      return true;
    case 'phase':
      progress.phase = event.phase;
      return true;
    default:
      return false;
  }
}

/** Runs one claimed build: realise with live logs and progress, then record the outcome. */
export async function executeBuild(
  deps: ExecutorDeps,
  build: BuildRecord,
  signal: AbortSignal,
): Promise<void> {
  const { store, runner, events, clock } = deps;
  const id = build.id;
  const sink = new LogSink({
    logs: store.logs,
    buildId: id,
    capBytes: deps.logCapBytes,
    onFlushed: () => events.emit({ type: 'log', buildId: id }),
  });
  const progress: BuildProgress = { ...build.progress, running: 0, phase: null, activeDrv: null };
  let lastProgressWrite = 0;
  const saveProgress = (force: boolean): void => {
    const now = clock();
    if (!force && now - lastProgressWrite < PROGRESS_WRITE_MS) return;
    lastProgressWrite = now;
    // Progress is a hint the next write replaces: a failed write (database unreachable) is dropped,
    // and must not become an unhandled rejection that ends the worker.
    store.builds
      .update(id, { progress: { ...progress } }, { status: ['running'], leaseOwner: deps.owner })
      .catch(() => undefined);
  };

  // What Nix substituted and built, from its structured log: kept on the record.
  const substituted = new Set<string>();
  const built = new Set<string>();
  let pushed: string[] = [];

  events.emit({ type: 'status', buildId: id, status: 'running' });
  if (build.attempts > 1) sink.write('kiln', attemptMarker(build, deps.owner));
  let drvPaths = build.drvPaths;
  let commit: BuildCommit | null = build.commit;
  let result: RealiseResult | undefined;
  // A matrix parent builds nothing itself: its eval step queues the children.
  const matrixParent = build.source.kind === 'git' && build.source.matrix !== undefined;
  if (build.source.kind === 'git' && drvPaths.length === 0) {
    const prepared = await prepareGitBuild(deps, build, signal, sink);
    if (prepared.ok) {
      drvPaths = prepared.drvPaths;
      commit = prepared.commit;
      await store.builds.update(id, { drvPaths, commit }, { status: ['running'], leaseOwner: deps.owner });
      if (prepared.matrix) {
        for (const child of prepared.matrix.inserted) {
          events.emit({ type: 'status', buildId: child.id, status: child.status });
        }
        result = { status: 'succeeded', outputs: [] };
      }
    } else {
      result = prepared.failure;
      commit = prepared.commit ?? commit;
    }
  }
  let bump: BuildBump | null = build.bump;
  if (build.source.kind === 'bump') {
    const ran = await runBumpBuild(deps, build, signal, sink);
    result = ran.result;
    commit = ran.commit ?? commit;
    bump = ran.bump ?? bump;
  }
  const evaluatedElsewhere = build.source.kind === 'expr' || build.source.kind === 'template';
  if (result === undefined && deps.ownStore !== undefined && evaluatedElsewhere) {
    const here = await evaluateInOwnStore(runner, build, deps.ownStore, signal, (stream, text) =>
      sink.write(stream, text),
    );
    if ('failure' in here) result = here.failure;
    else drvPaths = here.drvPaths;
  }
  if (result === undefined) {
    sink.write('kiln', `kiln: attempt ${build.attempts}, building ${drvPaths.length} derivation(s)`);
    result = await realiseStep();
  }

  async function realiseStep(): Promise<RealiseResult> {
    let realised: RealiseResult;
    await store.steps.start(id, 'realise', clock());
    try {
      realised = await runner.realise({
        drvPaths,
        gcRootPrefix: join(deps.gcRootsDir, id, 'result'),
        timeoutSeconds: build.timeoutSeconds,
        maxSilentSeconds: build.maxSilentSeconds,
        signal,
        onEvent: (event) => {
          if (event.type === 'build-started' && event.drvPath !== '') built.add(event.drvPath);
          // A remote builder (nix.builders) is named, so the log says where the derivation ran.
          if (event.type === 'build-started' && event.machine !== '')
            sink.write('kiln', `kiln: building ${event.drvPath} on ${event.machine}`);
          if (event.type === 'substitute-started' && !substituted.has(event.storePath)) {
            substituted.add(event.storePath);
            sink.write('kiln', `kiln: substituting ${event.storePath} from ${event.substituter}`);
          }
          if (applyEvent(progress, event)) {
            events.emit({ type: 'progress', buildId: id, progress: { ...progress } });
            saveProgress(event.type === 'build-started');
          }
        },
        // nix-store prints only the GC root paths on stdout: server paths, no use to the reader.
        onLine: (stream, text) => {
          if (stream !== 'stdout') sink.write(stream, text);
        },
        onSpawn: (pid, startTime) => {
          // Only recovery of a crashed process uses it; while the database is unreachable the
          // worker aborts the runner itself when its lease runs out, so a lost write is no harm.
          store.builds
            .update(id, { runnerPid: pid, runnerStartTime: startTime }, { leaseOwner: deps.owner })
            .catch(() => undefined);
        },
      });
    } catch (error) {
      realised = {
        status: 'failed',
        exitCode: null,
        reason: 'runner-error',
        message: `kiln could not run Nix: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    await store.steps.finish(
      id,
      'realise',
      realised.status === 'succeeded' ? 'succeeded' : 'failed',
      clock(),
    );
    return realised;
  }

  let artifactSize: number | null = null;
  let outcome = result;
  if (result.status === 'succeeded' && !matrixParent) {
    await store.steps.start(id, 'closure-size', clock());
    try {
      artifactSize = await deps.closureSize(result.outputs);
      await store.steps.finish(id, 'closure-size', 'succeeded', clock());
    } catch (error) {
      await store.steps.finish(id, 'closure-size', 'failed', clock(), String(error));
      if (signal.aborted)
        outcome = { status: 'cancelled', exitCode: null, reason: 'cancelled', message: 'cancelled' };
    }
    progress.done = Math.max(progress.done, progress.expected);
  }

  if (outcome.status === 'succeeded' && build.pushCache !== null && !matrixParent) {
    const pushOutcome = await pushStep(deps, build, outcome.outputs, signal, sink);
    if (pushOutcome.ok) pushed = pushOutcome.pushed;
    else outcome = pushOutcome.failure;
  }

  let image: BuildImage | null = null;
  let deploy: BuildDeploy | null = null;
  if (outcome.status === 'succeeded' && build.imageRef !== null && !matrixParent) {
    const shipped = await shipImage(
      deps,
      { ...build, commit, drvPaths, outputs: outcome.outputs },
      signal,
      sink,
    );
    image = shipped.image;
    deploy = shipped.deploy;
    if (shipped.failure) outcome = shipped.failure;
  }

  const abortReason = signal.aborted && signal.reason instanceof Error ? signal.reason.message : '';
  const now = clock();
  const clearLease = { leaseOwner: null, leaseExpiresAt: null, runnerPid: null, runnerStartTime: null };
  progress.running = 0;
  progress.activeDrv = null;

  if (abortReason === LEASE_LOST_REASON) {
    // Another worker may own the build by now: whatever this attempt did is not its result. The
    // record is left as it is (lease expiry re-queues it), only the log says what happened here.
    sink.write(
      'kiln',
      `kiln: worker ${deps.owner} lost the lease of attempt ${build.attempts}; stopped, no result recorded`,
    );
    await sink.flush();
    return;
  }

  if (outcome.status === 'cancelled' && abortReason === SHUTDOWN_REASON) {
    sink.write('kiln', 'kiln: server shutting down; build returned to the queue');
    await sink.flush();
    const requeued = await store.builds.update(
      id,
      { status: 'pending', startedAt: null, ...clearLease, progress },
      { status: ['running'], leaseOwner: deps.owner },
    );
    if (requeued) events.emit({ type: 'status', buildId: id, status: 'pending' });
    return;
  }

  if (outcome.status === 'succeeded' && matrixParent) {
    sink.write('kiln', 'kiln: the matrix is queued; its child builds follow in this group');
  } else if (outcome.status === 'succeeded') {
    sink.write('kiln', `kiln: built ${outcome.outputs.join(' ')}`);
  } else if (outcome.status !== 'cancelled') {
    sink.write('kiln', `kiln: ${outcome.status}: ${outcome.message.split('\n')[0] ?? ''}`);
  }
  await sink.flush();

  const final =
    outcome.status === 'succeeded'
      ? {
          status: 'succeeded' as const,
          outputs: outcome.outputs,
          artifactSize,
          exitCode: 0,
          error: null,
          reason: null,
        }
      : {
          status: outcome.status,
          exitCode: outcome.exitCode,
          error: outcome.message,
          reason: outcome.reason,
        };
  const updated = await store.builds.update(
    id,
    {
      ...final,
      progress,
      substituted: [...substituted],
      built: [...built],
      pushed,
      drvPaths,
      commit,
      image,
      deploy,
      bump,
      // Credentials are kept only while the build may still need them.
      secrets: null,
      finishedAt: now,
      durationMs: build.startedAt === null ? null : now - build.startedAt,
      ...clearLease,
    },
    { status: ['running'], leaseOwner: deps.owner },
  );
  if (updated) {
    events.emit({ type: 'status', buildId: id, status: updated.status });
  } else {
    // Cancelled (or the lease was taken over) while we ran: the record already says so.
    await store.builds.update(id, { ...clearLease, secrets: null }, { leaseOwner: deps.owner });
  }
  const ended = updated ?? (await store.builds.get(id));
  if (ended && ended.status !== 'succeeded' && isTerminal(ended.status)) {
    // Builds of the group waiting for this one can never run now.
    for (const dependent of await store.builds.failDependents(id, clock())) {
      events.emit({ type: 'status', buildId: dependent.id, status: dependent.status });
    }
  }
}

/** The log line that opens a later attempt: which one, on which worker, and why the last one ended. */
function attemptMarker(build: BuildRecord, owner: string): string {
  const why =
    build.reason === 'lease-expired'
      ? ` after the lease of attempt ${build.attempts - 1} expired`
      : build.reason === 'interrupted'
        ? ` after attempt ${build.attempts - 1} was interrupted`
        : '';
  return `kiln: attempt ${build.attempts} on worker ${owner}${why}`;
}

type PushStepOutcome = { ok: true; pushed: string[] } | { ok: false; failure: RealiseResult };

/**
 * The `push` step: uploads the closure of the outputs to the build's cache. A failure fails the
 * build (the outputs exist, but what was asked for, a cache that has them, did not happen).
 */
async function pushStep(
  deps: ExecutorDeps,
  build: BuildRecord,
  outputs: string[],
  signal: AbortSignal,
  sink: LogSink,
): Promise<PushStepOutcome> {
  const cache = build.pushCache ?? '';
  const { store, clock } = deps;
  await store.steps.start(build.id, 'push', clock());
  sink.write('kiln', `kiln: pushing the closure of ${outputs.length} output(s) to ${cache}`);
  try {
    if (!deps.pushOutputs) throw new Error('this server has no warehouse to push to');
    const report = await deps.pushOutputs(cache, outputs, signal, (text) => sink.write('kiln', text));
    sink.write(
      'kiln',
      `kiln: pushed ${report.pushed.length} path(s) to ${cache} (${report.bytesUploaded} bytes compressed, ` +
        `${report.narBytes} bytes NAR) in ${report.seconds.toFixed(1)} s; ${report.alreadyPresent} already there`,
    );
    await store.steps.finish(build.id, 'push', 'succeeded', clock(), `${report.pushed.length} pushed`);
    return { ok: true, pushed: report.pushed };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await store.steps.finish(build.id, 'push', 'failed', clock(), message);
    if (signal.aborted) {
      return {
        ok: false,
        failure: { status: 'cancelled', exitCode: null, reason: 'cancelled', message: 'cancelled' },
      };
    }
    return {
      ok: false,
      failure: {
        status: 'failed',
        exitCode: null,
        reason: 'push-failed',
        message: `step push: pushing to ${cache} failed: ${message}`,
      },
    };
  }
}

type PrepareOutcome =
  | { ok: true; drvPaths: string[]; commit: BuildCommit; matrix?: MatrixExpansion | undefined }
  | { ok: false; failure: RealiseResult; commit?: BuildCommit | undefined };

/** The `clone` and `eval` steps of a Git build, each with its own timing and log lines. */
async function prepareGitBuild(
  deps: ExecutorDeps,
  build: BuildRecord,
  signal: AbortSignal,
  sink: LogSink,
): Promise<PrepareOutcome> {
  const log = (line: string): void => sink.write('kiln', line);
  let commit: BuildCommit | undefined;
  try {
    const git = deps.gitBuilds;
    commit = await runStep(
      deps,
      build.id,
      'clone',
      async () => {
        if (!git) throw new Error('this server cannot build from Git');
        return git.clone(build, signal, log);
      },
      (cloned) => cloned.sha,
    );
    const cloned = commit;
    if (build.source.kind === 'git' && build.source.matrix !== undefined) {
      const matrix = await runStep(
        deps,
        build.id,
        'eval',
        async () => {
          if (!deps.matrixBuilds) throw new Error('this server cannot expand build matrices');
          return deps.matrixBuilds.expand({ ...build, commit: cloned }, cloned, signal, log);
        },
        (expansion) => expansion.summary,
      );
      return { ok: true, drvPaths: [], commit, matrix };
    }
    const drvPaths = await runStep(
      deps,
      build.id,
      'eval',
      async () => {
        const evaluated = await git!.evaluate({ ...build, commit: cloned }, signal, (stream, text) =>
          sink.write(stream, text),
        );
        if (evaluated.length === 0) throw new Error('the selected output evaluates to no derivations');
        return evaluated;
      },
      (paths) => `${paths.length} derivation(s)`,
    );
    return { ok: true, drvPaths, commit };
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    return { ok: false, failure: stepFailure(error.step, error.cause, signal), commit };
  }
}

interface BumpRun {
  result: RealiseResult;
  commit?: BuildCommit | undefined;
  bump?: BuildBump | undefined;
}

/**
 * A version sync's run: the `clone`, `bump` and `push` steps. The build's timeout is wall-clock
 * over all of them (Nix's own per-build timeout applies inside the bump as well).
 */
async function runBumpBuild(
  deps: ExecutorDeps,
  build: BuildRecord,
  signal: AbortSignal,
  sink: LogSink,
): Promise<BumpRun> {
  const log = (line: string): void => sink.write('kiln', line);
  const steps = deps.bumpBuilds;
  const timeout = new AbortController();
  const timer =
    build.timeoutSeconds > 0
      ? setTimeout(() => timeout.abort(new Error('timed out')), build.timeoutSeconds * 1000)
      : undefined;
  const stop = AbortSignal.any([signal, timeout.signal]);
  let commit: BuildCommit | undefined;
  let bump: BuildBump | undefined;
  try {
    const cloned = await runStep(
      deps,
      build.id,
      'clone',
      async () => {
        if (!steps) throw new Error('this server cannot run version syncs');
        return steps.clone(build, stop, log);
      },
      (c) => c.commit.sha,
    );
    commit = cloned.commit;
    await deps.store.builds.update(build.id, { commit }, { status: ['running'], leaseOwner: deps.owner });
    const result = await runStep(
      deps,
      build.id,
      'bump',
      () => steps!.bump(build, cloned, stop, log),
      (r) =>
        `${r.oldVersion} -> ${r.newVersion}, ${r.hashes.filter((h) => h.method !== 'unchanged').length} hash(es) changed`,
    );
    // Named as pushed only once it is: a failed push leaves no branch anywhere.
    bump = { ...bumpEvidence(result), branch: null, commit: null };
    await runStep(
      deps,
      build.id,
      'push',
      () => steps!.push(cloned, result, stop, log),
      (branch) => branch,
    );
    bump = bumpEvidence(result);
    return { result: { status: 'succeeded', outputs: [...result.outputs] }, commit, bump };
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    if (timeout.signal.aborted && !signal.aborted) {
      const message = `step ${error.step}: the run took longer than its timeout of ${build.timeoutSeconds} s`;
      return {
        result: { status: 'timed_out', exitCode: null, reason: 'wall-clock-timeout', message },
        commit,
        bump,
      };
    }
    return { result: stepFailure(error.step, error.cause, signal), commit, bump };
  } finally {
    clearTimeout(timer);
    await steps?.dispose(build).catch(() => undefined);
  }
}

/**
 * Runs one step of a build with its timing in the record: started, then succeeded with a detail
 * or failed with the error. A failure is thrown as StepFailed, naming the step.
 */
async function runStep<T>(
  deps: Pick<ExecutorDeps, 'store' | 'clock'>,
  buildId: string,
  name: string,
  run: () => Promise<T>,
  detail: (value: T) => string,
): Promise<T> {
  const { store, clock } = deps;
  await store.steps.start(buildId, name, clock());
  try {
    const value = await run();
    await store.steps.finish(buildId, name, 'succeeded', clock(), detail(value));
    return value;
  } catch (error) {
    await store.steps.finish(buildId, name, 'failed', clock(), String(error));
    throw new StepFailed(name, error);
  }
}

interface ShipOutcome {
  /** What reached the registry, kept on the record even when a later step failed. */
  image: BuildImage | null;
  deploy: BuildDeploy | null;
  failure?: RealiseResult | undefined;
}

/**
 * The `image`, `registry`, `index`, `deploy` and `current` steps. A failure fails the build with
 * the step named, and `current` stays where it was: it moves only after every other step.
 */
async function shipImage(
  deps: ExecutorDeps,
  build: BuildRecord,
  signal: AbortSignal,
  sink: LogSink,
): Promise<ShipOutcome> {
  const log = (line: string): void => sink.write('kiln', line);
  let image: BuildImage | null = null;
  let deploy: BuildDeploy | null = null;
  const step: StepRunner = (name, run, detail) => runStep(deps, build.id, name, run, detail);
  try {
    const images = deps.images;
    const prepared = await step(
      'image',
      async () => {
        if (!images) throw new Error('this server cannot build images');
        return images.build(build, build.outputs, signal, log);
      },
      (p) => p.manifestDigest,
    );
    image = await step(
      'registry',
      () => images!.push(build, prepared, signal, log),
      (pushed) => `${pushed.bytesUploaded} bytes uploaded${pushed.fallback ? ' (fallback registry)' : ''}`,
    );
    let target: TaggableManifest | undefined = manifestOf(image, prepared);
    if (build.groupId !== null) {
      const grouped = await groupIndex(deps, build, image, signal, log, step);
      image = grouped.image;
      target = grouped.target;
      if (target === undefined) return { image, deploy };
    }
    const shipped = image;
    if (build.deployHook !== null) {
      deploy = await step(
        'deploy',
        async () => {
          if (!deps.deployHooks) throw new Error('this server cannot deliver deploy hooks');
          return deps.deployHooks.deliver(build, shipped, signal, log);
        },
        (d) => `HTTP ${d.status} after ${d.attempts} attempt(s)`,
      );
    }
    const current = target;
    await step(
      'current',
      () => images!.tagCurrent(current, signal, log),
      (ref) => ref,
    );
    return { image: markCurrent(shipped), deploy };
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    return { image, deploy, failure: stepFailure(error.step, error.cause, signal) };
  }
}

type StepRunner = <T>(name: string, run: () => Promise<T>, detail: (value: T) => string) => Promise<T>;

/**
 * One system of several: its image is recorded at once, so its siblings see it; the last system
 * to push (under the group lock) pushes the index, which is what deploy and `current` then use.
 * The others are done after their own push.
 */
async function groupIndex(
  deps: ExecutorDeps,
  build: BuildRecord,
  image: BuildImage,
  signal: AbortSignal,
  log: (line: string) => void,
  step: StepRunner,
): Promise<{ image: BuildImage; target?: TaggableManifest | undefined }> {
  const { store } = deps;
  const groupId = build.groupId ?? '';
  await store.builds.update(build.id, { image }, { status: ['running'], leaseOwner: deps.owner });
  const section = async (): Promise<{ image: BuildImage; target?: TaggableManifest | undefined }> => {
    const siblings = await store.builds.list({ groupId, limit: 100 });
    const indexed = siblings.find((s) => s.image?.index !== undefined)?.image?.index;
    if (indexed) return { image: { ...image, index: indexed } };
    const waiting = siblings.filter((s) => s.id !== build.id && s.image === null);
    if (waiting.length > 0) {
      log(`kiln: the image index follows when ${waiting.map((s) => s.system ?? s.id).join(', ')} pushed`);
      return { image };
    }
    const parts = siblings.map((s) => (s.id === build.id ? { ...s, image } : s));
    const pushed = await step(
      'index',
      () => deps.images!.pushIndex(build, parts, signal, log),
      (p) => p.index.digest,
    );
    const withIndex = { ...image, index: pushed.index };
    // Recorded inside the lock: a sibling entering next sees the index and does not push another.
    await store.builds.update(
      build.id,
      { image: withIndex },
      { status: ['running'], leaseOwner: deps.owner },
    );
    return { image: withIndex, target: pushed.manifest };
  };
  return deps.groupLock ? deps.groupLock.run(groupId, section) : section();
}

/** A step that failed, carrying its name to the build's error. */
class StepFailed extends Error {
  readonly step: string;
  constructor(step: string, cause: unknown) {
    super(`step ${step} failed`, { cause });
    this.step = step;
  }
}

/** How a failed step ends the build: cancelled when the build was stopped, else failed naming the step. */
function stepFailure(step: string, error: unknown, signal: AbortSignal): RealiseResult {
  if (signal.aborted)
    return { status: 'cancelled', exitCode: null, reason: 'cancelled', message: 'cancelled' };
  const message = error instanceof Error ? error.message : String(error);
  return { status: 'failed', exitCode: null, reason: `${step}-failed`, message: `step ${step}: ${message}` };
}
