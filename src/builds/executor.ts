import { join } from 'node:path';
import type { BuildCommit, BuildImage, BuildProgress, BuildRecord, Store } from '../persistence/index.js';
import type { NixEvent } from '../runner/nix/index.js';
import { SHUTDOWN_REASON } from '../queue/index.js';
import type { BuildEvents } from './events.js';
import { LogSink } from './log-sink.js';
import type { GitBuildPreparer } from './git-source.js';
import type { ImageSteps } from './image-step.js';
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
  images?: Pick<ImageSteps, 'build' | 'push'> | undefined;
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
    void store.builds.update(
      id,
      { progress: { ...progress } },
      { status: ['running'], leaseOwner: deps.owner },
    );
  };

  // What Nix substituted and built, from its structured log: kept on the record.
  const substituted = new Set<string>();
  const built = new Set<string>();
  let pushed: string[] = [];

  events.emit({ type: 'status', buildId: id, status: 'running' });
  let drvPaths = build.drvPaths;
  let commit: BuildCommit | null = build.commit;
  let result: RealiseResult | undefined;
  if (build.source.kind === 'git' && drvPaths.length === 0) {
    const prepared = await prepareGitBuild(deps, build, signal, sink);
    if (prepared.ok) {
      drvPaths = prepared.drvPaths;
      commit = prepared.commit;
      await store.builds.update(id, { drvPaths, commit }, { status: ['running'], leaseOwner: deps.owner });
    } else {
      result = prepared.failure;
      commit = prepared.commit ?? commit;
    }
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
          void store.builds.update(
            id,
            { runnerPid: pid, runnerStartTime: startTime },
            { leaseOwner: deps.owner },
          );
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
  if (result.status === 'succeeded') {
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

  if (outcome.status === 'succeeded' && build.pushCache !== null) {
    const pushOutcome = await pushStep(deps, build, outcome.outputs, signal, sink);
    if (pushOutcome.ok) pushed = pushOutcome.pushed;
    else outcome = pushOutcome.failure;
  }

  let image: BuildImage | null = null;
  if (outcome.status === 'succeeded' && build.imageRef !== null) {
    const imageOutcome = await imageSteps(deps, { ...build, commit }, outcome.outputs, signal, sink);
    if (imageOutcome.ok) image = imageOutcome.image;
    else outcome = imageOutcome.failure;
  }

  const abortReason = signal.aborted && signal.reason instanceof Error ? signal.reason.message : '';
  const now = clock();
  const clearLease = { leaseOwner: null, leaseExpiresAt: null, runnerPid: null, runnerStartTime: null };
  progress.running = 0;
  progress.activeDrv = null;

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

  if (outcome.status === 'succeeded') {
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
  | { ok: true; drvPaths: string[]; commit: BuildCommit }
  | { ok: false; failure: RealiseResult; commit?: BuildCommit | undefined };

/** The `clone` and `eval` steps of a Git build, each with its own timing and log lines. */
async function prepareGitBuild(
  deps: ExecutorDeps,
  build: BuildRecord,
  signal: AbortSignal,
  sink: LogSink,
): Promise<PrepareOutcome> {
  const { store, clock } = deps;
  const fail = (step: string, error: unknown, commit?: BuildCommit): PrepareOutcome => ({
    ok: false,
    failure: stepFailure(step, error, signal),
    commit,
  });
  const log = (line: string): void => sink.write('kiln', line);

  await store.steps.start(build.id, 'clone', clock());
  let commit: BuildCommit;
  try {
    if (!deps.gitBuilds) throw new Error('this server cannot build from Git');
    commit = await deps.gitBuilds.clone(build, signal, log);
    await store.steps.finish(build.id, 'clone', 'succeeded', clock(), commit.sha);
  } catch (error) {
    await store.steps.finish(build.id, 'clone', 'failed', clock(), String(error));
    return fail('clone', error);
  }

  await store.steps.start(build.id, 'eval', clock());
  try {
    const drvPaths = await deps.gitBuilds.evaluate({ ...build, commit }, signal, (stream, text) =>
      sink.write(stream, text),
    );
    if (drvPaths.length === 0) throw new Error('the selected output evaluates to no derivations');
    await store.steps.finish(build.id, 'eval', 'succeeded', clock(), `${drvPaths.length} derivation(s)`);
    return { ok: true, drvPaths, commit };
  } catch (error) {
    await store.steps.finish(build.id, 'eval', 'failed', clock(), String(error));
    return fail('eval', error, commit);
  }
}

type ImageOutcome = { ok: true; image: BuildImage } | { ok: false; failure: RealiseResult };

/**
 * The `image` and `registry` steps. A failure fails the build with the step named; what the
 * registry held before (the tags of earlier builds) is left as it was.
 */
async function imageSteps(
  deps: ExecutorDeps,
  build: BuildRecord,
  outputs: string[],
  signal: AbortSignal,
  sink: LogSink,
): Promise<ImageOutcome> {
  const { store, clock } = deps;
  const log = (line: string): void => sink.write('kiln', line);
  const fail = (step: string, error: unknown): ImageOutcome => ({
    ok: false,
    failure: stepFailure(step, error, signal),
  });
  await store.steps.start(build.id, 'image', clock());
  let prepared;
  try {
    if (!deps.images) throw new Error('this server cannot build images');
    prepared = await deps.images.build(build, outputs, signal, log);
    await store.steps.finish(build.id, 'image', 'succeeded', clock(), prepared.manifestDigest);
  } catch (error) {
    await store.steps.finish(build.id, 'image', 'failed', clock(), String(error));
    return fail('image', error);
  }
  await store.steps.start(build.id, 'registry', clock());
  try {
    const image = await deps.images.push(build, prepared, signal, log);
    await store.steps.finish(
      build.id,
      'registry',
      'succeeded',
      clock(),
      `${image.bytesUploaded} bytes uploaded`,
    );
    return { ok: true, image };
  } catch (error) {
    await store.steps.finish(build.id, 'registry', 'failed', clock(), String(error));
    return fail('registry', error);
  }
}

/** How a failed step ends the build: cancelled when the build was stopped, else failed naming the step. */
function stepFailure(step: string, error: unknown, signal: AbortSignal): RealiseResult {
  if (signal.aborted)
    return { status: 'cancelled', exitCode: null, reason: 'cancelled', message: 'cancelled' };
  const message = error instanceof Error ? error.message : String(error);
  return { status: 'failed', exitCode: null, reason: `${step}-failed`, message: `step ${step}: ${message}` };
}
